"""A Linux CUDA install end to end: the torch build's NVIDIA runtime wheels come from their lock,
and the wheel's own Requires-Dist is checked against the locks before the env is touched.

Tiny real wheels stand in: a ``torch 2.13.0+cu126`` whose ``cuda.is_available()`` answers from an
environment variable, requiring a fake ``nvidia-fake-cu12`` runtime wheel.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.install.conftest import FAKE_TENSORS, LOCK_PLATFORM, PYTHON_TAG, make_wheel, pep503, sha256
from tests.support.fileserver import FileServer

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="separate runtime wheels are a Linux CUDA matter")

CUDA_ENV = "SDSETUP_TEST_FAKE_CUDA"
VERSION = "2.13.0+cu126"
FAKE_CUDA_TORCH = f'''
"""A stand-in for a CUDA torch: what sdsetup's env probe touches, CUDA from an env variable."""
import os

import nvidia_fake_cu12  # a real CUDA build loads its runtime wheels at import

__version__ = "{VERSION}"


class version:
    cuda = "12.6"
    hip = None


class cuda:
    @staticmethod
    def is_available():
        return os.environ.get("{CUDA_ENV}") == "1"

    @staticmethod
    def get_device_name(index):
        return "Fake GPU"

    @staticmethod
    def get_device_capability(index):
        return (8, 6)

    @staticmethod
    def get_arch_list():
        return ["sm_86"]


class backends:
    mps = None
''' + FAKE_TENSORS

RUNTIME = "nvidia-fake-cu12==1.0; platform_system == 'Linux' and platform_machine == 'x86_64'"


def lock_folder(root: Path, wheels: dict[str, bytes], torch_file: str) -> Path:
    """webui.txt (sdt-beta), torch.toml pinning ``torch_file`` as cu126, the cu126 runtime lock."""
    root.mkdir()
    beta = "sdt_beta-2.0-py3-none-any.whl"
    (root / "webui.txt").write_text(f"sdt-beta==2.0 \\\n    --hash=sha256:{sha256(wheels[beta])}\n",
                                    encoding="utf-8")
    (root / "torch.toml").write_text(
        f'[[wheel]]\nrelease = "2.13.0"\nvariant = "cu126"\npython = "{PYTHON_TAG}"\n'
        f'platform = "{LOCK_PLATFORM}"\nfile = "{torch_file}"\nsha256 = "{sha256(wheels[torch_file])}"\n',
        encoding="utf-8")
    runtime = "nvidia_fake_cu12-1.0-py3-none-any.whl"
    (root / f"torch-runtime-cu126-{LOCK_PLATFORM}-{PYTHON_TAG}.txt").write_text(
        f"nvidia-fake-cu12==1.0 \\\n    --hash=sha256:{sha256(wheels[runtime])}\n", encoding="utf-8")
    return root / "webui.txt"


@pytest.fixture
def cuda_set(tmp_path, tiny_set) -> tuple[dict[str, bytes], Path, Path]:
    """(wheels, a lock that satisfies the torch wheel, a lock its wheel needs more than)."""
    built = tmp_path / "built"
    built.mkdir()
    good = make_wheel(built, "torch", VERSION, {"torch": FAKE_CUDA_TORCH}, requires=(RUNTIME,))
    # Another build of the same version (another tag, so another file) that needs one more wheel.
    greedy = make_wheel(built, "torch", VERSION, {"torch": FAKE_CUDA_TORCH},
                        requires=(RUNTIME, "nvidia-more-cu12==2.0; platform_system == 'Linux'",
                                  "nvidia-windows-only==1.0; platform_system == 'Windows'"),
                        tag="py2.py3-none-any")
    make_wheel(built, "nvidia-fake-cu12", "1.0", {"nvidia_fake_cu12": "LOADED = True\n"})
    wheels = {p.name: p.read_bytes() for p in built.iterdir()}
    wheels["sdt_beta-2.0-py3-none-any.whl"] = tiny_set.wheels["sdt_beta-2.0-py3-none-any.whl"]
    return (wheels, lock_folder(tmp_path / "good", wheels, good.name),
            lock_folder(tmp_path / "greedy", wheels, greedy.name))


def install(run_cli, lock: Path, mirror: str):
    return run_cli("install", "--variant", "cu126", "--lock", str(lock), "--mirror", mirror, "--json",
                   env={"SDSETUP_CUDA_DRIVER_VERSION": "550.54.14", CUDA_ENV: "1"}, timeout=300)


def test_cu126_install_takes_its_runtime_wheels_and_a_metadata_gap_stops_before_the_env(
        run_cli, sdsetup_home, cuda_set):
    wheels, good, greedy = cuda_set
    with FileServer(pep503(wheels)) as server:
        done = install(run_cli, good, server.url("/simple"))
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        planned = {f["filename"] for f in result["plan"]["files"]}
        assert "nvidia_fake_cu12-1.0-py3-none-any.whl" in planned
        proof = result["torch"]
        assert (proof["torch_version"], proof["device"], proof["cuda_available"], proof["tensor_ok"]) \
            == (VERSION, "cuda", True, True)

        refused = install(run_cli, greedy, server.url("/simple"))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "requires 1 package(s) the locks do not provide: nvidia-more-cu12==2.0;" in refused.stderr
    assert "nvidia-windows-only" not in refused.stderr  # markers are read for the target
    assert "hint: sdsetup install --variant cpu" in refused.stderr
    env_python = sdsetup_home / "env" / "bin" / "python"
    still = subprocess.run([str(env_python), "-c", "import torch; print(torch.__version__)"],
                           capture_output=True, text=True, timeout=60)
    assert still.stdout.strip() == VERSION  # the working env was never touched
