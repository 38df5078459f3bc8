"""Compiled mode: when it is used, and what makes an image pay a compile.

The compile step itself is faked at its one boundary (``CompiledUnet``'s ``compile_module``); the
rest is the real engine on the tiny checkpoint, on the CPU.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from webui import compile as compiled_mode
from webui.compile import Choice, CompiledUnet, decide, graph_key
from webui.engine import Engine, Options
from webui.params import parse_txt2img
from webui.runtime import GIB, Machine, Runtime

from test_engine import lora_file  # noqa: F401  (a fixture: a random LoRA for the tiny UNet)

AMPERE = Machine(cuda=True, mps=False, vram=8 * GIB, triton=True)
NO_TRITON = Machine(cuda=True, mps=False, vram=8 * GIB, triton=False)
CPU = Machine(cuda=False, mps=False, vram=0)
MPS = Machine(cuda=False, mps=True, vram=0)
WHOLE = Runtime("cuda", True, "none")
PARTS = Runtime("cuda", True, "parts", ("text_encoder", "text_encoder_2"))


@pytest.mark.parametrize("requested, machine, runtime, expected", [
    (True, AMPERE, WHOLE, Choice(True, "run.compile_on")),
    (None, AMPERE, WHOLE, Choice(False)),   # off by default until measured to pay (RESULTS.md)
    (False, AMPERE, WHOLE, Choice(False)),                       # --no-compile
    (True, CPU, Runtime("cpu", False, "none"), Choice(False, "run.compile_no_cuda")),
    (True, MPS, Runtime("mps", True, "none"), Choice(False, "run.compile_no_cuda")),
    (None, CPU, Runtime("cpu", False, "none"), Choice(False)),   # the default path stays quiet
    (True, NO_TRITON, WHOLE, Choice(False, "run.compile_no_triton")),
    (True, AMPERE, PARTS, Choice(False, "run.compile_offload")),  # the UNet must stay on the GPU
    (None, AMPERE, Runtime("cuda", True, "model"), Choice(False)),
])
def test_decide(requested, machine, runtime, expected):
    assert decide(requested, machine, runtime) == expected


def test_refusal_is_a_sentence_in_both_languages():
    from sdsetup.i18n import CATALOGUE

    for lang in ("en", "zh_CN"):
        assert len(CATALOGUE[lang]["run.compile_no_cuda"]) > 20


def test_graph_key_follows_what_the_unet_sees():
    base = graph_key("sd1", 512, 512, 1, 7.0)
    assert base.batch == 2                                       # CFG runs as one doubled batch
    assert graph_key("sd1", 512, 512, 1, 1.0).batch == 1         # CFG 1: no negative pass
    assert graph_key("sd1", 512, 512, 1, 4.5) == base            # another CFG > 1: same graph
    assert graph_key("sd1", 768, 512, 1, 7.0) != base
    assert graph_key("sdxl", 512, 512, 1, 7.0) != base
    with_lora = graph_key("sd1", 512, 512, 1, 7.0, (("a", 0.5), ("b", 1.0)))
    assert with_lora == graph_key("sd1", 512, 512, 1, 7.0, (("b", 1.0), ("a", 0.5)))
    assert with_lora != graph_key("sd1", 512, 512, 1, 7.0, (("a", 0.8), ("b", 1.0)))


def test_notice_once_per_key():
    compiled = CompiledUnet(compile_module=lambda module: None)
    key = graph_key("sd1", 768, 768, 1, 7.0)
    assert compiled.notice(key) == "compiling for 768×768 (UNet batch 2), first time only…"
    assert compiled.notice(key) is None
    assert compiled.notice(graph_key("sd1", 768, 768, 2, 7.0)) is not None


def test_cache_env_points_inductor_at_the_home(tmp_path):
    env = compiled_mode.cache_env(str(tmp_path / "torch-compile"))
    assert env["TORCHINDUCTOR_CACHE_DIR"] == str(tmp_path / "torch-compile")
    assert env["TORCHINDUCTOR_FX_GRAPH_CACHE"] == "1"


@pytest.fixture
def compiling_engine(tmp_path, monkeypatch):
    """The real engine on the tiny checkpoint with the compile step faked: it records modules."""
    import ldm
    from test_engine import make_paths

    compiled_modules = []
    monkeypatch.setattr(compiled_mode, "decide", lambda requested, machine, runtime: Choice(True))
    paths = make_paths(tmp_path)
    ldm.write_checkpoint(paths.checkpoints / "one.safetensors")
    ldm.write_checkpoint(paths.checkpoints / "two.safetensors", seed=1)
    engine = Engine(paths, CPU, Options(compile=True))
    engine._compiler = CompiledUnet(compile_module=compiled_modules.append)
    return engine, compiled_modules


def request(**extra):
    return parse_txt2img({"prompt": "a cat", "width": 64, "height": 64, "steps": 2, "seed": 3,
                          "sampler_name": "Euler", **extra})


def test_engine_announces_compiles_and_recompiles_only_when_the_graph_changes(compiling_engine,
                                                                             caplog):
    engine, compiled_modules = compiling_engine
    caplog.set_level(logging.INFO, logger="webui")

    def notices(**extra):
        caplog.clear()
        engine.txt2img(request(**extra), save=False)
        return [r.getMessage() for r in caplog.records if "first time only" in r.getMessage()]

    assert notices() == ["compiling for 64×64 (UNet batch 2), first time only…"]
    assert len(compiled_modules) == 1 and compiled_modules[0] is engine.pipe.unet
    assert notices() == []                                   # same size: the graph is reused
    assert notices(sampler_name="DPM++ 2M") == []            # sampler: same graph
    assert notices(cfg_scale=4) == []                        # another CFG > 1: same graph
    assert notices(width=96) == ["compiling for 96×64 (UNet batch 2), first time only…"]
    assert notices(batch_size=2) == ["compiling for 64×64 (UNet batch 4), first time only…"]
    assert notices(cfg_scale=1) == ["compiling for 64×64 (UNet batch 1), first time only…"]
    engine.select("two.safetensors")                         # a model switch compiles its UNet
    assert len(compiled_modules) == 2 and compiled_modules[1] is engine.pipe.unet


def test_engine_with_lora_announces_a_new_weight(compiling_engine, lora_file, caplog):
    engine, _ = compiling_engine
    engine.paths.loras.mkdir(parents=True)
    shutil.copy(lora_file, engine.paths.loras)
    caplog.set_level(logging.INFO, logger="webui")

    def notices(prompt):
        caplog.clear()
        engine.txt2img(request(prompt=prompt), save=False)
        return [r.getMessage() for r in caplog.records if "first time only" in r.getMessage()]

    assert len(notices("a cat")) == 1
    assert len(notices("a cat <lora:detail:0.5>")) == 1     # adapters change the graph's inputs
    assert notices("a cat <lora:detail:0.5>") == []
    assert len(notices("a cat <lora:detail:1>")) == 1       # a new scale: dynamo guards on it
    assert notices("a cat") == []                           # back to no LoRA: compiled before


def test_engine_eager_when_refused(tmp_path, caplog):
    import ldm
    from test_engine import make_paths

    caplog.set_level(logging.INFO, logger="webui")
    paths = make_paths(tmp_path)
    ldm.write_checkpoint(paths.checkpoints / "one.safetensors")
    engine = Engine(paths, CPU, Options(compile=True))
    engine.txt2img(request(), save=False)
    assert engine.compiled is None
    messages = [r.getMessage() for r in caplog.records]
    assert any("needs an NVIDIA GPU with CUDA" in m for m in messages)
    assert any(m.startswith("loaded one.safetensors") for m in messages)
    assert not any("first time only" in m for m in messages)


@pytest.mark.parametrize("argv, forwarded", [
    (["--compile"], ["--compile"]),
    (["--no-compile"], ["--no-compile"]),
    ([], []),                                   # left out: the UI decides
])
def test_sdsetup_run_forwards_the_compile_choice(argv, forwarded):
    import argparse

    from sdsetup.launch import add_launch_arguments, forwarded_args

    parser = argparse.ArgumentParser()
    add_launch_arguments(parser)
    extra = forwarded_args(parser.parse_args(argv), "en")
    assert [a for a in extra if "compile" in a] == forwarded


@pytest.fixture
def dynamo_engine(tmp_path, monkeypatch):
    """The real engine whose UNet goes through real dynamo (``torch.compile``) with a backend that
    counts the graphs it is handed and runs them as they are: dynamo's guards and recompiles are
    the real ones, without inductor's code generation (minutes on this CPU)."""
    import ldm
    import torch
    from torch._dynamo.testing import CompileCounter

    from test_engine import make_paths

    torch._dynamo.reset()
    counter = CompileCounter()
    monkeypatch.setattr(compiled_mode, "decide", lambda requested, machine, runtime: Choice(True))
    paths = make_paths(tmp_path)
    ldm.write_checkpoint(paths.checkpoints / "one.safetensors")
    engine = Engine(paths, CPU, Options(compile=True))
    engine._compiler = CompiledUnet(compile_module=lambda unet: unet.compile(backend=counter, dynamic=False))
    yield engine, counter
    torch._dynamo.reset()


