"""img2img requests: A1111's extra fields over txt2img's, validated into one frozen value.

The shared fields (prompt, seed, sampler, size, batch…) go through :func:`parse_txt2img`; this
adds ``init_images``, ``mask`` and the inpainting settings with A1111's API defaults
(``StableDiffusionProcessingImg2Img``). Images are user input: each is bounded in encoded size,
format and pixel count *before* it is decoded, so a decompression bomb costs nothing, and a bad
one is a 422 naming the field (``init_images[1]``, ``mask``).
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image

from webui.errors import RequestError
from webui.masking import MASKED_CONTENT, ORIGINAL, MaskSettings
from webui.params import Txt2Img, _float, _int, echo_parameters, parse_txt2img
from webui.resize import MODES

MAX_ENCODED_CHARS = 64 * 1024 * 1024     # base64 text of one image
MAX_PIXELS = 4096 * 4096                 # decoded width × height of one image
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")
LIMITS = {"denoising_strength": (0.0, 1.0), "mask_blur": (0, 64), "inpaint_full_res_padding": (0, 4096),
          "initial_noise_multiplier": (0.0, 2.0)}
# A1111's API defaults for the img2img-only fields.
DEFAULTS: dict[str, Any] = {
    "init_images": [], "mask": None, "resize_mode": 0, "denoising_strength": 0.75,
    "mask_blur": None, "mask_blur_x": 4, "mask_blur_y": 4, "inpainting_fill": 0,
    "inpaint_full_res": True, "inpaint_full_res_padding": 0, "inpainting_mask_invert": 0,
    "initial_noise_multiplier": 1.0, "include_init_images": False,
}


@dataclass(frozen=True)
class Img2Img:
    base: Txt2Img                      # the fields txt2img shares (hires fix does not apply)
    init_images: tuple[Image.Image, ...]
    mask: Image.Image | None = None
    resize_mode: int = 0
    denoising: float = 0.75
    masking: MaskSettings = MaskSettings()
    noise_multiplier: float = 1.0

    @property
    def fill(self) -> int:
        return self.masking.fill if self.mask is not None else ORIGINAL


def decode_image(field: str, value: Any) -> Image.Image:
    """A base64 image field (raw or a ``data:`` URI) as a loaded PIL image, within the limits."""
    if not isinstance(value, str) or not value:
        raise RequestError(field, "run.bad_image")
    if len(value) > MAX_ENCODED_CHARS:
        raise RequestError(field, "run.image_too_large", limit=f"{MAX_ENCODED_CHARS // 2 ** 20} MiB")
    if value.startswith("data:"):
        value = value.partition(",")[2]
    try:
        data = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(field, "run.bad_base64") from None
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
        if image.width * image.height > MAX_PIXELS:
            raise RequestError(field, "run.image_too_large", limit=f"{MAX_PIXELS // 2 ** 20} megapixels")
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise RequestError(field, "run.bad_image") from None
    return image


def _bounded(name: str, value: float) -> float:
    low, high = LIMITS[name]
    if not low <= value <= high:
        raise RequestError(name, "run.out_of_range", low=low, high=high)
    return value


def _choice(name: str, value: Any, allowed) -> int:
    number = _int(name, value)
    if number not in allowed:
        raise RequestError(name, "run.out_of_range", low=min(allowed), high=max(allowed))
    return number


def _blur(get: Mapping[str, Any]) -> tuple[int, int]:
    """``mask_blur`` (an int) sets both axes, as A1111's setter does; else ``mask_blur_x/_y``."""
    both = get["mask_blur"]
    if both is not None:
        value = int(_bounded("mask_blur", _int("mask_blur", both)))
        return value, value
    return (int(_bounded("mask_blur", _int("mask_blur_x", get["mask_blur_x"]))),
            int(_bounded("mask_blur", _int("mask_blur_y", get["mask_blur_y"]))))


def parse_img2img(body: Any, settings: Mapping[str, Any] | None = None) -> Img2Img:
    """Validate an A1111 img2img body (a JSON object) into an :class:`Img2Img`; ``settings`` as
    for :func:`parse_txt2img`."""
    if not isinstance(body, Mapping):
        raise RequestError("body", "run.bad_object")
    base = parse_txt2img({**body, "enable_hr": False}, settings)
    get = {**DEFAULTS, **{k: v for k, v in body.items() if v is not None}}
    images = get["init_images"]
    if not isinstance(images, list) or not images:
        raise RequestError("init_images", "run.no_init_images")
    if len(images) > 1:  # A1111: several init images make the batch, up to batch_size of them
        if len(images) > base.batch_size:
            raise RequestError("init_images", "run.out_of_range", low=1, high=base.batch_size)
        base = replace(base, batch_size=len(images))
    blur_x, blur_y = _blur(get)
    return Img2Img(
        base=base,
        init_images=tuple(decode_image(f"init_images[{i}]", v) for i, v in enumerate(images)),
        mask=decode_image("mask", get["mask"]) if get["mask"] else None,
        resize_mode=_choice("resize_mode", get["resize_mode"], MODES),
        denoising=_bounded("denoising_strength", _float("denoising_strength", get["denoising_strength"])),
        masking=MaskSettings(
            blur_x=blur_x, blur_y=blur_y,
            fill=_choice("inpainting_fill", get["inpainting_fill"], (ORIGINAL, *MASKED_CONTENT)),
            full_res=bool(get["inpaint_full_res"]),
            padding=int(_bounded("inpaint_full_res_padding",
                                 _int("inpaint_full_res_padding", get["inpaint_full_res_padding"]))),
            invert=bool(get["inpainting_mask_invert"])),
        noise_multiplier=_bounded("initial_noise_multiplier",
                                  _float("initial_noise_multiplier", get["initial_noise_multiplier"])),
    )


def echo_img2img(body: Mapping[str, Any], include_images: bool) -> dict[str, Any]:
    """The response's ``parameters``; A1111 blanks the images unless ``include_init_images``."""
    echoed = echo_parameters({**DEFAULTS, **dict(body)})
    if not include_images:
        echoed.update(init_images=None, mask=None)
    return echoed
