"""``/interrogate``: a caption for a picture, as A1111's CLIP interrogator makes it.

BLIP writes the caption, then CLIP ranks the terms of each list in ``data/interrogate/`` by how well
they match the picture and the best ones are appended (``, term`` or, with the option
``interrogate_return_ranks``, ``, (term:0.123)``). Both models are Hugging Face folders
(``config.json`` and weights, as ``save_pretrained`` writes them) under A1111's ``models/BLIP/<any>/``
and ``models/CLIP/<any>/``, loaded by transformers without the network. A1111's own files
(salesforce's BLIP ``.pth``, OpenAI's ``ViT-L-14.pt``) need its network code: they are recognised
and answered with the format this engine needs. DeepDanbooru is a ResNet defined only in A1111's
code, so it is recognised and refused with that reason.

The term lists are our own words; a list's ``.topN`` name part is how many of its terms the caption
gets (1 without it), as in A1111's ``interrogate`` folder.
"""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import torch
from PIL import Image

from webui.errors import MissingModelError, NotServedError, RequestError

TERMS = Path(__file__).parent / "data" / "interrogate"
# A1111's DeepDanbooru file: recognised, never run (its ResNet is defined only in A1111's code).
DEEPDANBOORU = "torch_deepdanbooru/model-resnet_custom_v3.pt"
MODELS = ("clip", "deepdanbooru")


@dataclass(frozen=True)
class Part:
    network: str      # "BLIP" or "CLIP": also the folder under models/
    model_type: str   # ``model_type`` in a Hugging Face config.json
    a1111_file: str   # what A1111 downloads into that folder


PARTS = (Part("BLIP", "blip", "model_base_caption_capfilt_large.pth"),
         Part("CLIP", "clip", "ViT-L-14.pt"))


@dataclass(frozen=True)
class Category:
    name: str
    top: int
    terms: tuple[str, ...]


def parse_terms(name: str, text: str) -> Category:
    """One list file: ``mediums.txt`` or ``flavors.top3.txt``; blank and ``#`` lines skipped."""
    stem, _, top = name.removesuffix(".txt").partition(".top")
    terms = tuple(line.strip() for line in text.splitlines()
                  if line.strip() and not line.lstrip().startswith("#"))
    return Category(stem, int(top) if top.isdigit() else 1, terms)


