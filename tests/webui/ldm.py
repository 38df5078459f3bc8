"""Test helper: a tiny random-weight SD1.x pipeline written as an A1111-style single-file checkpoint.

diffusers ships only the LDM → diffusers converters, so this inverts them for the generic case
(any block count and ``layers_per_block``); the mapping is in testing-offline.md §6. The tiny model
keeps the real CLIP vocabulary size so the UI's bundled tokenizer serves it.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

_RESNET = {"norm1": "in_layers.0", "conv1": "in_layers.2", "norm2": "out_layers.0",
           "conv2": "out_layers.3", "time_emb_proj": "emb_layers.1", "conv_shortcut": "skip_connection"}
_VAE_ATTN = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def _resnet(rest: str) -> str:
    name, _, tail = rest.partition(".")
    return f"{_RESNET[name]}.{tail}"


def unet_to_ldm(state: dict, layers: int) -> dict:
    out = {}
    top = {"time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2",
           "add_embedding.linear_1": "label_emb.0.0", "add_embedding.linear_2": "label_emb.0.2",
           "conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2"}
    for key, value in state.items():
        head, _, param = key.rpartition(".")
        if head in top:
            new = f"{top[head]}.{param}"
        elif m := re.match(r"(down|up)_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.*)", key):
            target, offset = ("input_blocks", 1) if m[1] == "down" else ("output_blocks", 0)
            index = (layers + 1) * int(m[2]) + int(m[4]) + offset
            new = (f"{target}.{index}.0.{_resnet(m[5])}" if m[3] == "resnets"
                   else f"{target}.{index}.1.{m[5]}")
        elif m := re.match(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.*)", key):
            new = f"input_blocks.{(layers + 1) * (int(m[1]) + 1)}.0.op.{m[2]}"
        elif m := re.match(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.*)", key):
            i = int(m[1])
            has_attn = any(k.startswith(f"up_blocks.{i}.attentions.") for k in state)
            new = f"output_blocks.{(layers + 1) * i + layers}.{2 if has_attn else 1}.conv.{m[2]}"
        elif m := re.match(r"mid_block\.resnets\.(\d+)\.(.*)", key):
            new = f"middle_block.{2 * int(m[1])}.{_resnet(m[2])}"
        elif m := re.match(r"mid_block\.attentions\.0\.(.*)", key):
            new = f"middle_block.1.{m[1]}"
        else:
            raise KeyError(key)
        out["model.diffusion_model." + new] = value
    return out


def _vae_resnet(rest: str) -> str:
    return rest.replace("conv_shortcut", "nin_shortcut")


def vae_to_ldm(state: dict, blocks: int) -> dict:
    out = {}
    for key, value in state.items():
        new = key
        if m := re.match(r"(encoder|decoder)\.(?:down|up)_blocks\.(\d+)\.(.*)", key):
            # LDM numbers the decoder's levels from the bottom, diffusers from the top.
            level = int(m[2]) if m[1] == "encoder" else blocks - 1 - int(m[2])
            rest = re.sub(r"^resnets\.(\d+)\.", r"block.\1.", m[3])
            rest = re.sub(r"^(down|up)samplers\.0\.", r"\1sample.", rest)
            new = f"{m[1]}.{'down' if m[1] == 'encoder' else 'up'}.{level}.{_vae_resnet(rest)}"
        elif m := re.match(r"(encoder|decoder)\.mid_block\.resnets\.(\d+)\.(.*)", key):
            new = f"{m[1]}.mid.block_{int(m[2]) + 1}.{_vae_resnet(m[3])}"
        elif m := re.match(r"(encoder|decoder)\.mid_block\.attentions\.0\.(.*)\.(weight|bias)", key):
            new = f"{m[1]}.mid.attn_1.{_VAE_ATTN[m[2]]}.{m[3]}"
            if m[3] == "weight" and value.ndim == 2:
                value = value[:, :, None, None]
        new = new.replace("conv_norm_out", "norm_out")
        out["first_stage_model." + new] = value
    return out


def tiny_pipeline(seed: int = 0, in_channels: int = 4):
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from webui.tokenizers import clip_tokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=in_channels, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32,
        attention_head_dim=8, norm_num_groups=32)
    vae = AutoencoderKL(block_out_channels=(32, 64), in_channels=3, out_channels=3,
                        down_block_types=("DownEncoderBlock2D",) * 2,
                        up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4,
                        layers_per_block=1, norm_num_groups=32)
    text = CLIPTextModel(CLIPTextConfig(
        vocab_size=49408, hidden_size=32, intermediate_size=37, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=77, bos_token_id=0, eos_token_id=2,
        pad_token_id=1, hidden_act="quick_gelu", projection_dim=32))
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012,
                                       beta_schedule="scaled_linear", steps_offset=1)
    return StableDiffusionPipeline(vae=vae, text_encoder=text, tokenizer=clip_tokenizer(), unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)


def open_clip_to_ldm(state: dict, prefix: str) -> dict:
    """A transformers CLIPTextModelWithProjection in open_clip's layout (SDXL's second encoder)."""
    out, qkv = {}, {}
    top = {"embeddings.token_embedding.weight": "token_embedding.weight",
           "embeddings.position_embedding.weight": "positional_embedding",
           "final_layer_norm.weight": "ln_final.weight", "final_layer_norm.bias": "ln_final.bias"}
    inner = {"layer_norm1": "ln_1", "layer_norm2": "ln_2", "mlp.fc1": "mlp.c_fc",
             "mlp.fc2": "mlp.c_proj", "self_attn.out_proj": "attn.out_proj"}
    for key, value in state.items():
        key = key.removeprefix("text_model.")
        if key == "text_projection.weight":
            out["text_projection"] = value.T
        elif key in top:
            out[top[key]] = value
        elif m := re.match(r"encoder\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(weight|bias)", key):
            qkv.setdefault((m[1], m[3]), {})[m[2]] = value
        elif m := re.match(r"encoder\.layers\.(\d+)\.(.*)\.(weight|bias)", key):
            out[f"transformer.resblocks.{m[1]}.{inner[m[2]]}.{m[3]}"] = value
        else:
            raise KeyError(key)
    for (layer, param), parts in qkv.items():
        out[f"transformer.resblocks.{layer}.attn.in_proj_{param}"] = torch.cat(
            [parts["q"], parts["k"], parts["v"]])
    return {prefix + k: v for k, v in out.items()}


def tiny_sdxl_pipeline(seed: int = 0):
    """SDXL's layout in miniature: two text encoders of different widths, text_time embeddings."""
    from diffusers import (EulerDiscreteScheduler, StableDiffusionXLPipeline,
                           UNet2DConditionModel)
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from webui.tokenizers import clip_tokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=80,
        attention_head_dim=8, use_linear_projection=True, addition_embed_type="text_time",
        addition_time_embed_dim=8, projection_class_embeddings_input_dim=6 * 8 + 48,
        transformer_layers_per_block=(1, 2), norm_num_groups=32)
    common = dict(vocab_size=49408, intermediate_size=37, num_hidden_layers=2,
                  max_position_embeddings=77, bos_token_id=0, eos_token_id=2, pad_token_id=1)
    text = CLIPTextModel(CLIPTextConfig(hidden_size=32, num_attention_heads=4,
                                        hidden_act="quick_gelu", projection_dim=32, **common))
    text_2 = CLIPTextModelWithProjection(CLIPTextConfig(hidden_size=48, num_attention_heads=8,
                                                        hidden_act="gelu", projection_dim=48, **common))
    vae = tiny_pipeline(seed).vae
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012,
                                       beta_schedule="scaled_linear", steps_offset=1)
    return StableDiffusionXLPipeline(vae=vae, text_encoder=text, text_encoder_2=text_2,
                                     tokenizer=clip_tokenizer(), tokenizer_2=clip_tokenizer("!"),
                                     unet=unet, scheduler=scheduler)


def to_ldm(pipe) -> dict:
    unet = unet_to_ldm(pipe.unet.state_dict(), pipe.unet.config.layers_per_block)
    vae = vae_to_ldm(pipe.vae.state_dict(), len(pipe.vae.config.block_out_channels))
    second = getattr(pipe, "text_encoder_2", None)
    first = "conditioner.embedders.0" if second is not None else "cond_stage_model"
    text = {f"{first}.transformer.text_model." + k.removeprefix("text_model."): v
            for k, v in pipe.text_encoder.state_dict().items()}
    if second is not None:
        text.update(open_clip_to_ldm(second.state_dict(), "conditioner.embedders.1.model."))
    return {k: v.contiguous() for k, v in {**unet, **vae, **text}.items()}


def write_checkpoint(path: Path, seed: int = 0, in_channels: int = 4, sdxl: bool = False) -> Path:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    state = to_ldm(tiny_sdxl_pipeline(seed) if sdxl else tiny_pipeline(seed, in_channels))
    if path.suffix == ".ckpt":
        torch.save({"state_dict": state}, path)
    else:
        save_file(state, str(path))
    return path
