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


@contextmanager
def locked(dest: Path, poll: float, notice: float, on_wait: Callable[[], None],
           remove_after: bool) -> Iterator[None]:
    """Hold ``<dest>.lock`` for the duration; polls so Ctrl-C stays responsive while waiting.

    ``on_wait`` is called every ``notice`` seconds spent waiting, so a person knows why nothing
    moves. With ``remove_after`` the lock file is removed after a success, so model folders are
    not littered: that is only safe when the file's hash was checked, because a process still
    waiting on the removed file and one starting afresh no longer exclude each other.
    """
    path = dest.with_name(dest.name + ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
    try:
        next_notice = time.monotonic() + notice
        while True:
            try:
                if _try_lock(fd):
                    break
            except OSError:
                break  # locking unsupported here: proceed, the hash check keeps us correct
            if time.monotonic() >= next_notice:
                on_wait()
                next_notice += notice
            time.sleep(poll)
        yield
        if remove_after:
            path.unlink(missing_ok=True)
    finally:
        os.close(fd)  # closing releases flock and msvcrt locks alike
