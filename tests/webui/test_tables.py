"""Pure decisions as tables: sampler names, request validation, device and memory choice."""

from __future__ import annotations

import random

import pytest

from webui.catalog import Checkpoint, find_checkpoint
from webui.errors import RequestError
from webui.params import concrete_seed, parse_txt2img
from webui.runtime import GIB, Machine, Runtime, choose_runtime, vae_tiling
from webui.samplers import SAMPLERS, resolve, scheduler_settings


@pytest.mark.parametrize("sampler, scheduler, name, schedule, label, exact", [
    ("DPM++ 2M", None, "DPM++ 2M", "karras", None, True),
    ("DPM++ 2M Karras", None, "DPM++ 2M", "karras", None, True),
    ("DPM++ 2M", "Karras", "DPM++ 2M", "karras", None, True),
    ("DPM++ 2M", "exponential", "DPM++ 2M", "exponential", "Exponential", True),
    ("DPM++ 2M SDE Exponential", None, "DPM++ 2M SDE", "exponential", None, True),
    ("DPM++ 2M SDE", "karras", "DPM++ 2M SDE", "karras", "Karras", True),
    ("Euler a", "automatic", "Euler a", "automatic", None, True),
    ("k_euler_a", None, "Euler a", "automatic", None, True),
    ("euler", "Uniform", "Euler", "uniform", "Uniform", True),
    ("Euler a", "karras", "Euler a", "automatic", None, False),   # no sigma options: ignored
    ("DPM adaptive", None, "DPM++ 2M", "karras", None, False),    # unsupported → samplers[0]
    ("nonsense", "nonsense", "DPM++ 2M", "karras", None, False),
    ("DDIM", None, "DDIM", "automatic", None, True),
    ("Euler", "Align Your Steps", "Euler", "automatic", None, False),
])
def test_resolve(sampler, scheduler, name, schedule, label, exact):
    choice = resolve(sampler, scheduler)
    assert (choice.sampler.name, choice.schedule.name, choice.schedule_label, choice.exact) == \
        (name, schedule, label, exact)


@pytest.mark.parametrize("sampler, scheduler, cls, expected", [
    ("DPM++ 2M Karras", None, "DPMSolverMultistepScheduler",
     {"algorithm_type": "dpmsolver++", "use_karras_sigmas": True, "final_sigmas_type": "zero",
      "timestep_spacing": "linspace"}),
    ("DPM++ 2M SDE", None, "DPMSolverMultistepScheduler",
     {"algorithm_type": "sde-dpmsolver++", "use_exponential_sigmas": True, "use_karras_sigmas": False}),
    ("Euler a", None, "EulerAncestralDiscreteScheduler", {"timestep_spacing": "linspace"}),
    ("Euler", "sgm_uniform", "EulerDiscreteScheduler", {"timestep_spacing": "trailing"}),
    ("DDIM", None, "DDIMScheduler", {"timestep_spacing": "leading", "set_alpha_to_one": False}),
])
def test_scheduler_settings(sampler, scheduler, cls, expected):
    name, settings = scheduler_settings(resolve(sampler, scheduler))
    assert name == cls and expected.items() <= settings.items()


def test_every_sampler_builds_a_diffusers_scheduler():
    import diffusers

    base = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
            "num_train_timesteps": 1000, "steps_offset": 1}
    for sampler in SAMPLERS:
        name, settings = scheduler_settings(resolve(sampler.name, None))
        scheduler = getattr(diffusers, name).from_config(base, **settings)
        scheduler.set_timesteps(10)
        assert len(scheduler.timesteps) >= 10, sampler.name


def test_api_defaults_and_unknown_fields():
    request = parse_txt2img({"prompt": "x", "url": "http://sillytavern", "alwayson_scripts": {"ADetailer": {}}})
    assert (request.steps, request.sampler_name, request.width, request.cfg_scale, request.seed) == \
        (50, "Euler", 512, 7.0, -1)
    assert request.ignored_scripts == ("ADetailer",)


def test_lenient_types_and_overrides():
    request = parse_txt2img({"steps": "20", "width": 70.0, "sampler_index": "Euler a", "sampler_name": None,
                             "override_settings": {"sd_model_checkpoint": "a.safetensors",
                                                   "CLIP_stop_at_last_layers": 2}})
    assert (request.steps, request.width, request.sampler_name) == (20, 64, "Euler a")
    assert (request.checkpoint, request.clip_skip) == ("a.safetensors", 2)


@pytest.mark.parametrize("body, field", [
    ({"steps": True}, "steps"), ({"steps": 151}, "steps"), ({"height": 32}, "height"),
    ({"batch_size": 9}, "batch_size"), ({"n_iter": "x"}, "n_iter"), ({"cfg_scale": [1]}, "cfg_scale"),
    ({"seed": -2}, "seed"), ({"negative_prompt": 5}, "negative_prompt"),
    ({"override_settings": {"CLIP_stop_at_last_layers": 0}}, "clip_skip"),
])
def test_bad_values_name_the_field(body, field):
    with pytest.raises(RequestError) as err:
        parse_txt2img(body)
    assert err.value.field == field


def test_body_must_be_an_object():
    with pytest.raises(RequestError) as err:
        parse_txt2img([1, 2])
    assert err.value.field == "body"


def test_random_seed_range():
    rng = random.Random(0)
    assert all(0 <= concrete_seed(-1, rng) < 4294967294 for _ in range(100))
    assert concrete_seed(12, rng) == 12


