"""Byte-range arithmetic and HTTP range headers (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

Span = tuple[int, int]  # [start, end) in bytes

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ContentRange:
    start: int
    end: int  # exclusive
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    """``bytes S-E/T`` as a half-open span; None when absent or malformed."""
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None
    start, last = int(match[1]), int(match[2])
    if last < start:
        return None
    total = None if match[3] == "*" else int(match[3])
    return ContentRange(start, last + 1, total)


def range_header(start: int, end: int | None) -> str:
    return f"bytes={start}-" if end is None else f"bytes={start}-{end - 1}"


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-empty, non-overlapping spans covering the same bytes."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def missing(done: Iterable[Span], size: int) -> list[Span]:
    """The spans of ``[0, size)`` not covered by ``done``."""
    gaps: list[Span] = []
    cursor = 0
    for start, end in merge(done):
        if start > cursor:
            gaps.append((cursor, min(start, size)))
        cursor = max(cursor, end)
    if cursor < size:
        gaps.append((cursor, size))
    return [g for g in gaps if g[1] > g[0]]


def covered(spans: Iterable[Span]) -> int:
    return sum(end - start for start, end in merge(spans))
