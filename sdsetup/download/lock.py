"""An exclusive lock per destination, so concurrent sdsetup processes take turns.

It is best-effort: on filesystems where locking is unsupported it is skipped, because
correctness rests on the hash check and the atomic rename, never on the lock.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Iterator
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
def locked(dest: Path, poll: float) -> Iterator[None]:
    """Hold ``<dest>.lock`` for the duration; polls so Ctrl-C stays responsive while waiting.

    After a success the lock file is removed, so model folders are not littered with them: a
    process still waiting on the old file then finds the destination done and leaves it alone.
    """
    path = dest.with_name(dest.name + ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
    try:
        while True:
            try:
                if _try_lock(fd):
                    break
            except OSError:
                break  # locking unsupported here: proceed, the hash check keeps us correct
            time.sleep(poll)
        yield
        path.unlink(missing_ok=True)
    finally:
        os.close(fd)  # closing releases flock and msvcrt locks alike
