"""Pure decisions as tables: sampler names, request validation, device and memory choice."""

from __future__ import annotations

import random

import pytest

from webui.catalog import Checkpoint, find_checkpoint
from webui.errors import RequestError
from webui.params import concrete_seed, parse_txt2img
from webui.runtime import GIB, Machine, Runtime, choose_runtime, vae_tiling
from webui.samplers import SAMPLERS, resolve


@pytest.mark.parametrize("sampler, scheduler, name, label", [
    ("DPM++ 2M", None, "DPM++ 2M", "Karras"),            # the sampler's own default is written
    ("DPM++ 2M Karras", None, "DPM++ 2M", "Karras"),
    ("DPM++ 2M", "Karras", "DPM++ 2M", "Karras"),
    ("DPM++ 2M", "exponential", "DPM++ 2M", "Exponential"),
    ("DPM++ 2M SDE Exponential", None, "DPM++ 2M SDE", "Exponential"),
    ("DPM++ 2M SDE", "karras", "DPM++ 2M SDE", "Karras"),
    ("Euler a", "automatic", "Euler a", "Automatic"),    # no default: A1111 writes Automatic
    ("k_euler_a", None, "Euler a", "Automatic"),
    ("euler", "Uniform", "Euler", "Uniform"),
    ("Euler a", "karras", "Euler a", "Karras"),          # every k-diffusion sampler takes every schedule
    ("DPM adaptive", None, "DPM++ 2M", "Karras"),        # not runnable here → samplers[0], as unknown names
    ("nonsense", "nonsense", "DPM++ 2M", "Karras"),
    ("DDIM", None, "DDIM", "Automatic"),
    ("Euler", "Align Your Steps", "Euler", "Align Your Steps"),
    ("Restart", None, "Restart", "Karras"),
    ("DPM fast", "kl_optimal", "DPM fast", "KL Optimal"),
])
def test_resolve(sampler, scheduler, name, label):
    choice = resolve(sampler, scheduler)
    assert (choice.sampler.name, choice.schedule_label) == (name, label)


def test_every_sampler_and_schedule_builds_a_scheduler():
    from webui.samplers import SCHEDULES, build_scheduler

    base = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
            "num_train_timesteps": 1000, "steps_offset": 1}
    for sampler in SAMPLERS:
        for schedule in SCHEDULES:
            scheduler = build_scheduler(resolve(sampler.name, schedule.name), base, "sd1", 1.0)
            scheduler.set_timesteps(10)
            assert len(scheduler.timesteps) >= 10, (sampler.name, schedule.name)


def test_api_defaults_and_unknown_fields():
    request = parse_txt2img({"prompt": "x", "url": "http://sillytavern"})
    assert (request.steps, request.sampler_name, request.width, request.cfg_scale, request.seed) == \
        (50, "Euler", 512, 7.0, -1)


def test_lenient_types_and_overrides():
    request = parse_txt2img({"steps": "20", "width": 70.0, "sampler_index": "Euler a", "sampler_name": None,
                             "override_settings": {"sd_model_checkpoint": "a.safetensors",
                                                   "CLIP_stop_at_last_layers": 2}})
    assert (request.steps, request.width, request.sampler_name) == (20, 64, "Euler a")
    assert (request.checkpoint, request.clip_skip) == ("a.safetensors", 2)


@pytest.mark.parametrize("body, field", [
    ({"steps": True}, "steps"), ({"steps": 0}, "steps"), ({"height": 32}, "height"),
    ({"batch_size": 0}, "batch_size"), ({"n_iter": "x"}, "n_iter"), ({"cfg_scale": [1]}, "cfg_scale"),
    ({"subseed_strength": 1.5}, "subseed_strength"), ({"subseed": -5}, "subseed"),
    ({"alwayson_scripts": {"ADetailer": {}}}, "alwayson_scripts"), ({"script_name": "x/y/z plot"}, "script_name"),
    ({"restore_faces": True, "override_settings": {"face_restoration_model": "None"}},
     "face_restoration_model"), ({"s_churn": 0.5}, "s_churn"),
    ({"refiner_checkpoint": "xl-refiner"}, "refiner_checkpoint"),
    ({"override_settings": {"samples_format": "gif"}}, "samples_format"),
    ({"override_settings": {"randn_source": "CPU"}}, "randn_source"),
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
    (Machine(cuda=True, mps=False, vram=8 * GIB), "sdxl", {},
     Runtime("cuda", True, "parts", ("text_encoder", "text_encoder_2"))),
    (Machine(cuda=True, mps=False, vram=24 * GIB), "sdxl", {}, Runtime("cuda", True, "none")),
    # the limit, not the card's size, decides: 24 GiB with 6 GiB free is a 6 GiB card
    (Machine(cuda=True, mps=False, vram=24 * GIB, limit=6 * GIB), "sdxl", {},
     Runtime("cuda", True, "model")),
    (Machine(cuda=True, mps=False, vram=2 * GIB), "sd1", {}, Runtime("cuda", True, "sequential")),
    (Machine(cuda=True, mps=False, vram=24 * GIB), "sdxl", {"medvram": True},
     Runtime("cuda", True, "model")),
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


def test_no_caps_a1111_does_not_have():
    request = parse_txt2img({"batch_size": 12, "n_iter": 200, "steps": 400, "width": 4096, "height": 3072,
                             "cfg_scale": 45, "override_settings": {"CLIP_stop_at_last_layers": 24}})
    assert (request.batch_size, request.steps, request.width, request.cfg_scale, request.clip_skip) == \
        (12, 400, 4096, 45.0, 24)


def test_clients_default_values_of_unsupported_fields_are_accepted():
    # webuiapi sends these on every call; only a value asking for the feature is refused
    parse_txt2img({"s_churn": 0, "s_tmax": 0, "s_tmin": 0, "s_noise": 1, "eta": 1.0, "restore_faces": False,
                   "tiling": False, "script_name": None, "script_args": [], "alwayson_scripts": {},
                   "hr_checkpoint_name": None, "hr_sampler_name": None, "refiner_checkpoint": None})


@pytest.mark.parametrize("job, free, field, fits", [
    (("sd1", 512, 512, 1), 8 * GIB, None, None),
    (("sdxl", 1024, 1024, 4), 20 * GIB, None, None),
    (("sd1", 512, 512, 64), 8 * GIB, "batch_size", "batch_size 14"),  # 576 MiB an image
    (("sd1", 16384, 16384, 1), 8 * GIB, "width", "1024x1024 with batch_size 1"),  # 2048² needs 9 GiB
])
def test_memory_estimate_refuses_only_what_cannot_fit(job, free, field, fits):
    from webui.footprint import Job, Memory, check

    if field is None:
        check(Job(*job), Memory("GPU", free))
        return
    with pytest.raises(RequestError) as err:
        check(Job(*job), Memory("GPU", free))
    assert err.value.field == field and err.value.params["fits"] == fits
    assert "GiB" in err.value.params["needed"]
