"""A1111 infotext: the ``parameters`` text written into every PNG, and reading it back.

Layout (a1111-compat.md §8): the prompt, an optional ``Negative prompt:`` line, then one line of
``Key: value`` pairs that must start with ``Steps: `` (Civitai's reader looks for it). Values with
``,``, ``:`` or a newline are JSON-quoted. ``Version`` is written as ``sdsetup-<v>``: a bare
``0.x`` would make A1111 switch on its pre-1.6 compatibility behaviour when the text is pasted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

NEGATIVE = "Negative prompt:"
_PAIR = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_SIZE = re.compile(r"^(\d+)x(\d+)$")
_MIN_PAIRS = 3
DEFAULTS = {"Clip skip": "1", "Schedule type": "Automatic", "RNG": "GPU"}


def quote(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if any(c in text for c in ",\n:") else text


def format_infotext(prompt: str, negative: str, settings: Mapping[str, Any]) -> str:
    """``settings`` in A1111's key order; None values are left out, ``k == v`` writes ``k`` alone."""
    pairs = ", ".join(k if k == v else f"{k}: {quote(v)}" for k, v in settings.items() if v is not None)
    negative_line = f"\n{NEGATIVE} {negative}" if negative else ""
    return f"{prompt}{negative_line}\n{pairs}".strip()


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_infotext(text: str) -> dict[str, str]:
    """``Prompt``, ``Negative prompt`` and every setting; ``WxH`` values also as ``<key>-1/-2``."""
    lines = text.strip().split("\n")
    settings_line = lines[-1] if lines else ""
    pairs = _PAIR.findall(settings_line)
    if len(pairs) < _MIN_PAIRS:
        pairs = []
    else:
        lines = lines[:-1]
    prompt_lines, negative_lines, in_negative = [], [], False
    for line in lines:
        if line.strip().startswith(NEGATIVE):
            in_negative = True
            line = line.strip()[len(NEGATIVE):].strip()
        (negative_lines if in_negative else prompt_lines).append(line)
    result = {"Prompt": "\n".join(prompt_lines), "Negative prompt": "\n".join(negative_lines)}
    for key, raw in pairs:
        value = _unquote(raw.strip())
        result[key.strip()] = value
        size = _SIZE.match(value)
        if size:
            result[f"{key.strip()}-1"], result[f"{key.strip()}-2"] = size.group(1), size.group(2)
    for key, value in DEFAULTS.items():
        result.setdefault(key, value)
    return result
