"""The engine in-process on the tiny checkpoint: loading rules, prompts, LoRA, embeddings."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from sdsetup.errors import SdsetupError
from webui.conditioning import encode_pair
from webui.engine import Engine, Options, Paths
from webui.errors import CheckpointError, MissingModelError, RequestError
from webui.loading import load_pipeline
from webui.params import parse_txt2img
from webui.runtime import Machine, Runtime

CPU = Machine(cuda=False, mps=False, vram=0)
FP32 = Runtime("cpu", False, "none")


def make_paths(root) -> Paths:
    return Paths(checkpoints=root / "models" / "Stable-diffusion", loras=root / "models" / "Lora",
                 vaes=root / "models" / "VAE",
                 embeddings=root / "embeddings", outputs=root / "outputs",
                 hash_cache=root / "cache" / "hashes.json")


def home_with(root, checkpoint) -> Paths:
    """A fresh home under ``root`` whose only checkpoint is ``checkpoint``."""
    paths = make_paths(root)
    paths.checkpoints.mkdir(parents=True)
    shutil.copy(checkpoint, paths.checkpoints)
    return paths


def pixels(result) -> np.ndarray:
    return np.asarray(result.images[0]).astype(int)


def small(prompt: str, **extra):
    return parse_txt2img({"prompt": prompt, "width": 64, "height": 64, "steps": 2, "seed": 11,
                          "sampler_name": "Euler", **extra})


@pytest.fixture(scope="module")
def lora_file(tmp_path_factory):
    """A random LoRA on the tiny UNet's attention, saved as diffusers writes LoRA files."""
    from diffusers import StableDiffusionPipeline
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    import ldm

    pipe = ldm.tiny_pipeline()
    torch.manual_seed(5)
    pipe.unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights=False,
                                     target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    folder = tmp_path_factory.mktemp("lora")
    StableDiffusionPipeline.save_lora_weights(folder, unet_lora_layers=get_peft_model_state_dict(pipe.unet),
                                              weight_name="detail.safetensors")
    return folder / "detail.safetensors"


@pytest.fixture(scope="module")
def engine(tmp_path_factory, tiny_checkpoints, lora_file):
    paths = home_with(tmp_path_factory.mktemp("engine-home"), tiny_checkpoints["tiny"])
    paths.loras.mkdir(parents=True)
    shutil.copy(lora_file, paths.loras)
    paths.embeddings.mkdir(parents=True)
    torch.manual_seed(3)
    save_file({"emb_params": torch.randn(2, 32) * 5}, str(paths.embeddings / "shiny-style.safetensors"))
    save_file({"emb_params": torch.randn(1, 768)}, str(paths.embeddings / "sd15-only.safetensors"))
    return Engine(paths, CPU, Options())


