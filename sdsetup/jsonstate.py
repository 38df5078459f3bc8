"""Small JSON files sdsetup keeps in its home (mirror choice, misses, trusted hashes, env state).

Written atomically (a uniquely named temporary file in the same folder, fsynced, then renamed
over the target) so a crash never leaves half a file and two processes writing the same file
never trip over each other's temporary file: the last complete write wins. A missing,
unreadable or hand-edited file of the wrong shape reads as the caller's default, since each of
them only records what can be learnt again.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def read_json(path: Path, default: Any = None, *, shape: type | tuple[type, ...] = dict) -> Any:
    """The file's JSON value, or ``default`` when it is missing, unreadable or not a ``shape``.

    Every file sdsetup keeps holds a JSON object, hence ``dict``; pass ``shape=object`` to accept
    any value.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
    return data if isinstance(data, shape) else default


def write_json(path: Path, data: Any, *, indent: int | None = 2, sort_keys: bool = True) -> None:
    """Replace ``path`` with ``data`` as JSON, atomically; the folder is created if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
