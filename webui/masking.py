"""Inpainting geometry as pure image → image functions (A1111 ``processing.py`` / ``masking.py``).

The mask is white where the model repaints. A1111's order, which :func:`prepare` follows:
binarise an alpha mask, invert it if asked, feather it with a Gaussian (``mask_blur``), then
either crop the image to the masked region and work on that at full resolution ("Only
masked", pasted back afterwards) or resize image and mask by the resize mode. The untouched
pixels are kept aside as an overlay and composited over the result, so they come back exactly;
only the feathered seam mixes old and new pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from webui.resize import JUST_RESIZE, LATENT_UPSCALE, RESIZE_AND_FILL, resize_image

FILL, ORIGINAL, LATENT_NOISE, LATENT_NOTHING = 0, 1, 2, 3
MASKED_CONTENT = {FILL: "fill", LATENT_NOISE: "latent noise", LATENT_NOTHING: "latent nothing"}
BACKGROUND = (255, 255, 255, 255)  # A1111's img2img_background_color for transparent pixels
# Coarse-to-fine blur radii and how often each is laid on: large blurs reach deep into the hole,
# the fine ones restore detail near its edge.
_FILL_PASSES = ((256, 1), (64, 1), (16, 2), (4, 4), (2, 2), (0, 1))

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class MaskSettings:
    blur_x: int = 4
    blur_y: int = 4
    fill: int = FILL
    full_res: bool = True      # "Only masked": crop to the masked region, paste back
    padding: int = 0           # pixels around the masked region when cropping
    invert: bool = False       # repaint what is *not* masked


@dataclass(frozen=True)
class Prepared:
    """One init image ready for the VAE, and what puts the result back together."""

    image: Image.Image                  # RGB; width × height unless resize mode 3 resizes latents
    mask: Image.Image | None            # L, width × height: where the sampler repaints
    overlay: Image.Image | None         # RGBA: the kept pixels, alpha 255 where kept exactly
    paste_to: Box | None                # (x, y, w, h) of the crop in the overlay ("Only masked")
    infotext: dict = field(default_factory=dict)


def flatten(image: Image.Image) -> Image.Image:
    """RGB, transparent pixels over white."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        canvas = Image.new("RGBA", image.size, BACKGROUND)
        canvas.alpha_composite(image.convert("RGBA"))
        return canvas.convert("RGB")
    return image.convert("RGB")


def binary_mask(mask: Image.Image) -> Image.Image:
    """L mask; a transparent-background RGBA mask (a brush layer) counts by its alpha, cut at half."""
    if mask.mode == "RGBA" and mask.getextrema()[3] != (255, 255):
        return mask.getchannel("A").point(lambda a: 255 if a > 128 else 0)
    return mask.convert("L")


def gaussian_kernel(sigma: float) -> np.ndarray:
    """OpenCV's kernel for ``sigma`` with A1111's size ``2·int(2.5σ + 0.5) + 1``."""
    size = 2 * int(2.5 * sigma + 0.5) + 1
    x = np.arange(size) - (size - 1) / 2
    kernel = np.exp(-(x ** 2) / (2 * sigma ** 2))
    return kernel / kernel.sum()


def _blur_axis(values: np.ndarray, sigma: float, axis: int) -> np.ndarray:
    kernel = gaussian_kernel(sigma)
    radius = len(kernel) // 2
    padding = [(0, 0), (0, 0)]
    padding[axis] = (radius, radius)
    padded = np.pad(values, padding, mode="reflect")  # OpenCV's default border (reflect 101)
    length = values.shape[axis]
    return sum(weight * np.take(padded, range(i, i + length), axis=axis)
               for i, weight in enumerate(kernel))


def blur(mask: Image.Image, blur_x: float, blur_y: float) -> Image.Image:
    """Separable Gaussian feathering of an L mask; 0 leaves an axis alone."""
    values = np.asarray(mask, dtype=np.float64)
    if blur_x > 0:
        values = _blur_axis(values, blur_x, axis=1)
    if blur_y > 0:
        values = _blur_axis(values, blur_y, axis=0)
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), "L")


def crop_region(mask: Image.Image, padding: int) -> Box | None:
    """Bounding box (x1, y1, x2, y2) of the mask's non-zero pixels grown by ``padding``; None if blank."""
    box = mask.getbbox()
    if box is None:
        return None
    x1, y1, x2, y2 = box
    width, height = mask.size
    return max(x1 - padding, 0), max(y1 - padding, 0), min(x2 + padding, width), min(y2 + padding, height)


def _grow(low: int, high: int, wanted: float, limit: int) -> tuple[int, int]:
    """Widen [low, high) to ``wanted`` around its centre, shifted back inside [0, limit]."""
    extra = int(wanted - (high - low))
    low, high = low - extra // 2, high + extra - extra // 2
    if high >= limit:
        low, high = low - (high - limit), limit
    if low < 0:
        low, high = 0, high - low
    return low, min(high, limit)


