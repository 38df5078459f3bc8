"""``sdsetup doctor`` as a user runs it: a subprocess, fake nvidia-smi first on PATH, real files."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest

from .conftest import capture

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fake tools are POSIX scripts")

REAL_NVIDIA = shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia").exists()


def doctor_json(run_cli, *args, env=None):
    out = run_cli("doctor", "--json", *args, env=env)
    assert "Traceback" not in out.stderr, out.stderr
    return out.returncode, json.loads(out.stdout)


@pytest.mark.skipif(REAL_NVIDIA, reason="this machine has an NVIDIA driver")
def test_no_gpu_picks_cpu_with_its_reason_in_both_languages(run_cli):
    start = time.monotonic()
    out = run_cli("doctor")
    elapsed = time.monotonic() - start
    assert out.returncode == 0, out.stdout + out.stderr
    assert "torch: cpu (torch 2.13.0, device cpu)" in out.stdout
    assert "no NVIDIA, AMD or Intel GPU found: using the CPU build" in out.stdout
    assert elapsed < 3.0, elapsed
    zh = run_cli("--lang", "zh", "doctor")
    assert zh.returncode == 0
    assert "未发现 NVIDIA、AMD 或 Intel 显卡：使用 CPU 版本" in zh.stdout
    assert "正常" in zh.stdout and "警告" in zh.stdout  # the env is not installed yet


def test_json_schema(run_cli, fake_smi):
    rc, report = doctor_json(run_cli, env=fake_smi(**capture("d-580-rtx5090-rtx4090")))
    assert rc == 0
    assert set(report["platform"]) >= {"os", "arch", "python"}
    assert report["gpus"] == [
        {"vendor": "nvidia", "name": "NVIDIA GeForce RTX 5090", "memory_mib": 32607,
         "driver_version": "580.82.09", "compute_capability": "12.0", "gfx": None},
        {"vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "memory_mib": 24564,
         "driver_version": "580.82.09", "compute_capability": "8.9", "gfx": None},
    ]
    assert report["cuda_driver"] == "13.0"
    assert report["torch_variant"] == "cu130" and report["torch_device"] == "cuda"
    assert all(isinstance(reason, str) and reason for reason in report["variant_reasons"])
    for check in report["checks"]:
        assert set(check) == {"id", "status", "message", "fix"}
        assert check["status"] in ("ok", "warn", "fail")
        assert check["status"] == "ok" or check["fix"]
    assert report["env"] is None


def test_rtx_3070_ti_laptop_on_550_gets_a_cuda_12_build_the_driver_runs(run_cli, fake_smi):
    rc, report = doctor_json(run_cli, env=fake_smi(**capture("c-550-rtx3070ti")))
    assert rc == 0
    assert report["cuda_driver"] == "12.4"
    assert report["torch_variant"] in ("cu121", "cu124", "cu126", "cu128", "cu129")
    assert report["gpus"][0]["name"] == "NVIDIA GeForce RTX 3070 Ti Laptop GPU"
    reasons = " ".join(report["variant_reasons"])
    assert "550.54.14" in reasons and "minor-version compatibility" in reasons
    assert "cu130 skipped: needs NVIDIA driver >= 580" in reasons


def test_470_never_gets_a_cuda_12_build(run_cli, fake_smi):
    rc, report = doctor_json(run_cli, env=fake_smi(**capture("a-470")))
    assert not report["torch_variant"].startswith(("cu12", "cu13"))
    reasons = " ".join(report["variant_reasons"])
    assert "needs NVIDIA driver >= 525.60.13, this machine has 470.63.01" in reasons
    # doctor recommends only what install can build, and says why there is no CUDA build.
    assert rc == 1 and report["torch_variant"] == "cpu" and report["torch_version"] == "2.13.0"
    assert "sdsetup installs torch 2.13.0, whose oldest CUDA build needs >= 525.60.13" in reasons


@pytest.mark.parametrize("prefix", ["d-570-rtx5090", "d-580-rtx5090-rtx4090"])
def test_rtx_5090_gets_a_build_with_sm_120(run_cli, fake_smi, prefix):
    rc, report = doctor_json(run_cli, env=fake_smi(**capture(prefix)))
    assert report["torch_variant"] in ("cu128", "cu129", "cu130")


def test_pascal_on_580_loses_the_blackwell_builds(run_cli, fake_smi):
    rc, report = doctor_json(run_cli, env=fake_smi(**capture("e-580-gtx1080")))
    assert report["torch_variant"] == "cu126"
    assert any("sm_61" in reason for reason in report["variant_reasons"])


def test_hung_nvidia_smi_does_not_hold_the_doctor(run_cli, fake_smi):
    start = time.monotonic()
    out = run_cli("doctor", env=fake_smi(hang=True))
    elapsed = time.monotonic() - start
    assert elapsed < 3.0, elapsed
    assert "probe.nvidia-smi" in out.stdout and "did not answer in time" in out.stdout
    assert out.returncode == 0


def test_garbage_from_nvidia_smi_is_a_warning(run_cli, fake_smi):
    out = run_cli("doctor", env=fake_smi(query="%%%\n", table="\x00garbage\n"))
    assert "Traceback" not in out.stderr
    assert "printed output sdsetup cannot read" in out.stdout
    assert "fix: nvidia-smi" in out.stdout


def test_log_diagnosis(run_cli, tmp_path):
    log = tmp_path / "webui.log"
    log.write_text("Python 3.10.6\nNVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not "
                   "compatible with the current PyTorch installation.\n", encoding="utf-8")
    out = run_cli("doctor", "--log", str(log))
    assert out.returncode == 1
    assert "log.T3" in out.stdout
    assert "NVIDIA GeForce RTX 5090 (sm_120) is not among the architectures" in out.stdout
    assert "(log line 2)" in out.stdout
    assert "fix: sdsetup install" in out.stdout
    rc, report = doctor_json(run_cli, "--log", str(log))
    assert rc == 1 and any(c["id"] == "log.T3" and c["status"] == "fail" for c in report["checks"])


def test_unreadable_log_is_an_error_naming_the_file(run_cli, tmp_path):
    out = run_cli("doctor", "--log", str(tmp_path / "nope.txt"))
    assert out.returncode == 1
    assert out.stderr.startswith("error: cannot read the log ")
    assert "nope.txt" in out.stderr and "hint: sdsetup doctor --log" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_variant_from_flag_and_env(run_cli):
    flag = run_cli("doctor", "--variant", "cuda12")
    assert flag.returncode == 2 and "unknown torch variant 'cuda12' (from --variant)" in flag.stderr
    env = run_cli("doctor", env={"SDSETUP_TORCH_VARIANT": "nvidia"})
    assert env.returncode == 2 and "SDSETUP_TORCH_VARIANT" in env.stderr
    assert "Traceback" not in flag.stderr + env.stderr


def test_bad_driver_override_says_which_variable(run_cli):
    out = run_cli("doctor", env={"SDSETUP_CUDA_DRIVER_VERSION": "latest"})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "SDSETUP_CUDA_DRIVER_VERSION='latest' is not an NVIDIA driver version" in out.stderr


def test_variant_override_and_driver_override(run_cli, fake_smi):
    rc, report = doctor_json(run_cli, "--variant", "cu130",
                             env=fake_smi(**capture("c-550-rtx3070ti")))
    assert rc == 1 and report["torch_variant"] == "cu130" and not report["variant_ok"]
    rc, report = doctor_json(run_cli, env={"SDSETUP_CUDA_DRIVER_VERSION": "580.82.09",
                                           "SDSETUP_TORCH_VARIANT": None})
    assert (report["nvidia_driver"], report["driver_source"]) == ("580.82.09", "env")
    assert report["torch_variant"] == "cu130"


def test_dead_proxy_fails_with_the_variable_to_clear(run_cli):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    out = run_cli("doctor", env={"HTTPS_PROXY": f"http://127.0.0.1:{port}"})
    assert out.returncode == 1
    assert f"HTTPS_PROXY=http://127.0.0.1:{port} does not answer" in out.stdout
    assert "unset HTTPS_PROXY" in out.stdout


def test_help(run_cli):
    out = run_cli("doctor", "-h")
    assert out.returncode == 0 and "--json" in out.stdout and "--log" in out.stdout


@pytest.mark.skipif(REAL_NVIDIA, reason="expects the CPU choice")
def test_managed_env_is_proved_with_its_own_python(run_cli, sdsetup_home):
    pytest.importorskip("torch")
    python = sdsetup_home / "env" / "bin" / "python"
    python.parent.mkdir(parents=True)
    # The dev venv stands in for the managed env: a wrapper keeps the venv's own site-packages.
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    rc, report = doctor_json(run_cli)
    checks = {check["id"]: check for check in report["checks"]}
    assert rc == 0, checks
    assert report["env"]["tensor_ok"] and report["env"]["torch_version"].startswith("2.")
    assert checks["env.tensor"]["status"] == "ok"
    import torch

    # the variant the dev venv's torch was built for: "cpu", or "cu130" for 2.14.1's default build
    assert report["env"]["variant"] == (torch.__version__.partition("+")[2] or "default")
