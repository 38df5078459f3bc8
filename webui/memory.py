"""``/sdapi/v1/memory``: RAM and CUDA memory in A1111's ``MemoryResponse`` layout.

The CUDA part carries the fields A1111 1.10 reads from ``torch.cuda.memory_stats``: system
(free/used/total from ``mem_get_info``), active, allocated, reserved, inactive (current/peak) and
events (allocation retries, out-of-memory errors).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# A1111's field -> the memory_stats counter it reports (``.current`` and ``.peak``).
CUDA_COUNTERS = (("active", "active_bytes.all"), ("allocated", "allocated_bytes.all"),
                 ("reserved", "reserved_bytes.all"), ("inactive", "inactive_split_bytes.all"))


def ram() -> dict[str, int]:
    if not hasattr(os, "sysconf"):
        return {}
    page = os.sysconf("SC_PAGE_SIZE")
    total, free = page * os.sysconf("SC_PHYS_PAGES"), page * os.sysconf("SC_AVPHYS_PAGES")
    return {"free": free, "used": total - free, "total": total}


def cuda_report(free: int, total: int, stats: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """A1111's ``cuda`` dict from ``mem_get_info()`` and ``memory_stats()`` (0 where unset)."""
    report = {"system": {"free": free, "used": total - free, "total": total}}
    for field, counter in CUDA_COUNTERS:
        report[field] = {"current": stats.get(f"{counter}.current", 0),
                         "peak": stats.get(f"{counter}.peak", 0)}
    report["events"] = {"retries": stats.get("num_alloc_retries", 0), "oom": stats.get("num_ooms", 0)}
    return report


def memory() -> dict:
    import torch

    if not torch.cuda.is_available():
        return {"ram": ram(), "cuda": {"error": "unavailable"}}
    free, total = torch.cuda.mem_get_info()
    return {"ram": ram(), "cuda": cuda_report(free, total, torch.cuda.memory_stats())}
