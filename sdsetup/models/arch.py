"""What a weights file is (kind) and which model family it belongs to, from tensor names and shapes.

Labels on model sites lie (LoRAs typed as checkpoints, Pony called SD 1.5), so sdsetup looks at the
header itself. Rules are anchored on exact keys or key prefixes; loose substrings misfire. Pony,
Illustrious and NoobAI are SDXL by their keys: only the site's ``baseModel`` tells them apart, and
:func:`family_of_base_model` maps those names onto the same family roots for comparison.

``reasons`` hold the evidence (tensor names and shapes), not prose, so they read the same in every
language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

FAMILIES = ("sd1", "sd2", "sdxl", "sdxl-refiner", "sd3", "flux", "unknown")
KINDS = ("checkpoint", "lora", "embedding", "vae", "controlnet", "upscaler", "unknown")

Shapes = Mapping[str, tuple[int, ...]]


@dataclass(frozen=True)
class Architecture:
    family: str = "unknown"
    kind: str = "unknown"
    inpainting: bool = False
    reasons: tuple[str, ...] = ()


_UNET_PREFIX = "model.diffusion_model."
_CROSS_ATTN_KEY = "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"
_CONTEXT_WIDTH = {768: "sd1", 1024: "sd2", 2048: "sdxl"}
_FLUX_MARKERS = ("double_blocks.0.img_attn.norm.key_norm.scale", "img_in.weight")
_SD3_MARKER = "joint_blocks.0.context_block.attn.qkv.weight"
_FLUX_FILL_IN_CHANNELS = 384  # 64 latent + 320 mask/masked-image channels after patchify

_LORA_INFIXES = (".lora_up.", ".lora_down.", ".lora_A.", ".lora_B.", ".lora_mid.", ".hada_w1",
                 ".lokr_w1", ".lora.up.", ".lora.down.")
_LORA_PREFIXES = ("lora_unet_", "lora_te_", "lora_te1_", "lora_te2_")
_LORA_CROSS_ATTN = re.compile(r"attn2[._]to_k[._](?:lora_down|lora_A|lora\.down)\.weight$")
# A text-encoder-only LoRA: one CLIP's width (SDXL's two encoders use lora_te1_/lora_te2_).
_LORA_TE_K = re.compile(r"^lora_te_.*self_attn_k_proj\.(?:lora_down|lora_A)\.weight$")
_TE_WIDTH = {768: "sd1", 1024: "sd2"}
_LORA_FAMILY_PREFIXES = (
    (("lora_unet_double_blocks_", "lora_unet_single_blocks_", "diffusion_model.double_blocks.",
      "transformer.single_transformer_blocks.", "lora_transformer_single_transformer_blocks_"),
     "flux"),
    (("lora_unet_joint_blocks_",), "sd3"),
    (("lora_te1_", "lora_te2_"), "sdxl"),
)
_CONTROLNET_MARKERS = ("control_model.", "zero_convs.", "input_hint_block.",
                       "controlnet_down_blocks.", "controlnet_cond_embedding.")
_UPSCALER_KEYS = ("model.0.weight", "conv_first.weight")


def _shape_text(name: str, shapes: Shapes) -> str:
    return f"{name} {list(shapes[name])}"


def _strip(shapes: Shapes, prefix: str) -> dict[str, tuple[int, ...]]:
    return {name[len(prefix):]: shape for name, shape in shapes.items() if name.startswith(prefix)}


def _unet_family(unet: Shapes) -> tuple[str, bool, tuple[str, ...]]:
    """Family and inpainting of a UNet/DiT state dict whose keys carry no checkpoint prefix."""
    if all(marker in unet for marker in _FLUX_MARKERS):
        inpaint = len(unet["img_in.weight"]) == 2 and unet["img_in.weight"][1] == \
            _FLUX_FILL_IN_CHANNELS
        return "flux", inpaint, (_FLUX_MARKERS[0], _shape_text("img_in.weight", unet))
    if _SD3_MARKER in unet:
        return "sd3", False, (_SD3_MARKER,)
    inpaint = unet.get("input_blocks.0.0.weight", (0, 0))[1:2] == (9,)
    extra = (_shape_text("input_blocks.0.0.weight", unet),) if inpaint else ()
    label = unet.get("label_emb.0.0.weight")
    if label is not None and len(label) == 2:
        family = {2816: "sdxl", 2560: "sdxl-refiner"}.get(label[1], "unknown")
        return family, inpaint, (_shape_text("label_emb.0.0.weight", unet), *extra)
    context = unet.get(_CROSS_ATTN_KEY)
    if context is not None and len(context) == 2 and context[1] in _CONTEXT_WIDTH:
        return _CONTEXT_WIDTH[context[1]], inpaint, (_shape_text(_CROSS_ATTN_KEY, unet), *extra)
    return "unknown", inpaint, extra


def _lora_family(shapes: Shapes, metadata: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    base = metadata.get("ss_base_model_version", "")
    if base.startswith("sdxl_"):
        return "sdxl", (f"ss_base_model_version={base}",)
    if metadata.get("ss_v2") == "True":
        return "sd2", ("ss_v2=True",)
    spec = metadata.get("modelspec.architecture", "")
    for prefix, family in (("stable-diffusion-v1", "sd1"), ("stable-diffusion-v2", "sd2"),
                           ("stable-diffusion-xl", "sdxl"), ("flux-1", "flux"),
                           ("stable-diffusion-3", "sd3")):
        if spec.startswith(prefix):
            return family, (f"modelspec.architecture={spec}",)
    for pattern, widths in ((_LORA_CROSS_ATTN, _CONTEXT_WIDTH), (_LORA_TE_K, _TE_WIDTH)):
        for name, shape in shapes.items():
            if pattern.search(name) and len(shape) >= 2 and shape[1] in widths:
                return widths[shape[1]], (_shape_text(name, shapes),)
    for prefixes, family in _LORA_FAMILY_PREFIXES:
        hit = next((name for name in shapes if name.startswith(prefixes)), None)
        if hit is not None:
            return family, (hit,)
    return "unknown", ()


def _is_lora(shapes: Shapes, metadata: Mapping[str, str]) -> bool:
    return "ss_network_module" in metadata or any(
        name.startswith(_LORA_PREFIXES) or any(infix in name for infix in _LORA_INFIXES)
        for name in shapes
    )


def _embedding(shapes: Shapes) -> Architecture | None:
    if "clip_l" in shapes and "clip_g" in shapes:
        return Architecture("sdxl", "embedding", reasons=("clip_l", "clip_g"))
    vectors = [name for name in shapes if name == "emb_params" or name.startswith("string_to_param.")]
    if not vectors:
        return None
    width = shapes[vectors[0]][-1] if shapes[vectors[0]] else 0
    family = {768: "sd1", 1024: "sd2"}.get(width, "unknown")
    return Architecture(family, "embedding", reasons=(_shape_text(vectors[0], shapes),))


def _is_vae(shapes: Shapes) -> bool:
    inside = sum(1 for name in shapes if name.startswith(("encoder.", "decoder.")))
    return inside * 10 >= len(shapes) * 9


def detect_architecture(shapes: Shapes, metadata: Mapping[str, str] | None = None) -> Architecture:
    """Classify a state dict by its tensor names and shapes (and safetensors metadata for LoRAs)."""
    meta = metadata or {}
    if not shapes:
        return Architecture()
    if _is_lora(shapes, meta):
        family, reasons = _lora_family(shapes, meta)
        return Architecture(family, "lora", reasons=reasons)
    if any(name.startswith(_CONTROLNET_MARKERS) or any(f".{m}" in name for m in _CONTROLNET_MARKERS)
           for name in shapes):
        family, _, reasons = _unet_family(_strip(shapes, "control_model.") or shapes)
        return Architecture(family, "controlnet", reasons=reasons)
    unet = _strip(shapes, _UNET_PREFIX)
    if unet:
        family, inpaint, reasons = _unet_family(unet)
        return Architecture(family, "checkpoint", inpaint, reasons)
    embedding = _embedding(shapes)
    if embedding is not None:
        return embedding
    if _is_vae(shapes):
        return Architecture("unknown", "vae", reasons=("encoder.*", "decoder.*"))
    family, inpaint, reasons = _unet_family(shapes)
    if family != "unknown":
        return Architecture(family, "checkpoint", inpaint, reasons)
    upscaler = next((key for key in _UPSCALER_KEYS if key in shapes), None)
    if upscaler is not None or any(name.startswith("body.") for name in shapes):
        return Architecture("unknown", "upscaler", reasons=(upscaler or "body.*",))
    return Architecture()


# Civitai ``baseModel`` names -> family root (civitai.md §1.3). Checked as lowercase prefixes in
# order, so the more specific names come first.
_BASE_MODEL_PREFIXES = (
    ("sd 1", "sd1"), ("sd1", "sd1"),
    ("sd 2", "sd2"), ("sd2", "sd2"),
    ("sdxl", "sdxl"), ("pony v7", "unknown"), ("pony", "sdxl"), ("illustrious", "sdxl"),
    ("noobai", "sdxl"),
    ("sd 3", "sd3"), ("sd3", "sd3"),
    ("flux.1", "flux"),
)


def family_of_base_model(base_model: str | None) -> str:
    """The family root of a Civitai ``baseModel`` such as "SDXL 1.0", "Pony" or "Flux.1 D"."""
    name = (base_model or "").strip().lower()
    return next((family for prefix, family in _BASE_MODEL_PREFIXES if name.startswith(prefix)),
                "unknown")


def families_conflict(detected: str, declared: str) -> bool:
    """True when both families are known and differ (an SDXL refiner counts as SDXL)."""
    def root(family: str) -> str:
        return "sdxl" if family == "sdxl-refiner" else family

    return "unknown" not in (detected, declared) and root(detected) != root(declared)
