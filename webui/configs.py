"""diffusers configs for a single-file (A1111/LDM layout) checkpoint, derived from its tensor shapes.

``from_single_file`` needs a diffusers config folder, and without one it goes to the Hub. Most of a
UNet/VAE/CLIP config is visible in the shapes (channels, block counts, context width, transformer
depth); the rest (head counts, sample size, VAE scaling) follows the family's published
configuration, and a same-stem ``.yaml`` beside the checkpoint (A1111's convention) may override
what it states. Everything here is pure: shapes and yaml text in, plain dicts out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from webui import published
from webui.errors import CheckpointError

Shapes = Mapping[str, tuple[int, ...]]
UNET = "model.diffusion_model."
VAE = "first_stage_model."
CLIP_L = ("cond_stage_model.transformer.text_model.", "conditioner.embedders.0.transformer.text_model.")
OPEN_CLIP_SD2 = "cond_stage_model.model."
OPEN_CLIP_SDXL = "conditioner.embedders.1.model."

# Facts of the published SD configurations that tensor shapes cannot show.
_SD_BETAS = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "num_train_timesteps": 1000}
_SD1_HEADS = 8          # LDM v1 configs: num_heads 8 at every level
_HEAD_CHANNELS = 64     # SD2/SDXL configs: num_head_channels 64
_SDXL_TIME_IDS = 6      # original size, crop offset and target size, two numbers each
_VAE_SCALING = {"sd1": 0.18215, "sd2": 0.18215, "sdxl": 0.13025}
_VAE_SAMPLE = {"sd1": 512, "sd2": 768, "sdxl": 1024}
# Families the UI can run and the pipeline class each needs.
PIPELINES = {"sd1": "StableDiffusionPipeline", "sd2": "StableDiffusionPipeline",
             "sdxl": "StableDiffusionXLPipeline"}
INPAINT_PIPELINES = {"sd1": "StableDiffusionInpaintPipeline",
                     "sd2": "StableDiffusionInpaintPipeline",
                     "sdxl": "StableDiffusionXLInpaintPipeline"}


@dataclass(frozen=True)
class YamlHints:
    """What an A1111 ``<stem>.yaml`` decides for us (None = not stated)."""

    v_prediction: bool | None = None
    num_heads: int | None = None
    num_head_channels: int | None = None
    zero_snr: bool | None = None


@dataclass(frozen=True)
class PipelineConfig:
    """Everything ``from_single_file`` needs, as the JSON documents of a diffusers config folder."""

    family: str
    inpainting: bool
    pipeline_class: str
    components: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def model_index(self) -> dict[str, Any]:
        libraries = {"unet": "diffusers", "vae": "diffusers", "scheduler": "diffusers",
                     "text_encoder": "transformers", "text_encoder_2": "transformers",
                     "tokenizer": "transformers", "tokenizer_2": "transformers"}
        classes = {"tokenizer": "CLIPTokenizer", "tokenizer_2": "CLIPTokenizer"}
        index: dict[str, Any] = {"_class_name": self.pipeline_class}
        for name, config in self.components.items():
            index[name] = [libraries[name], config["_class_name"]]
        for name in ("tokenizer", "tokenizer_2"):
            if name.replace("tokenizer", "text_encoder") in self.components:
                index[name] = [libraries[name], classes[name]]
        if self.family != "sdxl":
            index.update(safety_checker=[None, None], feature_extractor=[None, None],
                         requires_safety_checker=False)
        return index


def parse_yaml_hints(text: str) -> YamlHints:
    """Read the few settings that matter from an LDM ``.yaml`` without a YAML dependency.

    The files are machine-written and flat enough that ``key: value`` lines are reliable.
    """
    def value(key: str) -> str | None:
        match = re.search(rf"^\s*{key}\s*:\s*([^\s#]+)", text, re.MULTILINE)
        return match.group(1).strip("'\"") if match else None

    parameterization = value("parameterization")
    heads, head_channels = value("num_heads"), value("num_head_channels")
    zero_snr = value("zero_terminal_snr") or value("rescale_betas_zero_snr")

    def positive(raw: str | None) -> int | None:
        return int(raw) if raw and raw.lstrip("-").isdigit() and int(raw) > 0 else None

    return YamlHints(
        v_prediction=None if parameterization is None else parameterization == "v",
        num_heads=positive(heads), num_head_channels=positive(head_channels),
        zero_snr=None if zero_snr is None else zero_snr.lower() == "true",
    )


def _sub(shapes: Shapes, prefix: str) -> dict[str, tuple[int, ...]]:
    return {k[len(prefix):]: v for k, v in shapes.items() if k.startswith(prefix)}


def _indices(keys, pattern: str) -> list[int]:
    rx = re.compile(pattern)
    return sorted({int(m.group(1)) for k in keys if (m := rx.match(k))})


def _require(shapes: Shapes, key: str, where: str) -> tuple[int, ...]:
    if key not in shapes:
        raise CheckpointError("run.ckpt_missing_tensor", tensor=where + key)
    return shapes[key]


@dataclass(frozen=True)
class _Level:
    channels: int
    resnets: int
    attention: bool
    depth: int


def _down_levels(unet: Shapes) -> list[_Level]:
    levels: list[_Level] = []
    current: list[tuple[int, bool, int]] = []
    for i in _indices(unet, r"input_blocks\.(\d+)\.")[1:]:
        if f"input_blocks.{i}.0.op.weight" in unet:
            levels.append(_level(current))
            current = []
            continue
        channels = _require(unet, f"input_blocks.{i}.0.in_layers.2.weight", UNET)[0]
        depth = len(_indices(unet, rf"input_blocks\.{i}\.1\.transformer_blocks\.(\d+)\."))
        current.append((channels, depth > 0, depth))
    levels.append(_level(current))
    return levels


def _level(blocks: list[tuple[int, bool, int]]) -> _Level:
    if not blocks:
        raise CheckpointError("run.ckpt_missing_tensor", tensor=UNET + "input_blocks")
    return _Level(channels=blocks[0][0], resnets=len(blocks), attention=blocks[0][1],
                  depth=max(1, blocks[0][2]))


def _up_has_attention(unet: Shapes, levels: int, layers: int) -> list[bool]:
    return [any(f"output_blocks.{(layers + 1) * i + j}.1.transformer_blocks.0.attn1.to_q.weight"
                in unet for j in range(layers + 1)) for i in range(levels)]


def _heads(channels: list[int], linear: bool, hints: YamlHints) -> int | list[int]:
    """diffusers' ``attention_head_dim`` is, for SD UNets, the number of heads per level."""
    if hints.num_head_channels:
        return [max(1, c // hints.num_head_channels) for c in channels]
    if hints.num_heads:
        return hints.num_heads
    if linear and all(c % _HEAD_CHANNELS == 0 for c in channels):
        return [c // _HEAD_CHANNELS for c in channels]
    return _SD1_HEADS if all(c % _SD1_HEADS == 0 for c in channels) else 1


def unet_config(shapes: Shapes, family: str, hints: YamlHints, pooled_dim: int | None) -> dict:
    unet = _sub(shapes, UNET)
    conv_in = _require(unet, "input_blocks.0.0.weight", UNET)
    levels = _down_levels(unet)
    layers = levels[0].resnets
    channels = [lv.channels for lv in levels]
    first_attn = next((k for k in unet if k.endswith("transformer_blocks.0.attn2.to_k.weight")), None)
    if first_attn is None:
        raise CheckpointError("run.ckpt_missing_tensor", tensor=UNET + "…attn2.to_k.weight")
    proj_in = unet[first_attn.split("transformer_blocks.")[0] + "proj_in.weight"]
    linear = len(proj_in) == 2
    up_attention = _up_has_attention(unet, len(levels), layers)
    config: dict[str, Any] = {
        "_class_name": "UNet2DConditionModel",
        "act_fn": "silu",
        "attention_head_dim": _heads(channels, linear, hints),
        "block_out_channels": channels,
        "center_input_sample": False,
        "cross_attention_dim": unet[first_attn][1],
        "down_block_types": ["CrossAttnDownBlock2D" if lv.attention else "DownBlock2D"
                             for lv in levels],
        "downsample_padding": 1,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": conv_in[1],
        "layers_per_block": layers,
        "mid_block_scale_factor": 1,
        "norm_eps": 1e-05,
        "norm_num_groups": 32,
        "out_channels": _require(unet, "out.2.weight", UNET)[0],
        "sample_size": 128 if family == "sdxl" else 96 if hints.v_prediction and family == "sd2" else 64,
        "up_block_types": ["CrossAttnUpBlock2D" if a else "UpBlock2D" for a in up_attention],
        "use_linear_projection": linear,
        "upcast_attention": family == "sd2",
    }
    depths = [lv.depth for lv in levels]
    if any(d != 1 for d in depths):
        config["transformer_layers_per_block"] = depths
    label = unet.get("label_emb.0.0.weight")
    if label is not None:
        if not pooled_dim:
            raise CheckpointError("run.ckpt_missing_tensor", tensor=OPEN_CLIP_SDXL + "text_projection")
        config.update(addition_embed_type="text_time",
                      addition_time_embed_dim=(label[1] - pooled_dim) // _SDXL_TIME_IDS,
                      projection_class_embeddings_input_dim=label[1])
    return config


def vae_config(shapes: Shapes, family: str) -> dict:
    vae = _sub(shapes, VAE)
    downs = _indices(vae, r"encoder\.down\.(\d+)\.")
    if not downs:
        raise CheckpointError("run.ckpt_missing_tensor", tensor=VAE + "encoder.down.0")
    channels = [_require(vae, f"encoder.down.{i}.block.0.conv2.weight", VAE)[0] for i in downs]
    return {
        "_class_name": "AutoencoderKL",
        "act_fn": "silu",
        "block_out_channels": channels,
        "down_block_types": ["DownEncoderBlock2D"] * len(channels),
        "in_channels": _require(vae, "encoder.conv_in.weight", VAE)[1],
        "latent_channels": _require(vae, "decoder.conv_in.weight", VAE)[1],
        "layers_per_block": len(_indices(vae, r"encoder\.down\.0\.block\.(\d+)\.")),
        "norm_num_groups": 32,
        "out_channels": _require(vae, "decoder.conv_out.weight", VAE)[0],
        "sample_size": _VAE_SAMPLE.get(family, 512),
        "scaling_factor": _VAE_SCALING.get(family, 0.18215),
        "force_upcast": family == "sdxl",
        "up_block_types": ["UpDecoderBlock2D"] * len(channels),
    }


def _clip_heads(hidden: int) -> int:
    return next(h for h in (hidden // _HEAD_CHANNELS, 8, 4, 2, 1) if h >= 1 and hidden % h == 0)


def _text_config(cls: str, hidden: int, layers: int, intermediate: int, vocab: int, positions: int,
                 act: str, projection: int) -> dict:
    return {"_class_name": cls, "architectures": [cls], "hidden_size": hidden,
            "intermediate_size": intermediate, "num_hidden_layers": layers,
            "num_attention_heads": _clip_heads(hidden), "max_position_embeddings": positions,
            "vocab_size": vocab, "hidden_act": act, "projection_dim": projection,
            "layer_norm_eps": 1e-05, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1,
            "attention_dropout": 0.0, "dropout": 0.0, "initializer_factor": 1.0,
            "initializer_range": 0.02, "model_type": "clip_text_model"}


def clip_l_config(shapes: Shapes) -> dict | None:
    """OpenAI CLIP ViT-L (SD1.x, and SDXL's first encoder), stored in transformers layout."""
    prefix = next((p for p in CLIP_L if p + "embeddings.token_embedding.weight" in shapes), None)
    if prefix is None:
        return None
    te = _sub(shapes, prefix)
    vocab, hidden = te["embeddings.token_embedding.weight"]
    return _text_config("CLIPTextModel", hidden, len(_indices(te, r"encoder\.layers\.(\d+)\.")),
                        _require(te, "encoder.layers.0.mlp.fc1.weight", prefix)[0], vocab,
                        _require(te, "embeddings.position_embedding.weight", prefix)[0],
                        "quick_gelu", hidden)


def open_clip_config(shapes: Shapes, prefix: str, with_projection: bool) -> dict | None:
    """OpenCLIP ViT-H (SD2.x) or bigG (SDXL's second encoder), stored in open_clip layout."""
    if prefix + "token_embedding.weight" not in shapes:
        return None
    oc = _sub(shapes, prefix)
    vocab, hidden = oc["token_embedding.weight"]
    blocks = len(_indices(oc, r"transformer\.resblocks\.(\d+)\."))
    projection = oc.get("text_projection", (hidden, hidden))[1]
    # SD2 conditions on the penultimate layer, so diffusers' published config drops the last block.
    layers = blocks if with_projection else blocks - 1
    cls = "CLIPTextModelWithProjection" if with_projection else "CLIPTextModel"
    return _text_config(cls, hidden, layers,
                        _require(oc, "transformer.resblocks.0.mlp.c_fc.weight", prefix)[0], vocab,
                        _require(oc, "positional_embedding", prefix)[0], "gelu", projection)


def scheduler_config(hints: YamlHints, family: str) -> dict:
    return {"_class_name": "EulerDiscreteScheduler", **_SD_BETAS,
            "prediction_type": "v_prediction" if hints.v_prediction else "epsilon",
            "rescale_betas_zero_snr": bool(hints.zero_snr),
            "steps_offset": 1, "timestep_spacing": "leading" if family == "sdxl" else "linspace",
            "interpolation_type": "linear", "use_karras_sigmas": False}


def _layout(shapes: Shapes, family: str) -> str:
    """The pipeline layout of an unrecognised checkpoint, from where its text encoders live."""
    if OPEN_CLIP_SDXL + "token_embedding.weight" in shapes:
        return "sdxl"
    if OPEN_CLIP_SD2 + "token_embedding.weight" in shapes:
        return "sd2"
    if any(p + "embeddings.token_embedding.weight" in shapes for p in CLIP_L):
        return "sd1"
    raise CheckpointError("run.ckpt_unsupported_family", hint="run.hint_supported", family=family)


def pipeline_config(shapes: Shapes, family: str, inpainting: bool, hints: YamlHints) -> PipelineConfig:
    """The diffusers config folder for a checkpoint of a detected ``family``.

    A checkpoint the detector cannot place (unusual widths, such as the tests' tiny model) is
    still loadable when its key layout is one the pipelines know; its configs then fit its shapes.
    """
    family = family if family in PIPELINES else _layout(shapes, family)
    components: dict[str, dict] = {}
    if family == "sd2":
        text = open_clip_config(shapes, OPEN_CLIP_SD2, with_projection=False)
    else:
        text = clip_l_config(shapes)
    if text is None:
        raise CheckpointError("run.ckpt_missing_tensor", tensor="text encoder (cond_stage_model.*)")
    components["text_encoder"] = text
    pooled = None
    if family == "sdxl":
        second = open_clip_config(shapes, OPEN_CLIP_SDXL, with_projection=True)
        if second is None:
            raise CheckpointError("run.ckpt_missing_tensor", tensor=OPEN_CLIP_SDXL + "token_embedding.weight")
        components["text_encoder_2"] = second
        pooled = second["projection_dim"]
    components["unet"] = unet_config(shapes, family, hints, pooled)
    components["vae"] = vae_config(shapes, family)
    for name, table in (("unet", published.UNET), ("vae", published.VAE),
                        ("text_encoder", published.TEXT_ENCODER),
                        ("text_encoder_2", published.TEXT_ENCODER_2)):
        if name in components:
            components[name] = published.standard(table, family, components[name])
    components["scheduler"] = scheduler_config(hints, family)
    table = INPAINT_PIPELINES if inpainting else PIPELINES
    return PipelineConfig(family, inpainting, table[family], components)
