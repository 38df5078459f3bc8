"""The content-addressed cache: ``<cache>/sha256/<h[:2]>/<h>``, shared by every command.

A file enters the cache only after its hash was checked, and is checked again on the way out,
so a damaged entry is dropped instead of landing at a destination.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sdsetup.download.hashing import sha256_file


def entry(cache_dir: Path, sha256: str) -> Path:
    return cache_dir / "sha256" / sha256[:2] / sha256


def place(src: Path, dest: Path, copy: bool = True) -> None:
    """Atomically make ``dest`` a hard link to (or, across filesystems, a copy of) ``src``.

    With ``copy=False`` a failing hard link raises instead of copying.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        try:
            os.link(src, tmp)
        except OSError:
            if not copy:
                raise
            shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def restore(cache_dir: Path, sha256: str, size: int | None, dest: Path) -> bool:
    """Put the cached file with this hash at ``dest``; False when the cache lacks a good copy."""
    cached = entry(cache_dir, sha256)
    try:
        if size is not None and cached.stat().st_size != size:
            cached.unlink()
            return False
        if sha256_file(cached) != sha256:
            cached.unlink()
            return False
    except FileNotFoundError:
        return False
    place(cached, dest)
    return True


def add(cache_dir: Path, sha256: str, verified: Path) -> None:
    """Record a verified file by hard link; a cache that cannot take one only costs a re-download.

    No copy across filesystems: a second 7 GB copy of a model would surprise a user whose
    models folder is on another disk than the home.
    """
    target = entry(cache_dir, sha256)
    if target.exists():
        return
    try:
        place(verified, target, copy=False)
    except OSError:
        pass
