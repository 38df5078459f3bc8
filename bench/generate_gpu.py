"""GPU benchmark of issue 13: eager against compiled generation, loads, memory plans.

    python bench/generate_gpu.py [--out DIR] [--steps 20] [--skip-sdxl-compile]
    python bench/generate_gpu.py --smoke        # the same code paths, tiny models, on the CPU

Prints one table (and writes it, with the log, to ``--out`` or ``$OUT``): raw diffusers eager,
the engine eager and the engine compiled at 512² b1, 512² b4, 768² b1 and SDXL-sized 1024² b1;
cold and warm compile (warm: a second process with the persistent cache); the load time of an
SD1.5-sized (~2 GB) checkpoint; peak VRAM; SDXL 1024² on emulated 8 and 6 GiB cards (a
per-process memory fraction; plan, it/s, peak); and the mean absolute pixel difference between
compiled and eager images of the same seed. Random-weight checkpoints of the published shapes
are built on the GPU and written once. it/s = steps / whole-image wall time (text encoding,
sampling, decode), the median of the timed images after a warm-up image.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "webui"), str(ROOT / "bench")]
os.environ.update({"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"})

PROMPT, NEGATIVE, SEED = "a lighthouse on a cliff at dusk, detailed", "blurry, lowres", 1234
TABLE: list[Path] = []  # where say() appends, once main() knows --out


def say(line: str) -> None:
    """Print a result line and append it to the table file at once: a run killed at its time
    limit still leaves what it measured (a pipe's buffer would not)."""
    print(line, flush=True)
    if TABLE:
        with TABLE[0].open("a", encoding="utf-8") as table:
            table.write(line + "\n")


def cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def sync() -> None:
    if cuda():
        import torch

        torch.cuda.synchronize()


def peak_gib() -> float:
    import torch

    return torch.cuda.max_memory_allocated() / 2 ** 30 if cuda() else 0.0


def reset_peak() -> None:
    if cuda():
        import torch

        torch.cuda.reset_peak_memory_stats()


# --- checkpoints -------------------------------------------------------------------------------
def sized_checkpoint(path: Path, family: str, smoke: bool) -> Path:
    """A random-weight pipeline with the family's published shapes, written as an fp16 LDM file."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    import ldm
    from webui import published

    if smoke:
        return ldm.write_checkpoint(path, sdxl=family == "sdxl")
    pipe = ldm.tiny_sdxl_pipeline() if family == "sdxl" else ldm.tiny_pipeline()
    with torch.device("cuda" if cuda() else "cpu"):  # initialising 2.6 B weights on a CPU is slow
        torch.manual_seed(0)
        pipe.unet = UNet2DConditionModel(**published.UNET[family])
        pipe.vae = AutoencoderKL(**published.VAE[family])
        pipe.text_encoder = CLIPTextModel(CLIPTextConfig(**published.TEXT_ENCODER[family]))
        if family == "sdxl":
            pipe.text_encoder_2 = CLIPTextModelWithProjection(
                CLIPTextConfig(**published.TEXT_ENCODER_2["sdxl"]))
    save_file({k: v.half().cpu() for k, v in ldm.to_ldm(pipe).items()}, str(path))
    del pipe
    if cuda():
        torch.cuda.empty_cache()
    return path


# --- the three contenders ----------------------------------------------------------------------
def raw_pipeline(checkpoint: Path):
    """Plain diffusers on the same checkpoint, through the same offline loader, whole on the GPU."""
    from diffusers import EulerDiscreteScheduler

    from webui.loading import load_pipeline, plan
    from webui.runtime import Runtime

    runtime = Runtime("cuda", True, "none") if cuda() else Runtime("cpu", False, "none")
    pipe, _ = load_pipeline(checkpoint, runtime, config=plan(checkpoint, False))
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config,
                                                        timestep_spacing="linspace")
    pipe.set_progress_bar_config(disable=True)
    return pipe


def raw_image(pipe, size: int, batch: int, steps: int):
    import torch

    device = "cuda" if cuda() else "cpu"
    return pipe(PROMPT, negative_prompt=NEGATIVE, num_inference_steps=steps, guidance_scale=7.0,
                width=size, height=size, num_images_per_prompt=batch,
                generator=[torch.Generator(device).manual_seed(SEED + i) for i in range(batch)]
                ).images


def engine_for(checkpoint: Path, work: Path, compile_mode: bool | None, machine=None):
    from webui.engine import Engine, Options, Paths
    from webui.runtime import probe_machine

    engine = Engine(Paths(checkpoint.parent, work / "Lora", work / "VAE", work / "embeddings",
                          work / "outputs", work / "hashes.json"),
                    machine or probe_machine(), Options(compile=compile_mode))
    engine.select(checkpoint.name)
    return engine


def engine_image(engine, size: int, batch: int, steps: int):
    from webui.params import parse_txt2img

    request = parse_txt2img({"prompt": PROMPT, "negative_prompt": NEGATIVE, "steps": steps,
                             "width": size, "height": size, "seed": SEED, "batch_size": batch,
                             "sampler_name": "Euler", "cfg_scale": 7})
    return engine.txt2img(request, save=False).images


def timed(make, repeat: int) -> tuple[list[float], float, list]:
    """(timed image seconds, first call seconds, the first call's images)."""
    began = time.perf_counter()
    first_images = make()
    sync()
    first = time.perf_counter() - began
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        make()
        sync()
        times.append(time.perf_counter() - began)
    return times, first, first_images


def its(times: list[float], steps: int) -> float:
    return steps / statistics.median(times)


def mad(a: list, b: list) -> float:
    """Mean absolute pixel difference, in 1/255 units, over all images of two batches."""
    import numpy as np

    return float(np.mean([np.abs(np.asarray(x, np.int16) - np.asarray(y, np.int16)).mean()
                          for x, y in zip(a, b)]))


def spread(images: list) -> float:
    import numpy as np

    return float(np.asarray(images[0], np.float32).std())


# --- child processes: a warm start, and emulated small cards ------------------------------------
def child(args) -> int:
    """One measured process: start → (fraction) → engine → first image; prints one JSON line."""
    import torch

    from webui.runtime import probe_machine

    if args.fraction_gib and cuda():
        total = torch.cuda.get_device_properties(0).total_memory
        torch.cuda.set_per_process_memory_fraction(args.fraction_gib * 2 ** 30 / total)
    imported = time.perf_counter() - STARTED
    machine = probe_machine()
    if args.fraction_gib and cuda():  # torch < 2.12 cannot read the fraction back: say it
        from dataclasses import replace

        machine = replace(machine, limit=min(machine.usable, int(args.fraction_gib * 2 ** 30)))
    checkpoint = Path(args.child)
    began = time.perf_counter()
    engine = engine_for(checkpoint, checkpoint.parents[2], args.child_compile, machine)
    sync()
    loaded = time.perf_counter() - began
    from webui.runtime import choose_runtime

    runtime = choose_runtime(machine, engine.config.family)
    reset_peak()
    times, first, _ = timed(lambda: engine_image(engine, args.size, 1, args.steps), args.repeat)
    print("CHILD " + json.dumps({
        "imported": imported, "loaded": loaded, "first": first, "since_start": time.perf_counter() - STARTED,
        "its": its(times, args.steps) if times else None, "peak": peak_gib(),
        "limit_gib": machine.usable / 2 ** 30, "plan": runtime.offload,
        "visiting": list(runtime.visiting), "compiled": engine.compiled is not None}), flush=True)
    return 0


def run_child(checkpoint: Path, size: int, steps: int, repeat: int, env: dict, *extra: str) -> dict:
    began = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", str(checkpoint), "--size", str(size),
                          "--steps", str(steps), "--repeat", str(repeat), *extra],
                         capture_output=True, text=True, env=env, timeout=400)
    wall = time.perf_counter() - began
    for line in out.stdout.splitlines():
        if line.startswith("CHILD "):
            return {**json.loads(line[6:]), "wall": wall}
    tail = (out.stderr.strip().splitlines() or ["?"])[-3:]
    raise RuntimeError(f"child failed (rc {out.returncode}): {' | '.join(tail)}")


