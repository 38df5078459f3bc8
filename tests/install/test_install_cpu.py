"""The real thing: the bundled CPU lock and the real torch wheel, from a loopback PEP 503 mirror.

The mirror is built once per session from the wheels pip downloads for the bundled lock (pip finds
them through whatever sources it is configured with; nothing here names a path or an index).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sdsetup.lockfile import bundled_lock, find_torch_pin, torch_pins
from sdsetup.venv import inspect_python
from tests.install.conftest import pep503
from tests.support.fileserver import FileServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def cpu_mirror(tmp_path_factory):
    target = inspect_python(None)
    try:
        lock = bundled_lock(target.lock_platform, target.python_tag)
        pin = find_torch_pin(torch_pins(), "2.13.0", "cpu", target.python_tag, target.lock_platform)
    except Exception as err:  # noqa: BLE001 - any missing lock means this interpreter is not covered
        pytest.skip(f"no bundled CPU lock for this interpreter: {err}")
    if not pin.sha256:
        pytest.skip(f"{pin.file} has no pinned sha256 to download it by")
    folder = tmp_path_factory.mktemp("cpu-wheels")
    requirements = folder / "requirements.txt"
    requirements.write_text(lock.read_text(encoding="utf-8")
                            + f"\ntorch=={pin.version} --hash=sha256:{pin.sha256}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                           "--require-hashes", "-q", "-r", str(requirements), "-d", str(folder)],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        pytest.skip("pip cannot download the locked wheels here: " + done.stderr[-500:])
    wheels = {p.name: p.read_bytes() for p in folder.glob("*.whl")}
    with FileServer(pep503(wheels)) as server:
        yield server


def test_cpu_install_proves_torch_and_rerun_is_a_no_op(run_cli, sdsetup_home: Path, cpu_mirror):
    mirror = cpu_mirror.url("/simple")
    done = run_cli("install", "--mirror", mirror, "--variant", "cpu", "--home", str(sdsetup_home),
                   "--json", timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["status"] == "installed"
    assert result["torch"]["torch_version"] == "2.13.0+cpu"
    assert result["torch"]["tensor_ok"] is True
    python = sdsetup_home / "env" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    imported = subprocess.run([str(python), "-c", "import torch, diffusers, gradio, transformers; "
                               "print(torch.__version__)"], capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert imported.stdout.strip().endswith("2.13.0+cpu")

    served = len(cpu_mirror.requests)
    started = time.monotonic()
    again = run_cli("install", "--mirror", mirror, "--variant", "cpu", "--json", timeout=300)
    elapsed = time.monotonic() - started
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["status"] == "up_to_date"
    assert elapsed < 10, elapsed
    assert len(cpu_mirror.requests) == served
