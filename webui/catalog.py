"""The models on disk, named the way A1111 names them.

A checkpoint's ``name`` is its path under ``models/Stable-diffusion``, its ``title`` is
``name [sha256[:10]]`` (clients compare titles, so hashes are computed at scan time and cached by
size and mtime rather than lazily as A1111 does), and ``sd_model_checkpoint`` accepts any of
title, name, stem, model_name or a hash prefix.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sdsetup.download.hashing import sha256_file
from sdsetup.jsonstate import read_json, write_json
from sdsetup.safetensors_header import InvalidSafetensors, read_header

CHECKPOINT_SUFFIXES = (".safetensors", ".ckpt")


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


def tensor_data_offset(path: Path) -> int:
    """Where the bytes ``autov3`` hashes start: a safetensors file's tensor data, else byte 0.

    As in A1111, a file that is not safetensors (a ``.pt`` LoRA) is hashed whole; so is one whose
    header does not check out, rather than failing the generation that asked for its hash.
    """
    if path.suffix.lower() != ".safetensors":
        return 0
    try:
        return read_header(path).data_offset
    except InvalidSafetensors:
        return 0


class HashCache:
    """File hashes by path, kept valid by (size, mtime) and saved as JSON between runs.

    ``sha256`` is of the whole file (A1111's model hash); ``autov3`` is of the safetensors tensor
    data only, which is what A1111 writes as a LoRA's hash and Civitai matches (civitai.md §4).
    """

    def __init__(self, file: Path) -> None:
        self._file = file
        self._lock = threading.Lock()
        self._entries: dict = read_json(file, {})

    def peek(self, path: Path, kind: str = "sha256") -> str | None:
        """The cached hash if it is still valid, without reading the file."""
        stat = path.stat()
        with self._lock:
            entry = self._entries.get(f"{kind}:{path}")
        if isinstance(entry, dict) and entry.get("stamp") == [stat.st_size, stat.st_mtime_ns]:
            return entry.get("hash")
        return None

    def get(self, path: Path, kind: str = "sha256") -> str:
        cached = self.peek(path, kind)
        if cached:
            return cached
        stat = path.stat()
        key, stamp = f"{kind}:{path}", [stat.st_size, stat.st_mtime_ns]
        digest = sha256_file(path, tensor_data_offset(path) if kind == "autov3" else 0)
        with self._lock:
            self._entries[key] = {"stamp": stamp, "hash": digest}
            write_json(self._file, self._entries, indent=None)
        return digest


def files_under(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes and p.is_file())


def listing_stamp(folder: Path, suffixes: tuple[str, ...]) -> tuple:
    """What a rescan would see: each model file's path, size and mtime (one stat per file).

    A file still being copied in changes its size or mtime, so it is rescanned (and rehashed)
    once the copy ends rather than keeping the hash of its first bytes.
    """
    stamps, pending = [], [str(folder)]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:  # not there (yet), or removed while walking
            continue
        for entry in entries:
            try:
                if entry.is_dir() and not entry.is_symlink():  # as rglob in files_under
                    pending.append(entry.path)
                elif entry.name.lower().endswith(suffixes) and entry.is_file():
                    stat = entry.stat()
                    stamps.append((entry.path, stat.st_size, stat.st_mtime_ns))
            except OSError:
                continue
    return tuple(sorted(stamps))


def scan_checkpoints(folder: Path, cache: HashCache) -> list[Checkpoint]:
    """The checkpoints under ``folder`` with the hashes already known; the rest have none yet."""
    return [Checkpoint(p.relative_to(folder).as_posix(), p, cache.peek(p))
            for p in files_under(folder, CHECKPOINT_SUFFIXES)]


def with_hash(checkpoints: list[Checkpoint], hashed: Checkpoint) -> list[Checkpoint]:
    return [hashed if ck.path == hashed.path else ck for ck in checkpoints]
