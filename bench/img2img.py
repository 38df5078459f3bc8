"""img2img benchmark: the engine's img2img / inpaint path against the raw diffusers pipelines.

    python bench/img2img.py [--size 64] [--steps 20] [--denoise 0.75] [--repeat 9]

Both sides run the same single-file checkpoint (the tests' tiny random-weight SD1.x layout), in
this process, at the same size, steps, strength, sampler (Euler) and seed:

* raw: ``AutoPipelineForImage2Image`` / ``AutoPipelineForInpainting`` ``.from_pipe`` of the loaded
  pipeline, called with the prompt, the PIL image (and mask);
* engine: ``Engine.img2img`` (A1111 prompt parsing and weighting, resize, mask feathering, fill,
  overlay, infotext), which is what ``POST /sdapi/v1/img2img`` runs after decoding the request.

The medians of ``--repeat`` runs of each, taken in turns after a warm-up, are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "webui")]
os.environ.update({"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"})

PROMPT, NEGATIVE, SEED = "a lighthouse on a cliff at dusk, detailed", "blurry, lowres", 1234


def paired_medians(first, second, repeat: int) -> tuple[float, float]:
    """Medians of ``repeat`` runs of each, taken in turns after one warm-up of each, so that load
    from other processes falls on both sides alike."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for call, spent in zip((first, second), times):
            started = time.perf_counter()
            call()
            spent.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--denoise", type=float, default=0.75)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    import numpy as np
    import torch
    from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting, EulerDiscreteScheduler
    from PIL import Image

    import ldm
    from webui.engine import Engine, Options, Paths
    from webui.img2img_params import Img2Img
    from webui.masking import MaskSettings
    from webui.params import parse_txt2img
    from webui.runtime import Machine

    torch.set_num_threads(os.cpu_count() or 1)
    home = Path(tempfile.mkdtemp(prefix="bench-img2img-"))
    paths = Paths(home / "ckpt", home / "lora", home / "vae", home / "emb", home / "out", home / "hashes.json")
    ldm.write_checkpoint(paths.checkpoints / "tiny.safetensors")
    engine = Engine(paths, Machine(cuda=False, mps=False, vram=0), Options())
    size = args.size
    init = Image.fromarray(np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8))
    mask = Image.new("L", (size, size))
    mask.paste(255, (size // 4, size // 4, 3 * size // 4, 3 * size // 4))
    base = parse_txt2img({"prompt": PROMPT, "negative_prompt": NEGATIVE, "width": size, "height": size,
                          "steps": args.steps, "seed": SEED, "sampler_name": "Euler", "cfg_scale": 7})
    plain_job = Img2Img(base, (init,), None, 0, args.denoise)
    mask_job = Img2Img(base, (init,), mask, 0, args.denoise,
                       MaskSettings(blur_x=4, blur_y=4, fill=1, full_res=False))
    engine.img2img(plain_job, save=False)  # loads the model
    pipe = engine.pipe

    def raw(kind, **inputs):
        second = kind.from_pipe(pipe)
        second.set_progress_bar_config(disable=True)
        second.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config, timestep_spacing="linspace")
        return second(PROMPT, negative_prompt=NEGATIVE, strength=args.denoise, num_inference_steps=args.steps,
                      guidance_scale=7.0, generator=torch.Generator("cpu").manual_seed(SEED), **inputs).images

    rows = [
        ("img2img", lambda: raw(AutoPipelineForImage2Image, image=init),
         lambda: engine.img2img(plain_job, save=False)),
        ("inpaint (mask, blur 4)", lambda: raw(AutoPipelineForInpainting, image=init, mask_image=mask,
                                               height=size, width=size),
         lambda: engine.img2img(mask_job, save=False)),
    ]
    print(f"{size}x{size}, {args.steps} steps × {args.denoise} = {int(args.steps * args.denoise)} sampled, "
          f"Euler, median of {args.repeat}")
    for name, raw_call, engine_call in rows:
        raw_s, engine_s = paired_medians(raw_call, engine_call, args.repeat)
        extra = engine_s - raw_s
        print(f"| {name} | {raw_s * 1000:.1f} ms | {engine_s * 1000:.1f} ms | "
              f"{extra * 1000:+.1f} ms ({extra / raw_s * 100:+.1f} %) |")


if __name__ == "__main__":
    main()
