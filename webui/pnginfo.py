"""What ``/sdapi/v1/png-info`` answers: an image's infotext, its other metadata, and the infotext
parsed into the dict A1111 1.10's ``parse_generation_parameters`` returns.

A1111 splits ``WxH`` values into ``<key>-1``/``<key>-2`` only (no ``Size`` key), fills in the
defaults its paste buttons expect, and switches on old-behaviour flags for infotexts written by
versions before 1.8 (``infotext_versions.backcompat``). The rules were read from A1111's
``modules/infotext_utils.py`` @c19d044 and ``modules/infotext_versions.py``.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

from packaging.version import InvalidVersion, Version
from PIL import Image

from webui.infotext import parse_infotext
from webui.prompts import BREAK, parse_attention

# Pillow's bookkeeping keys that A1111 leaves out of ``items`` (images.IGNORED_INFO_KEYS).
IGNORED_INFO_KEYS = frozenset({
    "jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "exif", "loop", "background",
    "timestamp", "duration", "progressive", "progression", "icc_profile", "chromaticity",
    "photoshop"})
_EXIF_IFD, _USER_COMMENT = 0x8769, 0x9286
_SIZE = re.compile(r"^(\d+)x(\d+)$")
_TWO_DASHES = re.compile(r"([^-]+-[^-]+)-.*")

# Keys A1111 adds when the infotext lacks them, with the value it adds (in its order).
DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("Clip skip", "1"), ("Hires resize-1", 0), ("Hires resize-2", 0),
    ("Hires sampler", "Use same sampler"), ("Hires schedule type", "Use same scheduler"),
    ("Hires checkpoint", "Use same checkpoint"), ("Hires prompt", ""),
    ("Hires negative prompt", ""), ("Mask mode", "Inpaint masked"), ("Masked content", "original"),
    ("Inpaint area", "Whole picture"), ("Masked area padding", 32))
LATER_DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("RNG", "GPU"), ("Schedule type", "Automatic"), ("Schedule max sigma", 0),
    ("Schedule min sigma", 0), ("Schedule rho", 0), ("VAE Encoder", "Full"),
    ("VAE Decoder", "Full"), ("FP8 weight", "Disable"))


def user_comment(raw: bytes) -> str:
    """An EXIF UserComment: an 8-byte charset code, then the text (A1111 writes "UNICODE")."""
    code, payload = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        # piexif writes UTF-16 big-endian; some writers use little-endian with a byte-order mark.
        return payload.decode("utf-16" if payload[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-16-be",
                              errors="replace")
    return payload.decode("utf-8" if code.startswith(b"ASCII") else "latin-1", errors="replace")


def read_image_info(data: bytes) -> tuple[str, dict[str, Any]]:
    """The infotext (PNG ``parameters`` or EXIF UserComment) and the image's other text metadata.

    Raises ``OSError``/``ValueError`` (from Pillow) when ``data`` is not an image.
    """
    with Image.open(io.BytesIO(data)) as image:
        items = dict(image.info or {})
        geninfo = items.pop("parameters", None)
        if geninfo is None and "exif" in items:
            comment = image.getexif().get_ifd(_EXIF_IFD).get(_USER_COMMENT)
            if isinstance(comment, bytes):
                geninfo = user_comment(comment)
        elif geninfo is None and isinstance(items.get("comment"), bytes):  # GIF
            geninfo = items["comment"].decode("utf8", errors="ignore")
    kept = {k: v for k, v in items.items() if k not in IGNORED_INFO_KEYS
            and isinstance(v, (str, int, float)) and not isinstance(v, bool)}
    return str(geninfo or ""), kept


def old_hires_first_pass(width: int, height: int) -> tuple[int, int]:
    """A1111's pre-1.0 hires fix: the first pass had about 512×512 pixels, in steps of 64."""
    scale = math.sqrt(512 * 512 / (width * height))
    return math.ceil(scale * width / 64) * 64, math.ceil(scale * height / 64) * 64


def _restore_old_hires(res: dict[str, Any]) -> None:
    first_w, first_h = res.get("First pass size-1"), res.get("First pass size-2")
    if first_w is None or first_h is None:
        return
    first_w, first_h = int(first_w), int(first_h)
    width, height = int(res.get("Size-1", 512)), int(res.get("Size-2", 512))
    if first_w == 0 or first_h == 0:
        first_w, first_h = old_hires_first_pass(width, height)
    res.update({"Size-1": first_w, "Size-2": first_h, "Hires resize-1": width,
                "Hires resize-2": height})


def infotext_version(text: str | None) -> Version | None:
    """``Version`` as A1111 reads it; ``sdsetup-…`` (and other non-versions) read as None."""
    if text is None:
        return None
    match = _TWO_DASHES.match(text)
    try:
        return Version(match.group(1) if match else text)
    except InvalidVersion:
        return None


def _backcompat(res: dict[str, Any]) -> None:
    version = infotext_version(res.get("Version"))
    if version is None:
        return
    if version < Version("1.6.0") and "[" in res.get("Prompt", ""):
        res["Old prompt editing timelines"] = True
    if version < Version("1.6.0") and res.get("Sampler", "") in ("DDIM", "PLMS"):
        res["Pad conds v0"] = True
    if version < Version("v1.7.0-225"):
        res["Downcast alphas_cumprod"] = True
    if version < Version("1.8.0") and res.get("Refiner"):
        res["Refiner switch by sampling steps"] = True


def _uses_emphasis(*prompts: str) -> bool:
    return any(weight != 1.0 and text != BREAK
               for prompt in prompts for text, weight in parse_attention(prompt))


def a1111_parameters(text: str) -> dict[str, Any]:
    """``text`` parsed as A1111 1.10's ``parse_generation_parameters`` does (default options)."""
    res = parse_infotext(text)
    for key in [k for k in res if f"{k}-1" in res and f"{k}-2" in res and _SIZE.match(str(res[k]))]:
        del res[key]
    if "Hypernet" in res:  # written by old versions; A1111 pastes it back as a prompt tag
        res["Prompt"] += f"<hypernet:{res['Hypernet']}:{res.get('Hypernet strength', '1.0')}>"
    for key, value in DEFAULTS:
        res.setdefault(key, value)
    _restore_old_hires(res)
    for key, value in LATER_DEFAULTS:
        res.setdefault(key, value)
    if res["FP8 weight"] != "Disable":
        res.setdefault("Cache FP16 weight for LoRA", False)
    if "Emphasis" not in res and _uses_emphasis(res["Prompt"], res["Negative prompt"]):
        res["Emphasis"] = "Original"
    res.setdefault("Refiner switch by sampling steps", False)
    _backcompat(res)
    return res
