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
from dataclasses import dataclass, field
from typing import Any

NEGATIVE = "Negative prompt:"
# A1111's pattern starts with \s*(\w[\w \-/]+): and so retries every start inside a long run of
# key characters that ends in no ":" (quadratic: one 50 KB line froze the server). Anchoring a
# match to the start of such a run finds the same pairs, and each run is read once.
_PAIR = re.compile(r'(?<![\w \-/])[ \-/]*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
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


@dataclass(frozen=True)
class Generation:
    """What one image's settings line says, before A1111's key order is applied."""

    steps: int
    sampler: str
    schedule_type: str | None
    cfg_scale: float
    seed: int
    width: int
    height: int
    model_hash: str | None = None
    model: str | None = None
    face_restoration: str | None = None
    vae_hash: str | None = None
    vae: str | None = None
    variation_seed: int | None = None
    variation_strength: float = 0.0
    seed_resize_from: tuple[int, int] = (-1, -1)
    denoising_strength: float | None = None
    mask_weight: float | None = None                 # inpainting checkpoints' img2img
    clip_skip: int = 1
    ensd: int | None = None                          # only when the sampler uses it
    tiling: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)  # hires, hashes, Eta… in their order
    version: str | None = None


def generation_settings(g: Generation) -> dict[str, Any]:
    """The settings in A1111 1.10 ``create_infotext`` order; None values are left out when written.

    Keys of ``extra`` that are already slots (``Denoising strength``) fill the slot in place, as
    a dict literal with ``**extra_generation_params`` does there.
    """
    w, h = g.seed_resize_from
    settings = {
        "Steps": g.steps, "Sampler": g.sampler, "Schedule type": g.schedule_type,
        "CFG scale": g.cfg_scale, "Seed": g.seed, "Face restoration": g.face_restoration,
        "Size": f"{g.width}x{g.height}", "Model hash": g.model_hash, "Model": g.model,
        "VAE hash": g.vae_hash, "VAE": g.vae,
        "Variation seed": None if g.variation_strength == 0 else g.variation_seed,
        "Variation seed strength": None if g.variation_strength == 0 else g.variation_strength,
        "Seed resize from": None if w <= 0 or h <= 0 else f"{w}x{h}",
        "Denoising strength": g.denoising_strength,
        "Conditional mask weight": g.mask_weight,
        "Clip skip": None if g.clip_skip <= 1 else g.clip_skip,
        "ENSD": g.ensd, "Tiling": "True" if g.tiling else None,
    }
    settings.update(g.extra)
    settings["Version"] = g.version
    return settings


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
        size = _SIZE.match(value) if "x" in value else None
        if size:
            result[f"{key.strip()}-1"], result[f"{key.strip()}-2"] = size.group(1), size.group(2)
    for key, value in DEFAULTS.items():
        result.setdefault(key, value)
    return result
