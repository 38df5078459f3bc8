"""One connection's work: fetch a segment from a mirror and write it in place."""

from __future__ import annotations

import errno
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx

from sdsetup.download.item import Tuning
from sdsetup.download.mirrors import Mirror
from sdsetup.download.pieces import Pieces, Segment
from sdsetup.download.ranges import range_header
from sdsetup.download.responses import Accepted, Refusal, Rejected, judge
from sdsetup.download.transport import TooManyRedirects, open_stream


class Failed(Exception):
    """This attempt on this mirror failed; ``rejected`` says why and what to do next."""

    def __init__(self, rejected: Rejected, progressed: bool) -> None:
        super().__init__(rejected.reason)
        self.rejected = rejected
        self.progressed = progressed


class NoSpace(Exception):
    """Writing the part file failed for want of space (``errno`` says which kind)."""

    def __init__(self, errno_: int) -> None:
        super().__init__(errno_)
        self.errno = errno_


# EFBIG: the filesystem's largest file (FAT32: 4 GiB) or a process file-size limit.
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


@dataclass
class Meter:
    """Stall detection: too few bytes over a whole window means the connection is not worth it."""

    speed: int
    window: float
    started: float
    count: int = 0

    def slow(self, now: float) -> bool:
        if now - self.started < self.window:
            return False
        slow = self.count < self.speed * self.window
        self.started, self.count = now, 0
        return slow


def _transport_reason(err: Exception) -> Rejected:
    if isinstance(err, TooManyRedirects):
        return Rejected(Refusal.GONE, "download.reason_redirects", {})
    if isinstance(err, httpx.InvalidURL):  # a redirect to a URL that cannot be fetched
        return Rejected(Refusal.GONE, "download.reason_bad_url", {})
    if isinstance(err, httpx.TimeoutException):
        return Rejected(Refusal.RETRY, "download.reason_timeout", {})
    return Rejected(Refusal.RETRY, "download.reason_network", {"error": type(err).__name__})


def fetch_segment(client: httpx.Client, mirror: Mirror, seg: Segment, pieces: Pieces,
                  part: Path, tuning: Tuning, on_bytes: Callable[[Mirror, int], None]) -> None:
    """Stream ``seg`` from ``mirror`` until it is complete or cut short by a split.

    Raises :class:`Failed` (with ``progressed`` telling whether bytes arrived first) or
    :class:`NoSpace`.
    """
    start_pos = seg.pos
    try:
        _stream(client, mirror, seg, pieces, part, tuning, on_bytes)
    except (httpx.HTTPError, httpx.InvalidURL) as err:
        raise Failed(_transport_reason(err), seg.pos > start_pos) from None
    except TooManyRedirects as err:
        raise Failed(_transport_reason(err), False) from None
    except Failed as err:
        raise Failed(err.rejected, seg.pos > start_pos) from None


def _stream(client: httpx.Client, mirror: Mirror, seg: Segment, pieces: Pieces, part: Path,
            tuning: Tuning, on_bytes: Callable[[Mirror, int], None]) -> None:
    sent_validator = mirror.validator
    headers = {"Range": range_header(seg.pos, seg.end)}
    if sent_validator:
        headers["If-Range"] = sent_validator
    with closing(open_stream(client, mirror, headers, tuning.max_redirects)) as response:
        verdict = judge(response.status_code, response.headers, seg.pos, pieces.size,
                        sent_validator, time.time())
        if isinstance(verdict, Rejected):
            raise Failed(verdict, False)
        _learn(mirror, pieces, verdict)
        _write_body(response, seg, pieces, part, verdict, tuning, mirror, on_bytes)


def _learn(mirror: Mirror, pieces: Pieces, accepted: Accepted) -> None:
    mirror.ranges = accepted.ranged and not mirror.one_stream
    if mirror.use_validator:
        mirror.validator = mirror.validator or accepted.validator
    if accepted.total is not None:
        pieces.learn_size(accepted.total)


def _write_body(response: httpx.Response, seg: Segment, pieces: Pieces, part: Path,
                accepted: Accepted, tuning: Tuning, mirror: Mirror,
                on_bytes: Callable[[Mirror, int], None]) -> None:
    skip = accepted.skip
    meter = Meter(tuning.stall_speed, tuning.stall_window, time.monotonic())
    with open(part, "r+b", buffering=0) as out:
        out.seek(seg.pos)
        # iter_raw() without a size: a sized iterator loses its partial chunk when the stream
        # breaks, and then the resume offset no longer matches the bytes on disk.
        chunks = response.iter_raw()
        for chunk in chunks:
            view = memoryview(chunk)[skip:]
            skip = max(0, skip - len(chunk))
            count = pieces.claim(seg, len(view))
            if count:
                _write(out, view[:count])
                pieces.advance(seg, count)
                on_bytes(mirror, count)
                meter.count += count
            if count < len(view) or seg.remaining == 0:
                pieces.finish(seg)
                if accepted.end is not None and seg.pos >= accepted.end:
                    # The body is all read; reaching its end returns the connection to the pool.
                    for _ in chunks:
                        pass
                return
            if meter.slow(time.monotonic()):
                raise Failed(Rejected(Refusal.SLOW, "download.reason_stalled", {}), True)
    if seg.end is None or seg.remaining == 0:
        pieces.finish(seg)
        return
    if accepted.end is not None and seg.pos >= accepted.end:
        pieces.release(seg)  # a short 206 served in full (a server capping ranges): ask again
        return
    raise Failed(Rejected(Refusal.RETRY, "download.reason_short", {}), True)


def _write(out, data: memoryview) -> None:
    try:
        while data:
            data = data[out.write(data):]
    except OSError as err:
        if err.errno in _NO_SPACE:
            raise NoSpace(err.errno) from err
        raise
