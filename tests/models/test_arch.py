"""Kind and family detection from tensor shapes, as a table, plus Civitai base-model roots."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.models.models_testkit as kit
from sdsetup.models.arch import (
    Architecture, detect_architecture, families_conflict, family_of_base_model,
)
from sdsetup.safetensors_header import read_header

CASES = [
    ("sd1 checkpoint", kit.SD1_CHECKPOINT, {}, ("sd1", "checkpoint", False)),
    ("sd1 inpainting", kit.SD1_INPAINT_CHECKPOINT, {}, ("sd1", "checkpoint", True)),
    ("sd2 checkpoint", kit.SD2_CHECKPOINT, {}, ("sd2", "checkpoint", False)),
    ("sdxl checkpoint", kit.SDXL_CHECKPOINT, {}, ("sdxl", "checkpoint", False)),
    ("sdxl refiner", kit.SDXL_REFINER, {}, ("sdxl-refiner", "checkpoint", False)),
    ("sd3 checkpoint", kit.SD3_CHECKPOINT, {}, ("sd3", "checkpoint", False)),
    ("flux transformer", kit.FLUX_DIT, {}, ("flux", "checkpoint", False)),
    ("flux fill", kit.FLUX_FILL, {}, ("flux", "checkpoint", True)),
    ("flux inside a checkpoint",
     {f"model.diffusion_model.{k}": v for k, v in kit.FLUX_DIT.items()}, {},
     ("flux", "checkpoint", False)),
    ("sd1 lora by width", kit.SD1_LORA, {}, ("sd1", "lora", False)),
    ("sdxl lora by width", kit.SDXL_LORA, {}, ("sdxl", "lora", False)),
    ("flux lora by prefix", kit.FLUX_LORA, {}, ("flux", "lora", False)),
    ("lora metadata wins", kit.SD1_LORA, {"ss_base_model_version": "sdxl_base_v1-0"},
     ("sdxl", "lora", False)),
    ("lora modelspec", {"x.lora_A.weight": (2, 5)}, {"modelspec.architecture": "flux-1-dev/lora"},
     ("flux", "lora", False)),
    ("sd2 lora flag", {"lora_te_x.lora_down.weight": (2, 1024)}, {"ss_v2": "True"},
     ("sd2", "lora", False)),
    ("sd1 text-encoder lora",
     {"lora_te_text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight": (8, 768)}, {},
     ("sd1", "lora", False)),
    ("sd2 text-encoder lora",
     {"lora_te_text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight": (8, 1024)}, {},
     ("sd2", "lora", False)),
    ("sdxl lora by te1 prefix", {"lora_te1_text_model_x.lora_down.weight": (4, 768)}, {},
     ("sdxl", "lora", False)),
    ("diffusers flux lora",
     {"transformer.single_transformer_blocks.0.attn.to_k.lora_A.weight": (4, 3072)}, {},
     ("flux", "lora", False)),
    ("loha", {"lora_unet_x.hada_w1_a": (4, 4)}, {}, ("unknown", "lora", False)),
    ("sd1 embedding", kit.SD1_EMBEDDING, {}, ("sd1", "embedding", False)),
    ("sd2 embedding", {"string_to_param.*": (2, 1024)}, {}, ("sd2", "embedding", False)),
    ("sdxl embedding", kit.SDXL_EMBEDDING, {}, ("sdxl", "embedding", False)),
    ("vae", kit.SD_VAE, {}, ("unknown", "vae", False)),
    ("controlnet", kit.CONTROLNET, {}, ("sd1", "controlnet", False)),
    ("esrgan", kit.ESRGAN, {}, ("unknown", "upscaler", False)),
    ("text encoder", {"text_model.encoder.layers.0.mlp.fc1.weight": (3072, 768)}, {},
     ("unknown", "unknown", False)),
    ("empty", {}, {}, ("unknown", "unknown", False)),
]


@pytest.mark.parametrize("shapes,metadata,expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_detects_kind_and_family(shapes, metadata, expected):
    arch = detect_architecture(shapes, metadata)
    assert (arch.family, arch.kind, arch.inpainting) == expected
    if arch.family != "unknown":
        assert arch.reasons, "a known family must say why"


@pytest.mark.parametrize("shapes,family", [
    (kit.SD1_CHECKPOINT, "sd1"), (kit.SDXL_CHECKPOINT, "sdxl"), (kit.FLUX_DIT, "flux")])
def test_detects_from_generated_files(tmp_path: Path, shapes, family):
    path = kit.write_sparse_safetensors(tmp_path / "m.safetensors", shapes)
    assert detect_architecture(read_header(path).shapes()).family == family


def test_reasons_quote_the_evidence():
    arch = detect_architecture(kit.SDXL_CHECKPOINT)
    assert arch == Architecture("sdxl", "checkpoint", False, ("label_emb.0.0.weight [1280, 2816]",))


@pytest.mark.parametrize("base_model,family", [
    ("SD 1.5", "sd1"), ("SD 1.4", "sd1"), ("SD 1.5 LCM", "sd1"), ("SD 2.1 768", "sd2"),
    ("SDXL 1.0", "sdxl"), ("SDXL Turbo", "sdxl"), ("Pony", "sdxl"), ("Illustrious", "sdxl"),
    ("NoobAI", "sdxl"), ("Pony V7", "unknown"), ("SD 3.5 Large", "sd3"), ("Flux.1 D", "flux"),
    ("Flux.1 S", "flux"), ("Wan Video", "unknown"), (None, "unknown"), ("", "unknown"),
])
def test_civitai_base_model_roots(base_model, family):
    assert family_of_base_model(base_model) == family


@pytest.mark.parametrize("detected,declared,conflict", [
    ("sd1", "sdxl", True), ("sdxl", "sdxl", False), ("sdxl-refiner", "sdxl", False),
    ("unknown", "sd1", False), ("flux", "unknown", False), ("flux", "sd1", True),
])
def test_family_conflicts(detected, declared, conflict):
    assert families_conflict(detected, declared) is conflict
