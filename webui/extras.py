"""A1111's Extras: upscale a picture with one upscaler (optionally blended with a second), then
restore faces; ``/extra-single-image`` and ``/extra-batch-images`` take these fields.

The request is validated into a frozen :class:`ExtrasRequest`; :func:`size_plan` is the pure
decision of the scale and the crop; :func:`process` is the one path a picture takes (A1111's
order: upscale, GFPGAN, CodeFormer), run by the engine under its queue lock.
"""

from __future__ import annotations

import binascii
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from webui.errors import RequestError
from webui.infotext import quote
from webui.outputs import decode_image_field
from webui.params import _float, _int, _str
from webui.upscalers import Upscaler, find

SCALE_BY, SCALE_TO = 0, 1
LIMITS = {"upscaling_resize": (0.05, 8.0), "upscaling_resize_w": (64, 8192),
          "upscaling_resize_h": (64, 8192), "extras_upscaler_2_visibility": (0.0, 1.0),
          "gfpgan_visibility": (0.0, 1.0), "codeformer_visibility": (0.0, 1.0),
          "codeformer_weight": (0.0, 1.0), "resize_mode": (SCALE_BY, SCALE_TO)}
# A1111's ExtrasBaseRequest defaults.
DEFAULTS: dict[str, Any] = {
    "resize_mode": SCALE_BY, "show_extras_results": True, "gfpgan_visibility": 0.0,
    "codeformer_visibility": 0.0, "codeformer_weight": 0.0, "upscaling_resize": 2.0,
    "upscaling_resize_w": 512, "upscaling_resize_h": 512, "upscaling_crop": True,
    "upscaler_1": "None", "upscaler_2": "None", "extras_upscaler_2_visibility": 0.0,
    "upscale_first": False,
}
MAX_BATCH = 64
MAX_SIDE = 8192  # A1111's largest "scale to" size; also bounds "scale by" and a lopsided "scale to"


@dataclass(frozen=True)
class ExtrasRequest:
    resize_mode: int = SCALE_BY
    upscaling_resize: float = 2.0
    upscaling_resize_w: int = 512
    upscaling_resize_h: int = 512
    upscaling_crop: bool = True
    upscaler_1: str = "None"
    upscaler_2: str = "None"
    upscaler_2_visibility: float = 0.0
    gfpgan_visibility: float = 0.0
    codeformer_visibility: float = 0.0
    codeformer_weight: float = 0.0


@dataclass(frozen=True)
class SizePlan:
    scale: float
    crop: tuple[int, int] | None   # centre the upscale on a canvas of this size
    info: dict                     # the ``Postprocess …`` infotext fields this plan writes


def _ranged(name: str, value: float) -> float:
    low, high = LIMITS[name]
    if not low <= value <= high:
        raise RequestError(name, "run.out_of_range", low=low, high=high)
    return value


def parse_extras(body: Mapping[str, Any]) -> ExtrasRequest:
    """A1111's extras fields (``ExtrasBaseRequest``); unknown keys are ignored."""
    get = {**DEFAULTS, **{k: v for k, v in body.items() if v is not None}}
    return ExtrasRequest(
        resize_mode=int(_ranged("resize_mode", _int("resize_mode", get["resize_mode"]))),
        upscaling_resize=_ranged("upscaling_resize", _float("upscaling_resize",
                                                            get["upscaling_resize"])),
        upscaling_resize_w=int(_ranged("upscaling_resize_w", _int("upscaling_resize_w",
                                                                  get["upscaling_resize_w"]))),
        upscaling_resize_h=int(_ranged("upscaling_resize_h", _int("upscaling_resize_h",
                                                                  get["upscaling_resize_h"]))),
        upscaling_crop=bool(get["upscaling_crop"]),
        upscaler_1=_str("upscaler_1", get["upscaler_1"]) or "None",
        upscaler_2=_str("upscaler_2", get["upscaler_2"]) or "None",
        upscaler_2_visibility=_ranged("extras_upscaler_2_visibility", _float(
            "extras_upscaler_2_visibility", get["extras_upscaler_2_visibility"])),
        gfpgan_visibility=_ranged("gfpgan_visibility", _float("gfpgan_visibility",
                                                              get["gfpgan_visibility"])),
        codeformer_visibility=_ranged("codeformer_visibility", _float(
            "codeformer_visibility", get["codeformer_visibility"])),
        codeformer_weight=_ranged("codeformer_weight", _float("codeformer_weight",
                                                              get["codeformer_weight"])),
    )


