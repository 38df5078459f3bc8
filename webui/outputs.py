"""Images on disk and on the wire: PNGs with the infotext in their ``parameters`` chunk."""

from __future__ import annotations

import base64
import io
import re
from datetime import datetime
from pathlib import Path

from PIL import Image, PngImagePlugin

_NUMBERED = re.compile(r"^(\d{5})-")


def png_bytes(image: Image.Image, infotext: str, **chunks: str) -> bytes:
    """PNG with ``parameters=<infotext>`` (Pillow writes iTXt when the text is not latin-1),
    and any further text ``chunks`` (the Extras' ``postprocessing``); empty ones are left out."""
    info = PngImagePlugin.PngInfo()
    for key, text in {"parameters": infotext, **chunks}.items():
        if text:
            info.add_text(key, text)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


_EXIF_IFD, _USER_COMMENT = 0x8769, 0x9286
FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP"}
JPEG_QUALITY = 80  # A1111's jpeg_quality default


def user_comment(text: str) -> bytes:
    """EXIF UserComment as piexif's ``UserComment.dump(text, encoding="unicode")`` writes it."""
    return b"UNICODE\0" + text.encode("utf-16-be")


def image_bytes(image: Image.Image, infotext: str, fmt: str = "png") -> bytes:
    """PNG with a ``parameters`` chunk, or JPEG/WebP with the infotext in EXIF UserComment."""
    kind = FORMATS[fmt.lower()]
    if kind == "PNG":
        return png_bytes(image, infotext)
    exif = Image.Exif()
    exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = user_comment(infotext)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format=kind, exif=exif.tobytes(), quality=JPEG_QUALITY)
    return buffer.getvalue()


def b64_png(image: Image.Image, infotext: str, **chunks: str) -> str:
    """Raw base64 with no ``data:`` prefix: webuiapi b64-decodes it without validation."""
    return base64.b64encode(png_bytes(image, infotext, **chunks)).decode("ascii")


def b64_image(image: Image.Image, infotext: str, fmt: str = "png") -> str:
    """An API image in ``samples_format``, raw base64 like :func:`b64_png`."""
    return base64.b64encode(image_bytes(image, infotext, fmt)).decode("ascii")


def next_number(folder: Path) -> int:
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := _NUMBERED.match(p.name))]
    return max(numbers, default=-1) + 1


def save_image(image: Image.Image, infotext: str, outputs: Path, seed: int, now: datetime,
               fmt: str = "png", kind: str = "txt2img-images") -> Path:
    """``outputs/<kind>/YYYY-MM-DD/NNNNN-<seed>.<fmt>``, numbered on from what is there."""
    folder = outputs / kind / now.strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{next_number(folder):05d}-{seed}.{fmt.lower()}"
    path.write_bytes(image_bytes(image, infotext, fmt))
    return path


def save_extras(image: Image.Image, parameters: str, postprocessing: str, outputs: Path) -> Path:
    """``outputs/extras-images/NNNNN.png`` as A1111's Extras tab saves it: the source's own
    infotext stays in ``parameters``, the Extras' goes into ``postprocessing`` and ``extras``."""
    folder = outputs / "extras-images"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{next_number(folder):05d}.png"
    path.write_bytes(png_bytes(image, parameters, postprocessing=postprocessing, extras=postprocessing))
    return path


def _exif_comment(image: Image.Image) -> str:
    raw = image.getexif().get_ifd(_EXIF_IFD).get(_USER_COMMENT)
    if not isinstance(raw, bytes):
        return ""
    prefix, body = raw[:8], raw[8:]
    if prefix == b"UNICODE\0":
        # piexif writes big-endian UTF-16; some writers use little-endian with a BOM
        return body.decode("utf-16" if body[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-16-be",
                           errors="replace")
    return body.decode("latin-1" if prefix == b"ASCII\0\0\0" else "utf-8", errors="replace")


def read_parameters(data: bytes) -> str:
    """The infotext of an image (PNG ``parameters`` or JPEG/WebP EXIF UserComment), or ""."""
    with Image.open(io.BytesIO(data)) as image:
        return str(image.info.get("parameters", "")) or _exif_comment(image)


def decode_image_field(value: str) -> bytes:
    """An API image field: raw base64 or a ``data:image/…;base64,`` URI."""
    if value.startswith("data:"):
        if "," not in value:
            raise ValueError("a data: URI without its comma")
        value = value.split(",", 1)[1]
    return base64.b64decode(value)
