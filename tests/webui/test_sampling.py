"""Sampler and schedule maths against properties that pin them down (no model needed)."""

from __future__ import annotations

import pytest
import torch

from webui import ksampling, seeds, sigmas
from webui.ksampling import Context, KDiffusionScheduler

SD15 = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "num_train_timesteps": 1000}


@pytest.fixture(scope="module")
def model() -> sigmas.ModelSigmas:
    return KDiffusionScheduler.from_config(SD15).model


def test_model_sigmas_and_timestep_maps(model):
    assert round(model.sigma_min, 4) == 0.0292 and round(model.sigma_max, 3) == 14.615
    t = torch.tensor([0.0, 10.5, 999.0])
    assert torch.allclose(model.sigma_to_t(model.t_to_sigma(t)), t, atol=1e-3)


@pytest.mark.parametrize("name", sorted(sigmas.SCHEDULE_FUNCTIONS))
def test_every_schedule_descends_from_sigma_max(model, name):
    values = sigmas.schedule_sigmas(name, 12, model, "sd1")
    # A1111's DDIM schedule strides the 1000 timesteps by 1000 // n and so may take a step more
    assert len(values) == (14 if name == "ddim" else 13) and torch.all(values[:-1] > values[1:])
    assert float(values[0]) == pytest.approx(model.sigma_max, rel=0.02)
    assert float(values[-1]) == (pytest.approx(model.sigma_min, rel=1e-3) if name == "kl_optimal" else 0)


def test_align_your_steps_is_nvidias_table_at_ten_steps(model):
    values = sigmas.schedule_sigmas("align_your_steps", 10, model, "sd1")
    assert [round(float(v), 3) for v in values[:3]] == [14.615, 6.475, 3.861]
    assert [round(float(v), 3) for v in sigmas.schedule_sigmas("align_your_steps", 10, model, "sdxl")[:2]] == \
        [14.615, 6.315]


def test_discard_penultimate_sigma(model):
    plain = sigmas.schedule_sigmas("karras", 6, model, "sd1")
    discarded = sigmas.schedule_sigmas("karras", 6, model, "sd1", discard_penultimate=True)
    assert len(discarded) == len(plain) and float(discarded[-1]) == 0
    assert float(discarded[-2]) > float(plain[-2])


@pytest.mark.parametrize("sampler", sorted(ksampling.SAMPLERS))
def test_samplers_reach_the_data_a_constant_denoiser_gives(model, sampler):
    """With denoised ≡ c every k-diffusion sampler must land on c at sigma 0."""
    target = torch.full((2, 4, 3, 3), 0.25)
    schedule = sigmas.schedule_sigmas("karras", 24, model, "sd1").tolist()
    ctx = Context(noise=torch.randn_like, model=model)
    run = ksampling.SAMPLERS[sampler](torch.randn(2, 4, 3, 3) * schedule[0], schedule, ctx)
    calls = 0
    try:
        x, sigma = next(run)
        while True:
            calls += 1
            assert sigma > 0
            x, sigma = run.send(target.clone())
    except StopIteration as done:
        result = done.value
    # DPM fast stops at the model's sigma_min (k-diffusion), so noise of that size is left over
    assert torch.allclose(result, target, atol=8 * model.sigma_min if sampler == "dpm_fast" else 1e-4), sampler
    assert calls == len(ksampling.model_calls(sampler, schedule, ctx))


def test_restart_adds_restarts_from_twenty_steps(model):
    ctx = Context(noise=torch.zeros_like, model=model)

    def goes_back_up(steps: int) -> bool:
        calls = ksampling.model_calls("restart", sigmas.schedule_sigmas("karras", steps, model, "sd1").tolist(), ctx)
        return any(later > earlier for earlier, later in zip(calls, calls[1:]))

    assert goes_back_up(20) and not goes_back_up(19)


def test_img2img_runs_the_schedules_last_steps_and_pads_for_the_pipeline():
    scheduler = KDiffusionScheduler.from_config(SD15, sampler="euler", schedule="karras", strength=0.5,
                                                run_steps=4)
    scheduler.set_timesteps(8)
    full = sigmas.schedule_sigmas("karras", 8, scheduler.model, "sd1")
    assert torch.equal(scheduler.sigmas_run, full[-5:])
    assert len(scheduler.timesteps) == 4 + 4  # 8 - int(8·0.5) skipped by the pipeline, then 4 calls
    noised = scheduler.add_noise(torch.zeros(1), torch.ones(1), None)
    assert float(noised) == pytest.approx(float(full[-5]))


def test_slerp_endpoints_and_centred_paste():
    low, high = torch.randn(1, 4, 8, 8), torch.randn(1, 4, 8, 8)
    assert torch.allclose(seeds.slerp(0.0, low, high), low, atol=1e-5)
    assert torch.allclose(seeds.slerp(1.0, low, high), high, atol=1e-5)
    noise, _ = seeds.initial_noise(seeds.NoiseSpec((3,), resize_from=(32, 32)), (4, 8, 8), "cpu")
    small, _ = seeds.initial_noise(seeds.NoiseSpec((3,)), (4, 4, 4), "cpu")
    assert torch.equal(noise[0, :, 2:6, 2:6], small[0])