def expand_crop_region(box: Box, width: int, height: int, image_width: int, image_height: int) -> Box:
    """Grow ``box`` along one axis to the processing aspect ratio ``width/height``, inside the image."""
    x1, y1, x2, y2 = box
    ratio = width / height
    if (x2 - x1) / (y2 - y1) > ratio:
        y1, y2 = _grow(y1, y2, (x2 - x1) / ratio, image_height)
    else:
        x1, x2 = _grow(x1, x2, (y2 - y1) * ratio, image_width)
    return x1, y1, x2, y2


def fill(image: Image.Image, mask: Image.Image) -> Image.Image:
    """Masked pixels replaced by blurs of the unmasked ones (A1111's "fill" masked content)."""
    known = Image.new("RGBa", image.size)
    known.paste(image.convert("RGBA").convert("RGBa"), mask=ImageOps.invert(mask.convert("L")))
    result = Image.new("RGBA", image.size)
    for radius, times in _FILL_PASSES:
        layer = known.filter(ImageFilter.GaussianBlur(radius)).convert("RGBA")
        for _ in range(times):
            result.alpha_composite(layer)
    return result.convert("RGB")


def overlay(image: Image.Image, mask: Image.Image) -> Image.Image:
    """``image`` with alpha ``255 − mask``: opaque where nothing is repainted."""
    kept = Image.new("RGBa", image.size)
    kept.paste(image.convert("RGBA").convert("RGBa"), mask=ImageOps.invert(mask.convert("L")))
    return kept.convert("RGBA")


def apply_overlay(generated: Image.Image, kept: Image.Image | None, paste_to: Box | None) -> Image.Image:
    """The generated image with the kept pixels over it; a crop is first resized and put in place."""
    if kept is None:
        return generated
    if paste_to is not None:
        x, y, w, h = paste_to
        canvas = Image.new("RGBA", kept.size)
        canvas.paste(resize_image(1, generated, w, h), (x, y))
        generated = canvas
    result = generated.convert("RGBA")
    result.alpha_composite(kept)
    return result.convert("RGB")


def feathered_mask(mask: Image.Image, settings: MaskSettings) -> tuple[Image.Image, dict]:
    """Binarised, maybe inverted, blurred mask and the infotext fields those steps write."""
    fields: dict = {}
    mask = binary_mask(mask)
    if settings.invert:
        mask = ImageOps.invert(mask)
        fields["Mask mode"] = "Inpaint not masked"
    if settings.blur_x > 0 or settings.blur_y > 0:
        mask = blur(mask, settings.blur_x, settings.blur_y)
        fields["Mask blur"] = settings.blur_x if settings.blur_x == settings.blur_y else None
    return mask, fields


def prepare(init: Image.Image, mask: Image.Image | None, width: int, height: int, resize_mode: int,
            settings: MaskSettings) -> Prepared:
    """What A1111's ``StableDiffusionProcessingImg2Img.init`` makes of one init image and the mask."""
    image = flatten(init)
    if mask is None:
        resized = image if resize_mode == LATENT_UPSCALE else resize_image(resize_mode, image, width, height)
        return Prepared(resized, None, None, None)
    mask, fields = feathered_mask(mask, settings)
    region = None
    if settings.full_res:
        if mask.size != image.size:
            mask = mask.resize(image.size, Image.Resampling.LANCZOS)
        region = crop_region(mask, settings.padding)
        if region is None:  # a blank mask: A1111 falls back to plain img2img
            return prepare(init, None, width, height, resize_mode, settings)
        region = expand_crop_region(region, width, height, *mask.size)
        shown = image
        for_overlay = mask
        mask = resize_image(RESIZE_AND_FILL, mask.crop(region), width, height)
        fields.update({"Inpaint area": "Only masked", "Masked area padding": settings.padding})
    else:
        mask = resize_image(resize_mode, mask, width, height)
        doubled = np.clip(np.asarray(mask, dtype=np.float32) * 2, 0, 255).astype(np.uint8)
        for_overlay = Image.fromarray(doubled, "L")
        if resize_mode == LATENT_UPSCALE:  # the image stays as it is; the result has the new size
            shown = resize_image(JUST_RESIZE, image, width, height)
        else:
            image = shown = resize_image(resize_mode, image, width, height)
    kept = overlay(shown, for_overlay)
    paste_to = None
    if region is not None:
        x1, y1, x2, y2 = region
        image = resize_image(RESIZE_AND_FILL, image.crop(region), width, height)
        paste_to = (x1, y1, x2 - x1, y2 - y1)
    if settings.fill != ORIGINAL:
        image = fill(image, mask if mask.size == image.size else mask.resize(image.size))
    if settings.fill in MASKED_CONTENT:
        fields["Masked content"] = MASKED_CONTENT[settings.fill]
    return Prepared(image, mask, kept, paste_to, fields)
