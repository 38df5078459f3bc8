"""A port of the rules of A1111 1.10 ``infotext_utils.parse_generation_parameters`` (test oracle).

Written from its documented behaviour (a1111-compat.md §8) to check that what we write reads
back in A1111 as we meant it: last line = settings when it has >= 3 ``key: value`` matches,
``Negative prompt:`` starts the negative, quoted values are JSON, ``WxH`` splits into -1/-2,
and the defaults A1111 fills for missing keys.
"""

from __future__ import annotations

import json
import re

PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
IMAGE_SIZE = re.compile(r"^(\d+)x(\d+)$")
DEFAULTS = {"Clip skip": "1", "Hires resize-1": 0, "Hires resize-2": 0,
            "Hires sampler": "Use same sampler", "Hires schedule type": "Use same scheduler",
            "Hires checkpoint": "Use same checkpoint", "Hires prompt": "", "Hires negative prompt": "",
            "RNG": "GPU", "Schedule type": "Automatic"}


def _unquote(text: str):
    if not text or text[0] != '"' or text[-1] != '"':
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse(text: str) -> dict:
    result, prompt, negative, in_negative = {}, "", "", False
    *lines, last = text.strip().split("\n")
    if len(PARAM.findall(last)) < 3:
        lines.append(last)
        last = ""
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[16:].strip()
        if in_negative:
            negative += ("" if negative == "" else "\n") + line
        else:
            prompt += ("" if prompt == "" else "\n") + line
    for key, value in PARAM.findall(last):
        if value[:1] == '"' and value[-1:] == '"':
            value = _unquote(value)
        size = IMAGE_SIZE.match(value)
        if size:
            result[f"{key}-1"], result[f"{key}-2"] = size.group(1), size.group(2)
        else:
            result[key] = value
    result["Prompt"], result["Negative prompt"] = prompt, negative
    for key, value in DEFAULTS.items():
        result.setdefault(key, value)
    return result
