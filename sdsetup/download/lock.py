"""An exclusive lock per destination, so concurrent sdsetup processes take turns.

It is best-effort: on filesystems where locking is unsupported it is skipped, because
correctness rests on the hash check and the atomic rename, never on the lock.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_BUSY = {errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK}


def _try_lock(fd: int) -> bool:
    """True when locked, False when another process holds it; raises when unsupported."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno in _BUSY:
            return False
        raise
    return True


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file ``fd`` holds: its last holder may have removed it
    (then a newcomer would lock a new file, and the two would not exclude each other)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


@contextmanager
def locked(dest: Path, poll: float, notice: float, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold ``<dest>.lock`` for the duration; polls so Ctrl-C stays responsive while waiting.

    ``on_wait`` is called every ``notice`` seconds spent waiting, so a person knows why nothing
    moves. The holder removes the lock file before it lets go, so no folder is littered with
    them; a waiter that then gets the lock of a removed file opens the path again, so every
    process still locks one and the same file.
    """
    path = dest.with_name(dest.name + ".lock")
    next_notice = time.monotonic() + notice
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
        try:
            held = _try_lock(fd)
        except OSError:
            held = True  # locking unsupported here: proceed, the hash check keeps us correct
        if held and _same_file(fd, path):
            break
        os.close(fd)
        if not held:
            if time.monotonic() >= next_notice:
                on_wait()
                next_notice += notice
            time.sleep(poll)
    try:
        yield
    finally:
        try:
            path.unlink(missing_ok=True)  # still holding it: nobody else can be inside
        except OSError:
            pass  # Windows refuses to remove an open file; the lock file stays, harmlessly
        os.close(fd)  # closing releases flock and msvcrt locks alike
