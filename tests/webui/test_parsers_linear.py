"""Parsers of user text run in linear time: property tests with a deadline, and 1 MB attacks."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webui import infotext
from webui.infotext import parse_infotext
from webui.pasting import apply_infotext
from webui.pnginfo import a1111_parameters
from webui.prompts import extract_networks, parse_attention


def runs_of(atoms: list[str]) -> st.SearchStrategy[str]:
    """Up to six long runs of the pieces the patterns care about: where backtracking hurts."""
    run = st.tuples(st.sampled_from(atoms), st.integers(1, 20_000)).map(lambda r: r[0] * r[1])
    return st.lists(run | st.sampled_from(atoms), max_size=6).map("".join)


def within_linear_bound(parse, text: str, tries: int = 3) -> None:
    """The time bound per example: a fixed 0.1 s plus 10 µs per character (a quadratic pattern
    takes seconds on a 20 000-character run; a linear one, milliseconds). The best of ``tries``
    runs counts: a quadratic parse is slow every time, a busy machine only now and then."""
    bound = 0.1 + 1e-5 * len(text)
    took = []
    for _ in range(tries):
        started = time.perf_counter()
        parse(text)
        took.append(time.perf_counter() - started)
        if took[-1] < bound:
            return
    raise AssertionError(f"{min(took):.2f} s at best for {len(text)} characters")


PROMPT_TEXT = runs_of([" ", "a", "BREAK", " BREAK ", "<a:", "b:", "<", ">", "(", ")", "[", "]",
                       ":", ":1.1)", "\\(", "\\", ",", "\n", "(a", "<lora:x:0.5>"])
INFOTEXT = runs_of(["a ", "a", " ", "-", ":", ",", '"', "\\", '\\"', "Steps: 1, ", "k: ", "\n",
                    'k: "', "1x1", "/"])
A1111_PAIR = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


@settings(deadline=None, max_examples=150)
@given(PROMPT_TEXT)
def test_prompt_parsing_is_fast_and_keeps_the_text(text):
    within_linear_bound(parse_attention, text)
    within_linear_bound(extract_networks, text)
    pieces = parse_attention(text)
    assert all(isinstance(p, str) for p, _ in pieces)
    stripped, networks = extract_networks(text)
    assert len(stripped) <= len(text)
    for network in networks:
        assert f"<{network.kind}:" in text


@settings(deadline=None, max_examples=150)
@given(INFOTEXT)
def test_infotext_parsing_is_fast_and_finds_what_a1111_finds(text):
    within_linear_bound(parse_infotext, text)
    last = text.strip().split("\n")[-1]
    if len(last) < 3000:  # A1111's own pattern, while it is still quick
        assert infotext._PAIR.findall(last) == A1111_PAIR.findall(last)


MB = 1_000_000
ATTACKS = {
    "prompt: whitespace around BREAK": lambda: parse_attention("a" + " " * MB + "b"),
    "prompt: BREAK runs": lambda: parse_attention(("a" + " " * 1000 + "BREAK") * (MB // 1006)),
    "prompt: <a:b: repeated": lambda: (extract_networks("<a:b:" * (MB // 5)),
                                      parse_attention("<a:b:" * (MB // 5))),
    "prompt: < then one >": lambda: extract_networks("<" * MB + ">"),
    "infotext: key runs": lambda: parse_infotext("p\n" + "a " * (MB // 2)),
    "infotext: open quote": lambda: parse_infotext('p\nSteps: "' + "\\a" * (MB // 2)),
    "infotext: many pairs": lambda: parse_infotext("p\n" + "ab: c," * (MB // 6)),
    # what /png-info answers and what the `infotext` request field fills in go through more rules
    "png-info parameters: dashed keys": lambda: a1111_parameters("p\n" + "a-b-c: 1x2, " * (MB // 12)),
    "infotext field: key runs": lambda: apply_infotext({"infotext": "p\n" + "a " * (MB // 2)}),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_one_megabyte_of_hostile_text_parses_within_a_second(name):
    started = time.perf_counter()
    ATTACKS[name]()
    took = time.perf_counter() - started
    print(f"{name}: {took:.3f} s")
    assert took < 1, f"{name}: {took:.2f} s"
