"""Generation benchmark: API overhead against the raw diffusers pipeline, and start-up time.

    python bench/generate.py [--size 64] [--steps 20] [--repeat 15] [--starts 3] [--gpu-its]

Both sides run the same single-file checkpoint (the tests' tiny random-weight SD1.x layout unless
``--checkpoint`` names a real one), at the same size, steps, sampler (Euler) and seed:

* raw: ``pipe(prompt, negative_prompt, …)`` on the pipeline loaded in this process;
* API: ``POST /sdapi/v1/txt2img`` to ``sdsetup run`` (A1111 prompt parsing, PNG + infotext,
  base64, JSON), measured at the client.

It also times ``sdsetup run`` from process start to the first 200 from ``/sdapi/v1/options``.
``--gpu-its`` measures it/s at 512×512 in fp16 with an SD1.5-sized random-weight model, through
the UI's engine and through the raw diffusers pipeline (needs CUDA; whole-image steps per second).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "webui")]
os.environ.update({"HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                   "HF_HUB_DISABLE_TELEMETRY": "1"})

PROMPT, NEGATIVE, SEED = "a lighthouse on a cliff at dusk, detailed", "blurry, lowres", 1234


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, port: int) -> tuple[subprocess.Popen, float]:
    import httpx

    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "sdsetup", "--home", str(home), "run", "--python", sys.executable,
         "--no-browser", "--port", str(port)],
        env=dict(os.environ, GRADIO_TEMP_DIR=str(home / "gradio")), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/sdapi/v1/options", timeout=2)
            return process, time.perf_counter() - started
        except httpx.HTTPError:
            if process.poll() is not None:
                raise SystemExit("sdsetup run exited before the API was ready")
            time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def raw_pipeline(checkpoint: Path):
    """The same checkpoint through the same offline loader, called as plain diffusers."""
    from diffusers import EulerDiscreteScheduler

    from webui.loading import load_pipeline
    from webui.runtime import choose_runtime, probe_machine

    machine = probe_machine()
    pipe, _ = load_pipeline(checkpoint, choose_runtime(machine, "sd1"))
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config,
                                                        timestep_spacing="linspace")
    pipe.set_progress_bar_config(disable=True)
    return pipe, "cuda" if machine.cuda else "cpu"


def run_raw(pipe, device: str, size: int, steps: int) -> float:
    import torch

    began = time.perf_counter()
    pipe(PROMPT, negative_prompt=NEGATIVE, num_inference_steps=steps, guidance_scale=7.0,
         width=size, height=size, generator=torch.Generator(device).manual_seed(SEED))
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - began


def run_api(url: str, size: int, steps: int) -> float:
    import httpx

    body = {"prompt": PROMPT, "negative_prompt": NEGATIVE, "steps": steps, "width": size,
            "height": size, "seed": SEED, "sampler_name": "Euler", "cfg_scale": 7.0}
    began = time.perf_counter()
    reply = httpx.post(url + "sdapi/v1/txt2img", json=body, timeout=600)
    reply.raise_for_status()
    return time.perf_counter() - began


def interleaved(checkpoint: Path, url: str, size: int, steps: int,
                repeat: int) -> tuple[list[float], list[float]]:
    """Alternate raw and API images so load from other processes hits both sides alike."""
    pipe, device = raw_pipeline(checkpoint)
    raw, api = [], []
    for i in range(repeat + 1):  # the first pair warms caches and is dropped
        r, a = run_raw(pipe, device, size, steps), run_api(url, size, steps)
        if i:
            raw.append(r)
            api.append(a)
    return raw, api


def sd15_sized_checkpoint(path: Path) -> Path:
    """A random-weight pipeline with SD1.5's published shapes, written as an fp16 LDM file."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPTextConfig, CLIPTextModel

    import ldm
    from webui import published

    pipe = ldm.tiny_pipeline()
    pipe.unet = UNet2DConditionModel(**published.UNET["sd1"])
    pipe.vae = AutoencoderKL(**published.VAE["sd1"])
    pipe.text_encoder = CLIPTextModel(CLIPTextConfig(**published.TEXT_ENCODER["sd1"]))
    save_file({k: v.half() for k, v in ldm.to_ldm(pipe).items()}, str(path))
    del pipe
    torch.cuda.empty_cache()
    return path


def gpu_its(work: Path, steps: int = 20, repeat: int = 3) -> tuple[float, float]:
    """it/s (steps per second of a whole image, 512², fp16) through the engine and raw diffusers."""
    from webui.engine import Engine, Options, Paths
    from webui.params import parse_txt2img
    from webui.runtime import probe_machine

    folder = work / "gpu" / "models" / "Stable-diffusion"
    folder.mkdir(parents=True)
    sd15_sized_checkpoint(folder / "sd15-random.safetensors")
    engine = Engine(Paths(folder, work / "gpu" / "Lora", work / "gpu" / "VAE", work / "gpu" / "embeddings",
                          work / "gpu" / "outputs", work / "gpu" / "hashes.json"),
                    probe_machine(), Options())
    request = parse_txt2img({"prompt": PROMPT, "negative_prompt": NEGATIVE, "steps": steps,
                             "width": 512, "height": 512, "seed": SEED, "sampler_name": "Euler"})
    timings = []
    for _ in range(repeat + 1):
        began = time.perf_counter()
        engine.txt2img(request, save=False)
        timings.append(time.perf_counter() - began)
    engine_its = steps / statistics.median(timings[1:])
    pipe, device = raw_pipeline(folder / "sd15-random.safetensors")
    raw = [run_raw(pipe, device, 512, steps) for _ in range(repeat + 1)][1:]
    return engine_its, steps / statistics.median(raw)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", type=Path, help="a single-file checkpoint (default: tiny)")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--gpu-its", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sdsetup-bench-"))
    try:
        target = work / "models" / "Stable-diffusion"
        target.mkdir(parents=True)
        if args.checkpoint:
            checkpoint = target / args.checkpoint.name
            os.symlink(args.checkpoint.absolute(), checkpoint)
        else:
            import ldm

            checkpoint = ldm.write_checkpoint(target / "tiny.safetensors")
        starts = []
        for _ in range(args.starts):
            port = free_port()
            process, seconds = start_server(work, port)
            starts.append(seconds)
            stop(process)
        port = free_port()
        process, _ = start_server(work, port)
        try:
            raw, api = interleaved(checkpoint, f"http://127.0.0.1:{port}/", args.size, args.steps,
                                   args.repeat)
        finally:
            stop(process)
        raw_ms, api_ms = median_ms(raw), median_ms(api)
        print(f"checkpoint {checkpoint.name}, {args.size}x{args.size}, {args.steps} steps, Euler, "
              f"CFG 7, median of {args.repeat}")
        print(f"raw diffusers pipeline  {raw_ms:8.1f} ms/image  (min {min(raw) * 1000:.1f})")
        print(f"API txt2img over HTTP   {api_ms:8.1f} ms/image  (min {min(api) * 1000:.1f})")
        print(f"API overhead            {api_ms - raw_ms:8.1f} ms/image  "
              f"({(api_ms - raw_ms) / raw_ms * 100:+.1f} %)")
        print(f"sdsetup run → API ready {statistics.median(starts):8.2f} s  "
              f"(runs: {', '.join(f'{s:.2f}' for s in starts)})")
        if args.gpu_its:
            engine_its, raw_its = gpu_its(work)
            print(f"SD1.5-sized random model, 512² fp16, 20 steps: UI engine {engine_its:.2f} it/s, "
                  f"raw diffusers {raw_its:.2f} it/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
