"""A1111's hires fix: render small, upscale, then re-sample the upscale at a denoising strength.

Pure decisions only (a1111-compat.md §3): the second-pass size, its step count, and what each
upscaler name means. ``Latent*`` upscalers resize the latents; ``None``, ``Lanczos`` and
``Nearest`` and the model upscalers (:mod:`webui.upscalers`) resize the decoded image; a name
that is none of these falls back to ``Latent``, which is what the infotext then records.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

from webui.upscalers import BUILTIN

# name -> (torch interpolate mode, antialias)
LATENT_MODES = {"Latent": ("bilinear", False), "Latent (antialiased)": ("bilinear", True),
                "Latent (bicubic)": ("bicubic", False),
                "Latent (bicubic antialiased)": ("bicubic", True),
                "Latent (nearest)": ("nearest", False), "Latent (nearest-exact)": ("nearest-exact", False)}
TRAIN_STEPS = 1000
MIN_DENOISING = 1 / TRAIN_STEPS  # below it the second pass would run no step at all
PIXEL_MODES = BUILTIN


@dataclass(frozen=True)
class Hires:
    scale: float = 2.0
    upscaler: str = "Latent"
    steps: int = 0             # 0: as many as the first pass
    denoising: float = 0.7
    resize_x: int = 0          # 0 and 0: use ``scale``
    resize_y: int = 0


@dataclass(frozen=True)
class HiresPlan:
    width: int
    height: int
    steps: int                 # num_inference_steps for img2img, which runs steps·strength of them
    upscaler: str              # the one actually used
    latent_mode: tuple[str, bool] | None  # None: resize the pixels with the upscaler


def _multiple_of_8(value: float) -> int:
    return max(64, int(value) // 8 * 8)


def target_size(width: int, height: int, hires: Hires) -> tuple[int, int]:
    """A1111: ``scale`` unless a resize is given; one resize side alone keeps the aspect ratio."""
    if hires.resize_x and hires.resize_y:
        return _multiple_of_8(hires.resize_x), _multiple_of_8(hires.resize_y)
    if hires.resize_x:
        return _multiple_of_8(hires.resize_x), _multiple_of_8(hires.resize_x * height / width)
    if hires.resize_y:
        return _multiple_of_8(hires.resize_y * width / height), _multiple_of_8(hires.resize_y)
    return _multiple_of_8(width * hires.scale), _multiple_of_8(height * hires.scale)


def img2img_steps(wanted: int, denoising: float) -> int:
    """The second pass's ``num_inference_steps``: A1111's ``int(wanted / denoising)``.

    diffusers' img2img runs ``int(steps·strength)`` of them, which must be at least one, and the
    schedules have 1000 training steps, so a tiny strength is capped rather than failing.
    """
    if denoising <= 0:
        return wanted
    steps = max(1, int(wanted / denoising))
    if int(steps * denoising) < 1:
        steps = math.ceil(1 / denoising)
        steps += int(steps * denoising) < 1  # float rounding
    return min(steps, TRAIN_STEPS)


def plan(width: int, height: int, first_steps: int, hires: Hires,
         pixels_only: bool = False, models: Collection[str] = ()) -> HiresPlan:
    """The second pass; ``pixels_only`` for inpainting models, whose img2img takes only images;
    ``models``: the names of the model upscalers there are."""
    w, h = target_size(width, height, hires)
    wanted = hires.steps or first_steps
    steps = img2img_steps(wanted, hires.denoising)
    if hires.upscaler in PIXEL_MODES or hires.upscaler in models:
        return HiresPlan(w, h, steps, hires.upscaler, None)
    if pixels_only:
        return HiresPlan(w, h, steps, "Lanczos", None)
    upscaler = hires.upscaler if hires.upscaler in LATENT_MODES else "Latent"
    return HiresPlan(w, h, steps, upscaler, LATENT_MODES[upscaler])


def infotext_fields(hires: Hires, used: HiresPlan) -> dict:
    """The ``Hires …`` settings, in A1111's order (``Denoising strength`` is written apart)."""
    resize = f"{hires.resize_x}x{hires.resize_y}" if hires.resize_x or hires.resize_y else None
    return {"Hires upscale": None if resize else hires.scale, "Hires resize": resize,
            "Hires steps": hires.steps or None, "Hires upscaler": used.upscaler}
