"""Fetching files: cache, lock, verify, atomic rename; the transfer itself is a :class:`Job`."""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import httpx

from sdsetup.download import cache, partstate
from sdsetup.download.errors import DestinationUnwritable, HashMismatch
from sdsetup.download.hashing import sha256_file
from sdsetup.download.item import DownloadItem, Tuning
from sdsetup.download.job import Job
from sdsetup.download.lock import locked
from sdsetup.download.mirrors import Pool
from sdsetup.download.progress import Bars, wanted
from sdsetup.download.transport import make_client
from sdsetup.errors import SdsetupError
from sdsetup.i18n import t


def fetch(item: DownloadItem, *, cache_dir: Path | None = None, connections: int | None = None,
          progress: bool | None = None, tuning: Tuning | None = None) -> Path:
    """Fetch one file to ``item.dest`` and return that path; only verified bytes land there."""
    return fetch_all([item], cache_dir=cache_dir, connections=connections, progress=progress,
                     tuning=tuning, parallel_files=1)[0]


def fetch_all(items: Sequence[DownloadItem], *, cache_dir: Path | None = None,
              connections: int | None = None, progress: bool | None = None,
              parallel_files: int = 4, tuning: Tuning | None = None) -> list[Path]:
    """Fetch many files (``parallel_files`` at a time) under one total progress bar.

    They share one HTTP client, so files from the same mirror reuse its connections instead of
    paying a TCP and TLS handshake each, which costs seconds per file on a long link.
    """
    tune = tuning or Tuning()
    count = max(1, min(connections or tune.default_connections, tune.max_connections))
    lanes = max(1, min(parallel_files, len(items)))
    sizes = [item.size for item in items]
    total = None if None in sizes else sum(s or 0 for s in sizes)
    bars = Bars(wanted(progress), len(items), total)
    cancel = threading.Event()
    try:
        with make_client(tune, lanes * count) as client:
            fetch_one = functools.partial(_fetch_one, client=client, cache_dir=cache_dir,
                                          count=count, bars=bars, tuning=tune, cancel=cancel)
            if lanes == 1:
                return [fetch_one(item) for item in items]
            with ThreadPoolExecutor(lanes) as pool:
                futures = [pool.submit(fetch_one, item) for item in items]
                try:
                    for future in as_completed(futures):
                        future.result()  # the first failure, as soon as it happens
                except BaseException:
                    # Ctrl-C or a failed file: stop the others too (their progress is saved).
                    cancel.set()
                    for future in futures:
                        future.cancel()  # those not started yet never start
                    raise
                return [future.result() for future in futures]
    finally:
        bars.close()


def _fetch_one(item: DownloadItem, *, client: httpx.Client, cache_dir: Path | None, count: int,
               bars: Bars, tuning: Tuning, cancel: threading.Event) -> Path:
    """One file; a file-system failure (a folder that is a file, a read-only place) gets words.

    Network failures never arrive here as ``OSError`` (httpx wraps them), and running out of
    space is already a :class:`DiskFull` or :class:`FileTooLarge`.
    """
    try:
        return _fetch_one_unguarded(item, client=client, cache_dir=cache_dir, count=count,
                                    bars=bars, tuning=tuning, cancel=cancel)
    except OSError as err:
        raise DestinationUnwritable.of(err, item.dest) from None


def _fetch_one_unguarded(item: DownloadItem, *, client: httpx.Client, cache_dir: Path | None,
                         count: int, bars: Bars, tuning: Tuning, cancel: threading.Event) -> Path:
    dest = item.dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    if _ready(item, cache_dir):
        return dest
    waiting = functools.partial(print, t("download.waiting", dest=str(dest)), file=sys.stderr)
    with locked(dest, tuning.lock_poll, tuning.lock_notice, waiting):
        # Another process may have finished it while we waited for the lock.
        if _ready(item, cache_dir):
            return dest
        digest = _download_verified(item, client, count, bars, tuning, cancel)
    if cache_dir is not None:
        cache.add(cache_dir, digest, dest)
    return dest


def _ready(item: DownloadItem, cache_dir: Path | None) -> bool:
    """Whether ``dest`` already holds the right file, possibly restored from the cache."""
    sha = item.expected_sha256
    if item.dest.is_file():
        if sha:
            if sha256_file(item.dest) == sha:
                return True
        elif item.size is not None and item.dest.stat().st_size == item.size:
            return True
    return bool(sha and cache_dir is not None and cache.restore(cache_dir, sha, item.size, item.dest))


def _download_verified(item: DownloadItem, client: httpx.Client, count: int, bars: Bars,
                       tuning: Tuning, cancel: threading.Event) -> str:
    """Download, check the hash and the caller's validator, then rename into place.

    A wrong hash is retried once from scratch without the mirror that served most of the
    bytes; a second one fails naming the mirrors that served the file.
    """
    sources = item.source_list()
    sha = item.expected_sha256
    # With a known hash the hash is the file's identity: resume without If-Range, so mirrors
    # whose validators differ per response or per node cannot restart the file over and over.
    trust_validators = sha is None
    job = Job(item, Pool.of(sources, tuning.bench_after, trust_validators), tuning, cancel)
    part, actual = job.run(client, count, bars)
    if sha is not None and actual != sha:
        partstate.discard(item.dest)
        culprit = job.pool.blame()
        others = tuple(s for s in sources if culprit is None or s is not culprit.source)
        retry = Job(item, Pool.of(others or sources, tuning.bench_after, trust_validators), tuning,
                    cancel)
        part, actual = retry.run(client, count, bars)
        if actual != sha:
            partstate.discard(item.dest)
            served = {m.label for j in (job, retry) for m in j.pool.mirrors if m.served}
            raise HashMismatch(sha, actual, ", ".join(sorted(served)) or "-", str(item.dest))
    _accept(item, part)
    return actual


def _accept(item: DownloadItem, part: Path) -> None:
    if item.validate is not None:
        try:
            item.validate(part)
        except SdsetupError:
            partstate.discard(item.dest)
            raise
    with open(part, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(part, item.dest)
    partstate.sidecar_path(item.dest).unlink(missing_ok=True)
    _fsync_dir(item.dest.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open folders; its rename is durable enough
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
