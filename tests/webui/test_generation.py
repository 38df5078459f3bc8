"""Generation features on the tiny checkpoint: every sampler and schedule, seeds, tiling, skip."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from test_engine import CPU, home_with
from webui.engine import Engine, Options
from webui.outputs import read_parameters
from webui.params import parse_txt2img
from webui.samplers import api_samplers, api_schedulers, resolve


@pytest.fixture(scope="module")
def engine(tmp_path_factory, tiny_checkpoints):
    return Engine(home_with(tmp_path_factory.mktemp("generation-home"), tiny_checkpoints["tiny"]), CPU, Options())


def run(engine, save=False, **fields):
    body = {"prompt": "a cat", "width": 64, "height": 64, "steps": 3, "seed": 11, "sampler_name": "Euler",
            **fields}
    return engine.txt2img(parse_txt2img(body), save=save)


def pixels(result, index=0) -> np.ndarray:
    return np.asarray(result.images[index]).astype(int)


def test_each_listed_sampler_generates_with_that_name_in_its_infotext(engine):
    for sampler in api_samplers():
        name = sampler["name"]
        result = run(engine, sampler_name=name, steps=2)
        label = resolve(name, None).schedule_label
        assert f"\nSteps: 2, Sampler: {name}, Schedule type: {label}, " in result.infotexts[0], name
        assert np.isfinite(pixels(result)).all() and pixels(result).std() > 0, name


def test_each_listed_schedule_generates_with_that_label_in_its_infotext(engine):
    images = {}
    for schedule in api_schedulers():
        result = run(engine, scheduler=schedule["name"])
        assert f"Sampler: Euler, Schedule type: {schedule['label']}, " in result.infotexts[0]
        images[schedule["name"]] = pixels(result)
    # they are real schedules, not relabelled defaults
    assert np.abs(images["karras"] - images["uniform"]).max() > 0
    assert np.abs(images["kl_optimal"] - images["align_your_steps"]).max() > 0


def test_euler_a_with_karras_runs_karras(engine):
    plain, karras = run(engine, sampler_name="Euler a"), run(engine, sampler_name="Euler a Karras")
    assert "Schedule type: Karras" in karras.infotexts[0]
    assert np.abs(pixels(plain) - pixels(karras)).max() > 0


def test_variation_seeds_slerp_towards_the_variation_seed(engine):
    plain = run(engine, seed=11)
    other = run(engine, seed=12)
    none = run(engine, seed=11, subseed=12, subseed_strength=0)
    full = run(engine, seed=11, subseed=12, subseed_strength=1)
    half = run(engine, seed=11, subseed=12, subseed_strength=0.5, batch_size=2)
    assert np.array_equal(pixels(plain), pixels(none)) and np.array_equal(pixels(other), pixels(full))
    assert np.abs(pixels(half) - pixels(plain)).max() > 0 and np.abs(pixels(half) - pixels(other)).max() > 0
    assert half.seeds == [11, 11] and half.info["all_subseeds"] == [12, 13]
    assert "Seed: 11, Size: 64x64" in half.infotexts[1] and "Variation seed: 13, Variation seed strength: 0.5" \
        in half.infotexts[1]


def test_seed_resize_keeps_the_noise_of_the_old_size(engine):
    plain = run(engine)
    same = run(engine, seed_resize_from_w=64, seed_resize_from_h=64)
    resized = run(engine, seed_resize_from_w=128, seed_resize_from_h=96)
    assert np.array_equal(pixels(plain), pixels(same))
    assert np.abs(pixels(plain) - pixels(resized)).max() > 0
    assert "Seed resize from: 128x96" in resized.infotexts[0]


def test_tiling_pads_circularly_and_restores_the_layers(engine):
    plain = run(engine)
    tiled = run(engine, tiling=True)
    again = run(engine)
    assert np.abs(pixels(plain) - pixels(tiled)).max() > 0 and np.array_equal(pixels(plain), pixels(again))
    assert "Tiling: True" in tiled.infotexts[0]
    convs = [m for m in engine.pipe.unet.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(c.padding_mode == "zeros" for c in convs)


def test_ensd_changes_only_samplers_that_draw_noise(engine):
    ensd = {"override_settings": {"eta_noise_seed_delta": 31337}}
    ancestral, ancestral_ensd = run(engine, sampler_name="Euler a"), run(engine, sampler_name="Euler a", **ensd)
    euler, euler_ensd = run(engine), run(engine, **ensd)
    assert np.abs(pixels(ancestral) - pixels(ancestral_ensd)).max() > 0
    assert np.array_equal(pixels(euler), pixels(euler_ensd))
    assert "ENSD: 31337" in ancestral_ensd.infotexts[0] and "ENSD" not in euler_ensd.infotexts[0]


def test_infotext_field_fills_the_request_like_a1111(engine):
    first = run(engine, sampler_name="DPM++ 2M", seed=77, steps=4,
                override_settings={"CLIP_stop_at_last_layers": 2})
    pasted = engine.txt2img(parse_txt2img({"infotext": first.infotexts[0], "width": 64, "height": 64}),
                            save=False)
    assert pasted.infotexts[0] == first.infotexts[0]
    assert np.array_equal(pixels(first), pixels(pasted))
    wins = engine.txt2img(parse_txt2img({"infotext": first.infotexts[0], "steps": 2}), save=False)
    assert "Steps: 2, Sampler: DPM++ 2M" in wins.infotexts[0]  # a field the request sets wins


@pytest.mark.parametrize("fmt", ["jpg", "webp"])
def test_samples_format_writes_the_infotext_into_exif(engine, fmt):
    result = run(engine, save=True, override_settings={"samples_format": fmt})
    assert result.saved[0].suffix == f".{fmt}"
    assert read_parameters(result.saved[0].read_bytes()) == result.infotexts[0]


def test_skip_ends_the_current_image_and_goes_on(engine):
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(result=run(engine, n_iter=3, steps=12)))
    worker.start()
    deadline = time.monotonic() + 120
    while not (engine.state.job_count > 0 and engine.state.sampling_step >= 1) and time.monotonic() < deadline:
        time.sleep(0.01)
    engine.skip()
    worker.join(300)
    result = outcome["result"]
    assert len(result.images) == 3 and result.seeds == [11, 12, 13]
    assert not engine.state.skipped
