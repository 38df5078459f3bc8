"""gather_facts against real subprocesses (fake nvidia-smi executables) and real sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sdsetup.facts import gather_facts, merge_nvidia
from sdsetup.bounded import run_bounded
from sdsetup.facts.model import Proxy
from sdsetup.facts.network import probe_proxy
from sdsetup.facts.nvidia import NvidiaFacts
from sdsetup.home import Home

from .conftest import LINUX, WSL, capture

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fake tools are POSIX scripts")


def _facts(tmp_path: Path, env: dict[str, str], timeout: float = 2.0):
    return gather_facts(Home(tmp_path / "home"), timeout, dict(os.environ, **env))


def test_rtx_3070_ti_laptop_from_the_query_form(tmp_path, fake_smi):
    facts = _facts(tmp_path, fake_smi(**capture("c-550-rtx3070ti")))
    (gpu,) = facts.gpus
    assert (gpu.name, gpu.memory_mib, gpu.compute_capability) == (
        "NVIDIA GeForce RTX 3070 Ti Laptop GPU", 8192, "8.6")
    assert (facts.nvidia_driver, facts.cuda_driver, facts.driver_source) == (
        "550.54.14", "12.4", "nvidia-smi")
    assert facts.issues == ()


def test_470_retries_without_compute_cap(tmp_path, fake_smi):
    facts = _facts(tmp_path, fake_smi(**capture("a-470")))
    (gpu,) = facts.gpus
    assert (gpu.name, gpu.compute_capability) == ("NVIDIA GeForce RTX 3080 Laptop GPU", "8.6")
    assert (facts.nvidia_driver, facts.cuda_driver) == ("470.63.01", "11.4")


def test_table_is_the_fallback_when_the_query_fails(tmp_path, fake_smi):
    spec = capture("d-580-rtx5090-rtx4090")
    del spec["query"]
    facts = _facts(tmp_path, fake_smi(**spec))
    assert [g.compute_capability for g in facts.gpus] == ["12.0", "8.9"]
    assert facts.cuda_driver == "13.0"


def test_garbage_from_nvidia_smi_is_reported_not_raised(tmp_path, fake_smi):
    facts = _facts(tmp_path, fake_smi(query="\x00\x01 not csv at all\n", table="Segfault\n"))
    assert facts.gpus == () and facts.nvidia_driver is None
    assert [(i.probe, i.kind) for i in facts.issues] == [("nvidia-smi", "garbage")]


def test_hung_nvidia_smi_is_killed_within_the_timeout(tmp_path, fake_smi):
    start = time.monotonic()
    facts = _facts(tmp_path, fake_smi(hang=True), timeout=1.0)
    elapsed = time.monotonic() - start
    assert elapsed < 2.0, elapsed
    assert ("nvidia-smi", "timeout") in [(i.probe, i.kind) for i in facts.issues]
    assert facts.python.bits == 64 and facts.disk is not None  # the other probes still answered


def test_driver_override_env(tmp_path, fake_smi):
    env = dict(fake_smi(**capture("c-550-rtx3070ti")), SDSETUP_CUDA_DRIVER_VERSION="580.82.09")
    facts = _facts(tmp_path, env)
    assert (facts.nvidia_driver, facts.cuda_driver, facts.driver_source) == (
        "580.82.09", "13.0", "env")


def test_merge_prefers_override_then_smi_then_proc():
    smi = NvidiaFacts(driver_version="550.54.14", cuda_version="12.4")
    assert merge_nvidia(smi, "550.54.14", None, LINUX) == ("550.54.14", "12.4", "nvidia-smi")
    assert merge_nvidia(NvidiaFacts(), "535.104.05", None, LINUX)[:2] == ("535.104.05", "12.1")
    assert merge_nvidia(NvidiaFacts(), None, "551.61", WSL) == ("551.61", "12.4", "env")
    assert merge_nvidia(NvidiaFacts(), None, None, LINUX) == (None, None, None)


def test_a_stuck_probe_cannot_keep_the_process_alive():
    script = ("import threading\n"
              "from sdsetup.facts import run_probes\n"
              "results, issues = run_probes({'stuck': threading.Event().wait, 'fine': lambda: 1,\n"
              "                              'broken': lambda: 1 / 0}, 0.2)\n"
              "print(results, sorted((i.probe, i.kind) for i in issues))\n")
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=30)
    assert time.monotonic() - start < 10
    assert out.stdout.strip() == "{'fine': 1} [('broken', 'error'), ('stuck', 'timeout')]"


def test_run_bounded_kills_the_whole_process_tree(tmp_path):
    marker = tmp_path / "survivor"
    script = f"sleep 5 && touch {marker} & wait"
    start = time.monotonic()
    out = run_bounded(["sh", "-c", script], 0.5)
    assert out.timed_out and time.monotonic() - start < 2
    time.sleep(0.2)
    assert not marker.exists()


def test_run_bounded_missing_program_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        run_bounded([str(tmp_path / "no-such-tool")], 1)


def test_proxy_probe_against_real_sockets():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        alive = probe_proxy(Proxy("HTTPS_PROXY", f"http://127.0.0.1:{port}"), 1.0)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    dead = probe_proxy(Proxy("HTTPS_PROXY", f"http://127.0.0.1:{dead_port}"), 1.0)
    unreadable = probe_proxy(Proxy("HTTPS_PROXY", "http://host:port"), 1.0)
    assert (alive.alive, dead.alive, unreadable.alive) == (True, False, None)
