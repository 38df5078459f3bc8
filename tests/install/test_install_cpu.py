"""The real thing: the bundled CPU lock and the real torch wheel, from a loopback PEP 503 mirror.

The mirror is built once per session from the wheels pip downloads for the bundled lock (pip finds
them through whatever sources it is configured with; nothing here names a path or an index). The
torch release is torch.toml's. Only an interpreter no lock covers, or pip failing to reach any of
its sources, skips; a broken lock or torch.toml, a hash or a version pip cannot find, fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from packaging.version import Version

from sdsetup import http
from sdsetup.bounded import run_bounded
from sdsetup.install.index_pages import local_path
from sdsetup.install.lockfile import LockError, TorchPin, bundled_lock, read_lock, torch_pins
from sdsetup.mirrors.pipconfig import pip_package_sources
from sdsetup.install.venv import inspect_python
from tests.install.conftest import pep503
from tests.support.fileserver import FileServer

pytestmark = pytest.mark.slow


# What pip prints when no configured source answers (as opposed to a hash or version problem,
# which means the lock or torch.toml under test is wrong and must fail).
UNREACHABLE = ("NewConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ProxyError",
               "Max retries exceeded", "Network is unreachable", "Name or service not known",
               "Temporary failure in name resolution", "nodename nor servname",
               "getaddrinfo failed", "Connection refused", "No route to host")
DOWNLOAD_TIMEOUT = 900


def reachable(source: str) -> bool:
    """Whether a pip source answers at all (any HTTP status counts; a folder must exist)."""
    if urlsplit(source).scheme == "file":
        return local_path(source).exists()
    try:
        with http.client(timeout=10.0) as client:
            client.get(source)
    except (httpx.HTTPError, httpx.InvalidURL):
        return False
    return True


def cpu_pin(target) -> TorchPin | None:
    """The newest CPU torch pin torch.toml has for this interpreter (None: not covered)."""
    pins = [p for p in torch_pins() if (p.variant, p.python, p.platform)
            == ("cpu", target.python_tag, target.lock_platform)]
    return max(pins, key=lambda p: Version(p.release), default=None)


@pytest.fixture(scope="session")
def cpu_mirror(tmp_path_factory):
    target = inspect_python(None)
    try:
        lock = bundled_lock(target.lock_platform, target.python_tag)
    except LockError as err:
        if err.key != "install.no_lock":
            raise
        pytest.skip(f"no bundled lock for this interpreter: {err}")
    read_lock(lock)  # a malformed bundled lock fails here, it is what is under test
    pin = cpu_pin(target)
    assert pin is not None, f"torch.toml pins no CPU wheel for {target.python_tag} on {target.lock_platform}"
    assert pin.sha256, f"torch.toml has no sha256 for the CPU wheel {pin.file}"
    folder = tmp_path_factory.mktemp("cpu-wheels")
    requirements = folder / "requirements.txt"
    requirements.write_text(lock.read_text(encoding="utf-8")
                            + f"\ntorch=={pin.version} --hash=sha256:{pin.sha256}\n", encoding="utf-8")
    sources = pip_package_sources()
    where = ", ".join(sources.indexes + sources.find_links) or "no index, no find-links"
    done = run_bounded([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--require-hashes", "-r", str(requirements), "-d", str(folder)],
                       DOWNLOAD_TIMEOUT)
    if done.timed_out:
        pytest.skip(f"pip download of the locked wheels from {where} did not finish in "
                    f"{DOWNLOAD_TIMEOUT} s")
    if done.returncode != 0:
        if any(sign in done.stdout for sign in UNREACHABLE) or not any(
                map(reachable, sources.indexes + sources.find_links)):
            pytest.skip(f"pip cannot reach a source for the locked wheels ({where}): "
                        + done.stdout[-300:])
        pytest.fail(f"pip download of the locked wheels from {where} failed: " + done.stdout[-2000:])
    wheels = {p.name: p.read_bytes() for p in folder.glob("*.whl")}
    with FileServer(pep503(wheels)) as server:
        yield server, pin


def test_cpu_install_proves_torch_and_rerun_is_a_no_op(run_cli, sdsetup_home: Path, cpu_mirror):
    server, pin = cpu_mirror
    mirror = server.url("/simple")
    done = run_cli("install", "--mirror", mirror, "--variant", "cpu", "--home", str(sdsetup_home),
                   "--json", timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["status"] == "installed"
    assert result["torch"]["torch_version"] == pin.version
    assert result["torch"]["tensor_ok"] is True
    python = sdsetup_home / "env" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    imported = subprocess.run([str(python), "-c", "import torch, diffusers, gradio, transformers; "
                               "print(torch.__version__)"], capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert imported.stdout.strip().endswith(pin.version)

    served = len(server.requests)
    started = time.monotonic()
    again = run_cli("install", "--mirror", mirror, "--variant", "cpu", "--json", timeout=300)
    elapsed = time.monotonic() - started
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["status"] == "up_to_date"
    assert elapsed < 10, elapsed
    assert len(server.requests) == served

    _ui_generates_in_the_managed_env(run_cli, sdsetup_home)


def _ui_generates_in_the_managed_env(run_cli, home: Path) -> None:
    """What `sdsetup up` ends in: the bundled UI, run by the env built from the lock, makes an image."""
    import base64
    import io
    import os
    import signal
    import socket

    from PIL import Image

    from tests.webui.ldm import write_checkpoint

    write_checkpoint(home / "models" / "Stable-diffusion" / "tiny.safetensors")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, SDSETUP_HOME=str(home), SDSETUP_LANG="en",
               GRADIO_TEMP_DIR=str(home / "gradio-tmp"), HF_HOME=str(home / "hf"))
    log = home / "ui.log"
    ui = subprocess.Popen([sys.executable, "-m", "sdsetup", "run", "--no-browser", "--port", str(port)],
                          env=env, start_new_session=True, stdout=log.open("wb"),
                          stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/sdapi/v1/"
    try:
        with http.client(timeout=120.0) as client:
            deadline = time.monotonic() + 180
            while True:
                assert ui.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                try:
                    if client.get(api + "sd-models").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            answer = client.post(api + "txt2img", json={
                "prompt": "a cat", "steps": 2, "width": 64, "height": 64, "seed": 7,
                "sampler_name": "LMS"})  # LMS needs scipy: the lock must carry what the UI uses
            assert answer.status_code == 200, answer.text[-2000:]
            image = Image.open(io.BytesIO(base64.b64decode(answer.json()["images"][0])))
            assert image.size == (64, 64)
            assert image.info["parameters"].startswith("a cat\nSteps: 2, Sampler: LMS")
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=30)
