"""Small JSON files sdsetup keeps in its home (mirror choice, misses, trusted hashes, env state).

Written atomically (temporary file, then rename) so a crash never leaves half a file; a missing or
unreadable file reads as None, since each of them only records what can be learnt again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
