"""The ``infotext`` request field: fill a request from pasted generation parameters, as A1111 does.

A1111 1.10's ``Api.apply_infotext`` parses the text with ``parse_generation_parameters`` and sets
every txt2img paste field the request did not set itself (a key present in the body wins, even
as null); ``Clip skip``, ``ENSD`` and the other settings go into ``override_settings`` unless
that already names them. ``Model hash``/``VAE`` are not pasted: a model this server lacks would
turn a paste into a failure, and A1111 also skips a model it cannot find.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webui.errors import RequestError
from webui.infotext import parse_infotext

# infotext key -> (request field, type)
FIELDS: dict[str, tuple[str, type]] = {
    "Prompt": ("prompt", str), "Negative prompt": ("negative_prompt", str),
    "Steps": ("steps", int), "Sampler": ("sampler_name", str), "Schedule type": ("scheduler", str),
    "CFG scale": ("cfg_scale", float), "Seed": ("seed", int),
    "Size-1": ("width", int), "Size-2": ("height", int),
    "Variation seed": ("subseed", int), "Variation seed strength": ("subseed_strength", float),
    "Seed resize from-1": ("seed_resize_from_w", int), "Seed resize from-2": ("seed_resize_from_h", int),
    "Denoising strength": ("denoising_strength", float), "Hires upscale": ("hr_scale", float),
    "Hires upscaler": ("hr_upscaler", str), "Hires steps": ("hr_second_pass_steps", int),
    "Hires resize-1": ("hr_resize_x", int), "Hires resize-2": ("hr_resize_y", int),
    "Face restoration": ("restore_faces", bool),
}
# infotext key -> (option name, type), A1111's ``infotext_to_setting_name_mapping`` subset we run
SETTINGS: dict[str, tuple[str, type]] = {
    "Clip skip": ("CLIP_stop_at_last_layers", int), "ENSD": ("eta_noise_seed_delta", int),
    "Eta": ("eta_ancestral", float), "Eta DDIM": ("eta_ddim", float), "RNG": ("randn_source", str),
}
_HIRES_KEYS = ("Hires upscale", "Hires upscaler", "Hires resize-1")


def _convert(kind: type, value: str) -> Any:
    if kind is bool:
        return True
    try:
        return kind(float(value)) if kind is int else kind(value)
    except ValueError:
        return value  # left for the request validation to name


def apply_infotext(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """``body`` with the fields its ``infotext`` carries filled in where it set none."""
    text = body.get("infotext")
    if not text:
        return body
    if not isinstance(text, str):
        raise RequestError("infotext", "run.bad_string")
    params = parse_infotext(text)
    filled = dict(body)
    for key, (name, kind) in FIELDS.items():
        if key in params and name not in body:
            filled[name] = _convert(kind, params[key])
    if "enable_hr" not in body and "Denoising strength" in params and any(k in params for k in _HIRES_KEYS):
        filled["enable_hr"] = True
    overrides = dict(body.get("override_settings") or {})
    for key, (name, kind) in SETTINGS.items():
        if key in params and name not in overrides:
            overrides[name] = _convert(kind, params[key])
    filled["override_settings"] = overrides
    return filled
