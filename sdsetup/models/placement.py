"""Where a model goes in the AUTOMATIC1111 / Forge layout, and under which name.

The layout root holds ``models/``, ``embeddings/`` and ``extensions/``; ``--models-dir`` points at an
existing install's ``models/`` folder, whose parent is then the root. Folders are chosen by Civitai's
file type first (a VAE shipped inside a checkpoint version is still a VAE), then its model type;
``--type`` and ``--dest`` override both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from sdsetup.download.names import safe_filename
from sdsetup.home import Home
from sdsetup.models.errors import ModelError


@dataclass(frozen=True)
class Layout:
    root: Path
    models: Path
    embeddings: Path

    @classmethod
    def of(cls, home: Home, models_dir: Path | None = None) -> Layout:
        if models_dir is None:
            return cls(home.root, home.models_dir, home.embeddings_dir)
        models = models_dir.expanduser().absolute()
        return cls(models.parent, models, models.parent / "embeddings")


# Canonical type -> folder relative to the layout root (civitai.md §5).
FOLDERS: Mapping[str, str] = MappingProxyType({
    "checkpoint": "models/Stable-diffusion",
    "lora": "models/Lora",
    "embedding": "embeddings",
    "hypernetwork": "models/hypernetworks",
    "vae": "models/VAE",
    "controlnet": "models/ControlNet",
    "upscaler": "models/ESRGAN",
    "motionmodule": "extensions/sd-webui-animatediff/model",
    "detection": "models/adetailer",
    "aestheticgradient": "extensions/stable-diffusion-webui-aesthetic-gradients/aesthetic_embeddings",
    "wildcards": "extensions/sd-dynamic-prompts/wildcards",
    "textencoder": "models/text_encoder",
    "other": "models/Other",
})

# Hugging Face model folders (config.json's model_type -> folder under models/): what A1111's
# interrogate reads. A separate table from FOLDERS: there "clip" means a text encoder file.
MODEL_FOLDERS: Mapping[str, str] = MappingProxyType({"blip": "BLIP", "clip": "CLIP"})

# Civitai model types, file types, AIR types and everyday words -> canonical type.
_ALIASES: Mapping[str, str] = MappingProxyType({
    "checkpoint": "checkpoint", "ckpt": "checkpoint", "model": "checkpoint",
    "pruned model": "checkpoint", "diffusion model": "checkpoint", "diffusionmodel": "checkpoint",
    "unet": "checkpoint", "config": "checkpoint",
    "lora": "lora", "locon": "lora", "dora": "lora", "lycoris": "lora",
    "textualinversion": "embedding", "embedding": "embedding", "ti": "embedding",
    "negative": "embedding",
    "hypernetwork": "hypernetwork", "hypernet": "hypernetwork",
    "vae": "vae",
    "controlnet": "controlnet",
    "upscaler": "upscaler", "esrgan": "upscaler",
    "motionmodule": "motionmodule", "motion": "motionmodule",
    "detection": "detection", "adetailer": "detection",
    "aestheticgradient": "aestheticgradient", "ag": "aestheticgradient",
    "wildcards": "wildcards",
    "textencoder": "textencoder", "text encoder": "textencoder", "text_encoders": "textencoder",
    "clip": "textencoder",
    "other": "other", "poses": "other", "workflows": "other", "comfyworkflows": "other",
    "training data": "other", "archive": "other", "workflow": "other",
})

# File types that say nothing about the folder: the model type decides.
_NEUTRAL_FILE_TYPES = frozenset({"model", "pruned model", ""})


def canonical_type(name: str) -> str | None:
    return _ALIASES.get(name.strip().lower())


def route(model_type: str, file_type: str = "") -> str:
    """The canonical type of a Civitai file: its file type when that is telling, else the model's."""
    by_file = None if file_type.strip().lower() in _NEUTRAL_FILE_TYPES else canonical_type(file_type)
    return by_file or canonical_type(model_type) or "other"


def folder(layout: Layout, kind: str) -> Path:
    if kind == "embedding":
        return layout.embeddings
    relative = FOLDERS[kind]
    if relative.startswith("models/"):
        return layout.models / relative.removeprefix("models/")
    return layout.root / relative


def model_folder(layout: Layout, kind: str) -> Path:
    return layout.models / MODEL_FOLDERS[kind]


def target_name(name: str) -> str:
    """The API's file name made safe; refuses what sanitising would reduce to nothing."""
    safe = safe_filename(name)
    if not Path(safe).suffix:
        raise ModelError("models.bad_file_name", hint="models.hint_dest", name=name)
    return safe


def sidecar(path: Path, suffix: str) -> Path:
    """``<stem><suffix>`` beside the model, e.g. ``<stem>.civitai.json``, ``<stem>.preview.png``."""
    return path.with_name(path.stem + suffix)
