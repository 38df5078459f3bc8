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
BRACKETS = frozenset("\\()[]")  # what a token that is not plain text starts with
# Plain text runs through a ``:`` unless a weight follows it: fewer, longer tokens.
_TOKEN = re.compile(r"\\[()\[\]\\]|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]"
                    r"|(?:[^\\()\[\]:]|:(?!\s*[+-]?[.\d]+\s*\)))+")
# Every pattern here matches in time linear in what it consumes, and the scanners never go back:
# prompts are user text, and one slow match holds the interpreter lock for every route.
_BREAK = re.compile(r"\bBREAK\b")
_WORD = re.compile(r"\w+")
_TAG_START = re.compile(r"<\w+:")  # where a tag may start; word runs after two "<" never overlap


@dataclass(frozen=True)
class Network:
    kind: str      # "lora", "hypernet", …
    name: str
    weight: float


def _products(count: int, ranges: list[tuple[int, int, float]]) -> list[float]:
    """Per piece, the product of the factors of the ``[start, end)`` ranges that hold it.

    The ranges of one bracket kind nest (a stack opened and closed them), so one sweep with a
    stack of running products does it: linear, where multiplying each range in place was
    quadratic for deeply nested prompts.
    """
    products = [1.0] * count
    stack: list[tuple[int, float]] = []  # (end, running product)
    ordered = sorted((r for r in ranges if r[0] < r[1]), key=lambda r: (r[0], -r[1]))
    next_range = 0
    for i in range(count):
        while stack and stack[-1][0] <= i:
            stack.pop()
        while next_range < len(ordered) and ordered[next_range][0] == i:
            _, end, factor = ordered[next_range]
            stack.append((end, (stack[-1][1] if stack else 1.0) * factor))
            next_range += 1
        if stack:
            products[i] = stack[-1][1]
    return products


def parse_attention(text: str) -> list[tuple[str, float]]:
    """``text`` as (fragment, weight) pairs; ``("BREAK", -1)`` marks a forced chunk boundary."""
    pieces: list[tuple[str, float]] = []
    round_open: list[int] = []
    square_open: list[int] = []
    round_ranges: list[tuple[int, int, float]] = []
    square_ranges: list[tuple[int, int, float]] = []
    for match in _TOKEN.finditer(text):
        token, weight = match.group(0), match.group(1)
        if weight is not None and round_open:
            round_ranges.append((round_open.pop(), len(pieces), float(weight)))
        elif token[0] not in BRACKETS:  # text, or a weight with no bracket open
            if "BREAK" not in token:
                pieces.append((token, 1.0))
                continue
            for i, part in enumerate(split_break(token)):
                if i:
                    pieces.append((BREAK, -1.0))
                pieces.append((part, 1.0))
        elif token[0] == "\\" and len(token) == 2:
            pieces.append((token[1], 1.0))
        elif token == "(":
            round_open.append(len(pieces))
        elif token == "[":
            square_open.append(len(pieces))
        elif token == ")" and round_open:
            round_ranges.append((round_open.pop(), len(pieces), ROUND))
        elif token == "]" and square_open:
            square_ranges.append((square_open.pop(), len(pieces), SQUARE))
        else:  # a bracket with nothing open, a lone backslash: literal text
            pieces.append((token, 1.0))
    round_ranges += [(start, len(pieces), ROUND) for start in round_open]  # closed at the end
    square_ranges += [(start, len(pieces), SQUARE) for start in square_open]
    rounds = _products(len(pieces), round_ranges)
    squares = _products(len(pieces), square_ranges)
    merged: list[tuple[list[str], float]] = []
    for (text_part, base), r, q in zip(pieces, rounds, squares):
        w = base * r * q
        if not text_part and w != -1:
            continue
        if merged and merged[-1][1] == w and w != -1:
            merged[-1][0].append(text_part)
        else:
            merged.append(([text_part], w))
    return [("".join(parts), w) for parts, w in merged] or [("", 1.0)]


def split_break(text: str) -> list[str]:
    """``text`` split at the word ``BREAK``, with the whitespace around each ``BREAK`` dropped.

    Stripping the pieces afterwards is what ``\\s*\\bBREAK\\b\\s*`` means, without that
    pattern's quadratic retries on long whitespace runs.
    """
    parts = _BREAK.split(text)
    for i in range(len(parts) - 1):
        parts[i] = parts[i].rstrip()
        parts[i + 1] = parts[i + 1].lstrip()
    return parts


def _network_at(prompt: str, start: int, end: int) -> Network | None:
    """The tag ``prompt[start:end + 1]`` (``<`` … the first ``>`` after it), if it is one."""
    kind = _WORD.match(prompt, start + 1, end)
    if kind is None or kind.end() == end or prompt[kind.end()] != ":":
        return None
    colon = prompt.find(":", kind.end() + 1, end)
    name = prompt[kind.end() + 1:end if colon < 0 else colon]
    if not name:
        return None
    weight = 1.0
    if colon >= 0 and colon + 1 < end:
        try:
            weight = float(prompt[colon + 1:end])
        except ValueError:
            pass
    return Network(kind.group(0), name.strip(), weight)


def extract_networks(prompt: str) -> tuple[str, tuple[Network, ...]]:
    """The prompt without ``<kind:name[:weight]>`` tags, and the tags (weight defaults to 1).

    A tag has no ``>`` inside, so each ``<`` can only end at the first ``>`` after it: one pass.
    """
    found, kept = [], []
    copied = 0
    close = -1
    candidate = _TAG_START.search(prompt)
    while candidate is not None:
        start = candidate.start()
        if close < start:
            close = prompt.find(">", start)
            if close < 0:
                break
        network = _network_at(prompt, start, close)
        if network is None:
            candidate = _TAG_START.search(prompt, start + 1)
            continue
        found.append(network)
        kept.append(prompt[copied:start])
        copied = close + 1
        candidate = _TAG_START.search(prompt, copied)
    kept.append(prompt[copied:])
    return "".join(kept), tuple(found)