# --- the benchmark -----------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "."))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="tiny models, tiny sizes (CPU check)")
    parser.add_argument("--skip-sdxl-compile", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="only 512² b1 for SD1.5, no load timing, no raw SDXL, no SDXL compile")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-compile", action=argparse.BooleanOptionalAction, default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument("--fraction-gib", type=float, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=512, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    import logging

    log = logging.getLogger("webui")  # load times and compile notices, as `sdsetup run` logs them
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler(sys.stderr))
    if args.child:
        return child(args)
    args.out.mkdir(parents=True, exist_ok=True)
    TABLE.append(args.out / "table.md")
    TABLE[0].write_text("")
    work = Path(tempfile.mkdtemp(prefix="sdsetup-gpu-bench-"))
    # a cold cache of our own, shared with the warm child: what `sdsetup run` keeps in its home
    from webui.compile import cache_env

    env = dict(os.environ, **cache_env(str(work / "torch-compile")))
    os.environ.update(env)
    return bench(args, work, env)


def bench(args, work: Path, env: dict) -> int:
    import torch

    smoke, steps = args.smoke, (3 if args.smoke else args.steps)
    small, large, xl = (64, 96, 64) if smoke else (512, 768, 1024)
    say(f"torch {torch.__version__}, cuda {torch.version.cuda}, "
        f"{torch.cuda.get_device_name(0) if cuda() else 'no GPU (CPU smoke run)'}")
    if cuda():
        smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version,memory.total",
                              "--format=csv,noheader"], capture_output=True, text=True)
        say(f"driver, memory: {smi.stdout.strip()}")
    say(f"{steps} steps, Euler, CFG 7, fp16 on CUDA; it/s = steps / whole-image time, "
        f"median after a warm-up")
    rows: list[tuple[str, str, str, str]] = []  # path, case, value, note

    def row(path: str, case: str, value: str, note: str = "") -> None:
        rows.append((path, case, value, note))
        say(f"| {path} | {case} | {value} | {note} |")

    models = work / "models" / "Stable-diffusion"
    models.mkdir(parents=True)
    began = time.perf_counter()
    sd15 = sized_checkpoint(models / "sd15-random.safetensors", "sd1", smoke)
    say(f"built {sd15.name} ({sd15.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - began:.1f} s")

    # load time of the ~2 GB checkpoint (page cache), through the engine's loader
    from webui.loading import load_pipeline, plan
    from webui.runtime import choose_runtime, probe_machine

    loads = []
    for _ in range(0 if args.quick else 2):
        began = time.perf_counter()
        pipe, _ = load_pipeline(sd15, choose_runtime(probe_machine(), "sd1"), config=plan(sd15, False))
        sync()
        loads.append(time.perf_counter() - began)
        del pipe
    if loads:
        row("load_pipeline", f"{sd15.stat().st_size / 1e9:.2f} GB file → GPU", f"{min(loads):.2f} s",
            "runs " + ", ".join(f"{s:.2f}" for s in loads))

    cases = [(f"{small}² b1", small, 1, 3), (f"{small}² b4", small, 4, 2), (f"{large}² b1", large, 1, 2)]
    cases = cases[:1] if args.quick else cases
    raw = raw_pipeline(sd15)
    for name, size, batch, repeat in cases:
        times, _, _ = timed(lambda: raw_image(raw, size, batch, steps), repeat)
        row("raw diffusers eager", name, f"{its(times, steps):.1f} it/s")
    del raw
    torch.cuda.empty_cache() if cuda() else None

    eager_images = {}
    engine = engine_for(sd15, work, False)
    for name, size, batch, repeat in cases:
        reset_peak()
        times, _, eager_images[name] = timed(lambda: engine_image(engine, size, batch, steps), repeat)
        row("engine eager", name, f"{its(times, steps):.1f} it/s", f"peak {peak_gib():.2f} GiB")
    del engine
    torch.cuda.empty_cache() if cuda() else None

    try:
        engine = engine_for(sd15, work, True)
        say(f"engine compiled: {'on' if engine.compiled else 'refused (no CUDA)'}")
        for name, size, batch, repeat in cases:
            reset_peak()
            times, first, images = timed(lambda: engine_image(engine, size, batch, steps), repeat)
            row("engine compiled", name, f"{its(times, steps):.1f} it/s",
                f"first image {first:.1f} s (cold), peak {peak_gib():.2f} GiB, MAD vs eager "
                f"{mad(images, eager_images[name]):.3f}/255 (pixel std {spread(images):.1f})")
        del engine
    except Exception as exc:  # noqa: BLE001  (the table says what failed; the run goes on)
        row("engine compiled", "SD1.5", "failed", f"{type(exc).__name__}: {str(exc)[:300]}")
    torch.cuda.empty_cache() if cuda() else None

    try:
        warm = run_child(sd15, small, steps, 1, env, "--child-compile")
        row("warm start (2nd process, persistent cache)", f"{small}² b1",
            f"first image {warm['since_start']:.1f} s after start",
            f"imports {warm['imported']:.1f} s, load {warm['loaded']:.1f} s, first image "
            f"{warm['first']:.1f} s, then {warm['its'] or 0:.1f} it/s, compiled "
            f"{warm['compiled']}; wall incl. interpreter {warm['wall']:.1f} s")
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        row("warm start", f"{small}² b1", "failed", str(exc)[:300])
    sd15.unlink()

    began = time.perf_counter()
    xl_ckpt = sized_checkpoint(models / "sdxl-random.safetensors", "sdxl", smoke)
    say(f"built {xl_ckpt.name} ({xl_ckpt.stat().st_size / 1e9:.2f} GB) in "
        f"{time.perf_counter() - began:.1f} s")
    if not args.quick:
        raw = raw_pipeline(xl_ckpt)
        times, _, _ = timed(lambda: raw_image(raw, xl, 1, steps), 2)
        row("raw diffusers eager", f"SDXL {xl}² b1", f"{its(times, steps):.1f} it/s")
        del raw
        torch.cuda.empty_cache() if cuda() else None
    engine = engine_for(xl_ckpt, work, False)
    reset_peak()
    times, _, xl_eager = timed(lambda: engine_image(engine, xl, 1, steps), 2)
    unconstrained = its(times, steps)
    row("engine eager", f"SDXL {xl}² b1", f"{unconstrained:.1f} it/s", f"peak {peak_gib():.2f} GiB")
    del engine
    torch.cuda.empty_cache() if cuda() else None

    for gib in (8, 6):
        try:
            small_card = run_child(xl_ckpt, xl, steps, 2, env, "--no-child-compile",
                                   "--fraction-gib", str(gib))
            row(f"engine, emulated {gib} GiB", f"SDXL {xl}² b1", f"{small_card['its']:.1f} it/s",
                f"plan {small_card['plan']} {'+'.join(small_card['visiting'])}, limit "
                f"{small_card['limit_gib']:.2f} GiB, peak {small_card['peak']:.2f} GiB, "
                f"{small_card['its'] / unconstrained * 100:.0f} % of unconstrained")
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            row(f"engine, emulated {gib} GiB", f"SDXL {xl}² b1", "failed", str(exc)[:300])

    if not (args.skip_sdxl_compile or args.quick):
        try:
            engine = engine_for(xl_ckpt, work, True)
            reset_peak()
            times, first, images = timed(lambda: engine_image(engine, xl, 1, steps), 2)
            row("engine compiled", f"SDXL {xl}² b1", f"{its(times, steps):.1f} it/s",
                f"first image {first:.1f} s (cold), peak {peak_gib():.2f} GiB, MAD vs eager "
                f"{mad(images, xl_eager):.3f}/255 (pixel std {spread(images):.1f})")
        except Exception as exc:  # noqa: BLE001
            row("engine compiled", f"SDXL {xl}² b1", "failed", f"{type(exc).__name__}: {str(exc)[:300]}")
    say(f"total {time.perf_counter() - STARTED:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