def test_dynamo_recompiles_exactly_when_the_page_says_it_compiles(dynamo_engine, lora_file, caplog):
    """What the log announces ("compiling for …, first time only") is what dynamo really does:
    a sampler, seed, CFG above 1 or step count never costs a compile (no guard on Python floats
    such as sigmas or timesteps), a new size, batch or LoRA weight does, once."""
    engine, counter = dynamo_engine
    engine.paths.loras.mkdir(parents=True)
    shutil.copy(lora_file, engine.paths.loras)
    caplog.set_level(logging.INFO, logger="webui")

    def run(**extra) -> tuple[bool, bool]:
        caplog.clear()
        before = counter.frame_count
        engine.txt2img(request(**extra), save=False)
        announced = any("first time only" in r.getMessage() for r in caplog.records)
        return announced, counter.frame_count > before

    assert run() == (True, True)
    for change in ({}, {"seed": 4}, {"steps": 3}, {"sampler_name": "DPM++ 2M"},
                   {"sampler_name": "Euler a", "scheduler": "Karras"}, {"sampler_name": "Restart"},
                   {"cfg_scale": 4}):
        assert run(**change) == (False, False), change
    for schedule in ("Uniform", "Karras", "Exponential", "Polyexponential", "SGM Uniform", "KL Optimal",
                     "Align Your Steps", "Simple", "Normal", "DDIM", "Beta"):
        assert run(scheduler=schedule) == (False, False), schedule
    # Integer timesteps (diffusers' own schedulers) are another graph, compiled once for all four.
    assert run(sampler_name="DDIM") == (True, True)
    for sampler in ("PLMS", "UniPC", "LCM", "DDIM"):
        assert run(sampler_name=sampler, seed=7) == (False, False), sampler
    assert run(width=96) == (True, True)
    assert run(width=96, seed=9) == (False, False)
    assert run(cfg_scale=1) == (True, True)
    assert run(prompt="a cat <lora:detail:0.5>") == (True, True)
    assert run(prompt="a cat <lora:detail:0.5>", seed=8) == (False, False)
    # hires fix: the second pass at twice the size is a new graph, announced before it runs
    assert run(enable_hr=True, hr_scale=2, denoising_strength=0.5) == (True, True)
    assert run(enable_hr=True, hr_scale=2, denoising_strength=0.5, seed=1) == (False, False)


