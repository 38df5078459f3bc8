"""What ``/loras`` and ``/embeddings`` report about files on disk, as A1111 1.10 reports it.

A LoRA's ``metadata`` is its safetensors ``__metadata__`` with the values that hold JSON objects
parsed (A1111 ``sd_models.read_metadata_from_safetensors``), and its ``alias`` is the
``ss_output_name`` kohya wrote, else the file name. An embedding's ``shape`` is the width of one
vector and ``vectors`` how many it has (``textual_inversion.py``'s three file layouts).
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from sdsetup.safetensors_header import InvalidSafetensors, read_header


def parse_metadata(raw: Mapping[str, str]) -> dict[str, Any]:
    """``__metadata__`` values that look like JSON objects become objects; the rest stay text."""
    parsed: dict[str, Any] = {}
    for key, value in raw.items():
        parsed[key] = value
        if isinstance(value, str) and value.startswith("{"):
            try:
                parsed[key] = json.loads(value)
            except ValueError:
                pass
    return parsed


def lora_item(path: Path) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if path.suffix.lower() == ".safetensors":
        try:
            metadata = parse_metadata(read_header(path).metadata)
        except (InvalidSafetensors, OSError):
            metadata = {}
    alias = metadata.get("ss_output_name")
    return {"name": path.stem, "alias": alias if isinstance(alias, str) and alias else path.stem,
            "path": str(path), "metadata": metadata}


def embedding_shape(tensors: Mapping[str, tuple[int, ...]]) -> tuple[int, int] | None:
    """(width, vectors) of an embedding from its tensors' shapes; None if A1111 cannot read it.

    ``string_to_param.*`` is A1111's own .pt layout, ``clip_g``+``clip_l`` an SDXL embedding
    (the widths add up), and a file with one tensor (``emb_params``) a diffusers concept.
    """
    own = [shape for name, shape in tensors.items() if name.startswith("string_to_param.")]
    if own:
        return _width_and_count(own[0])
    if "clip_g" in tensors and "clip_l" in tensors:
        g, l_ = tensors["clip_g"], tensors["clip_l"]
        return (g[-1] + l_[-1], g[0] if len(g) > 1 else 1) if g and l_ else None
    if len(tensors) == 1:
        return _width_and_count(next(iter(tensors.values())))
    return None


def _width_and_count(shape: tuple[int, ...]) -> tuple[int, int] | None:
    if not shape:
        return None
    return (shape[-1], 1) if len(shape) == 1 else (shape[-1], shape[0])


def _pickled_embedding(path: Path) -> tuple[dict[str, tuple[int, ...]], dict[str, Any]]:
    import torch

    data = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(data, dict):
        return {}, {}
    tensors = {k: tuple(v.shape) for k, v in data.items() if isinstance(v, torch.Tensor)}
    params = data.get("string_to_param")
    if isinstance(params, dict):
        tensors.update({f"string_to_param.{k}": tuple(v.shape) for k, v in params.items()
                        if isinstance(v, torch.Tensor)})
    return tensors, data


def describe_embedding(path: Path) -> dict[str, Any] | None:
    """A1111's ``EmbeddingItem`` for ``path``, or None when it is no embedding A1111 could read.

    Kept per (size, mtime): clients poll ``/embeddings``, and a .pt file has to be unpickled.
    """
    try:
        stat = path.stat()
    except OSError:
        return None
    return _describe(path, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=1024)
def _describe(path: Path, file_size: int, mtime_ns: int) -> dict[str, Any] | None:
    """(file_size, mtime_ns) only key the cache: a changed file is read again."""
    try:
        if path.suffix.lower() == ".safetensors":
            tensors, data = read_header(path).shapes(), {}
        else:
            tensors, data = _pickled_embedding(path)
    except (InvalidSafetensors, OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError):
        return None
    found = embedding_shape(tensors)
    if found is None:
        return None

    def known(key: str, kind: type) -> Any:
        value = data.get(key)
        return value if isinstance(value, kind) and not isinstance(value, bool) else None

    return {"step": known("step", int), "sd_checkpoint": known("sd_checkpoint", str),
            "sd_checkpoint_name": known("sd_checkpoint_name", str), "shape": found[0],
            "vectors": found[1]}
