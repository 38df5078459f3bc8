"""probe_env against real interpreters: the dev venv (torch CPU) and a fresh venv without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sdsetup.facts.envprobe import EnvReport, parse_probe_output, probe_env

torch = pytest.importorskip("torch", reason="the dev venv has torch; the probe is tested on it")


def test_dev_venv_torch_on_cpu():
    report = probe_env(Path(sys.executable), "cpu")
    assert report.error is None, report.output
    assert report.torch_version == torch.__version__
    assert report.python_version == ".".join(map(str, sys.version_info[:3]))
    assert report.tensor_ok
    assert report.cuda_available == torch.cuda.is_available()
    expected = torch.__version__.partition("+")[2] or "default"
    assert report.variant == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_usable_gpu_reports_the_torch_error():
    report = probe_env(Path(sys.executable), "cuda")
    assert not report.tensor_ok
    # a CPU build says it has no CUDA; a CUDA build (the dev env's torch 2.14.1) finds no driver
    assert ("Torch not compiled with CUDA enabled" in report.error
            or "Found no NVIDIA driver" in report.error), report.error


def test_python_without_torch(tmp_path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")],
                   check=True, timeout=120)
    python = tmp_path / "bare" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    report = probe_env(python, "cpu")
    assert report.python_version and report.torch_version is None
    assert "No module named 'torch'" in report.error
    assert report.variant is None and not report.tensor_ok


def test_missing_interpreter(tmp_path):
    report = probe_env(tmp_path / "nope" / "python", "cpu")
    assert report.torch_version is None and report.error


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX script")
def test_timeout_is_reported(tmp_path):
    slow = tmp_path / "slow-python"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    report = probe_env(slow, "cpu", timeout=0.5)
    assert report.error == "timed out after 0.5 s"


@pytest.mark.parametrize("text,torch_version,error", [
    ('warning first\nSDSETUP-ENVPROBE {"python": "3.11.9", "torch": "2.5.1+cu121", '
     '"cuda": "12.1", "tensor_ok": true}\n', "2.5.1+cu121", None),
    ("Traceback (most recent call last):\nSegmentation fault\n", None, "Segmentation fault"),
    ("SDSETUP-ENVPROBE {not json\n", None, "unreadable probe output"),
    ("", None, "no output"),
])
def test_parse_probe_output(text, torch_version, error):
    report = parse_probe_output(text, "cuda")
    assert report.torch_version == torch_version
    assert (report.error is None) if error is None else (error in report.error)


@pytest.mark.parametrize("version,variant", [("2.5.1+cu121", "cu121"), ("2.6.0+rocm6.2.4",
                                                                       "rocm6.2.4"),
                                             ("2.13.0", "default"), (None, None)])
def test_variant_from_local_label(version, variant):
    assert EnvReport("cpu", torch_version=version).variant == variant
