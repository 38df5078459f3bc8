"""Credentials out of printed text: ``scheme://user:password@host`` is shown as ``scheme://***@host``.

A mirrors.toml, ``--mirror`` or ``SDSETUP_CIVITAI_URL`` may carry a password in its URL; whatever
sdsetup prints (errors, doctor's text and JSON, install progress, the mirror list) passes here.
"""

from __future__ import annotations

import re

# The host part runs from "://" to the next "/", "?", "#", space or quote; its last "@" ends the
# userinfo. Linear time: a host part cannot contain "/", so no two scans overlap.
_USERINFO = re.compile(r"://[^/?#\s\"'<>\\]*@")
HIDDEN = "***"


def redact_userinfo(text: str) -> str:
    return _USERINFO.sub(f"://{HIDDEN}@", text)
