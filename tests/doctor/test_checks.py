"""The doctor's pure checks and renderers: facts and env reports in, statuses and fixes out."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from sdsetup.doctor.checks import CHECKS, DoctorInput, failed, run_checks
from sdsetup.doctor.render import render_text, report_json
from sdsetup.facts.envprobe import EnvReport
from sdsetup.facts.model import DiskInfo, Proxy, PythonInfo
from sdsetup.home import Home
from sdsetup.i18n import set_language
from sdsetup.doctor.logdiag import diagnose
from sdsetup.install.torch_backend import choose_variant

from .conftest import WINDOWS, facts, nvidia

GIB = 1024**3
CUDA_MACHINE = facts(gpus=(nvidia("NVIDIA GeForce RTX 4070", "8.9"),), driver="570.133.07",
                     cuda="12.8")


def statuses(machine, env=None, log=()):
    d = DoctorInput(Home(Path("/sd")), machine, choose_variant(machine), env, log)
    return {check.id: check for check in run_checks(d)}


def test_32_bit_python_fails_with_a_fix():
    checks = statuses(facts(WINDOWS, bits=32))
    assert checks["python"].status == "fail" and checks["python"].fix is not None
    assert checks["torch.variant"].status == "fail"


@pytest.mark.parametrize("change,check_id,status", [
    (dict(python=PythonInfo((3, 11, 9), "cpython", 64, "python", ms_store=True)),
     "python.store", "warn"),
    (dict(python=PythonInfo((3, 11, 9), "cpython", 64, "python", venv_available=False)),
     "python.venv", "fail"),
    (dict(python=PythonInfo((3, 10, 14), "pypy", 64, "pypy3")), "python", "fail"),
    (dict(disk=DiskInfo("/sd", 12 * GIB)), "disk", "warn"),
    (dict(disk=DiskInfo("/sd", 200 * GIB)), "disk", "ok"),
    (dict(disk=DiskInfo("/sd", None)), "disk", "warn"),
    (dict(platform=WINDOWS, disk=DiskInfo("C:\\sd", 200 * GIB, True)), "disk.system", "warn"),
    (dict(platform=WINDOWS, home="C:\\Users\\李雷\\sdsetup"), "home.non_ascii", "warn"),
    (dict(platform=WINDOWS, home="C:\\" + "deep\\" * 20), "home.too_long", "warn"),
    (dict(platform=WINDOWS, home="C:\\Users\\li\\OneDrive\\sd"), "home.onedrive", "warn"),
    (dict(proxies=(Proxy("HTTPS_PROXY", "http://127.0.0.1:7890", False),)), "proxy.HTTPS_PROXY",
     "fail"),
    (dict(proxies=(Proxy("HTTPS_PROXY", "http://127.0.0.1:7890", True),)), "proxy.HTTPS_PROXY",
     "ok"),
    (dict(proxies=(Proxy("system:https", "http://127.0.0.1:7890", False),)),
     "proxy.system:https", "fail"),
    (dict(pip=None), "pip", "warn"),
])
def test_fact_checks(change, check_id, status):
    checks = statuses(replace(facts(), **change))
    assert checks[check_id].status == status
    assert status == "ok" or checks[check_id].fix is not None


def test_small_gpu_memory_suggests_lowvram():
    gtx960 = nvidia("NVIDIA GeForce GTX 960", "5.2")
    small = statuses(facts(gpus=(replace(gtx960, memory_mib=2048),), driver="580.82.09",
                           cuda="13.0"))
    assert small["gpu.0.vram"].status == "warn"
    assert small["gpu.0.vram"].fix.text() == "sdsetup run --lowvram"
    assert "gpu.0.vram" not in statuses(CUDA_MACHINE)


def test_home_paths_that_are_fine():
    checks = statuses(replace(facts(), home="/home/李雷/.local/share/sdsetup"))
    assert not [check_id for check_id in checks if check_id.startswith("home.")]
    long_ok = statuses(replace(facts(WINDOWS), home="C:\\" + "deep\\" * 20, long_paths=True))
    assert "home.too_long" not in long_ok


CPU_TORCH = EnvReport("cuda", "3.11.9", "2.13.0+cpu", error="AssertionError: Torch not compiled "
                      "with CUDA enabled", output="AssertionError: Torch not compiled with CUDA "
                      "enabled\n")
GOOD_CUDA = EnvReport("cuda", "3.11.9", "2.13.0+cu128", "12.8", cuda_available=True,
                      tensor_ok=True)
OLD_CUDA = replace(GOOD_CUDA, torch_version="2.7.1+cu126", cuda_version="12.6")


def test_cpu_torch_on_a_cuda_machine_fails_and_names_the_variant_to_install():
    checks = statuses(CUDA_MACHINE, CPU_TORCH)
    assert checks["env.device"].status == "fail"
    assert checks["env.device"].fix.text() == "sdsetup install --variant cu128"
    assert checks["env.tensor"].status == "fail"
    assert checks["env.log.T2"].status == "fail"  # torch's own message is diagnosed too
    assert checks["env.variant"].status == "warn"


def test_a_good_env_passes_and_an_older_build_only_warns():
    good = statuses(CUDA_MACHINE, GOOD_CUDA)
    assert [good[i].status for i in ("env", "env.tensor")] == ["ok", "ok"]
    assert "env.variant" not in good and not failed(good.values())
    old = statuses(CUDA_MACHINE, OLD_CUDA)
    assert old["env.variant"].status == "warn" and not failed(old.values())


def test_missing_and_broken_env():
    assert statuses(facts())["env"].status == "warn"
    broken = EnvReport("cpu", "3.11.9", error="import torch: ImportError: DLL load failed")
    check = statuses(facts(), broken)["env"]
    assert check.status == "fail" and "DLL load failed" in check.message.text()


def test_log_findings_become_checks():
    findings = diagnose("boom\nOSError: Cannot find empty port in range: 7860-7860.\n")
    check = statuses(facts(), log=findings)["log.U1"]
    assert check.status == "fail" and "7860" in check.message.text()
    assert check.fix.text() == "sdsetup run --port 7861"


def test_checks_are_a_plain_sequence_of_functions():
    assert all(callable(fn) for fn in CHECKS)


def test_text_report_marks_and_fixes_in_chinese_align():
    machine = replace(facts(), disk=DiskInfo("/sd", 3 * GIB))
    d = DoctorInput(Home(Path("/sd")), machine, choose_variant(machine), None)
    set_language("zh_CN")
    try:
        text = render_text(d, run_checks(d))
    finally:
        set_language("en")
    lines = text.splitlines()
    disk = next(i for i, line in enumerate(lines) if " disk " in line)
    assert lines[disk].lstrip().startswith("警告")
    assert lines[disk + 1].lstrip().startswith("解决：")
    rows = [line for line in lines if line.startswith("  正常") or line.startswith("  警告")]
    # Marks of one width (两个汉字), ids padded: every message starts in the same column.
    assert len({re.match(r"  \S+ \S+\s+", line).end() for line in rows}) == 1


def test_json_report_is_serialisable_and_complete():
    import json

    d = DoctorInput(Home(Path("/sd")), CUDA_MACHINE, choose_variant(CUDA_MACHINE), GOOD_CUDA)
    report = json.loads(json.dumps(report_json(d, run_checks(d))))
    assert report["torch_variant"] == "cu128" and report["env"]["variant"] == "cu128"
    assert report["gpus"][0]["compute_capability"] == "8.9"


@pytest.mark.parametrize("machine,requirement", [
    (facts(), "torch==2.13.0+cpu"), (CUDA_MACHINE, "torch==2.13.0+cu128"),
])
def test_requirement_pins_the_local_label(machine, requirement):
    assert choose_variant(machine).requirement == requirement
