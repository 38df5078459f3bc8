"""txt2img requests: A1111's fields and API defaults, validated into one frozen value.

Every field is optional and unknown fields are ignored (clients such as SillyTavern send their own
keys); a present field with a bad value raises :class:`RequestError` naming it, which the API
answers with 422.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from webui.errors import RequestError
from webui.hires import MIN_DENOISING, Hires

MAX_SEED = 4294967294
# ASCII digits only: str.isdigit() also accepts "²", and a 5000-digit string makes int() raise.
_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")
# What makes a request invalid: A1111 has no upper caps, so only lower bounds and the ranges that
# are meaningful at all (a strength is a fraction); whether a size or batch fits is decided from
# the device's memory when it runs (webui.footprint).
VALID = {"steps": (1, None), "width": (64, None), "height": (64, None), "batch_size": (1, None),
         "n_iter": (1, None), "cfg_scale": (0.0, None), "clip_skip": (1, None),
         "hr_scale": (1.0, None), "hr_second_pass_steps": (0, None), "denoising_strength": (0.0, 1.0),
         "hr_resize_x": (0, None), "hr_resize_y": (0, None), "subseed_strength": (0.0, 1.0),
         "eta": (0.0, None)}
# The UI's slider ranges (A1111's sliders have maxima too); typed values may go beyond them.
LIMITS = {"steps": (1, 150), "width": (64, 2048), "height": (64, 2048), "batch_size": (1, 8),
          "cfg_scale": (0.0, 30.0), "clip_skip": (1, 12), "hr_scale": (1.0, 4.0),
          "hr_second_pass_steps": (0, 150), "denoising_strength": (0.0, 1.0)}
# Fields A1111 takes whose features do not run here: a value other than these is a 422 naming it.
UNSUPPORTED: dict[str, tuple] = {
    "refiner_checkpoint": (None, "", "None"), "hr_checkpoint_name": (None, "", "Use same checkpoint"),
    "hr_sampler_name": (None, "", "Use same sampler"), "hr_scheduler": (None, "", "Use same scheduler"),
    "s_churn": (None, 0, 0.0), "s_tmin": (None, 0, 0.0), "s_tmax": (None, 0, 0.0),
    "s_noise": (None, 1, 1.0), "disable_extra_networks": (None, False),
}

# A1111's API defaults (a1111-compat.md §3), which differ from its UI's.
DEFAULTS: dict[str, Any] = {
    "prompt": "", "negative_prompt": "", "seed": -1, "subseed": -1, "subseed_strength": 0.0,
    "sampler_name": None, "sampler_index": "Euler", "scheduler": None, "steps": 50,
    "cfg_scale": 7.0, "width": 512, "height": 512, "batch_size": 1, "n_iter": 1,
    "send_images": True, "save_images": False, "override_settings": {},
    "override_settings_restore_afterwards": True, "alwayson_scripts": {},
    "enable_hr": False, "hr_scale": 2.0, "hr_upscaler": "Latent", "hr_second_pass_steps": 0,
    "denoising_strength": 0.7, "hr_resize_x": 0, "hr_resize_y": 0, "seed_resize_from_h": -1,
    "seed_resize_from_w": -1, "tiling": None, "restore_faces": None, "eta": None,
    "script_name": None, "script_args": [], "hr_prompt": "", "hr_negative_prompt": "",
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
    hires: Hires | None = None      # enable_hr and its hr_* fields
    styles: tuple[str, ...] = ()    # prompt style names, applied in order
    subseed: int = -1
    subseed_strength: float = 0.0
    seed_resize_from: tuple[int, int] = (-1, -1)  # (w, h); A1111 uses it when both are > 0
    tiling: bool = False
    eta: float | None = None        # None: the option (eta_ancestral / eta_ddim)
    face_restorer: str | None = None  # restore_faces: the restorer /options names, else None
    settings: dict = field(default_factory=dict)  # the options with override_settings applied


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise RequestError(name, "run.bad_integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
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


def _unicode(name: str, value: Any) -> None:
    """Refuse lone surrogates anywhere in ``value`` (JSON allows ``"\\ud800"``; UTF-8 does not),
    before they reach the tokenizer, the PNG text chunk or the JSON reply."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise RequestError(name, "run.bad_text") from None
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def check_unicode(body: Mapping[str, Any]) -> None:
    """:func:`_unicode` for every field of a request body, naming the field that fails."""
    for key, value in body.items():
        name = key.encode("utf-8", "backslashreplace").decode("utf-8")
        _unicode(name, key)
        _unicode(name, value)


def _in_range(name: str, value: float) -> float:
    low, high = VALID[name]
    if high is None and value < low:
        raise RequestError(name, "run.too_small", low=low)
    if high is not None and not low <= value <= high:
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
    denoising = _in_range("denoising_strength",
                          _float("denoising_strength", get["denoising_strength"]))
    if denoising < MIN_DENOISING:
        raise RequestError("denoising_strength", "run.hires_needs_denoising", low=MIN_DENOISING)
    return Hires(
        scale=_in_range("hr_scale", _float("hr_scale", get["hr_scale"])),
        upscaler=_str("hr_upscaler", get["hr_upscaler"]) or "Latent",
        steps=int(_in_range("hr_second_pass_steps",
                            _int("hr_second_pass_steps", get["hr_second_pass_steps"]))),
        denoising=denoising,
        resize_x=int(_in_range("hr_resize_x", _int("hr_resize_x", get["hr_resize_x"]))),
        resize_y=int(_in_range("hr_resize_y", _int("hr_resize_y", get["hr_resize_y"]))),
    )


