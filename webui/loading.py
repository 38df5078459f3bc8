"""Load a user's single-file checkpoint into a diffusers pipeline with no network access at all.

The checkpoint's family comes from sdsetup's detector, its configs from :mod:`webui.configs`, and
the tokenizers from :mod:`webui.tokenizers`; they are written to a throw-away config folder that
``from_single_file(config=…, local_files_only=True)`` reads, which is the only offline mode it has.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path

from sdsetup.models.arch import detect_architecture
from sdsetup.safetensors_header import read_header
from webui.configs import PipelineConfig, YamlHints, parse_yaml_hints, pipeline_config
from webui.errors import CheckpointError
from webui.runtime import Runtime
from webui.tokenizers import clip_tokenizer

log = logging.getLogger("webui")
_TRANSFORMERS = ("text_encoder", "text_encoder_2")


def _ckpt_state(path: Path) -> dict:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types; all mean "not a safe, readable checkpoint"
        raise CheckpointError("run.ckpt_unreadable", hint="run.hint_redownload", path=str(path),
                              reason=type(exc).__name__) from exc
    while isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    return {k: v for k, v in state.items() if hasattr(v, "shape")}


def read_shapes(path: Path, allow_ckpt: bool) -> dict[str, tuple[int, ...]]:
    if path.suffix == ".safetensors":
        return {name: info.shape for name, info in read_header(path).tensors.items()}
    if path.suffix == ".ckpt" and allow_ckpt:
        return {k: tuple(v.shape) for k, v in _ckpt_state(path).items()}
    raise CheckpointError("run.ckpt_pickle_refused", hint="run.hint_allow_ckpt", path=str(path))


def yaml_hints(path: Path) -> YamlHints:
    beside = path.with_suffix(".yaml")
    return parse_yaml_hints(beside.read_text(encoding="utf-8")) if beside.is_file() else YamlHints()


def plan(path: Path, allow_ckpt: bool) -> PipelineConfig:
    """What the checkpoint is and the diffusers configs it needs; reads headers only."""
    shapes = read_shapes(path, allow_ckpt)
    arch = detect_architecture(shapes)
    if arch.kind != "checkpoint":
        raise CheckpointError("run.ckpt_wrong_kind", hint="run.hint_supported", path=str(path),
                              kind=arch.kind)
    return pipeline_config(shapes, arch.family, arch.inpainting, yaml_hints(path))


def write_config_dir(config: PipelineConfig, folder: Path) -> None:
    (folder / "model_index.json").write_text(json.dumps(config.model_index()))
    for name, component in config.components.items():
        sub = folder / name
        sub.mkdir()
        body = dict(component)
        if name in _TRANSFORMERS:
            body.pop("_class_name")  # transformers reads the class from model_index/architectures
        filename = "scheduler_config.json" if name == "scheduler" else "config.json"
        (sub / filename).write_text(json.dumps(body))


def load_pipeline(path: Path, runtime: Runtime, allow_ckpt: bool = False,
                  config: PipelineConfig | None = None):
    """A ready pipeline on ``runtime``'s device; raises CheckpointError for files it cannot use.

    ``config`` is :func:`plan`'s answer when the caller already has it (a .ckpt is then read
    once less). The UNet and VAE are built straight on the device they will run on, in the
    runtime's dtype (``device=``): no fp32 copy, no second copy in RAM, no ``.to()`` afterwards.
    The load time goes to the log.
    """
    import diffusers

    began = time.perf_counter()
    config = config or plan(path, allow_ckpt)
    extra = {"tokenizer": clip_tokenizer()}
    if "text_encoder_2" in config.components:
        extra["tokenizer_2"] = clip_tokenizer(pad_token="!")
    if config.family != "sdxl":
        extra.update(safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    cls = getattr(diffusers, config.pipeline_class)
    with tempfile.TemporaryDirectory(prefix="sdsetup-config-") as folder:
        write_config_dir(config, Path(folder))
        try:
            pipe = cls.from_single_file(str(path), config=folder, local_files_only=True,
                                        torch_dtype=runtime.dtype(), device=runtime.load_device(),
                                        **extra)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError("run.ckpt_unreadable", hint="run.hint_redownload",
                                  path=str(path), reason=str(exc).splitlines()[0][:200]) from exc
    runtime.place(pipe)
    _log_load(path, runtime, began)
    return pipe, config


def _log_load(path: Path, runtime: Runtime, began: float) -> None:
    from sdsetup.i18n import t

    if runtime.device == "cuda":
        import torch

        torch.cuda.synchronize()  # the copies are asynchronous: count them in
    seconds = time.perf_counter() - began
    size = path.stat().st_size
    log.info(t("run.loaded", name=path.name, gb=f"{size / 1e9:.2f}", seconds=f"{seconds:.1f}",
               device=runtime.device, offload=runtime.offload))


def load_vae(path: Path, config: PipelineConfig, runtime: Runtime):
    """A standalone VAE file (A1111's ``models/VAE``), shaped like the loaded checkpoint's VAE."""
    from diffusers import AutoencoderKL

    if path.suffix != ".safetensors":
        raise CheckpointError("run.ckpt_pickle_refused", hint="run.hint_vae_safetensors", path=str(path))
    with tempfile.TemporaryDirectory(prefix="sdsetup-vae-") as folder:
        (Path(folder) / "config.json").write_text(json.dumps(config.components["vae"]))
        try:
            return AutoencoderKL.from_single_file(str(path), config=folder, local_files_only=True,
                                                  torch_dtype=runtime.dtype())
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError("run.ckpt_unreadable", hint="run.hint_redownload",
                                  path=str(path), reason=str(exc).splitlines()[0][:200]) from exc
