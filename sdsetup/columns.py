"""Text tables for a terminal: columns aligned by what the eye sees, not by ``len()``.

CJK characters take two terminal columns, so a Chinese header padded with ``str.ljust`` pushes every
later column out of line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` followed by spaces up to ``columns`` terminal columns."""
    return text + " " * max(0, columns - width(text))


def table(rows: Sequence[Sequence[str]], gap: str = "  ") -> list[str]:
    """Each row as one line, every column but the last padded to its widest cell."""
    if not rows:
        return []
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [gap.join([*(pad(cell, w) for cell, w in zip(row, widths)), row[-1]]).rstrip()
            for row in rows]
