"""Progress bars (bytes, speed, ETA) on stderr: one per file, plus a total for many files."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm


def wanted(progress: bool | None) -> bool:
    """``None`` means: only when a person watches stderr."""
    return sys.stderr.isatty() if progress is None else progress


def _bar(**options: object) -> tqdm:
    # tqdm is imported only when a bar is shown: it costs a noticeable part of start-up.
    from tqdm import tqdm

    return tqdm(unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, **options)


class Bars:
    """A total bar (when several files are fetched) and a bar per file in flight."""

    def __init__(self, enabled: bool, files: int, total: int | None) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._total = (_bar(total=total, desc=f"{files} files", position=0)
                       if enabled and files > 1 else None)

    def file(self, name: str, size: int | None) -> FileBar:
        bar = (_bar(total=size, desc=name[:40], leave=self._total is None)
               if self.enabled else None)
        return FileBar(self, bar)

    def _add(self, count: int) -> None:
        if self._total is not None:
            with self._lock:
                self._total.update(count)

    def close(self) -> None:
        if self._total is not None:
            self._total.close()


class FileBar:
    def __init__(self, owner: Bars, bar: tqdm | None) -> None:
        self._owner = owner
        self._bar = bar
        self._lock = threading.Lock()

    def set(self, done: int, size: int | None) -> None:
        """Show ``done`` bytes of ``size`` (a resumed file starts part-way)."""
        if self._bar is not None:
            with self._lock:
                self._bar.total = size
                self._bar.n = done
                self._bar.refresh()

    def add(self, count: int, size: int | None) -> None:
        """``count`` more bytes of a file now known to have ``size`` bytes."""
        if self._bar is not None:
            with self._lock:
                if size is not None and self._bar.total != size:
                    self._bar.total = size
                self._bar.update(count)
        self._owner._add(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