# One start of the engine in compiled mode, as its own process: what ``sdsetup run --compile`` does
# (the cache environment set before torch loads, the real compile step), on the CPU, where inductor
# writes C++ kernels instead of Triton ones. Prints the first image's time and writes its pixels.
ONE_START = """
import json, sys, time
from pathlib import Path
import numpy as np
sys.path[:0] = [".", "tests/webui"]
from test_engine import make_paths
from webui import compile as compiled_mode
from webui.compile import Choice
from webui.engine import Engine, Options
from webui.params import parse_txt2img
from webui.runtime import Machine

compiled_mode.decide = lambda requested, machine, runtime: Choice(True)
home, out = Path(sys.argv[1]), Path(sys.argv[2])
engine = Engine(make_paths(home), Machine(cuda=False, mps=False, vram=0), Options(compile=True))
started = time.perf_counter()
image = engine.txt2img(parse_txt2img(json.loads(sys.argv[3])), save=False).images[0]
np.save(out, np.asarray(image))
print(json.dumps({"first_image_s": time.perf_counter() - started}))
"""


@pytest.mark.slow
def test_compiled_images_match_eager_and_a_second_start_reuses_the_kernel_cache(tmp_path):
    """The real compile step (inductor, on the CPU here): the image equals the eager one within
    2/255 on average, and a second start with the same cache folder pays much less than the first."""
    import json
    import os
    import subprocess
    import sys

    import ldm
    import numpy as np
    from test_engine import make_paths

    paths = make_paths(tmp_path / "home")
    ldm.write_checkpoint(paths.checkpoints / "one.safetensors")
    body = {"prompt": "a cat", "width": 64, "height": 64, "steps": 3, "seed": 3, "sampler_name": "Euler"}
    eager = np.asarray(Engine(paths, CPU, Options()).txt2img(parse_txt2img(body), save=False).images[0])
    cache = tmp_path / "torch-compile"
    env = {**os.environ, **compiled_mode.cache_env(str(cache))}

    def start(name: str) -> tuple[float, np.ndarray]:
        out = tmp_path / f"{name}.npy"
        done = subprocess.run([sys.executable, "-c", ONE_START, str(tmp_path / "home"), str(out),
                               json.dumps(body)], env=env, capture_output=True, text=True, timeout=900,
                              cwd=Path(__file__).resolve().parents[2])
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])["first_image_s"], np.load(out)

    cold_s, cold = start("cold")
    warm_s, warm = start("warm")
    print(f"first image: cold cache {cold_s:.1f} s, warm cache {warm_s:.1f} s")
    for compiled in (cold, warm):
        assert np.abs(compiled.astype(int) - eager.astype(int)).mean() <= 2
    assert any(cache.rglob("*")), "nothing was written to the cache folder"
    assert warm_s < cold_s / 2, (cold_s, warm_s)
