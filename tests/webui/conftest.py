"""Fixtures of the web UI tests: a tiny A1111-style checkpoint and the real server on a free port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import ldm  # noqa: E402

READY_TIMEOUT = 120


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory) -> dict[str, Path]:
    """Two tiny SD1.x-layout checkpoints with different weights (~6 MB each)."""
    folder = tmp_path_factory.mktemp("checkpoints")
    return {"tiny": ldm.write_checkpoint(folder / "tiny.safetensors", seed=0),
            "other": ldm.write_checkpoint(folder / "other.safetensors", seed=1)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    home: Path
    process: subprocess.Popen

    def api(self, path: str) -> str:
        return f"{self.url}sdapi/v1/{path}"


def start_server(home: Path, checkpoints: list[Path], *extra: str, lang: str = "en",
                 auth: tuple[str, str] | None = None, python: Path = Path(sys.executable)) -> Server:
    target = home / "models" / "Stable-diffusion"
    target.mkdir(parents=True, exist_ok=True)
    for path in checkpoints:
        shutil.copy(path, target / path.name)
    port = free_port()
    env = dict(os.environ, GRADIO_TEMP_DIR=str(home / "gradio-tmp"), HF_HOME=str(home / "hf"),
               SDSETUP_LANG=lang)
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "sdsetup", "--home", str(home), "run", "--python", str(python),
         "--no-browser", "--port", str(port), *extra],
        env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}/", home, process)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((home / "server.log").read_text(errors="replace"))
        try:
            # Ready for the tests once the background hashing has titled every checkpoint.
            models = httpx.get(server.api("sd-models"), timeout=2, auth=auth).json()
            if all(m["hash"] for m in models):
                return server
            time.sleep(0.1)
        except httpx.HTTPError:
            time.sleep(0.3)
    stop_server(server)
    raise RuntimeError("server did not become ready")


def stop_server(server: Server) -> None:
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_checkpoints):
    running = start_server(tmp_path_factory.mktemp("home"), list(tiny_checkpoints.values()))
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def tiny_upscalers(tmp_path_factory) -> dict[str, Path]:
    """Two upscalers built with spandrel's own architectures at tiny sizes, saved as plain state
    dicts: a 4× Real-ESRGAN Compact (.safetensors) and a 2× ESRGAN (.pth)."""
    import torch
    from safetensors.torch import save_file
    from spandrel.architectures.Compact import Compact
    from spandrel.architectures.ESRGAN import ESRGAN

    folder = tmp_path_factory.mktemp("upscalers")
    torch.manual_seed(0)
    compact = folder / "4x_tiny-compact.safetensors"
    save_file(Compact(num_feat=8, num_conv=2, upscale=4).state_dict(), str(compact))
    esrgan = folder / "2x_tiny-esrgan.pth"
    torch.save(ESRGAN(num_filters=8, num_blocks=1, scale=2).state_dict(), esrgan)
    return {"compact": compact, "esrgan": esrgan}


@pytest.fixture(scope="session")
def gfpgan_model(tmp_path_factory) -> Path:
    """A random-weight GFPGAN v1.4 saved as fp16 safetensors (spandrel builds only its published
    shape, 86 M parameters: the smallest face restorer it can run without its extra arches)."""
    import torch
    from safetensors.torch import save_file
    from spandrel.architectures.GFPGAN import GFPGAN

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("faces") / "GFPGANv1.4.safetensors"
    save_file({k: v.half().contiguous() for k, v in GFPGAN().state_dict().items()}, str(path))
    return path