def _styles(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise RequestError("styles", "run.bad_string_list")
    return tuple(value)


def _check_supported(get: Mapping[str, Any]) -> None:
    """A 422 naming the first field that asks for something this server would silently skip."""
    if get["script_name"]:
        raise RequestError("script_name", "run.unknown_script", name=get["script_name"])
    scripts = get["alwayson_scripts"]
    if not isinstance(scripts, Mapping):
        raise RequestError("alwayson_scripts", "run.bad_object")
    for name in scripts:  # no always-on scripts run here (A1111 also 422s an unknown one)
        raise RequestError("alwayson_scripts", "run.unknown_script", name=name)
    for name, accepted in UNSUPPORTED.items():
        if name in get and get[name] not in accepted:
            raise RequestError(name, "run.unsupported", reason=f"{get[name]!r} is not supported here")
    for name in ("hr_prompt", "hr_negative_prompt"):
        main = get[name.removeprefix("hr_")]
        if get["enable_hr"] and get[name] and get[name] != main:
            raise RequestError(name, "run.unsupported", reason="a separate hires prompt is not supported here")


def _seed(name: str, value: Any) -> int:
    seed = _int(name, value)
    if not -1 <= seed <= MAX_SEED:
        raise RequestError(name, "run.out_of_range", low=-1, high=MAX_SEED)
    return seed


def _face_restorer(get: Mapping[str, Any], options: Mapping[str, Any]) -> str | None:
    """A1111: ``restore_faces`` (else the option ``face_restoration``) runs the restorer named by
    ``face_restoration_model``; whether its model file is there is the engine's to check."""
    from webui.faces import RESTORERS

    wanted = options["face_restoration"] if get["restore_faces"] is None else get["restore_faces"]
    if not wanted:
        return None
    name = options["face_restoration_model"]
    names = [r.name for r in RESTORERS]
    if name not in names:
        raise RequestError("face_restoration_model", "run.bad_choice", choices=", ".join(names))
    return name


def parse_txt2img(body: Any, settings: Mapping[str, Any] | None = None) -> Txt2Img:
    """Validate an A1111 txt2img body (a JSON object) into a :class:`Txt2Img`.

    ``settings`` are the current ``/options`` values.
    """
    from webui.options import A1111_DEFAULTS, generation_settings
    from webui.pasting import apply_infotext

    if not isinstance(body, Mapping):
        raise RequestError("body", "run.bad_object")
    check_unicode(body)
    body = apply_infotext(body)
    get = {**DEFAULTS, **{k: v for k, v in body.items() if v is not None}}
    overrides = _overrides(body)
    options = generation_settings(settings if settings is not None else A1111_DEFAULTS, overrides)
    _check_supported(get)
    clip_skip = overrides.get("CLIP_stop_at_last_layers",
                              body.get("clip_skip", options["CLIP_stop_at_last_layers"]))
    eta = get["eta"]
    return Txt2Img(
        prompt=_str("prompt", get["prompt"]),
        negative_prompt=_str("negative_prompt", get["negative_prompt"]),
        seed=_seed("seed", get["seed"]),
        sampler_name=_str("sampler_name", get["sampler_name"] or get["sampler_index"]),
        scheduler=_str("scheduler", get["scheduler"]) or None,
        steps=int(_in_range("steps", _int("steps", get["steps"]))),
        cfg_scale=_in_range("cfg_scale", _float("cfg_scale", get["cfg_scale"])),
        width=_size("width", get["width"]),
        height=_size("height", get["height"]),
        batch_size=int(_in_range("batch_size", _int("batch_size", get["batch_size"]))),
        n_iter=int(_in_range("n_iter", _int("n_iter", get["n_iter"]))),
        clip_skip=int(_in_range("clip_skip", _int("CLIP_stop_at_last_layers", clip_skip))),
        checkpoint=_str("override_settings.sd_model_checkpoint",
                        overrides.get("sd_model_checkpoint")) or None,
        vae=_str("override_settings.sd_vae", overrides.get("sd_vae")) or None,
        send_images=bool(get["send_images"]),
        save_images=bool(get["save_images"]),
        hires=_hires(get),
        styles=_styles(body.get("styles")),
        subseed=_seed("subseed", get["subseed"]),
        subseed_strength=_in_range("subseed_strength",
                                   _float("subseed_strength", get["subseed_strength"])),
        seed_resize_from=(_int("seed_resize_from_w", get["seed_resize_from_w"]),
                          _int("seed_resize_from_h", get["seed_resize_from_h"])),
        tiling=bool(options["tiling"] if get["tiling"] is None else get["tiling"]),
        eta=None if eta is None else _in_range("eta", _float("eta", eta)),
        face_restorer=_face_restorer(get, options),
        settings=options,
    )


def echo_parameters(body: Mapping[str, Any]) -> dict[str, Any]:
    """The response's ``parameters``: the request as sent, with A1111's defaults filled in."""
    return {**DEFAULTS, **dict(body)}


def concrete_seed(seed: int, rng: random.Random) -> int:
    """-1 means random, drawn as A1111 does from [0, 4294967294)."""
    return rng.randrange(MAX_SEED) if seed == -1 else seed
