"""A1111's img2img resize modes (``images.resize_image``), as pure image → image functions.

0 Just resize: stretch to the size. 1 Crop and resize: cover the size keeping the aspect
ratio, centred, the overflow cut off. 2 Resize and fill: fit inside keeping the aspect ratio,
centred, the empty bands filled by stretching the image's edge rows or columns (A1111's
outpainting). 3 Just resize (latent upscale) resizes the latents instead; a mask, which has no
latents, is resized as mode 2 there, as A1111 does (its ``resize_image`` treats any mode other
than 0 and 1 as "fill").
"""

from __future__ import annotations

from PIL import Image

JUST_RESIZE, CROP_AND_RESIZE, RESIZE_AND_FILL, LATENT_UPSCALE = 0, 1, 2, 3
MODES = (JUST_RESIZE, CROP_AND_RESIZE, RESIZE_AND_FILL, LATENT_UPSCALE)


def _lanczos(image: Image.Image, width: int, height: int) -> Image.Image:
    return image.resize((width, height), resample=Image.Resampling.LANCZOS)


def scaled_size(mode: int, source: tuple[int, int], target: tuple[int, int]) -> tuple[int, int]:
    """The size the source is resized to before being centred on the target canvas."""
    (sw, sh), (width, height) = source, target
    if mode == JUST_RESIZE:
        return width, height
    # Crop covers the canvas: match the axis the target is wider in; fill fits inside it.
    ratio, source_ratio = width / height, sw / sh
    match_width = ratio > source_ratio if mode == CROP_AND_RESIZE else ratio < source_ratio
    return (width, sh * width // sw) if match_width else (sw * height // sh, height)


def resize_image(mode: int, image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` on a ``width`` × ``height`` canvas by A1111 resize ``mode`` (0–3)."""
    if mode == JUST_RESIZE:
        return _lanczos(image, width, height)
    w, h = scaled_size(mode, image.size, (width, height))
    resized = _lanczos(image, w, h)
    canvas = Image.new("RGB" if image.mode != "L" else "L", (width, height))
    left, top = width // 2 - w // 2, height // 2 - h // 2
    canvas.paste(resized, (left, top))
    if mode == CROP_AND_RESIZE:
        return canvas
    if h < height and top > 0:  # bands above and below: stretch the first and last rows
        canvas.paste(resized.resize((width, top), box=(0, 0, width, 0)), (0, 0))
        canvas.paste(resized.resize((width, top), box=(0, h, width, h)), (0, top + h))
    elif w < width and left > 0:  # bands left and right: stretch the first and last columns
        canvas.paste(resized.resize((left, height), box=(0, 0, 0, height)), (0, 0))
        canvas.paste(resized.resize((left, height), box=(w, 0, w, height)), (left + w, 0))
    return canvas
