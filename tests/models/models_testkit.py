"""Builders of small real safetensors files (and look-alikes) for the models tests."""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Mapping
from pathlib import Path

_CYCLE = bytes(range(256))
BYTES_PER = {"F16": 2, "BF16": 2, "F32": 4, "U8": 1, "F8_E4M3": 1}


def safetensors_bytes(shapes: Mapping[str, tuple[int, ...]], dtype: str = "F16",
                      metadata: Mapping[str, str] | None = None, fill: int = 0) -> bytes:
    """A complete safetensors file; tensor bytes are ``fill`` then a running counter."""
    header, data, offset = {}, bytearray(), 0
    for index, (name, shape) in enumerate(shapes.items()):
        size = math.prod(shape) * BYTES_PER[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        start = (fill + index) % 256
        data += (_CYCLE * (size // 256 + 2))[start:start + size]
        offset += size
    if metadata:
        header["__metadata__"] = dict(metadata)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + bytes(data)


def write_sparse_safetensors(path: Path, shapes: Mapping[str, tuple[int, ...]],
                             dtype: str = "F16") -> Path:
    """A valid file with real-size tensors whose data is a sparse hole: real SDXL shapes, no disk."""
    header, offset = {}, 0
    for name, shape in shapes.items():
        size = math.prod(shape) * BYTES_PER[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(raw)) + raw)
    os.truncate(path, 8 + len(raw) + offset)
    return path


SD1_CHECKPOINT = {
    "model.diffusion_model.input_blocks.0.0.weight": (320, 4, 3, 3),
    "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": (320, 768),
    "first_stage_model.decoder.conv_in.weight": (512, 4, 3, 3),
    "cond_stage_model.transformer.text_model.final_layer_norm.weight": (768,),
}
SD1_INPAINT_CHECKPOINT = {**SD1_CHECKPOINT,
                          "model.diffusion_model.input_blocks.0.0.weight": (320, 9, 3, 3)}
SD2_CHECKPOINT = {
    "model.diffusion_model.input_blocks.0.0.weight": (320, 4, 3, 3),
    "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": (320, 1024),
    "cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight": (3072, 1024),
}
SDXL_CHECKPOINT = {
    "model.diffusion_model.input_blocks.0.0.weight": (320, 4, 3, 3),
    "model.diffusion_model.label_emb.0.0.weight": (1280, 2816),
    "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight": (768,),
    "conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight": (3840, 1280),
    "first_stage_model.decoder.conv_in.weight": (512, 4, 3, 3),
}
SDXL_REFINER = {
    "model.diffusion_model.label_emb.0.0.weight": (1536, 2560),
    "conditioner.embedders.0.model.transformer.resblocks.0.attn.in_proj_weight": (3840, 1280),
}
FLUX_DIT = {  # a bare Flux.1-dev transformer, as Civitai ships "Diffusion Model" files
    "double_blocks.0.img_attn.norm.key_norm.scale": (128,),
    "img_in.weight": (3072, 64),
    "guidance_in.in_layer.weight": (3072, 256),
}
FLUX_FILL = {**FLUX_DIT, "img_in.weight": (3072, 384)}
SD3_CHECKPOINT = {"model.diffusion_model.joint_blocks.0.context_block.attn.qkv.weight": (4608, 1536)}
SD1_LORA = {
    "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight": (4, 768),
    "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_up.weight": (320, 4),
    "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.alpha": (),
}
SDXL_LORA = {
    "lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k.lora_down.weight": (4, 2048),
    "lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k.lora_up.weight": (640, 4),
}
FLUX_LORA = {
    "lora_unet_double_blocks_0_img_attn_proj.lora_down.weight": (2, 3072),
    "lora_unet_double_blocks_0_img_attn_proj.lora_up.weight": (3072, 2),
}
SD1_EMBEDDING = {"emb_params": (4, 768)}
SDXL_EMBEDDING = {"clip_l": (4, 768), "clip_g": (4, 1280)}
SD_VAE = {  # real VAEs hold ~250 encoder/decoder tensors and a handful of others
    **{f"encoder.down.{i}.block.0.conv1.weight": (128, 128, 3, 3) for i in range(10)},
    **{f"decoder.up.{i}.block.0.conv1.weight": (128, 128, 3, 3) for i in range(10)},
    "quant_conv.weight": (8, 8, 1, 1),
}
CONTROLNET = {
    "control_model.input_hint_block.0.weight": (16, 3, 3, 3),
    "control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": (320, 768),
    "control_model.zero_convs.0.0.weight": (320, 320, 1, 1),
}
ESRGAN = {"model.0.weight": (64, 3, 3, 3), "model.1.sub.0.RDB1.conv1.0.weight": (32, 64, 3, 3)}
