"""Run an external tool with a hard time limit, killing it (and its children) when it overruns.

A hung ``nvidia-smi`` (a wedged driver does this) must never hold the doctor, so every probe that
runs a program goes through :func:`run_bounded`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    returncode: int | None  # None when the program was killed for overrunning
    stdout: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def _kill_tree(proc: subprocess.Popen) -> None:
    # A wrapper script would otherwise leave its own children running (and holding our pipes).
    if sys.platform == "win32":
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True,
                       check=False)
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.kill()


def run_bounded(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None) -> Output:
    """Run ``argv`` and return its exit status and stdout (stderr is merged into it).

    ``env`` replaces the environment when given.

    Raises ``OSError`` when the program cannot be started (not found, not executable).
    """
    extra: dict = (
        {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if sys.platform == "win32"
        else {"start_new_session": True}
    )
    proc = subprocess.Popen(
        list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True, encoding="utf-8", errors="replace", env=dict(env) if env is not None else None,
        **extra,
    )
    try:
        stdout, _ = proc.communicate(timeout=max(timeout, 0.01))
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        proc.communicate()
        return Output(None, "")
    return Output(proc.returncode, stdout)
