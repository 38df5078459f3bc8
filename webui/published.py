"""The published diffusers configurations of the standard SD checkpoints, as data.

These are the values in the ``unet``/``vae``/``text_encoder`` folders of the SD 1.5, SD 2.1
(768, v-prediction) and SDXL base 1.0 diffusers repositories. A checkpoint whose shapes match
one of them gets exactly these values, including what shapes cannot show (head counts, sample
size, attention upcasting); :mod:`webui.configs` fits anything else to its shapes.
"""

from __future__ import annotations

from typing import Any

_SD_UNET = {"act_fn": "silu", "center_input_sample": False, "downsample_padding": 1,
            "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2,
            "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4}
_SD_VAE = {"act_fn": "silu", "in_channels": 3, "latent_channels": 4, "layers_per_block": 2,
           "norm_num_groups": 32, "out_channels": 3, "block_out_channels": [128, 256, 512, 512],
           "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4}
_CLIP_L = {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
           "num_attention_heads": 12, "max_position_embeddings": 77, "vocab_size": 49408,
           "hidden_act": "quick_gelu", "projection_dim": 768}

UNET: dict[str, dict[str, Any]] = {
    "sd1": {**_SD_UNET, "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280],
            "cross_attention_dim": 768,
            "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
            "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
            "sample_size": 64, "use_linear_projection": False, "upcast_attention": False},
    "sd2": {**_SD_UNET, "attention_head_dim": [5, 10, 20, 20],
            "block_out_channels": [320, 640, 1280, 1280], "cross_attention_dim": 1024,
            "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
            "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
            "sample_size": 96, "use_linear_projection": True, "upcast_attention": True},
    "sdxl": {**_SD_UNET, "attention_head_dim": [5, 10, 20], "block_out_channels": [320, 640, 1280],
             "cross_attention_dim": 2048,
             "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
             "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
             "transformer_layers_per_block": [1, 2, 10], "addition_embed_type": "text_time",
             "addition_time_embed_dim": 256, "projection_class_embeddings_input_dim": 2816,
             "sample_size": 128, "use_linear_projection": True, "upcast_attention": False},
}

VAE: dict[str, dict[str, Any]] = {
    "sd1": {**_SD_VAE, "sample_size": 512, "scaling_factor": 0.18215, "force_upcast": False},
    "sd2": {**_SD_VAE, "sample_size": 768, "scaling_factor": 0.18215, "force_upcast": False},
    "sdxl": {**_SD_VAE, "sample_size": 1024, "scaling_factor": 0.13025, "force_upcast": True},
}

TEXT_ENCODER: dict[str, dict[str, Any]] = {
    "sd1": _CLIP_L,
    "sd2": {"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 23,
            "num_attention_heads": 16, "max_position_embeddings": 77, "vocab_size": 49408,
            "hidden_act": "gelu", "projection_dim": 512},
    "sdxl": _CLIP_L,
}

TEXT_ENCODER_2: dict[str, dict[str, Any]] = {
    "sdxl": {"hidden_size": 1280, "intermediate_size": 5120, "num_hidden_layers": 32,
             "num_attention_heads": 20, "max_position_embeddings": 77, "vocab_size": 49408,
             "hidden_act": "gelu", "projection_dim": 1280},
}

# The keys that tensor shapes determine: when these agree, the rest of the published config applies.
STRUCTURE = ("block_out_channels", "cross_attention_dim", "in_channels", "out_channels",
             "layers_per_block", "down_block_types", "up_block_types", "latent_channels",
             "hidden_size", "intermediate_size", "vocab_size", "max_position_embeddings",
             "transformer_layers_per_block", "projection_class_embeddings_input_dim")


def standard(table: dict[str, dict[str, Any]], family: str, derived: dict[str, Any]) -> dict[str, Any]:
    """``derived`` with the published values laid over it when its structure is the standard one.

    An inpainting UNet differs only in its input channels, which are kept from the shapes.
    """
    published = table.get(family)
    if published is None:
        return derived
    if any(published.get(k) != derived.get(k) for k in STRUCTURE if k != "in_channels"):
        return derived
    return {**derived, **published, "in_channels": derived["in_channels"]} \
        if "in_channels" in derived else {**derived, **published}
