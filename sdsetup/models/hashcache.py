"""SHA-256 of model files, remembered by path + size + mtime_ns so 7 GB files are hashed once.

The cache is one JSON file under HOME. A file whose size or modification time changed is hashed
again; a corrupt cache is treated as empty (it is only a cache).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sdsetup.download.hashing import sha256_file
from sdsetup.jsonstate import read_json, write_json

CACHE_NAME = "model-hashes.json"


class HashCache:
    def __init__(self, file: Path, hasher: Callable[[Path], str] = sha256_file) -> None:
        self.file = file
        self._hasher = hasher
        self._entries: dict[str, dict] = read_json(file, {})
        self._dirty = False

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int]:
        stat = path.stat()
        return stat.st_size, stat.st_mtime_ns

    def cached(self, path: Path) -> str | None:
        """The remembered hash if the file is unchanged since, else None (nothing is hashed)."""
        entry = self._entries.get(str(path.absolute()))
        size, mtime = self._stamp(path)
        if isinstance(entry, dict) and entry.get("size") == size and entry.get("mtime_ns") == mtime:
            return entry.get("sha256")
        return None

    def sha256(self, path: Path, *, fresh: bool = False) -> str:
        """The file's hash, from the cache unless it changed or ``fresh`` asks to re-read it."""
        known = None if fresh else self.cached(path)
        if known:
            return known
        size, mtime = self._stamp(path)
        digest = self._hasher(path)
        self.remember(path, digest, size, mtime)
        return digest

    def remember(self, path: Path, digest: str, size: int | None = None,
                 mtime_ns: int | None = None) -> None:
        if size is None or mtime_ns is None:
            size, mtime_ns = self._stamp(path)
        self._entries[str(path.absolute())] = {"size": size, "mtime_ns": mtime_ns,
                                               "sha256": digest.lower()}
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        write_json(self.file, self._entries, indent=1)
        self._dirty = False
