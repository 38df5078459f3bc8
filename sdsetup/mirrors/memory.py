"""What sdsetup remembers about mirrors under its home: the last probe's choice, lazy-cache misses."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sdsetup.home import Home
from sdsetup.jsonstate import read_json, write_json

CHOICE_FILE = "mirror-choice.json"
MISSES_FILE = "mirror-misses.json"


def remembered_choice(home: Home) -> dict[str, str] | None:
    """The per-role mirror names the last ``auto`` probe chose, if any."""
    data = read_json(home.root / CHOICE_FILE)
    if not isinstance(data, dict):
        return None
    choice = {role: data[role] for role in ("packages", "torch", "models")
              if isinstance(data.get(role), str) and data[role]}
    return choice or None


def remembered_since(home: Home) -> str:
    """When the remembered choice was probed (UTC), or "?" for a file written without it."""
    data = read_json(home.root / CHOICE_FILE)
    since = data.get("since") if isinstance(data, dict) else None
    return since if isinstance(since, str) and since else "?"


def remember_choice(home: Home, choice: Mapping[str, str]) -> None:
    since = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    write_json(home.root / CHOICE_FILE, {**choice, "since": since})


def forget_choice(home: Home) -> bool:
    """Drop the remembered choice; False when there was none."""
    path = home.root / CHOICE_FILE
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def read_misses(home: Home) -> dict[str, dict[str, Any]]:
    """The recorded lazy-cache misses, by mirror; entries of the wrong shape (a hand-edited
    file) are dropped rather than trusted."""
    data = read_json(home.root / MISSES_FILE)
    if not isinstance(data, dict):
        return {}
    misses = {}
    for name, entry in data.items():
        if (isinstance(entry, dict) and isinstance(entry.get("host"), str)
                and isinstance(entry.get("count"), int) and not isinstance(entry["count"], bool)
                and entry["count"] >= 0):
            misses[str(name)] = {"count": entry["count"], "host": entry["host"]}
    return misses


def record_miss(home: Home, mirror: str, host: str) -> None:
    """Remember that a lazy cache bounced a download to its origin (``doctor`` reports it)."""
    misses = read_misses(home)
    count = misses.get(mirror, {}).get("count", 0)
    misses[mirror] = {"count": count + 1, "host": host}
    write_json(home.root / MISSES_FILE, misses)
