"""The models on disk, named the way A1111 names them.

A checkpoint's ``name`` is its path under ``models/Stable-diffusion``, its ``title`` is
``name [sha256[:10]]`` (clients compare titles, so hashes are computed at scan time and cached by
size and mtime rather than lazily as A1111 does), and ``sd_model_checkpoint`` accepts any of
title, name, stem, model_name or a hash prefix.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CHECKPOINT_SUFFIXES = (".safetensors", ".ckpt")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Checkpoint:
    name: str            # relative path with "/" separators, e.g. "sd15/dream.safetensors"
    path: Path
    sha256: str | None

    @property
    def shorthash(self) -> str | None:
        return self.sha256[:10] if self.sha256 else None

    @property
    def title(self) -> str:
        return f"{self.name} [{self.shorthash}]" if self.sha256 else self.name

    @property
    def model_name(self) -> str:
        return self.name.rsplit(".", 1)[0].replace("/", "_").replace("\\", "_")

    @property
    def stem(self) -> str:
        return self.path.stem

    def api(self) -> dict:
        return {"title": self.title, "model_name": self.model_name, "hash": self.shorthash,
                "sha256": self.sha256, "filename": str(self.path), "config": None}


def find_checkpoint(checkpoints: Iterable[Checkpoint], wanted: str) -> Checkpoint | None:
    """The checkpoint ``wanted`` names, by any of the spellings A1111 accepts."""
    text = wanted.strip()
    items = list(checkpoints)
    for attribute in ("title", "name", "model_name", "stem"):
        for ck in items:
            if getattr(ck, attribute) == text:
                return ck
    if len(text) >= 8:
        prefix = text.lower().strip("[]")
        return next((ck for ck in items if ck.sha256 and ck.sha256.startswith(prefix)), None)
    return None


def sha256_of(path: Path, skip: int = 0) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        f.seek(skip)
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def tensor_data_offset(path: Path) -> int:
    """Where a safetensors file's tensor bytes start: after the 8-byte length and the header."""
    with path.open("rb") as f:
        return 8 + int.from_bytes(f.read(8), "little")


class HashCache:
    """File hashes by path, kept valid by (size, mtime) and saved as JSON between runs.

    ``sha256`` is of the whole file (A1111's model hash); ``autov3`` is of the safetensors tensor
    data only, which is what A1111 writes as a LoRA's hash and Civitai matches (civitai.md §4).
    """

    def __init__(self, file: Path) -> None:
        self._file = file
        self._lock = threading.Lock()
        try:
            self._entries = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._entries = {}

    def peek(self, path: Path, kind: str = "sha256") -> str | None:
        """The cached hash if it is still valid, without reading the file."""
        stat = path.stat()
        with self._lock:
            entry = self._entries.get(f"{kind}:{path}")
        return entry["hash"] if entry and entry.get("stamp") == [stat.st_size, stat.st_mtime_ns] \
            else None

    def get(self, path: Path, kind: str = "sha256") -> str:
        cached = self.peek(path, kind)
        if cached:
            return cached
        stat = path.stat()
        key, stamp = f"{kind}:{path}", [stat.st_size, stat.st_mtime_ns]
        digest = sha256_of(path, tensor_data_offset(path) if kind == "autov3" else 0)
        with self._lock:
            self._entries[key] = {"stamp": stamp, "hash": digest}
            self._file.parent.mkdir(parents=True, exist_ok=True)
            self._file.write_text(json.dumps(self._entries), encoding="utf-8")
        return digest


def files_under(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes and p.is_file())


def scan_checkpoints(folder: Path, cache: HashCache) -> list[Checkpoint]:
    """The checkpoints under ``folder`` with the hashes already known; the rest have none yet."""
    return [Checkpoint(p.relative_to(folder).as_posix(), p, cache.peek(p))
            for p in files_under(folder, CHECKPOINT_SUFFIXES)]


def with_hash(checkpoints: list[Checkpoint], hashed: Checkpoint) -> list[Checkpoint]:
    return [hashed if ck.path == hashed.path else ck for ck in checkpoints]
