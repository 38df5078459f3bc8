"""txt2img requests: A1111's fields and API defaults, validated into one frozen value.

Every field is optional and unknown fields are ignored (clients such as SillyTavern send their own
keys); a present field with a bad value raises :class:`RequestError` naming it, which the API
answers with 422.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from webui.errors import RequestError
from webui.hires import Hires

MAX_SEED = 4294967294
LIMITS = {"steps": (1, 150), "width": (64, 2048), "height": (64, 2048), "batch_size": (1, 8),
          "n_iter": (1, 100), "cfg_scale": (0.0, 30.0), "clip_skip": (1, 12),
          "hr_scale": (1.0, 4.0), "hr_second_pass_steps": (0, 150), "denoising_strength": (0.0, 1.0),
          "hr_resize_x": (0, 4096), "hr_resize_y": (0, 4096)}

# A1111's API defaults (a1111-compat.md §3), which differ from its UI's.
DEFAULTS: dict[str, Any] = {
    "prompt": "", "negative_prompt": "", "seed": -1, "subseed": -1, "subseed_strength": 0.0,
    "sampler_name": None, "sampler_index": "Euler", "scheduler": None, "steps": 50,
    "cfg_scale": 7.0, "width": 512, "height": 512, "batch_size": 1, "n_iter": 1,
    "send_images": True, "save_images": False, "override_settings": {},
    "override_settings_restore_afterwards": True, "alwayson_scripts": {},
    "enable_hr": False, "hr_scale": 2.0, "hr_upscaler": "Latent", "hr_second_pass_steps": 0,
    "denoising_strength": 0.7, "hr_resize_x": 0, "hr_resize_y": 0,
}


@dataclass(frozen=True)
class Txt2Img:
    prompt: str = ""
    negative_prompt: str = ""
    seed: int = -1
    sampler_name: str = "Euler"
    scheduler: str | None = None
    steps: int = 50
    cfg_scale: float = 7.0
    width: int = 512
    height: int = 512
    batch_size: int = 1
    n_iter: int = 1
    clip_skip: int = 1
    checkpoint: str | None = None   # override_settings.sd_model_checkpoint
    vae: str | None = None          # override_settings.sd_vae
    send_images: bool = True
    save_images: bool = False
    ignored_scripts: tuple[str, ...] = field(default=())
    hires: Hires | None = None      # enable_hr and its hr_* fields


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise RequestError(name, "run.bad_integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, int):
        return value
    raise RequestError(name, "run.bad_integer")


def _float(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise RequestError(name, "run.bad_number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RequestError(name, "run.bad_number") from None


def _str(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RequestError(name, "run.bad_string")
    return value


def _in_range(name: str, value: float) -> float:
    low, high = LIMITS[name]
    if not low <= value <= high:
        raise RequestError(name, "run.out_of_range", low=low, high=high)
    return value


def _size(name: str, value: Any) -> int:
    # A1111 renders any size; diffusers needs multiples of 8, so round down as its UI sliders do.
    return int(_in_range(name, _int(name, value))) // 8 * 8


def _overrides(body: Mapping[str, Any]) -> Mapping[str, Any]:
    overrides = body.get("override_settings") or {}
    if not isinstance(overrides, Mapping):
        raise RequestError("override_settings", "run.bad_object")
    return overrides


def _hires(get: Mapping[str, Any]) -> Hires | None:
    if not get["enable_hr"]:
        return None
    return Hires(
        scale=_in_range("hr_scale", _float("hr_scale", get["hr_scale"])),
        upscaler=_str("hr_upscaler", get["hr_upscaler"]) or "Latent",
        steps=int(_in_range("hr_second_pass_steps",
                            _int("hr_second_pass_steps", get["hr_second_pass_steps"]))),
        denoising=_in_range("denoising_strength",
                            _float("denoising_strength", get["denoising_strength"])),
        resize_x=int(_in_range("hr_resize_x", _int("hr_resize_x", get["hr_resize_x"]))),
        resize_y=int(_in_range("hr_resize_y", _int("hr_resize_y", get["hr_resize_y"]))),
    )


def parse_txt2img(body: Any, default_clip_skip: int = 1) -> Txt2Img:
    """Validate an A1111 txt2img body (a JSON object) into a :class:`Txt2Img`."""
    if not isinstance(body, Mapping):
        raise RequestError("body", "run.bad_object")
    get = {**DEFAULTS, **{k: v for k, v in body.items() if v is not None}}
    overrides = _overrides(body)
    seed = _int("seed", get["seed"])
    if not -1 <= seed <= MAX_SEED:
        raise RequestError("seed", "run.out_of_range", low=-1, high=MAX_SEED)
    scripts = get["alwayson_scripts"]
    clip_skip = overrides.get("CLIP_stop_at_last_layers", body.get("clip_skip", default_clip_skip))
    return Txt2Img(
        prompt=_str("prompt", get["prompt"]),
        negative_prompt=_str("negative_prompt", get["negative_prompt"]),
        seed=seed,
        sampler_name=_str("sampler_name", get["sampler_name"] or get["sampler_index"]),
        scheduler=_str("scheduler", get["scheduler"]) or None,
        steps=int(_in_range("steps", _int("steps", get["steps"]))),
        cfg_scale=_in_range("cfg_scale", _float("cfg_scale", get["cfg_scale"])),
        width=_size("width", get["width"]),
        height=_size("height", get["height"]),
        batch_size=int(_in_range("batch_size", _int("batch_size", get["batch_size"]))),
        n_iter=int(_in_range("n_iter", _int("n_iter", get["n_iter"]))),
        clip_skip=int(_in_range("clip_skip", _int("CLIP_stop_at_last_layers", clip_skip))),
        checkpoint=overrides.get("sd_model_checkpoint") or None,
        vae=overrides.get("sd_vae") or None,
        send_images=bool(get["send_images"]),
        save_images=bool(get["save_images"]),
        ignored_scripts=tuple(sorted(scripts)) if isinstance(scripts, Mapping) else (),
        hires=_hires(get),
    )


def echo_parameters(body: Mapping[str, Any]) -> dict[str, Any]:
    """The response's ``parameters``: the request as sent, with A1111's defaults filled in."""
    return {**DEFAULTS, **dict(body)}


def concrete_seed(seed: int, rng: random.Random) -> int:
    """-1 means random, drawn as A1111 does from [0, 4294967294)."""
    return rng.randrange(MAX_SEED) if seed == -1 else seed
