"""Quantities shown to users, in one spelling across every command."""

from __future__ import annotations


def human_size(size: int) -> str:
    """Bytes in binary units: ``512 B``, ``1.5 KiB`` … ``3.2 GiB`` (GiB is the largest unit)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
