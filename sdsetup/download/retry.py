"""When and how long to wait before trying again (pure functions)."""

from __future__ import annotations

import enum
from email.utils import parsedate_to_datetime


class Verdict(enum.Enum):
    RETRY = "retry"        # transient: back off and try the same mirror again
    REFRESH = "refresh"    # the URL may have expired: re-resolve it, then retry
    GONE = "gone"          # this mirror lacks the file: move on at once, it is not flaky


# CDN-specific 52x codes mean "origin unreachable", which is as transient as a 502.
_TRANSIENT = {408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524, 527}
_EXPIRED = {401, 403, 410}


def classify_status(status: int) -> Verdict:
    if status in _TRANSIENT:
        return Verdict.RETRY
    if status in _EXPIRED:
        return Verdict.REFRESH
    return Verdict.GONE


def backoff_delay(failures: int, base: float, cap: float, unit: float) -> float:
    """Exponential backoff with full jitter; ``unit`` is a uniform draw from [0, 1)."""
    return unit * min(cap, base * 2 ** max(0, failures - 1))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)