def categories(folder: Path = TERMS) -> list[Category]:
    found = [parse_terms(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.txt"))]
    return [c for c in found if c.terms]


def rank(image_features: torch.Tensor, text_features: torch.Tensor, terms: tuple[str, ...],
         top: int) -> list[tuple[str, float]]:
    """The ``top`` terms best matching the picture, with A1111's score: the softmax over the list
    of 100 × the cosine similarity (features are normalised here)."""
    image = image_features / image_features.norm(dim=-1, keepdim=True)
    text = text_features / text_features.norm(dim=-1, keepdim=True)
    similarity = (100.0 * image.float() @ text.float().T).softmax(dim=-1)
    scores, indices = similarity[0].cpu().topk(min(top, len(terms)))
    return [(terms[int(i)], float(s)) for s, i in zip(scores, indices)]


def describe(caption: str, matches: list[tuple[str, float]], with_ranks: bool) -> str:
    """The caption with the matched terms appended, as A1111 joins them."""
    return caption + "".join(f", ({term}:{score:.3f})" if with_ranks else f", {term}"
                             for term, score in matches)


def _model_type(folder: Path) -> str | None:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError):
        return None


def hf_folder(models_dir: Path, part: Part) -> Path | None:
    """The first folder under ``models/<network>/`` holding a Hugging Face model of that type."""
    root = models_dir / part.network
    if not root.is_dir():
        return None
    return next((d for d in sorted(root.iterdir()) if d.is_dir() and _model_type(d) == part.model_type),
                None)


def locate(model: str, models_dir: Path) -> dict[str, Path]:
    """The folders ``model`` runs from; otherwise the error saying what to put where.

    404 when something is missing, 501 when only A1111's own files are there (the format is the
    problem, not their absence), and a 422 naming ``model`` for a name A1111 does not have.
    """
    if model not in MODELS:
        raise RequestError("model", "run.interrogator_unknown", name=model, valid=", ".join(MODELS))
    if model == "deepdanbooru":
        if not (models_dir / DEEPDANBOORU).is_file():
            raise MissingModelError("run.interrogator_missing", name=model,
                                    missing=f"models/{DEEPDANBOORU}")
        raise NotServedError("run.interrogator_deepdanbooru", name=model)
    found = {part.network: hf_folder(models_dir, part) for part in PARTS}
    lacking = [part for part in PARTS if found[part.network] is None]
    if not lacking:
        return found
    wanted = ", ".join(f"models/{part.network}/<name>/" for part in lacking)
    originals = [f"models/{part.network}/{part.a1111_file}" for part in lacking
                 if (models_dir / part.network / part.a1111_file).is_file()]
    if len(originals) == len(lacking):
        raise NotServedError("run.interrogator_format", name=model, found=", ".join(originals),
                             wanted=wanted)
    raise MissingModelError("run.interrogator_hf_missing", name=model, wanted=wanted)


@dataclass
class Loaded:
    folders: dict[str, Path]
    blip: Any
    blip_processor: Any
    clip: Any
    clip_processor: Any
    terms: list[tuple[Category, torch.Tensor]]   # each list with its CLIP text features


class Interrogator:
    """The BLIP and CLIP models, loaded on first use; the engine calls it under its queue lock."""

    def __init__(self, models_dir: Path, cuda: bool) -> None:
        self.models_dir = models_dir
        self.device = "cuda" if cuda else "cpu"
        self.dtype = torch.float16 if cuda else torch.float32
        self._loaded: Loaded | None = None

    def free(self) -> None:
        if self._loaded is None:
            return
        self._loaded = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _load(self, folders: dict[str, Path]) -> Loaded:
        if self._loaded is not None and self._loaded.folders == folders:
            return self._loaded
        self.free()
        from transformers import (BlipForConditionalGeneration, BlipProcessor, CLIPModel,
                                  CLIPProcessor)

        def pretrained(cls, folder: Path):
            return cls.from_pretrained(str(folder), local_files_only=True)

        blip = pretrained(BlipForConditionalGeneration, folders["BLIP"]).to(self.device, self.dtype)
        clip = pretrained(CLIPModel, folders["CLIP"]).to(self.device, self.dtype)
        clip_processor = pretrained(CLIPProcessor, folders["CLIP"])
        terms = [(c, self._text_features(clip, clip_processor, c.terms)) for c in categories()]
        self._loaded = Loaded(folders, blip.eval(), pretrained(BlipProcessor, folders["BLIP"]),
                              clip.eval(), clip_processor, terms)
        return self._loaded

    @torch.inference_mode()
    def _text_features(self, clip, processor, terms: tuple[str, ...]) -> torch.Tensor:
        tokens = processor(text=list(terms), return_tensors="pt", padding=True, truncation=True)
        return _features(clip.get_text_features(**tokens.to(self.device)))

    @torch.inference_mode()
    def interrogate(self, image: Image.Image, model: str, settings: Mapping[str, Any]) -> str:
        """The caption for ``image``; the models stay loaded only with
        ``interrogate_keep_models_in_memory``."""
        loaded = self._load(locate(model, self.models_dir))
        try:
            image = image.convert("RGB")
            inputs = loaded.blip_processor(images=image, return_tensors="pt").to(self.device, self.dtype)
            tokens = loaded.blip.generate(**inputs, num_beams=int(settings["interrogate_clip_num_beams"]),
                                          min_length=int(settings["interrogate_clip_min_length"]),
                                          max_length=int(settings["interrogate_clip_max_length"]))
            caption = loaded.blip_processor.decode(tokens[0], skip_special_tokens=True).strip()
            pixels = loaded.clip_processor(images=image, return_tensors="pt").to(self.device, self.dtype)
            image_features = _features(loaded.clip.get_image_features(**pixels))
            matches = [m for category, text_features in loaded.terms
                       for m in rank(image_features, text_features, category.terms, category.top)]
            return describe(caption, matches, bool(settings["interrogate_return_ranks"]))
        finally:
            if not settings["interrogate_keep_models_in_memory"]:
                self.free()


def _features(output) -> torch.Tensor:
    # transformers 5 returns the projected features as ``pooler_output`` of a model output.
    return output if isinstance(output, torch.Tensor) else output.pooler_output
