"""sha256 of files on disk."""

from __future__ import annotations

import hashlib
from pathlib import Path

_BLOCK = 1024 * 1024


def sha256_file(path: Path, skip: int = 0) -> str:
    """The file's sha256, of the bytes from offset ``skip`` on (all of them by default)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        handle.seek(skip)
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


class PrefixHasher:
    """Hashes a file that is being written, as its finished prefix grows from byte 0.

    Hashing overlaps the download instead of re-reading gigabytes at the end; hashlib's state
    cannot be saved, so after a resume the prefix already on disk is read once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reset()

    def reset(self) -> None:
        self._digest = hashlib.sha256()
        self.offset = 0

    def catch_up(self, upto: int) -> None:
        if upto <= self.offset:
            return
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            while self.offset < upto:
                block = handle.read(min(_BLOCK, upto - self.offset))
                if not block:
                    break
                self._digest.update(block)
                self.offset += len(block)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()
