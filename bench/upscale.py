"""Upscaler benchmark: the Extras API against raw spandrel, and a 4× model upscale on a GPU.

    python bench/upscale.py [--size 128] [--repeat 5]    # CPU: Extras overhead
    python bench/upscale.py --gpu [--size 1024]           # CUDA: 4× ESRGAN, time and peak VRAM

Models are random-weight copies of real architectures built with spandrel's own classes (their
speed does not depend on the weights): on CPU Real-ESRGAN's Compact at ``realesr-general-x4v3``'s
size (64 features, 32 convolutions, 4×); on GPU ESRGAN at ``RealESRGAN_x4plus``'s size (RRDB,
64 filters, 23 blocks, 4×).

* raw: the image as a tensor through the spandrel model loaded in this process, and back to PIL;
* API (CPU): ``POST /sdapi/v1/extra-single-image`` to ``sdsetup run`` (base64 and PNG both ways,
  A1111's upscale rules, tiles), measured at the client;
* engine (GPU): :class:`webui.upscaling.Upscaling` as the Extras and hires fix run it (tiles of
  512², fp16 where the architecture allows).
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from generate import ROOT, free_port, start_server, stop  # noqa: F401 - ROOT puts the repo on sys.path


def picture(size: int):
    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def write_model(path: Path, gpu: bool) -> Path:
    import torch
    from safetensors.torch import save_file
    from spandrel.architectures.Compact import Compact
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.manual_seed(0)
    net = ESRGAN(num_filters=64, num_blocks=23, scale=4) if gpu else \
        Compact(num_feat=64, num_conv=32, upscale=4)
    save_file(net.state_dict(), str(path))
    return path


def raw_spandrel(model_file: Path, device: str):
    import numpy as np
    import torch
    from PIL import Image
    from safetensors.torch import load_file
    from spandrel import ModelLoader

    model = ModelLoader().load_from_state_dict(load_file(str(model_file))).eval().to(device)
    if device == "cuda":
        model.half()

    @torch.inference_mode()
    def run(image):
        tensor = torch.from_numpy(np.asarray(image)).permute(2, 0, 1)[None].to(device, model.dtype) / 255
        out = model(tensor).clamp(0, 1)[0].permute(1, 2, 0).mul(255).round().byte().cpu().numpy()
        if device == "cuda":
            torch.cuda.synchronize()
        return Image.fromarray(out)

    return run


def timed(call) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def cpu(size: int, repeat: int) -> None:
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "models" / "ESRGAN").mkdir(parents=True)
        model_file = write_model(home / "models" / "ESRGAN" / "4x_bench.safetensors", gpu=False)
        image = picture(size)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        body = {"image": base64.b64encode(buffer.getvalue()).decode(), "upscaler_1": "4x_bench",
                "upscaling_resize": 4}
        port = free_port()
        process, _ = start_server(home, port)
        url = f"http://127.0.0.1:{port}/sdapi/v1/extra-single-image"
        try:
            raw = raw_spandrel(model_file, "cpu")
            raws, apis = [], []
            for i in range(repeat + 1):  # alternate; the first pair warms up and is dropped
                r = timed(lambda: raw(image))
                a = timed(lambda: httpx.post(url, json=body, timeout=600).raise_for_status())
                if i:
                    raws.append(r)
                    apis.append(a)
        finally:
            stop(process)
    raw_ms, api_ms = statistics.median(raws) * 1000, statistics.median(apis) * 1000
    print(f"| {size}² → {size * 4}² | {raw_ms:.0f} | {api_ms:.0f} | {api_ms - raw_ms:+.0f} "
          f"({(api_ms / raw_ms - 1) * 100:+.0f}%) |")


def gpu(size: int) -> None:
    import torch

    from webui.upscalers import Upscaler
    from webui.upscaling import Upscaling

    with tempfile.TemporaryDirectory() as tmp:
        model_file = write_model(Path(tmp) / "4x_bench.safetensors", gpu=True)
        image = picture(size)
        engine = Upscaling(cuda=True)
        upscaler = Upscaler("4x_bench", model_file, "ESRGAN", 4)
        raw = raw_spandrel(model_file, "cuda")
        rows = []
        for label, run in (("engine (tiles of 512², fp16)", lambda: engine.by(image, upscaler, 4, "x")),
                           ("raw spandrel (whole image, fp16)", lambda: raw(image))):
            run()  # warm-up: load, cuDNN's choice of kernels
            torch.cuda.reset_peak_memory_stats()
            seconds = timed(run)  # both end on a copy to the CPU, which waits for the GPU
            rows.append((label, seconds, torch.cuda.max_memory_allocated() / 2**30))
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, {size}² → {size * 4}²")
    print("| path | time (s) | peak VRAM (GiB) |\n|---|---:|---:|")
    for label, seconds, peak in rows:
        print(f"| {label} | {seconds:.2f} | {peak:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gpu", action="store_true", help="4× ESRGAN on CUDA: time and peak VRAM")
    parser.add_argument("--size", type=int, help="input side (default 128 on CPU, 1024 on GPU)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.gpu:
        gpu(args.size or 1024)
    else:
        cpu(args.size or 128, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
