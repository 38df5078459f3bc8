"""Machine facts: what sdsetup needs to know about this computer, gathered quickly and safely.

:func:`gather_facts` runs every probe at once in threads, each bounded by one shared deadline, so a
hung ``nvidia-smi`` costs at most ``timeout`` seconds and never an exception: a probe that cannot
finish leaves a :class:`ProbeIssue` in ``MachineFacts.issues`` instead.

Modules: ``model`` (the dataclasses), ``bounded`` (running a tool with a time limit), ``system``
(OS, Python, disk, git), ``network`` (proxies, pip config), ``nvidia`` (nvidia-smi and the
kernel module), ``accel`` (AMD, Intel, Apple).

Overrides: ``SDSETUP_CUDA_DRIVER_VERSION`` (e.g. ``550.54.14``) stands in for the detected NVIDIA
driver, as uv's ``UV_CUDA_DRIVER_VERSION`` does; it is how to plan an install for another machine.
A value that is not a driver version is a :class:`~sdsetup.errors.UsageError`.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sdsetup.errors import UsageError
from sdsetup.facts.accel import apple_gpu, probe_amd, probe_intel
from sdsetup.facts.model import (DiskInfo, Gpu, MachineFacts, PipConfig, PlatformInfo, ProbeIssue,
                                 Proxy, PythonInfo)
from sdsetup.facts.network import probe_pip_config, probe_proxies, probe_proxy
from sdsetup.facts.nvidia import NvidiaFacts, SmiParseError, parse_proc_version, probe_nvidia_smi
from sdsetup.facts.system import (probe_disk, probe_git, probe_long_paths, probe_platform,
                                  probe_python)
from sdsetup.home import Home
from sdsetup.install.torch_tables import driver_max_cuda

__all__ = ["DiskInfo", "Gpu", "MachineFacts", "PipConfig", "PlatformInfo", "ProbeIssue", "Proxy",
           "PythonInfo", "gather_facts", "merge_nvidia", "run_probes"]

DRIVER_ENV = "SDSETUP_CUDA_DRIVER_VERSION"
PROC_VERSION = Path("/proc/driver/nvidia/version")


def find_nvidia_smi(platform: PlatformInfo, environ: Mapping[str, str]) -> str | None:
    """nvidia-smi on PATH, else where the driver installs it when PATH lacks it."""
    found = shutil.which("nvidia-smi", path=environ.get("PATH"))
    if found:
        return found
    if platform.os == "windows":
        candidate = Path(environ.get("SystemRoot", "C:\\Windows")) / "System32" / "nvidia-smi.exe"
    elif platform.wsl:
        candidate = Path("/usr/lib/wsl/lib/nvidia-smi")
    else:
        return None
    return str(candidate) if candidate.is_file() else None


def driver_from_env(environ: Mapping[str, str]) -> str | None:
    value = environ.get(DRIVER_ENV, "").strip()
    if value and not re.fullmatch(r"\d+(\.\d+){0,2}", value):
        raise UsageError("doctor.driver_env_invalid", hint="doctor.hint_driver_env",
                         var=DRIVER_ENV, value=value)
    return value or None


def _read_proc_version() -> str | None:
    try:
        return parse_proc_version(PROC_VERSION.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SmiParseError):
        return None


def merge_nvidia(smi: NvidiaFacts, proc_driver: str | None, env_driver: str | None,
                 platform: PlatformInfo) -> tuple[str | None, str | None, str | None]:
    """(driver version, driver max CUDA, where the driver came from). The override wins; then
    nvidia-smi, which also reports the CUDA version; then the kernel module's own version."""
    for driver, source, cuda in ((env_driver, "env", None),
                                 (smi.driver_version, "nvidia-smi", smi.cuda_version),
                                 (proc_driver, str(PROC_VERSION), None)):
        if driver:
            if cuda is None:
                derived = driver_max_cuda(driver, platform.windows_driver)
                cuda = f"{derived[0]}.{derived[1]}" if derived else None
            return driver, cuda, source
    return None, None, None


def run_probes(probes: Mapping[str, Callable[[], Any]], timeout: float
               ) -> tuple[dict[str, Any], tuple[ProbeIssue, ...]]:
    """Run every probe at once; what has not answered ``timeout`` (plus a little slack) later is
    a "timeout" issue. Daemon threads, so even a probe stuck in the kernel (a hung network
    drive under HOME) cannot keep the process from exiting."""
    results: dict[str, Any] = {}
    errors: dict[str, BaseException] = {}

    def run(name: str, probe: Callable[[], Any]) -> None:
        try:
            results[name] = probe()
        except Exception as err:  # a probe's bug must not take the doctor down with it
            errors[name] = err

    threads = {name: threading.Thread(target=run, args=(name, probe), daemon=True,
                                      name=f"sdsetup-probe-{name}")
               for name, probe in probes.items()}
    for thread in threads.values():
        thread.start()
    end = time.monotonic() + timeout + 0.5
    for thread in threads.values():
        thread.join(max(0.0, end - time.monotonic()))
    issues = [ProbeIssue(name, "timeout") for name, thread in threads.items() if thread.is_alive()]
    issues += [ProbeIssue(name, "error", repr(err)) for name, err in errors.items()]
    return dict(results), tuple(issues)


def gather_facts(home: Home, timeout: float = 2.0,
                 environ: Mapping[str, str] | None = None) -> MachineFacts:
    env = os.environ if environ is None else environ
    env_driver = driver_from_env(env)
    deadline = time.monotonic() + timeout
    platform = probe_platform(env)
    smi = find_nvidia_smi(platform, env)
    probes: dict[str, Callable[[], Any]] = {
        "disk": lambda: probe_disk(home.root, platform.os, env),
        "long-paths": probe_long_paths,
        "git": lambda: probe_git(deadline - time.monotonic()),
        "pip": lambda: probe_pip_config(deadline - time.monotonic()),
        "proxies": lambda: tuple(probe_proxy(proxy, min(1.0, deadline - time.monotonic()))
                                 for proxy in probe_proxies(env, platform.os)),
        "nvidia-smi": lambda: probe_nvidia_smi(smi, deadline) if smi else NvidiaFacts(),
        "proc": _read_proc_version if platform.os == "linux" and not platform.wsl else lambda: None,
        "amd": (lambda: probe_amd(deadline - time.monotonic())) if platform.os == "linux"
        else tuple,
        "intel": (lambda: probe_intel(deadline - time.monotonic()))
        if platform.os in ("linux", "windows") else tuple,
    }
    results, issues = run_probes(probes, timeout)
    nvidia: NvidiaFacts = results.get("nvidia-smi") or NvidiaFacts()
    driver, cuda, source = merge_nvidia(nvidia, results.get("proc"), env_driver, platform)
    return MachineFacts(
        platform=platform,
        python=probe_python(),
        disk=results.get("disk"),
        home=str(home.root),
        long_paths=results.get("long-paths"),
        git_version=results.get("git"),
        proxies=results.get("proxies", ()),
        pip=results.get("pip"),
        gpus=nvidia.gpus + results.get("amd", ()) + results.get("intel", ()) + apple_gpu(platform),
        nvidia_driver=driver,
        cuda_driver=cuda,
        driver_source=source,
        issues=issues + nvidia.issues,
    )