@pytest.mark.parametrize("machine, family, flags, expected", [
    (Machine(cuda=True, mps=False, vram=8 * GIB), "sd1", {}, Runtime("cuda", True, "none")),
    (Machine(cuda=True, mps=False, vram=8 * GIB), "sdxl", {}, Runtime("cuda", True, "model")),
    (Machine(cuda=True, mps=False, vram=24 * GIB), "sdxl", {}, Runtime("cuda", True, "none")),
    (Machine(cuda=True, mps=False, vram=3 * GIB), "sd1", {}, Runtime("cuda", True, "model")),
    (Machine(cuda=True, mps=False, vram=24 * GIB), "sd1", {"lowvram": True}, Runtime("cuda", True, "sequential")),
    (Machine(cuda=True, mps=False, vram=24 * GIB), "sd1", {"medvram": True}, Runtime("cuda", True, "model")),
    (Machine(cuda=False, mps=True, vram=0), "sdxl", {}, Runtime("mps", True, "none")),
    (Machine(cuda=False, mps=False, vram=0), "sd1", {"medvram": True}, Runtime("cpu", False, "none")),
])
def test_runtime_choice(machine, family, flags, expected):
    assert choose_runtime(machine, family, **flags) == expected


def test_vae_tiling_for_large_images_on_gpu_only():
    gpu, cpu = Machine(True, False, 8 * GIB), Machine(False, False, 0)
    assert vae_tiling(1024, 1024, gpu) and not vae_tiling(512, 512, gpu)
    assert not vae_tiling(1024, 1024, cpu)


def test_checkpoint_names_and_lookup(tmp_path):
    sha = "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa"
    ck = Checkpoint("sd/v1-5.safetensors", tmp_path / "sd" / "v1-5.safetensors", sha)
    other = Checkpoint("b.ckpt", tmp_path / "b.ckpt", None)
    assert ck.title == "sd/v1-5.safetensors [6ce0161689]" and ck.model_name == "sd_v1-5"
    assert other.title == "b.ckpt" and other.api()["hash"] is None
    for spelling in (ck.title, ck.name, ck.model_name, "v1-5", "6ce0161689", sha):
        assert find_checkpoint([other, ck], spelling) == ck
    assert find_checkpoint([other, ck], "missing") is None


def test_hash_cache_peeks_without_reading_and_follows_changes(tmp_path):
    from webui.catalog import HashCache, scan_checkpoints

    folder = tmp_path / "Stable-diffusion"
    folder.mkdir()
    model = folder / "m.safetensors"
    # One U8 tensor holding 00 01 02 03: autov3 hashes those four bytes only (civitai.md §4).
    header = b'{"t":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}'
    model.write_bytes(len(header).to_bytes(8, "little") + header + b"\x00\x01\x02\x03")
    cache = HashCache(tmp_path / "hashes.json")
    assert scan_checkpoints(folder, cache)[0].sha256 is None  # nothing read yet
    digest = cache.get(model)
    assert HashCache(tmp_path / "hashes.json").peek(model) == digest  # persisted
    assert scan_checkpoints(folder, cache)[0].title == f"m.safetensors [{digest[:10]}]"
    assert cache.get(model, "autov3")[:12] == "054edec1d021"  # civitai.md §4 test vector
    model.write_bytes(b"changed")
    assert cache.peek(model) is None
    # Not a well-formed safetensors file, or not one at all: hashed whole, as A1111 does.
    assert cache.get(model, "autov3") == cache.get(model)
    lora = folder / "old.pt"
    lora.write_bytes(b"PK\x03\x04 a pickle zip")
    assert cache.get(lora, "autov3") == cache.get(lora)
    (tmp_path / "hashes.json").write_text("[]")  # hand-edited into the wrong shape
    assert HashCache(tmp_path / "hashes.json").peek(model) is None


@pytest.mark.parametrize("hires, size", [
    ({"scale": 2.0}, (1024, 1536)), ({"scale": 1.5}, (768, 1152)),
    ({"resize_x": 1000}, (1000, 1496)), ({"resize_y": 1000}, (664, 1000)),
    ({"resize_x": 700, "resize_y": 900}, (696, 896)),
])
def test_hires_target_size(hires, size):
    from webui.hires import Hires, target_size

    assert target_size(512, 768, Hires(**hires)) == size


@pytest.mark.parametrize("hires, steps, upscaler, latent", [
    ({"denoising": 0.5}, 40, "Latent", ("bilinear", False)),          # all 20 run: int(20/0.5)·0.5
    ({"denoising": 0.7, "steps": 10}, 14, "Latent", ("bilinear", False)),
    ({"upscaler": "Latent (nearest-exact)"}, 28, "Latent (nearest-exact)", ("nearest-exact", False)),
    ({"upscaler": "Nearest"}, 28, "Nearest", None),
    ({"upscaler": "4x-UltraSharp"}, 28, "Latent", ("bilinear", False)),
])
def test_hires_plan(hires, steps, upscaler, latent):
    from webui.hires import Hires, plan

    got = plan(512, 512, 20, Hires(**hires))
    assert (got.steps, got.upscaler, got.latent_mode) == (steps, upscaler, latent)
    assert plan(512, 512, 20, Hires(**hires), pixels_only=True).latent_mode is None


def test_hires_fields_validated_only_when_enabled():
    assert parse_txt2img({"hr_scale": "nonsense"}).hires is None  # webuiapi always sends hr_* keys
    with pytest.raises(RequestError) as err:
        parse_txt2img({"enable_hr": True, "denoising_strength": 1.5})
    assert err.value.field == "denoising_strength"