def decode_image(field: str, value: Any) -> Image.Image:
    """An API image (raw base64 or a ``data:`` URI), decoded and loaded; bad data is a 422."""
    if not isinstance(value, str) or not value:
        raise RequestError(field, "run.bad_image")
    try:
        image = Image.open(io.BytesIO(decode_image_field(value)))
        image.load()
    except (binascii.Error, OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        raise RequestError(field, "run.bad_image") from None
    return image


def single_image(body: Any) -> tuple[ExtrasRequest, Image.Image]:
    if not isinstance(body, Mapping):
        raise RequestError("body", "run.bad_object")
    return parse_extras(body), decode_image("image", body.get("image"))


def batch_images(body: Any) -> tuple[ExtrasRequest, list[Image.Image]]:
    if not isinstance(body, Mapping):
        raise RequestError("body", "run.bad_object")
    entries = body.get("imageList")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_BATCH:
        raise RequestError("imageList", "run.bad_image_list", high=MAX_BATCH)
    images = [decode_image(f"imageList[{i}].data", e.get("data") if isinstance(e, Mapping) else None)
              for i, e in enumerate(entries)]
    return parse_extras(body), images


def upscalers_for(request: ExtrasRequest, known: Sequence[Upscaler]) -> tuple[Upscaler | None,
                                                                             Upscaler | None]:
    """The first and second upscalers a request names; None for "None" or a skipped second."""
    chosen = []
    for field, name in (("upscaler_1", request.upscaler_1), ("upscaler_2", request.upscaler_2)):
        upscaler = find(known, name)
        if upscaler is None:
            raise RequestError(field, "run.upscaler_not_found", name=name)
        chosen.append(None if upscaler.name == "None" else upscaler)
    first, second = chosen
    # A1111: no first upscaler means no upscale at all, and a second one at 0 is not run.
    return first, second if first and request.upscaler_2_visibility > 0 else None


def size_plan(width: int, height: int, request: ExtrasRequest) -> SizePlan:
    if request.resize_mode == SCALE_TO:
        w, h = request.upscaling_resize_w, request.upscaling_resize_h
        return SizePlan(max(w / width, h / height), (w, h) if request.upscaling_crop else None,
                        {"Postprocess upscale to": f"{w}x{h}"})
    return SizePlan(request.upscaling_resize, None,
                    {"Postprocess upscale by": request.upscaling_resize})


def check_size(width: int, height: int, plan: SizePlan, resize_mode: int) -> None:
    """Refuse an upscale whose result would have a side over MAX_SIDE, naming what to change."""
    w, h = int(width * plan.scale), int(height * plan.scale)
    if max(w, h) <= MAX_SIDE:
        return
    field = "upscaling_resize" if resize_mode == SCALE_BY else \
        "upscaling_resize_w" if w > MAX_SIDE else "upscaling_resize_h"
    raise RequestError(field, "run.extras_too_large", width=w, height=h, limit=MAX_SIDE)


def crop_centre(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    canvas = Image.new("RGB", size)
    canvas.paste(image, (size[0] // 2 - image.width // 2, size[1] // 2 - image.height // 2))
    return canvas


def format_info(info: Mapping[str, Any]) -> str:
    return ", ".join(k if k == v else f"{k}: {quote(v)}" for k, v in info.items() if v is not None)


def html_info(text: str) -> str:
    """A1111's ``plaintext_to_html``: what ``html_info`` of the extras responses holds."""
    return "<p>" + "<br>\n".join(html.escape(line) for line in text.split("\n")) + "</p>"


def process(image: Image.Image, request: ExtrasRequest, upscalers: Sequence[Upscaler], upscaling,
            faces) -> tuple[Image.Image, str]:
    """One picture through the Extras; returns it and its ``postprocessing`` infotext."""
    first, second = upscalers_for(request, upscalers)
    faces.check(request)
    image = image.convert("RGB")
    info: dict = {}
    if first is not None:
        plan = size_plan(image.width, image.height, request)
        check_size(image.width, image.height, plan, request.resize_mode)
        info.update(plan.info)

        def upscale(upscaler: Upscaler, field: str) -> Image.Image:
            result = upscaling.by(image, upscaler, plan.scale, field)
            return crop_centre(result, plan.crop) if plan.crop else result

        upscaled = upscale(first, "upscaler_1")
        if plan.crop:
            info["Postprocess crop to"] = f"{plan.crop[0]}x{plan.crop[1]}"
        info["Postprocess upscaler"] = first.name
        if second is not None:
            upscaled = Image.blend(upscaled, upscale(second, "upscaler_2"),
                                   request.upscaler_2_visibility)
            info["Postprocess upscaler 2"] = second.name
        image = upscaled
    image, restored = faces.restore(image, request)
    info.update(restored)
    return image, format_info(info)
