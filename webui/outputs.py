"""Images on disk and on the wire: PNGs with the infotext in their ``parameters`` chunk."""

from __future__ import annotations

import base64
import io
import re
from datetime import datetime
from pathlib import Path

from PIL import Image, PngImagePlugin

_NUMBERED = re.compile(r"^(\d{5})-")


def png_bytes(image: Image.Image, infotext: str) -> bytes:
    """PNG with ``parameters=<infotext>`` (Pillow writes iTXt when the text is not latin-1)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", infotext)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def b64_png(image: Image.Image, infotext: str) -> str:
    """Raw base64 with no ``data:`` prefix: webuiapi b64-decodes it without validation."""
    return base64.b64encode(png_bytes(image, infotext)).decode("ascii")


def next_number(folder: Path) -> int:
    numbers = [int(m.group(1)) for p in folder.glob("*.png") if (m := _NUMBERED.match(p.name))]
    return max(numbers, default=-1) + 1


def save_png(image: Image.Image, infotext: str, outputs: Path, seed: int, now: datetime) -> Path:
    """``outputs/txt2img-images/YYYY-MM-DD/NNNNN-<seed>.png``, numbered on from what is there."""
    folder = outputs / "txt2img-images" / now.strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{next_number(folder):05d}-{seed}.png"
    path.write_bytes(png_bytes(image, infotext))
    return path


def read_parameters(data: bytes) -> str:
    """The infotext of an image, or "" if it carries none."""
    with Image.open(io.BytesIO(data)) as image:
        return str(image.info.get("parameters", ""))


def decode_image_field(value: str) -> bytes:
    """An API image field: raw base64 or a ``data:image/…;base64,`` URI."""
    if value.startswith("data:"):
        value = value.split(",", 1)[1]
    return base64.b64decode(value)
