"""The managed virtual environment: which interpreter builds it, and building it without risk.

A new env is always built beside the old one's place: the working env is moved to ``env.old``,
the new one is built at ``env`` (venvs are not relocatable, so it must be built where it will
live), and only a finished, proven env removes ``env.old``. A failure, or an interrupted run found
by the next one, puts the old env back. ``env/sdsetup-install.json`` is written last and marks an
env as finished.

Exceptions::

    SdsetupError
    └── VenvError        an unsupported interpreter, or a venv that could not be created
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
import sysconfig
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.tags import Tag, compatible_tags, cpython_tags, platform_tags

from sdsetup.errors import SdsetupError
from sdsetup.bounded import Output, run_bounded
from sdsetup.download.lock import locked
from sdsetup.facts.model import PythonInfo
from sdsetup.i18n import t
from sdsetup.jsonstate import read_json, write_json

SUPPORTED_PYTHONS = ((3, 10), (3, 12))
STATE_FILE = "sdsetup-install.json"
INSPECT_TIMEOUT = 60.0
CREATE_TIMEOUT = 600.0
"""``python -m venv`` runs ensurepip, which is slow on a cold disk but never takes minutes."""
LOCK_PLATFORMS = {"linux-x86_64": "linux_x86_64", "win-amd64": "win_amd64"}
"""sysconfig platforms → the platform part of lockfile names."""

_QUERY = (
    "import json, platform, struct, sys, sysconfig\n"
    "print(json.dumps({'version': list(sys.version_info[:3]),"
    " 'implementation': sys.implementation.name, 'bits': struct.calcsize('P') * 8,"
    " 'executable': sys.executable, 'platform': sysconfig.get_platform()}))\n"
)


class VenvError(SdsetupError):
    """The managed env cannot be built with this interpreter."""


@dataclass(frozen=True)
class Target:
    """The interpreter the env is built from, and what that means for wheels."""

    python: PythonInfo
    sysconfig_platform: str

    @property
    def python_tag(self) -> str:
        return f"cp{self.python.version[0]}{self.python.version[1]}"

    @property
    def lock_platform(self) -> str:
        return LOCK_PLATFORMS.get(self.sysconfig_platform, self.sysconfig_platform.replace("-", "_"))

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.python.version))


def check_supported(target: Target) -> None:
    """Refuse interpreters no lock and no torch wheel exists for, saying which one would do."""
    info = target.python
    low, high = SUPPORTED_PYTHONS
    supported = f"{low[0]}.{low[1]}–{high[0]}.{high[1]}"
    if info.implementation != "cpython":
        raise VenvError("install.python_not_cpython", hint="install.hint_python",
                        python=info.executable, implementation=info.implementation, supported=supported)
    if info.bits != 64:
        raise VenvError("install.python_32bit", hint="install.hint_python", python=info.executable)
    if not low <= info.version[:2] <= high:
        raise VenvError("install.python_version", hint="install.hint_python",
                        python=info.executable, version=target.version_text, supported=supported)


def target_tags(target: Target, platforms: list[str] | None = None) -> list[Tag]:
    """Wheel tags the target accepts, best first. Its platform is this machine's (same host)."""
    version = target.python.version[:2]
    plats = platforms if platforms is not None else list(platform_tags())
    return [*cpython_tags(version, platforms=plats),
            *compatible_tags(version, interpreter=target.python_tag, platforms=plats)]


def current_target() -> Target:
    """The interpreter running sdsetup, without asking a subprocess."""
    info = PythonInfo(version=tuple(sys.version_info[:3]), implementation=sys.implementation.name,
                      bits=struct.calcsize("P") * 8, executable=sys.executable)
    return Target(info, sysconfig.get_platform())


def parse_target(text: str) -> Target:
    """The interpreter's answer to :data:`_QUERY` (its last line: warnings may come first).

    Raises ``ValueError`` for anything else.
    """
    lines = text.strip().splitlines()
    try:
        data = json.loads(lines[-1] if lines else "")
        info = PythonInfo(version=tuple(int(v) for v in data["version"]),
                          implementation=str(data["implementation"]), bits=int(data["bits"]),
                          executable=str(data["executable"]))
        return Target(info, str(data["platform"]))
    except (KeyError, TypeError, IndexError) as err:
        raise ValueError(f"unexpected answer: {text.strip()[-300:]}") from err


# --------------------------------------------------------------------------- side effects


