"""One attempt at one file: its pieces, its mirrors, its connections, its counters."""

from __future__ import annotations

import errno
import os
import random
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sdsetup.download import partstate
from sdsetup.download.errors import (
    AllSourcesFailed,
    DiskFull,
    DownloadError,
    FileTooLarge,
    HttpStatus,
    SizeMismatch,
)
from sdsetup.download.hashing import PrefixHasher
from sdsetup.download.item import DownloadItem, Tuning
from sdsetup.download.mirrors import Mirror, Pool
from sdsetup.download.names import redact_url
from sdsetup.download.partstate import PartState, part_path
from sdsetup.download.pieces import Pieces
from sdsetup.download.progress import Bars, FileBar
from sdsetup.download.ranges import covered
from sdsetup.download.responses import Refusal
from sdsetup.download.retry import backoff_delay
from sdsetup.download.segment import Failed, NoSpace, fetch_segment
from sdsetup.errors import SdsetupError
from sdsetup.i18n import t

# Hashing runs between progress saves; a bounded step keeps the saves on time after a resume.
_HASH_STEP = 64 * 1024 * 1024


class Cancelled(Exception):
    """This file was stopped because the batch it belongs to stopped."""


@dataclass
class Job:
    """One attempt at one file: its pieces, its mirrors, its connections and its counters."""

    item: DownloadItem
    pool: Pool
    tuning: Tuning
    cancel: threading.Event  # set when the whole batch stops: Ctrl-C, or another file failed
    pieces: Pieces = field(init=False)
    no_progress: int = 0
    restarts: int = 0  # from byte 0 because only one-stream mirrors are left
    error: BaseException | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    bar: FileBar | None = None
    hasher: PrefixHasher = field(init=False)
    hashed_generation: int = 0

    @property
    def part(self) -> Path:
        return part_path(self.item.dest)

    def run(self, client: httpx.Client, count: int, bars: Bars) -> tuple[Path, str]:
        """The complete part file and its sha256."""
        self.pieces = Pieces(*self._resume_point(), self.tuning.min_piece,
                             self.tuning.piece_size)
        self._prepare_part()
        self.hasher = PrefixHasher(self.part)
        self.bar = bars.file(self.item.dest.name, self.pieces.size)
        self.bar.set(covered(self.pieces.done_spans()), self.pieces.size)
        try:
            self._run_workers(client, count)
        finally:
            self.bar.close()
            if self.pieces.size is None:
                self.part.unlink(missing_ok=True)  # no size, no resume: the bytes are useless
            else:
                self._save_or_drop()
        if self.error is not None:
            raise self.error
        if not self.pieces.finished():
            raise self._all_failed()
        os.truncate(self.part, self.pieces.size or 0)
        self._hash_prefix(None)
        return self.part, self.hasher.hexdigest()

    def _resume_point(self) -> tuple[int | None, tuple[tuple[int, int], ...]]:
        saved = partstate.load(self.item.dest)
        part_size = self.part.stat().st_size if self.part.exists() else None
        urls = {redact_url(m.source.url) for m in self.pool.mirrors}
        if not partstate.usable(saved, self.item.size, self.item.expected_sha256, urls,
                                part_size):
            partstate.discard(self.item.dest)
            return self.item.size, ()
        assert saved is not None
        for mirror in self.pool.mirrors:
            if mirror.use_validator and saved.validator \
                    and redact_url(mirror.url) == saved.validator_source:
                mirror.validator = saved.validator
        return saved.size, saved.done

    def _prepare_part(self) -> None:
        size = self.pieces.size
        needed = 0 if size is None else size - covered(self.pieces.done_spans())
        free = shutil.disk_usage(self.item.dest.parent).free
        if needed > free:
            raise DiskFull(str(self.item.dest), needed, free)
        with open(self.part, "ab") as handle:
            if size is not None and handle.tell() < size:
                try:
                    handle.truncate(size)  # sparse: workers write their pieces in place
                except OSError as err:
                    if err.errno != errno.EFBIG:
                        raise
                    raise self._no_space(err.errno) from None

    def _run_workers(self, client: httpx.Client, count: int) -> None:
        """Run ``count`` connections; meanwhile hash the finished prefix and save progress."""
        finished = threading.Semaphore(0)
        threads = [threading.Thread(target=self._work, args=(client, count, finished),
                                    daemon=True) for _ in range(count)]
        for thread in threads:
            thread.start()
        try:
            last_save = time.monotonic()
            for _ in threads:
                while not finished.acquire(timeout=0.1):
                    if self.cancel.is_set():
                        raise Cancelled()
                    self._hash_prefix(_HASH_STEP)
                    if time.monotonic() - last_save >= self.tuning.save_interval:
                        self._save()
                        last_save = time.monotonic()
        except BaseException:
            self.pieces.stop()  # Ctrl-C: workers stop at their next chunk; the sidecar is saved
            raise

    def _hash_prefix(self, step: int | None) -> None:
        """Hash up to ``step`` more finished bytes (all of them when None)."""
        upto, generation = self.pieces.prefix()
        if generation != self.hashed_generation:
            self.hasher.reset()  # the file restarted: what was hashed is stale
            self.hashed_generation = generation
        self.hasher.catch_up(upto if step is None else min(upto, self.hasher.offset + step))
        if self.pieces.prefix()[1] != generation:
            self.hasher.reset()

    def _can_split(self, count: int) -> bool:
        size = self.pieces.size
        return (count > 1 and size is not None and size >= self.tuning.split_threshold
                and self.pool.any_ranges())

    def _work(self, client: httpx.Client, count: int, finished: threading.Semaphore) -> None:
        try:
            while (seg := self.pieces.take(lambda: self._can_split(count))) is not None:
                need_ranges = seg.pos > 0
                mirror, wait = self.pool.pick(time.monotonic(), need_ranges)
                if mirror is None:
                    self.pieces.release(seg)
                    self._no_mirror(need_ranges, wait)
                    continue
                try:
                    fetch_segment(client, mirror, seg, self.pieces, self.part, self.tuning,
                                  self._on_bytes)
                    mirror.failures = 0
                except Failed as failed:
                    self.pieces.release(seg)
                    self._failed(mirror, failed)
                finally:
                    self.pool.release(mirror)
        except NoSpace as err:
            self._fail(self._no_space(err.errno))
        except BaseException as err:  # a bug must not leave the other connections spinning
            self._fail(err)
        finally:
            finished.release()

    def _no_space(self, code: int) -> DownloadError:
        size = self.pieces.size
        if code == errno.EFBIG:
            return FileTooLarge(str(self.item.dest), size or 0)
        # without a size the part is removed (see run), so there is nothing to say "kept" about
        needed = None if size is None else size - covered(self.pieces.done_spans())
        return DiskFull(str(self.item.dest), needed, shutil.disk_usage(self.item.dest.parent).free)

    def _no_mirror(self, need_ranges: bool, wait: float) -> None:
        if wait >= 0:
            time.sleep(min(wait, 0.5))
        elif need_ranges and not self.pool.all_gone() and self.restarts < self.tuning.max_no_progress:
            self.restarts += 1
            self.pieces.restart()  # only mirrors without Range support are left: one stream
        else:
            self._fail(self._all_failed())

    def _all_failed(self) -> AllSourcesFailed:
        """The error for a file no mirror could serve, as precise as their answers allow."""
        dest, reasons = str(self.item.dest), self.pool.reasons()
        refusal = self.pool.common_refusal()
        if refusal is not None and refusal.status is not None:
            return HttpStatus(refusal.status, redact_url(self.pool.mirrors[0].url), dest, reasons)
        if refusal is not None and refusal.reason == "download.reason_size":
            return SizeMismatch(dest, reasons, **refusal.params)
        return AllSourcesFailed(dest, reasons, resumable=any(m.served for m in self.pool.mirrors))

    def _fail(self, err: BaseException) -> None:
        with self.lock:
            self.error = self.error or err
        self.pieces.stop()

    def _on_bytes(self, mirror: Mirror, count: int) -> None:
        with self.lock:
            mirror.served += count
            mirror.refreshes = 0
            self.no_progress = 0
        if self.bar is not None:
            self.bar.add(count, self.pieces.size)

    def _failed(self, mirror: Mirror, failed: Failed) -> None:
        rejected = failed.rejected
        reason = t(rejected.reason, **rejected.params)
        refresh = rejected.refusal is Refusal.REFRESH and self._may_refresh(mirror)
        with self.lock:
            mirror.last_error = reason
            if rejected.refusal is Refusal.NO_RANGES:
                mirror.ranges = False
            elif rejected.refusal is Refusal.CHANGED:
                mirror.validator = None
                mirror.changes += 1
                if mirror.changes >= 2:  # its validator never holds: one stream, none sent
                    mirror.use_validator, mirror.one_stream, mirror.ranges = False, True, False
                self.pieces.restart()
            elif rejected.refusal is Refusal.SLOW:
                if self._others_healthy(mirror):
                    mirror.not_before = time.monotonic() + self.tuning.bench_seconds
            elif rejected.refusal in (Refusal.GONE, Refusal.REFRESH) and not refresh:
                mirror.gone = reason
                mirror.refusal = rejected
            elif rejected.refusal is Refusal.RETRY:
                self._back_off(mirror, rejected.retry_after, failed.progressed, time.monotonic())
                if rejected.params.get("error") == "ConnectError" and not mirror.served \
                        and mirror.failures >= self.tuning.bench_after:
                    mirror.gone = reason  # nothing takes connections there: more tries cannot help
            hopeless = self.pool.all_gone() or self.no_progress > self.tuning.max_no_progress
        if hopeless:
            self._fail(self._all_failed())

    def _back_off(self, mirror: Mirror, retry_after: float | None, progressed: bool,
                  now: float) -> None:
        mirror.failures += 1
        delay = 0.0  # bytes arrived first: resume at once, the file's budget was refilled
        if not progressed:
            self.no_progress += 1
            delay = backoff_delay(mirror.failures, self.tuning.backoff_base,
                                  self.tuning.backoff_cap, random.random())
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.tuning.retry_after_cap))
        if mirror.failures >= self.tuning.bench_after and self._others_healthy(mirror):
            delay = max(delay, self.tuning.bench_seconds)
        mirror.not_before = now + delay

    def _others_healthy(self, mirror: Mirror) -> bool:
        return any(m is not mirror and m.gone is None and m.failures < self.tuning.bench_after
                   for m in self.pool.mirrors)

    def _may_refresh(self, mirror: Mirror) -> bool:
        """Swap an expired URL for a fresh one; False when that was already tried or is moot.

        ``resolve`` may ask an API over the network, so it runs outside the job's lock.
        """
        if mirror.refreshes >= 2 or (mirror.target is None and mirror.source.resolve is None):
            return False
        mirror.refreshes += 1
        mirror.target = None
        mirror.validator = None
        if mirror.source.resolve is not None:
            try:
                mirror.url = mirror.source.resolve()
            except SdsetupError as err:
                mirror.last_error = str(err)
                return False
        return True

    def _save_or_drop(self) -> None:
        """The last save; on a full disk the sidecar cannot be written, and a part without one
        cannot be resumed: it goes, and the error says so."""
        try:
            self._save()
        except OSError as err:
            if err.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            partstate.discard(self.item.dest)
            self.error = DiskFull(str(self.item.dest), None,
                                  shutil.disk_usage(self.item.dest.parent).free)

    def _save(self) -> None:
        """Persist progress: fsync the part first so the sidecar never claims unwritten bytes."""
        if self.pieces.size is None or not self.part.exists():
            return
        with open(self.part, "rb+") as handle:
            os.fsync(handle.fileno())
        holder = next((m for m in self.pool.mirrors if m.validator), None)
        partstate.save(self.item.dest, PartState(
            url=redact_url(self.pool.mirrors[0].source.url),
            size=self.pieces.size,
            sha256=self.item.expected_sha256,
            validator=holder.validator if holder else None,
            validator_source=redact_url(holder.url) if holder else None,
            done=tuple(self.pieces.done_spans()),
        ))
