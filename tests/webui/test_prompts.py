"""A1111 emphasis syntax and extra-network tags, against A1111's documented examples."""

from __future__ import annotations

import pytest

from webui.prompts import Network, extract_networks, parse_attention


@pytest.mark.parametrize("text, expected", [
    ("normal text", [("normal text", 1.0)]),
    ("an (important) word", [("an ", 1.0), ("important", 1.1), (" word", 1.0)]),
    ("(unbalanced", [("unbalanced", 1.1)]),
    ("\\(literal\\]", [("(literal]", 1.0)]),
    ("(unnecessary)(parens)", [("unnecessaryparens", 1.1)]),
    ("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
     [("a ", 1.0), ("house", pytest.approx(1.5730000000000004)), (" ", pytest.approx(1.1)),
      ("on", pytest.approx(1.0)), (" a ", pytest.approx(1.1)), ("hill", pytest.approx(0.55)),
      (", sun, ", pytest.approx(1.1)), ("sky", pytest.approx(1.4641000000000006)),
      (".", pytest.approx(1.1))]),
    ("a BREAK b", [("a", 1.0), ("BREAK", -1.0), ("b", 1.0)]),
    ("", [("", 1.0)]),
])
def test_parse_attention(text, expected):
    assert parse_attention(text) == expected


def test_extract_networks_keeps_text_and_reads_weights():
    text, nets = extract_networks("a <lora:add_detail:0.8> cat, <lora:x> <hypernet:h:0.5>")
    assert text == "a  cat,  "
    assert nets == (Network("lora", "add_detail", 0.8), Network("lora", "x", 1.0),
                    Network("hypernet", "h", 0.5))
