"""What a response to a range request means for the file (pure functions).

``Content-Range`` is the truth, not the status code: a 200 carrying a correct Content-Range is a
range response (ModelScope does this), and a 200 without one is the whole file from byte 0.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from sdsetup.download.ranges import parse_content_range
from sdsetup.download.retry import Verdict, classify_status, parse_retry_after


class Refusal(enum.Enum):
    RETRY = "retry"
    REFRESH = "refresh"
    GONE = "gone"
    NO_RANGES = "no_ranges"  # whole file sent when we need a middle part: try another mirror
    CHANGED = "changed"      # If-Range failed: the file changed, every byte so far is stale
    SLOW = "slow"            # bytes trickle in too slowly: rest this mirror if others can serve


_FROM_VERDICT = {Verdict.RETRY: Refusal.RETRY, Verdict.REFRESH: Refusal.REFRESH,
                 Verdict.GONE: Refusal.GONE}


@dataclass(frozen=True)
class Accepted:
    skip: int             # leading body bytes we already have (a range starting before ours)
    total: int | None     # the file size the server announces
    ranged: bool
    validator: str | None
    end: int | None       # where the body ends in the file (exclusive), when the server says


@dataclass(frozen=True)
class Rejected:
    refusal: Refusal
    reason: str           # message key under download.reason_*
    params: Mapping[str, object]
    retry_after: float | None = None
    status: int | None = None


def strong_validator(headers: Mapping[str, str]) -> str | None:
    """A validator allowed in If-Range: a strong ETag, else Last-Modified (RFC 9110 §13.1.5)."""
    etag = headers.get("etag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("last-modified")


def _length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def judge(status: int, headers: Mapping[str, str], pos: int, size: int | None,
          sent_validator: str | None, now: float) -> Accepted | Rejected:
    """Whether the body of this response can be written at ``pos`` of a file of ``size``."""
    if status not in (200, 206):
        refusal = _FROM_VERDICT[classify_status(status)]
        return Rejected(refusal, "download.reason_status", {"status": status},
                        parse_retry_after(headers.get("retry-after"), now), status)
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        return Rejected(Refusal.GONE, "download.reason_encoding", {"encoding": encoding})
    validator = strong_validator(headers)
    crange = parse_content_range(headers.get("content-range"))
    if crange is None and status == 206:
        return Rejected(Refusal.RETRY, "download.reason_no_content_range", {})
    total = crange.total if crange else _length(headers)
    if size is not None and total is not None and total != size:
        return Rejected(Refusal.GONE, "download.reason_size", {"expected": size, "actual": total})
    if crange is not None:
        if crange.start > pos or crange.end <= pos:
            return Rejected(Refusal.RETRY, "download.reason_offset",
                            {"wanted": pos, "got": crange.start})
        return Accepted(pos - crange.start, total, True, validator, crange.end)
    if sent_validator is not None and validator != sent_validator:
        return Rejected(Refusal.CHANGED, "download.reason_changed", {})
    if pos > 0:
        return Rejected(Refusal.NO_RANGES, "download.reason_no_ranges", {})
    return Accepted(0, total, False, validator, total)
