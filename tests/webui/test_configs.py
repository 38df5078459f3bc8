"""Configs derived from tensor shapes: standard checkpoints get their published configs exactly."""

from __future__ import annotations

import pytest
import torch

import ldm
from webui import published
from webui.configs import (YamlHints, clip_l_config, parse_yaml_hints, pipeline_config,
                           scheduler_config)
from webui.errors import CheckpointError


def _meta_shapes(module, convert) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in convert(module.state_dict()).items()}


def standard_shapes(family: str) -> dict[str, tuple[int, ...]]:
    """The tensor shapes of a standard checkpoint, from diffusers models built on the meta device."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    unet_cfg = dict(published.UNET[family])
    with torch.device("meta"):
        unet = UNet2DConditionModel(**unet_cfg)
        vae = AutoencoderKL(**published.VAE[family])
        text = CLIPTextModel(CLIPTextConfig(**published.TEXT_ENCODER["sd1"]))
    shapes = _meta_shapes(unet, lambda sd: ldm.unet_to_ldm(sd, unet_cfg["layers_per_block"]))
    shapes.update(_meta_shapes(vae, lambda sd: ldm.vae_to_ldm(sd, 4)))
    prefix = {"sd1": "cond_stage_model.transformer.text_model.",
              "sdxl": "conditioner.embedders.0.transformer.text_model."}.get(family)
    if prefix:
        shapes.update({prefix + k.removeprefix("text_model."): tuple(v.shape)
                       for k, v in text.state_dict().items()})
    if family == "sdxl":  # the second encoder's shapes that matter for the configs
        bigg = "conditioner.embedders.1.model."
        shapes.update({bigg + "token_embedding.weight": (49408, 1280),
                       bigg + "positional_embedding": (77, 1280),
                       bigg + "text_projection": (1280, 1280),
                       **{f"{bigg}transformer.resblocks.{i}.mlp.c_fc.weight": (5120, 1280)
                          for i in range(32)}})
    if family == "sd2":
        oc = "cond_stage_model.model."
        shapes.update({oc + "token_embedding.weight": (49408, 1024),
                       oc + "positional_embedding": (77, 1024),
                       oc + "text_projection": (1024, 1024),
                       **{f"{oc}transformer.resblocks.{i}.mlp.c_fc.weight": (4096, 1024)
                          for i in range(24)}})
    return shapes


@pytest.mark.parametrize("family, pipeline", [("sd1", "StableDiffusionPipeline"),
                                              ("sd2", "StableDiffusionPipeline"),
                                              ("sdxl", "StableDiffusionXLPipeline")])
def test_standard_shapes_get_the_published_configs(family, pipeline):
    config = pipeline_config(standard_shapes(family), family, False, YamlHints())
    assert config.pipeline_class == pipeline
    for name, table in (("unet", published.UNET), ("vae", published.VAE),
                        ("text_encoder", published.TEXT_ENCODER),
                        ("text_encoder_2", published.TEXT_ENCODER_2)):
        if family in table:
            got = config.components[name]
            assert {k: got[k] for k in table[family]} == table[family], name


def test_derivation_alone_matches_the_published_sd15_structure():
    """The shape rules (not the overlay) already give SD1.5's published values."""
    from webui.configs import unet_config, vae_config

    shapes = standard_shapes("sd1")
    unet = unet_config(shapes, "sd1", YamlHints(), None)
    assert {k: unet[k] for k in published.UNET["sd1"]} == published.UNET["sd1"]
    assert {k: v for k, v in vae_config(shapes, "sd1").items() if k in published.VAE["sd1"]} \
        == published.VAE["sd1"]
    assert {k: v for k, v in clip_l_config(shapes).items() if k in published.TEXT_ENCODER["sd1"]} \
        == published.TEXT_ENCODER["sd1"]


def test_inpainting_sd15_keeps_nine_input_channels():
    shapes = standard_shapes("sd1")
    shapes["model.diffusion_model.input_blocks.0.0.weight"] = (320, 9, 3, 3)
    config = pipeline_config(shapes, "sd1", True, YamlHints())
    assert config.pipeline_class == "StableDiffusionInpaintPipeline"
    assert config.components["unet"]["in_channels"] == 9
    assert config.components["unet"]["attention_head_dim"] == 8


def test_unusual_shapes_get_a_config_that_fits(tiny_checkpoints):
    from webui.loading import read_shapes

    config = pipeline_config(read_shapes(tiny_checkpoints["tiny"], False), "unknown", False,
                             YamlHints())
    unet = config.components["unet"]
    assert unet["block_out_channels"] == [32, 64] and unet["layers_per_block"] == 1
    assert unet["cross_attention_dim"] == 32 and unet["attention_head_dim"] == 8
    assert unet["down_block_types"] == ["CrossAttnDownBlock2D", "DownBlock2D"]
    assert unet["up_block_types"] == ["UpBlock2D", "CrossAttnUpBlock2D"]
    text = config.components["text_encoder"]
    assert (text["vocab_size"], text["hidden_size"], text["num_hidden_layers"]) == (49408, 32, 2)


def test_missing_text_encoder_is_named():
    shapes = {k: v for k, v in standard_shapes("sd1").items() if not k.startswith("cond_stage")}
    with pytest.raises(CheckpointError) as err:
        pipeline_config(shapes, "sd1", False, YamlHints())
    assert err.value.key == "run.ckpt_missing_tensor"


@pytest.mark.parametrize("text, hints", [
    ("model:\n  params:\n    parameterization: \"v\"\n", YamlHints(v_prediction=True)),
    ("model:\n  params:\n    parameterization: eps\n", YamlHints(v_prediction=False)),
    ("unet_config:\n  params:\n    num_heads: 8\n    num_head_channels: -1\n", YamlHints(num_heads=8)),
    ("    num_head_channels: 64 # comment\n", YamlHints(num_head_channels=64)),
    ("zero_terminal_snr: True\n", YamlHints(zero_snr=True)),
    ("", YamlHints()),
])
def test_yaml_hints(text, hints):
    assert parse_yaml_hints(text) == hints


def test_v_prediction_yaml_sets_the_scheduler():
    assert scheduler_config(YamlHints(v_prediction=True, zero_snr=True), "sdxl")["prediction_type"] \
        == "v_prediction"
    assert scheduler_config(YamlHints(), "sd1")["prediction_type"] == "epsilon"