def test_loads_a_bare_checkpoint_with_the_hub_unreachable(tiny_checkpoints, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    pipe, config = load_pipeline(tiny_checkpoints["tiny"], FP32)
    assert config.pipeline_class == "StableDiffusionPipeline" and pipe.tokenizer.vocab_size == 49408
    assert not (tmp_path / "hf").exists()  # the Hub cache was never touched
    assert all(p.device.type == "cpu" for p in pipe.unet.parameters())


def test_ckpt_needs_opt_in_and_loads_weights_only(tiny_checkpoints, tmp_path):
    import ldm

    ckpt = ldm.write_checkpoint(tmp_path / "tiny.ckpt")
    with pytest.raises(CheckpointError) as err:
        load_pipeline(ckpt, FP32)
    assert err.value.key == "run.ckpt_pickle_refused" and err.value.hint == "run.hint_allow_ckpt"
    pipe, _ = load_pipeline(ckpt, FP32, allow_ckpt=True)
    assert list(pipe.unet.config.block_out_channels) == [32, 64]


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_malicious_pickle_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "evil.ckpt"
    with evil.open("wb") as f:
        pickle.dump({"state_dict": _Payload()}, f)
    with pytest.raises(CheckpointError) as err:
        load_pipeline(evil, FP32, allow_ckpt=True)
    assert err.value.key == "run.ckpt_unreadable" and str(evil) in str(err.value)
    assert not (tmp_path / "PWNED").exists()


def test_truncated_and_wrong_kind_files_say_what_and_where(tiny_checkpoints, tmp_path):
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(tiny_checkpoints["tiny"].read_bytes()[:100_000])
    with pytest.raises(SdsetupError) as err:
        load_pipeline(cut, FP32)
    assert str(cut) in str(err.value.params.get("path"))
    lora = tmp_path / "lora-in-the-wrong-place.safetensors"
    save_file({"lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight": torch.zeros(4, 32)},
              str(lora))
    with pytest.raises(CheckpointError) as err:
        load_pipeline(lora, FP32)
    assert err.value.key == "run.ckpt_wrong_kind" and err.value.params["kind"] == "lora"


def test_long_prompts_are_chunked_and_emphasis_changes_the_embedding(engine):
    engine.txt2img(small("warm up"), save=False)
    pipe = engine.pipe
    short, _ = encode_pair(pipe, "a cat", "", 1)
    long, negative = encode_pair(pipe, ", ".join(["a cat"] * 60), "", 1)
    assert short.embeds.shape == (1, 77, 32)
    assert long.embeds.shape[1] == 77 * 3 and negative.embeds.shape == long.embeds.shape
    plain, _ = encode_pair(pipe, "a cat", "", 1)
    heavy, _ = encode_pair(pipe, "a (cat:1.5)", "", 1)
    assert torch.equal(short.embeds, plain.embeds) and not torch.equal(plain.embeds, heavy.embeds)
    broken, _ = encode_pair(pipe, "a BREAK cat", "", 1)
    assert broken.embeds.shape[1] == 154
    skipped, _ = encode_pair(pipe, "a cat", "", 2)
    assert not torch.equal(skipped.embeds, short.embeds)


def test_lora_tag_changes_the_image_and_stays_in_infotext(engine):
    base = engine.txt2img(small("a cat"), save=False)
    with_lora = engine.txt2img(small("a cat <lora:detail:1>"), save=False)
    zero = engine.txt2img(small("a cat <lora:detail:0>"), save=False)
    again = engine.txt2img(small("a cat"), save=False)
    assert np.abs(pixels(base) - pixels(with_lora)).max() > 0
    assert np.abs(pixels(base) - pixels(zero)).max() <= 1
    assert np.array_equal(pixels(base), pixels(again))  # LoRA off again afterwards
    assert with_lora.infotexts[0].startswith("a cat <lora:detail:1>\nSteps: 2")
    data = (engine.paths.loras / "detail.safetensors").read_bytes()
    autov3 = hashlib.sha256(data[8 + int.from_bytes(data[:8], "little"):]).hexdigest()[:12]
    assert f'Lora hashes: "detail: {autov3}", Version: ' in with_lora.infotexts[0]
    assert "Lora hashes" not in base.infotexts[0]


def test_embeddings_load_by_file_name_and_wrong_family_is_skipped(engine):
    assert set(engine.embeddings) == {"shiny-style"} and set(engine.skipped_embeddings) == {"sd15-only"}
    plain = engine.txt2img(small("a cat"), save=False)
    styled = engine.txt2img(small("a cat shiny-style"), save=False)
    assert np.abs(pixels(plain) - pixels(styled)).max() > 0
    digest = hashlib.sha256((engine.paths.embeddings / "shiny-style.safetensors").read_bytes()).hexdigest()
    assert f'TI hashes: "shiny-style: {digest[:12]}"' in styled.infotexts[0]
    assert "TI hashes" not in plain.infotexts[0]


def test_no_checkpoint_gives_a_hint(tmp_path):
    empty = Engine(make_paths(tmp_path), CPU, Options())
    with pytest.raises(MissingModelError) as err:
        empty.txt2img(small("x"), save=False)
    assert err.value.key == "run.no_checkpoints" and err.value.hint == "run.hint_refresh"
    assert err.value.status == 404


def test_a_checkpoint_placed_later_is_found_without_a_refresh(tiny_checkpoints, tmp_path):
    engine = Engine(make_paths(tmp_path), CPU, Options())
    engine.paths.checkpoints.mkdir(parents=True)
    shutil.copy(tiny_checkpoints["tiny"], engine.paths.checkpoints)
    assert engine.txt2img(small("x"), save=False).infotexts[0].count("Model: tiny") == 1
    shutil.copy(tiny_checkpoints["other"], engine.paths.checkpoints)
    engine.select("other")  # a name not known yet: looked for again before failing
    assert engine.current.stem == "other"


def test_unload_frees_the_model_and_the_next_use_loads_it_back(engine):
    import gc
    import weakref

    engine.select("tiny")
    unet = weakref.ref(engine.pipe.unet)
    engine.unload()
    gc.collect()
    assert unet() is None and engine.pipe is None and engine.selected().stem == "tiny"
    engine.reload()
    assert engine.pipe is not None and engine.current.stem == "tiny"
    assert set(engine.embeddings) == {"shiny-style"}
    engine.unload()
    assert engine.txt2img(small("a cat"), save=False).images and engine.current.stem == "tiny"


def test_refresh_embeddings_adds_new_files_only(engine):
    torch.manual_seed(4)
    added = engine.paths.embeddings / "late-style.safetensors"
    save_file({"emb_params": torch.randn(1, 32)}, str(added))
    try:
        engine.refresh_embeddings()
        assert set(engine.embeddings) == {"shiny-style", "late-style"}
        assert set(engine.skipped_embeddings) == {"sd15-only"}
    finally:
        added.unlink()


def test_inpainting_checkpoint_renders_txt2img(tmp_path):
    import ldm

    paths = make_paths(tmp_path)
    ldm.write_checkpoint(paths.checkpoints / "tiny-inpainting.safetensors", in_channels=9)
    result = Engine(paths, CPU, Options()).txt2img(small("a cat"), save=False)
    assert result.images[0].size == (64, 64)
    assert "Model: tiny-inpainting" in result.infotexts[0]


def test_vae_choice_swaps_the_decoder_and_is_recorded(engine, tiny_checkpoints):
    from safetensors.torch import load_file

    state = load_file(str(tiny_checkpoints["other"]))
    engine.paths.vaes.mkdir(parents=True, exist_ok=True)
    save_file({k.removeprefix("first_stage_model."): v for k, v in state.items()
               if k.startswith("first_stage_model.")}, str(engine.paths.vaes / "other-vae.safetensors"))
    own = engine.txt2img(small("a cat"), save=False)
    swapped = engine.txt2img(small("a cat", override_settings={"sd_vae": "other-vae"}), save=False)
    back = engine.txt2img(small("a cat"), save=False)
    assert np.abs(pixels(own) - pixels(swapped)).max() > 0 and np.array_equal(pixels(own), pixels(back))
    assert "VAE hash: " in swapped.infotexts[0] and ", VAE: other-vae," in swapped.infotexts[0]
    assert "VAE" not in own.infotexts[0]
    with pytest.raises(RequestError) as err:
        engine.txt2img(small("a cat", override_settings={"sd_vae": "missing"}), save=False)
    assert err.value.field == "sd_vae"


def test_sdxl_layout_loads_exactly_and_renders_with_both_encoders(tmp_path):
    import ldm

    paths = make_paths(tmp_path)
    ldm.write_checkpoint(paths.checkpoints / "tiny-xl.safetensors", sdxl=True)
    engine = Engine(paths, CPU, Options())
    long_prompt = ", ".join(["a (red:1.3) apple"] * 30)
    result = engine.txt2img(small(long_prompt, negative_prompt="blurry", batch_size=2), save=False)
    assert engine.config.pipeline_class == "StableDiffusionXLPipeline"
    reference = ldm.tiny_sdxl_pipeline()
    for name in ("unet", "text_encoder", "text_encoder_2"):
        loaded, built = getattr(engine.pipe, name).state_dict(), getattr(reference, name).state_dict()
        assert loaded.keys() == built.keys() and all(torch.equal(loaded[k], built[k]) for k in built)
    positive, negative = encode_pair(engine.pipe, long_prompt, "blurry", 1)
    assert positive.embeds.shape == (1, 77 * 2, 32 + 48)  # 120 tokens: two chunks and positive.pooled.shape == (1, 48)
    assert negative.embeds.shape == positive.embeds.shape
    assert len(result.images) == 2 and result.images[0].size == (64, 64)


def test_same_stem_yaml_decides_v_prediction(tiny_checkpoints, tmp_path):
    checkpoint = tmp_path / "tiny-v.safetensors"
    shutil.copy(tiny_checkpoints["tiny"], checkpoint)
    checkpoint.with_suffix(".yaml").write_text("model:\n  params:\n    parameterization: \"v\"\n")
    pipe, _ = load_pipeline(checkpoint, FP32)
    assert pipe.scheduler.config.prediction_type == "v_prediction"
    plain, _ = load_pipeline(tiny_checkpoints["tiny"], FP32)
    assert plain.scheduler.config.prediction_type == "epsilon"


@pytest.mark.parametrize("upscaler, used", [("Latent", "Latent"), ("Latent (bicubic antialiased)",
                                             "Latent (bicubic antialiased)"),
                                            ("Lanczos", "Lanczos"), ("R-ESRGAN 4x+", "Latent")])
def test_hires_fix_upscales_and_records_a1111_fields(engine, upscaler, used):
    result = engine.txt2img(small("a cat", enable_hr=True, hr_scale=2, hr_upscaler=upscaler,
                                  denoising_strength=0.5, hr_second_pass_steps=2), save=False)
    assert result.images[0].size == (128, 128)
    assert ("Size: 64x64, Model hash: " in result.infotexts[0]
            and f"Denoising strength: 0.5, Hires upscale: 2.0, Hires steps: 2, Hires upscaler: {used}, "
            in result.infotexts[0])
    assert result.info["denoising_strength"] == 0.5


def test_hires_fix_on_sdxl_and_inpainting_layouts(tmp_path):
    import ldm

    for name, options in (("xl", {"sdxl": True}), ("inpaint", {"in_channels": 9})):
        paths = make_paths(tmp_path / name)
        ldm.write_checkpoint(paths.checkpoints / f"{name}.safetensors", **options)
        result = Engine(paths, CPU, Options()).txt2img(
            small("a cat", enable_hr=True, hr_resize_x=96, denoising_strength=0.6), save=False)
        assert result.images[0].size == (96, 96) and "Hires resize: 96x0" in result.infotexts[0]


def test_switching_models_frees_the_old_one(tiny_checkpoints, tmp_path):
    import gc
    import weakref

    paths = make_paths(tmp_path)
    paths.checkpoints.mkdir(parents=True)
    for path in tiny_checkpoints.values():
        shutil.copy(path, paths.checkpoints)
    engine = Engine(paths, CPU, Options())
    engine.select("tiny")
    old_unet = weakref.ref(engine.pipe.unet)
    engine.select("other.safetensors")
    gc.collect()
    assert old_unet() is None and engine.current.stem == "other"
