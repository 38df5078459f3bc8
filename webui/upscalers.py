"""Which upscalers exist: the built-in resizers and the model files in A1111's folders.

A model upscaler is named by its file stem, as A1111 names it, and listed with the scale its name
announces (``4x_foo``, ``foo_x2``; 4 otherwise, A1111's default) without being loaded: loading and
running it is :mod:`webui.upscaling`'s part. Pure listing from file paths, plus one folder scan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from webui.catalog import files_under

# The resizers every A1111 has, in its order; "None" keeps the image as it is.
BUILTIN = ("None", "Lanczos", "Nearest")
MODEL_SUFFIXES = (".safetensors", ".pth", ".pt")
# A1111's folder names under models/ and what its own upscaler classes report as ``model_name``.
FOLDERS = (("ESRGAN", "ESRGAN_4x"), ("RealESRGAN", None), ("SwinIR", "SwinIR 4x"), ("DAT", None),
           ("HAT", None), ("ScuNET", None))
_SCALE_IN_NAME = re.compile(r"(\d)[xX]|[xX](\d)")  # A1111's own pattern (set_scale_by_when_changing_upscaler)


@dataclass(frozen=True)
class Upscaler:
    name: str
    path: Path | None = None   # None: a built-in resizer
    folder: str | None = None  # which of FOLDERS holds it
    scale: int = 4

    @property
    def is_model(self) -> bool:
        return self.path is not None

    def api(self) -> dict:
        model_name = dict(FOLDERS).get(self.folder) if self.folder else None
        return {"name": self.name, "model_name": model_name,
                "model_path": str(self.path) if self.path else None, "model_url": None,
                "scale": self.scale}


def scale_in_name(name: str) -> int:
    match = _SCALE_IN_NAME.search(name)
    scale = int(match.group(1) or match.group(2)) if match else 4
    return scale if scale >= 1 else 4


def model_upscalers(files: Sequence[tuple[str, Path]]) -> list[Upscaler]:
    """Upscalers for ``(folder, path)`` pairs; the first file of a stem wins, as A1111's lookup."""
    seen: set[str] = set()
    found = []
    for folder, path in files:
        if path.stem not in seen and path.stem not in BUILTIN:
            seen.add(path.stem)
            found.append(Upscaler(path.stem, path, folder, scale_in_name(path.stem)))
    return found


def scan(models_dir: Path) -> list[Upscaler]:
    """The built-in resizers, then every model file in A1111's upscaler folders under ``models_dir``."""
    files = [(folder, path) for folder, _ in FOLDERS
             for path in files_under(models_dir / folder, MODEL_SUFFIXES)]
    return [Upscaler(name) for name in BUILTIN] + model_upscalers(files)


def find(upscalers: Sequence[Upscaler], name: str) -> Upscaler | None:
    return next((u for u in upscalers if u.name == name), None)
