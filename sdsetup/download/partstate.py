"""The sidecar of a partial download: which bytes of ``<dest>.part`` are already good.

It is written after the part file is fsynced, so a crash or reboot can lose progress but never
claim bytes that are not on disk. It is trusted only when it describes the same job (size,
sha256); correctness still rests on the final hash check, never on the sidecar.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from sdsetup.download.ranges import Span, merge
from sdsetup.jsonstate import write_json

_VERSION = 1


@dataclass(frozen=True)
class PartState:
    url: str                      # redacted: signed URLs must not be written to disk
    size: int | None
    sha256: str | None
    validator: str | None         # strong ETag or Last-Modified, from validator_source only
    validator_source: str | None
    done: tuple[Span, ...]


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def sidecar_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.json")


def decode(text: str) -> PartState | None:
    """The state in a sidecar's text, or None when it is not a sidecar this version wrote."""
    try:
        raw = json.loads(text)
        if raw.get("version") != _VERSION:
            return None
        return PartState(
            url=str(raw["url"]),
            size=None if raw["size"] is None else int(raw["size"]),
            sha256=raw["sha256"],
            validator=raw["validator"],
            validator_source=raw["validator_source"],
            done=tuple((int(s), int(e)) for s, e in merge(map(tuple, raw["done"]))),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _record(state: PartState) -> dict:
    return {"version": _VERSION, **asdict(state)}


def encode(state: PartState) -> str:
    return json.dumps(_record(state))


def usable(state: PartState | None, size: int | None, sha256: str | None, urls: set[str],
           part_size: int | None) -> bool:
    """Whether a saved state may seed this job: same file, and the part still holds its bytes.

    The same file means the same expected sha256, or else the part came from one of this job's
    (redacted) URLs: another file saved to the same path must not be resumed into.
    """
    if state is None or part_size is None or state.size is None:
        return False
    if sha256 and state.sha256:
        if sha256 != state.sha256:
            return False
    elif state.url not in urls:
        return False
    if size is not None and size != state.size:
        return False
    return all(end <= part_size for _, end in state.done)


def load(dest: Path) -> PartState | None:
    try:
        return decode(sidecar_path(dest).read_text(encoding="utf-8"))
    except OSError:
        return None


def save(dest: Path, state: PartState) -> None:
    write_json(sidecar_path(dest), _record(state), indent=None, sort_keys=False)


def discard(dest: Path) -> None:
    for path in (part_path(dest), sidecar_path(dest)):
        path.unlink(missing_ok=True)
