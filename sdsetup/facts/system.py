"""Facts about the operating system, this Python, the disk under HOME, and git.

The ``*_from`` functions are pure (they take what was read and return data); the ``probe_*``
functions read the live system.
"""

from __future__ import annotations

import importlib.util
import platform
import re
import shutil
import struct
import sys
from collections.abc import Mapping
from pathlib import Path

from sdsetup.bounded import run_bounded
from sdsetup.facts.model import DiskInfo, PlatformInfo, PythonInfo

_OS = {"win32": "windows", "cygwin": "windows", "darwin": "macos"}
_ARCH = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def platform_from(sys_platform: str, machine: str, release: str,
                  environ: Mapping[str, str]) -> PlatformInfo:
    os_name = _OS.get(sys_platform, "linux" if sys_platform.startswith("linux") else sys_platform)
    arch = _ARCH.get(machine.lower(), machine.lower())
    # WSL kernels carry "microsoft" in their release ("5.15.153.1-microsoft-standard-WSL2").
    wsl = os_name == "linux" and ("microsoft" in release.lower() or "WSL_DISTRO_NAME" in environ)
    return PlatformInfo(os_name, arch, release, wsl)


def probe_platform(environ: Mapping[str, str]) -> PlatformInfo:
    return platform_from(sys.platform, platform.machine(), platform.release(), environ)


def is_ms_store_python(executable: str) -> bool:
    """The Microsoft Store Python runs from a sandboxed ``WindowsApps`` folder whose redirected
    writes break venvs created from it."""
    lowered = executable.lower().replace("/", "\\")
    return "\\windowsapps\\" in lowered or "pythonsoftwarefoundation.python" in lowered


def probe_python() -> PythonInfo:
    # Debian/Ubuntu ship venv without ensurepip unless python3-venv is installed.
    venv_ok = all(importlib.util.find_spec(name) is not None for name in ("venv", "ensurepip"))
    return PythonInfo(
        version=tuple(sys.version_info[:3]),  # type: ignore[arg-type]
        implementation=platform.python_implementation().lower(),
        bits=struct.calcsize("P") * 8,
        executable=sys.executable,
        venv_available=venv_ok,
        ms_store=is_ms_store_python(sys.executable),
    )


def _existing(path: Path) -> Path:
    # HOME may not exist before the first install; its free space is that of its nearest parent.
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def on_system_drive(path: str, os_name: str, environ: Mapping[str, str]) -> bool:
    if os_name != "windows":
        return False
    system = environ.get("SystemDrive", "C:").rstrip("\\").lower()
    return path.lower().startswith(system)


def probe_disk(home: Path, os_name: str, environ: Mapping[str, str]) -> DiskInfo:
    try:
        free = shutil.disk_usage(_existing(home)).free
    except OSError:
        free = None
    return DiskInfo(str(home), free, on_system_drive(str(home), os_name, environ))


def parse_git_version(text: str) -> str | None:
    match = re.search(r"git version (\d+(?:\.\d+)+)", text)
    return match.group(1) if match else None


def probe_git(timeout: float) -> str | None:
    git = shutil.which("git")
    if not git:
        return None
    out = run_bounded([git, "--version"], timeout)
    return parse_git_version(out.stdout) if out.returncode == 0 else None


def home_path_issues(path: str, os_name: str, long_paths: bool | None) -> tuple[str, ...]:
    """What is wrong with a Windows HOME: "non_ascii" (native extensions and old tools cannot
    open it), "too_long" (site-packages adds ~150 characters below HOME, against MAX_PATH = 260,
    unless long paths are enabled) and "onedrive" (sync locks and evicts files under the env)."""
    if os_name != "windows":
        return ()
    issues = []
    if not path.isascii():
        issues.append("non_ascii")
    if len(path) > 80 and long_paths is not True:
        issues.append("too_long")
    if "onedrive" in path.lower():
        issues.append("onedrive")
    return tuple(issues)


def probe_long_paths() -> bool | None:
    """Whether Windows lifts the 260-character path limit (None elsewhere)."""
    if sys.platform != "win32":
        return None
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE,
                            r"SYSTEM\CurrentControlSet\Control\FileSystem") as key:
            return winreg.QueryValueEx(key, "LongPathsEnabled")[0] == 1
    except OSError:
        return False
