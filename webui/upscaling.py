"""Running an upscaler on a picture: PIL resizers, or a model file recognised and run by spandrel.

Model files are read as plain weights (safetensors, or ``torch.load(weights_only=True)`` for
``.pth``/``.pt``): no pickled code runs. spandrel finds the architecture from the weights' names and
shapes; nothing here defines a network. Large pictures go through the model in tiles (each with a
margin of context that is cut off again), so memory is bounded by the tile, not the picture.

A1111's semantics: an upscale "by" a factor runs the model up to three times until the picture is
at least as large as wanted, then Lanczos-resizes to the size wanted (a multiple of 8 per side);
"to" a size upscales by the larger ratio, then resizes to exactly that size.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from webui.errors import RequestError
from webui.upscalers import Upscaler

PASSES = 3
MARGIN = 16  # context around each tile, in input pixels


@dataclass(frozen=True)
class Device:
    name: str          # "cpu" or "cuda"
    tile: int          # tile side in input pixels

    @classmethod
    def choose(cls, cuda: bool) -> Device:
        # A CPU gains nothing from big tiles and a GPU loses much from small ones.
        return cls("cuda", 512) if cuda else cls("cpu", 256)


def spandrel_missing() -> str | None:
    """Why model upscalers cannot run in this environment, or None when they can."""
    try:
        import spandrel  # noqa: F401
    except ImportError as exc:  # spandrel needs torchvision built for the installed torch
        return f"{type(exc).__name__}: {exc}"
    return None


def read_weights(path: Path) -> dict:
    if path.suffix.lower() == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    return torch.load(str(path), map_location="cpu", weights_only=True)


def load_model(path: Path, device: Device, field: str):
    """The spandrel model of a file, in eval mode on ``device``; fp16 on CUDA where it is safe."""
    reason = spandrel_missing()
    if reason:
        raise RequestError(field, "run.upscaler_unavailable", name=path.stem, reason=reason)
    from spandrel import ImageModelDescriptor, ModelLoader

    try:
        model = ModelLoader().load_from_state_dict(read_weights(path))
    except Exception as exc:  # noqa: BLE001 - any unreadable or unknown file is the user's to fix
        raise RequestError(field, "run.upscaler_bad_file", name=path.stem,
                           reason=str(exc) or type(exc).__name__) from None
    if not isinstance(model, ImageModelDescriptor):
        raise RequestError(field, "run.upscaler_bad_file", name=path.stem,
                           reason=f"{model.architecture.name} is a {model.purpose} model")
    model.eval().to(device.name)
    if device.name == "cuda" and model.supports_half:
        model.half()
    return model


def to_tensor(image: Image.Image) -> torch.Tensor:
    data = torch.frombuffer(bytearray(image.convert("RGB").tobytes()), dtype=torch.uint8)
    return data.view(image.height, image.width, 3).permute(2, 0, 1).unsqueeze(0).float() / 255


def to_image(tensor: torch.Tensor) -> Image.Image:
    pixels = (tensor[0].float().clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0)
    return Image.fromarray(pixels.contiguous().cpu().numpy(), "RGB")


def tiles(size: int, tile: int) -> list[tuple[int, int]]:
    """``[start, end)`` spans of at most ``tile`` covering ``0..size``."""
    return [(start, min(start + tile, size)) for start in range(0, size, tile)]


@torch.inference_mode()
def run_model(model, image: Image.Image, device: Device) -> Image.Image:
    """One pass of the model over the picture, tile by tile where the architecture allows."""
    from spandrel import ModelTiling

    source = to_tensor(image).to(device.name, model.dtype)
    _, _, height, width = source.shape
    tile = device.tile if model.tiling == ModelTiling.SUPPORTED else max(height, width)
    scale = model.scale
    out = torch.empty((1, 3, height * scale, width * scale), dtype=model.dtype, device=device.name)
    for y0, y1 in tiles(height, tile):
        for x0, x1 in tiles(width, tile):
            top, left = max(0, y0 - MARGIN), max(0, x0 - MARGIN)
            bottom, right = min(height, y1 + MARGIN), min(width, x1 + MARGIN)
            result = model(source[:, :, top:bottom, left:right])
            oy, ox = (y0 - top) * scale, (x0 - left) * scale
            out[:, :, y0 * scale:y1 * scale, x0 * scale:x1 * scale] = \
                result[:, :, oy:oy + (y1 - y0) * scale, ox:ox + (x1 - x0) * scale]
    return to_image(out)


class Upscaling:
    """Runs upscalers; keeps the last model loaded (the next picture most often uses it again)."""

    def __init__(self, cuda: bool) -> None:
        self.device = Device.choose(cuda)
        self._lock = threading.Lock()
        self._loaded: tuple[Path, object] | None = None

    def model(self, upscaler: Upscaler, field: str):
        with self._lock:
            if self._loaded is None or self._loaded[0] != upscaler.path:
                self._loaded = None  # free the old one before loading the next
                self._loaded = (upscaler.path, load_model(upscaler.path, self.device, field))
            return self._loaded[1]

    def once(self, image: Image.Image, upscaler: Upscaler, scale: float, field: str) -> Image.Image:
        """One step of an upscaler: a model's own scale, a resizer's ``scale``."""
        if upscaler.is_model:
            return run_model(self.model(upscaler, field), image, self.device)
        if upscaler.name == "None":
            return image
        resample = Image.Resampling.NEAREST if upscaler.name == "Nearest" else Image.Resampling.LANCZOS
        return image.resize((int(image.width * scale), int(image.height * scale)), resample)

    def by(self, image: Image.Image, upscaler: Upscaler, scale: float, field: str) -> Image.Image:
        """A1111's ``Upscaler.upscale``: to ``scale`` times the size, rounded down to 8s."""
        wanted = (int(image.width * scale) // 8 * 8, int(image.height * scale) // 8 * 8)
        for _ in range(PASSES):
            before = image.size
            image = self.once(image, upscaler, scale, field)
            if image.size == before or (image.width >= wanted[0] and image.height >= wanted[1]):
                break
        if image.size != wanted:
            image = image.resize(wanted, Image.Resampling.LANCZOS)
        return image

    def to(self, image: Image.Image, upscaler: Upscaler, width: int, height: int,
           field: str) -> Image.Image:
        """A1111's ``resize_image`` (mode 0) with an upscaler: exactly ``width`` × ``height``."""
        scale = max(width / image.width, height / image.height)
        if scale > 1.0 and upscaler.name != "None":
            image = self.by(image, upscaler, scale, field)
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        return image