def _run(argv: list[str], timeout: float, key: str, hint: str) -> Output:
    """Run an interpreter, bounded; one that cannot start or overruns is a :class:`VenvError`."""
    try:
        done = run_bounded(argv, timeout)
    except OSError as err:
        raise VenvError(key, hint=hint, python=argv[0], detail=err.strerror or str(err)) from err
    if done.timed_out:
        raise VenvError(key, hint=hint, python=argv[0],
                        detail=t("install.timed_out", seconds=round(timeout)))
    return done


def inspect_python(python: Path | None, timeout: float = INSPECT_TIMEOUT) -> Target:
    """Ask an interpreter (default: the one running sdsetup) what it is.

    An interpreter that cannot start, overruns ``timeout`` (killed with its children) or answers
    something else is a :class:`VenvError`.
    """
    exe = str(python) if python else sys.executable
    done = _run([exe, "-c", _QUERY], timeout, "install.python_unusable", "install.hint_python")
    try:
        return parse_target(done.stdout)
    except ValueError as err:
        raise VenvError("install.python_unusable", hint="install.hint_python", python=exe,
                        detail=str(err)) from err


def read_state(env_dir: Path) -> dict[str, Any] | None:
    """What a finished install recorded; None for a missing or unfinished env."""
    state = read_json(env_dir / STATE_FILE)
    return state if isinstance(state, dict) else None


def write_state(env_dir: Path, state: Mapping[str, Any]) -> None:
    write_json(env_dir / STATE_FILE, dict(state))


def _aside(env_dir: Path) -> Path:
    return env_dir.with_name(env_dir.name + ".old")


def _hold(env_dir: Path, on_wait: Callable[[], None]):
    """The env's lock: held by an install for its whole swap, and by whoever recovers, so a
    ``doctor`` or ``run`` never takes a half-built env for an interrupted one."""
    return locked(env_dir, 0.1, 5.0, on_wait)


def _say_waiting(env_dir: Path) -> Callable[[], None]:
    return lambda: print(t("install.env_waiting", env=str(env_dir)), file=sys.stderr, flush=True)


def recover(env_dir: Path) -> None:
    """Undo an install that was interrupted (even by kill -9): every command that uses the env
    calls this first, so the working env is back before anything looks at it."""
    if not _aside(env_dir).exists():
        return  # nothing was interrupted (and a first run may have no home folder yet)
    with _hold(env_dir, _say_waiting(env_dir)):
        _restore(env_dir)


def _restore(env_dir: Path) -> None:
    """An unfinished env gives way to the saved one; a finished one drops the saved one."""
    old = _aside(env_dir)
    if not old.exists():
        return
    if read_state(env_dir) is None:
        shutil.rmtree(env_dir, ignore_errors=True)
        old.rename(env_dir)
    else:
        shutil.rmtree(old, ignore_errors=True)


def create(target: Target, env_dir: Path, timeout: float = CREATE_TIMEOUT) -> None:
    """A fresh venv at ``env_dir`` (the old env already moved aside)."""
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(env_dir, ignore_errors=True)
    exe = target.python.executable
    done = _run([exe, "-m", "venv", str(env_dir)], timeout, "install.venv_failed", "install.hint_venv")
    if done.returncode != 0:
        raise VenvError("install.venv_failed", hint="install.hint_venv", python=exe,
                        detail=done.stdout.strip()[-800:])


class Swap:
    """``with Swap(env_dir):`` — build at env_dir; the previous env returns if the block fails."""

    def __init__(self, env_dir: Path) -> None:
        self.env_dir = env_dir
        self.old = _aside(env_dir)
        self.lock = ExitStack()

    def __enter__(self) -> Swap:
        self.lock.enter_context(_hold(self.env_dir, _say_waiting(self.env_dir)))
        try:
            _restore(self.env_dir)
            if self.env_dir.exists():
                try:
                    self.env_dir.rename(self.old)
                except OSError as err:  # Windows will not move an env whose python is running
                    raise VenvError("install.env_busy", hint="install.hint_env_busy",
                                    env=str(self.env_dir), detail=err.strerror or str(err)) from err
        except BaseException:
            self.lock.close()
            raise
        return self

    def __exit__(self, kind, value, traceback) -> None:
        with self.lock:
            if kind is None and read_state(self.env_dir) is not None:
                shutil.rmtree(self.old, ignore_errors=True)
                return
            shutil.rmtree(self.env_dir, ignore_errors=True)
            if self.old.exists():
                self.old.rename(self.env_dir)
