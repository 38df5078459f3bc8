"""A1111 prompt syntax: ``(word:1.2)`` emphasis, ``[word]``, ``BREAK`` and ``<lora:name:w>`` tags.

Prompts copied from Civitai rely on A1111's semantics (a1111-compat.md §10): ``(x)`` multiplies
attention by 1.1, ``[x]`` divides by 1.1, ``(x:w)`` sets it, ``\\(`` is a literal bracket, and
brackets left open are closed at the end. Extra-network tags are cut out before encoding but stay
in the infotext.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROUND, SQUARE = 1.1, 1 / 1.1
BREAK = "BREAK"
_TOKEN = re.compile(r"\\[()\[\]\\]|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()\[\]:]+|:")
_BREAK = re.compile(r"\s*\bBREAK\b\s*")
_NETWORK = re.compile(r"<(\w+):([^>:]+)(?::([^>]*))?>")


@dataclass(frozen=True)
class Network:
    kind: str      # "lora", "hypernet", …
    name: str
    weight: float


def _apply(pieces: list[list], start: int, factor: float) -> None:
    for piece in pieces[start:]:
        piece[1] *= factor


def parse_attention(text: str) -> list[tuple[str, float]]:
    """``text`` as (fragment, weight) pairs; ``("BREAK", -1)`` marks a forced chunk boundary."""
    pieces: list[list] = []
    round_open: list[int] = []
    square_open: list[int] = []
    for match in _TOKEN.finditer(text):
        token, weight = match.group(0), match.group(1)
        if token.startswith("\\") and len(token) == 2:
            pieces.append([token[1], 1.0])
        elif token == "(":
            round_open.append(len(pieces))
        elif token == "[":
            square_open.append(len(pieces))
        elif weight is not None and round_open:
            _apply(pieces, round_open.pop(), float(weight))
        elif token == ")" and round_open:
            _apply(pieces, round_open.pop(), ROUND)
        elif token == "]" and square_open:
            _apply(pieces, square_open.pop(), SQUARE)
        else:
            for i, part in enumerate(_BREAK.split(token)):
                if i:
                    pieces.append([BREAK, -1.0])
                pieces.append([part, 1.0])
    for start in round_open:
        _apply(pieces, start, ROUND)
    for start in square_open:
        _apply(pieces, start, SQUARE)
    merged: list[tuple[str, float]] = []
    for text_part, w in pieces:
        if not text_part and w != -1:
            continue
        if merged and merged[-1][1] == w and w != -1:
            merged[-1] = (merged[-1][0] + text_part, w)
        else:
            merged.append((text_part, w))
    return merged or [("", 1.0)]


def extract_networks(prompt: str) -> tuple[str, tuple[Network, ...]]:
    """The prompt without ``<kind:name[:weight]>`` tags, and the tags (weight defaults to 1)."""
    found = []
    for m in _NETWORK.finditer(prompt):
        try:
            weight = float(m.group(3)) if m.group(3) else 1.0
        except ValueError:
            weight = 1.0
        found.append(Network(m.group(1), m.group(2).strip(), weight))
    return _NETWORK.sub("", prompt), tuple(found)
