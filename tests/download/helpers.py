"""Helpers of the download engine's tests: quick timings, payloads, and a watcher of final paths."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

from sdsetup.download import Tuning

# Short timeouts and waits so fault cases take seconds, not minutes.
QUICK = Tuning(connect_timeout=2.0, read_timeout=1.5, backoff_base=0.05, backoff_cap=0.3,
               retry_after_cap=5.0, stall_window=1.0, bench_seconds=5.0, save_interval=0.1,
               lock_poll=0.05, min_piece=256 * 1024, piece_size=1024 * 1024,
               split_threshold=1024 * 1024)


def payload(size: int, seed: int = 1) -> bytes:
    """Deterministic bytes that differ at every offset, so a misplaced piece cannot hash right."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Watcher:
    """Polls final paths while a test runs; any sighting of wrong bytes is a failure."""

    def __init__(self) -> None:
        self.expect: dict[Path, bytes] = {}
        self.bad: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def watch(self, dest: Path, data: bytes) -> Path:
        self.expect[dest] = data
        return dest

    def _loop(self) -> None:
        while not self._stop.is_set():
            for dest, data in list(self.expect.items()):
                try:
                    seen = dest.read_bytes()
                except OSError:
                    continue
                if seen != data:
                    self.bad.append(f"{dest}: {len(seen)} bytes, not the expected file")
            time.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
