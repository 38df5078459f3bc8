"""Face restoration with model files from A1111's ``models/GFPGAN`` and ``models/Codeformer``,
run by spandrel: in the Extras (``gfpgan_visibility``, ``codeformer_visibility``) and, with
``restore_faces``, on every generated image (the restorer ``/options face_restoration_model`` names,
at full strength, after decoding and before saving, as A1111's ``process_images``).

There is no face detector here (A1111 downloads facexlib's at first use, which an offline install
cannot), so the restorer sees the whole picture at its 512² working size and the result is blended
back over the picture at the visibility asked for: right for portraits where the face fills the
frame, a soft filter otherwise. CodeFormer's architecture ships in ``spandrel_extra_arches``
(non-commercial licence), used when installed. Without a model file the request gets a 422 that
names the folder to put one in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from webui.catalog import files_under
from webui.errors import RequestError
from webui.upscalers import MODEL_SUFFIXES, Upscaler
from webui.upscaling import to_image, to_tensor

FACE_SIZE = 512


@dataclass(frozen=True)
class Restorer:
    name: str       # A1111's name in /face-restorers and the infotext
    folder: str     # under models/
    field: str      # the request field that asks for it


RESTORERS = (Restorer("CodeFormer", "Codeformer", "codeformer_visibility"),
             Restorer("GFPGAN", "GFPGAN", "gfpgan_visibility"))
_ORDER = ("gfpgan_visibility", "codeformer_visibility")  # A1111 runs GFPGAN, then CodeFormer


def named(name: str) -> Restorer:
    return next(r for r in RESTORERS if r.name == name)


def _extra_arches() -> None:
    try:
        import spandrel_extra_arches
    except ImportError:
        return
    spandrel_extra_arches.install(ignore_duplicates=True)


class Faces:
    def __init__(self, models_dir: Path, upscaling) -> None:
        self.models_dir = models_dir
        self.upscaling = upscaling

    def folder(self, restorer: Restorer) -> Path:
        return self.models_dir / restorer.folder

    def model_file(self, restorer: Restorer) -> Path | None:
        found = files_under(self.folder(restorer), MODEL_SUFFIXES)
        return found[0] if found else None

    def api(self) -> list[dict]:
        return [{"name": r.name, "cmd_dir": str(self.folder(r))} for r in RESTORERS]

    def require(self, restorer: Restorer, field: str) -> None:
        """A 422 naming ``field`` and the folder to fill when ``restorer`` has no model file."""
        if self.model_file(restorer) is None:
            raise RequestError(field, "run.face_model_missing", name=restorer.name,
                               folder=str(self.folder(restorer)))

    def check(self, request) -> None:
        """Fail before any work when a restorer is asked for and has no model file."""
        for restorer in RESTORERS:
            if getattr(request, restorer.field) > 0:
                self.require(restorer, restorer.field)

    @torch.inference_mode()
    def restore_once(self, image: Image.Image, restorer: Restorer, field: str) -> Image.Image:
        """``image`` through ``restorer`` at full strength; an unusable file is a 422 on ``field``."""
        if restorer.name == "CodeFormer":
            _extra_arches()
        path = self.model_file(restorer)
        model = self.upscaling.model(Upscaler(path.stem, path, restorer.folder), field)
        face = image.resize((FACE_SIZE, FACE_SIZE), Image.Resampling.LANCZOS)
        device = self.upscaling.device.name
        restored = to_image(model(to_tensor(face).to(device, model.dtype)))
        return restored.resize(image.size, Image.Resampling.LANCZOS)

    def restore(self, image: Image.Image, request) -> tuple[Image.Image, dict]:
        """The picture with the asked-for restorers blended in, and their infotext fields."""
        self.check(request)
        info: dict = {}
        by_field = {r.field: r for r in RESTORERS}
        for field in _ORDER:
            visibility = getattr(request, field)
            if visibility <= 0:
                continue
            restorer = by_field[field]
            image = Image.blend(image, self.restore_once(image, restorer, field), visibility)
            info[f"{restorer.name} visibility"] = visibility
            if restorer.name == "CodeFormer":
                info["CodeFormer weight"] = request.codeformer_weight
        return image, info
