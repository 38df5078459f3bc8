"""Start the bundled web UI (``python -m webui``) in the managed env, or in any env given.

sdsetup itself never imports torch or gradio: it checks the target Python can import them in a
subprocess, then runs ``webui`` as ``__main__`` with the directory holding both packages added to
the end of ``sys.path`` (not PYTHONPATH: when sdsetup is installed, that directory is a whole
site-packages, which must not shadow the env's own torch or numpy), the offline switches set (no Hub, no gradio analytics), and ``SDSETUP_CLI`` telling the page how
to call back into this sdsetup for downloads. Ctrl+C reaches the child (same process group); we
wait for it to stop and return its exit status.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Mapping, Sequence
from pathlib import Path

from sdsetup.errors import SdsetupError, UsageError
from sdsetup.home import Home
from sdsetup.i18n import t
from sdsetup.install.venv import recover

REQUIRED_MODULES = ("torch", "diffusers", "transformers", "gradio", "safetensors")
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "DIFFUSERS_OFFLINE": "1",
               "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "1"}
_PROBE = ("import importlib.util, json, sys; "
          "print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))")
_READY_TIMEOUT = 600
_POLL = 0.5


_FORWARDED_FLAGS = ("listen", "medvram", "lowvram", "allow_ckpt", "nowebui", "api_server_stop")
_FORWARDED_VALUES = ("api_auth", "gradio_auth")


def add_ui_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``sdsetup run`` and ``python -m webui`` share; the first forwards them."""
    parser.add_argument("--host", default="127.0.0.1", help=t("run.opt_host"))
    parser.add_argument("--port", type=int, default=7860, help=t("run.opt_port"))
    parser.add_argument("--listen", action="store_true", help=t("run.opt_listen"))
    parser.add_argument("--api-auth", metavar="USER:PASS", help=t("run.opt_api_auth"))
    parser.add_argument("--gradio-auth", metavar="USER:PASS", help=t("run.opt_gradio_auth"))
    parser.add_argument("--models-dir", metavar="DIR", type=Path, help=t("run.opt_models_dir"))
    memory = parser.add_mutually_exclusive_group()
    memory.add_argument("--medvram", action="store_true", help=t("run.opt_medvram"))
    memory.add_argument("--lowvram", action="store_true", help=t("run.opt_lowvram"))
    parser.add_argument("--allow-ckpt", action="store_true", help=t("run.opt_allow_ckpt"))
    parser.add_argument("--nowebui", action="store_true", help=t("run.opt_nowebui"))
    parser.add_argument("--api-server-stop", action="store_true", help=t("run.opt_api_server_stop"))
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                        help=t("run.opt_compile"))


def add_launch_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``sdsetup run`` and ``sdsetup up`` take to start the UI (``python -m webui`` does not)."""
    add_ui_arguments(parser)
    parser.add_argument("--no-browser", action="store_true", help=t("run.opt_no_browser"))


def check_ui_arguments(args: argparse.Namespace) -> None:
    """``USER:PASS[,USER2:PASS2]`` for both auth options, or a usage error naming the option."""
    for option, value in (("--api-auth", args.api_auth), ("--gradio-auth", args.gradio_auth)):
        for pair in (value or "").split(",") if value is not None else ():
            user, sep, password = pair.partition(":")
            if not (sep and user.strip() and password):
                raise UsageError("run.bad_auth", hint="run.hint_auth", option=option, value=value)


def forwarded_args(args: argparse.Namespace, lang: str) -> list[str]:
    """The ``python -m webui`` options that carry the choices :func:`add_ui_arguments` parsed."""
    extra = ["--lang", lang]
    extra += ["--" + flag.replace("_", "-") for flag in _FORWARDED_FLAGS if getattr(args, flag)]
    if args.compile is not None:  # left out, the UI decides from the GPU it finds
        extra.append("--compile" if args.compile else "--no-compile")
    for option in _FORWARDED_VALUES:
        if getattr(args, option):
            extra += ["--" + option.replace("_", "-"), getattr(args, option)]
    if args.models_dir:
        extra += ["--models-dir", str(args.models_dir.expanduser().absolute())]
    return extra


class LaunchError(SdsetupError):
    """The UI cannot be started: no usable Python, or one missing the UI's packages."""


def source_root() -> Path:
    """The directory that holds both the ``sdsetup`` and ``webui`` packages."""
    return Path(__file__).resolve().parent.parent


# ``python -m webui`` with our source directory appended to sys.path rather than prepended.
_BOOTSTRAP = ("import os, runpy, sys; sys.path.append(os.environ['SDSETUP_SOURCE']); "
              "runpy.run_module('webui', run_name='__main__', alter_sys=True)")


def child_env(home: Home, base: Mapping[str, str], lang: str | None = None) -> dict[str, str]:
    """The environment of the UI process: offline switches, our source and the callback CLI."""
    env = dict(base)
    env.update(OFFLINE_ENV)
    env["SDSETUP_SOURCE"] = str(source_root())
    env["SDSETUP_CLI"] = json.dumps([sys.executable, "-m", "sdsetup", "--home", str(home.root)])
    env["SDSETUP_HOME"] = str(home.root)
    if lang:
        env["SDSETUP_LANG"] = lang
    return env


def webui_command(python: Path, home: Home, host: str, port: int,
                  extra_args: Sequence[str]) -> list[str]:
    return [str(python), "-c", _BOOTSTRAP, "--home", str(home.root), "--host", host,
            "--port", str(port), *extra_args]


def check_python(python: Path, env: Mapping[str, str]) -> None:
    """Raise LaunchError unless ``python`` runs and can import everything the UI needs."""
    if not python.is_file():
        raise LaunchError("run.no_env_python", hint="run.hint_install", python=str(python))
    try:
        probe = subprocess.run([str(python), "-c", _PROBE, *REQUIRED_MODULES],
                               capture_output=True, text=True, env=dict(env), timeout=120)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise LaunchError("run.env_incomplete", hint="run.hint_install", python=str(python),
                          missing=f"python ({err})") from None
    try:
        missing = json.loads(probe.stdout.strip().splitlines()[-1]) if probe.returncode == 0 else None
    except (ValueError, IndexError):
        missing = None
    if missing is None:
        raise LaunchError("run.env_incomplete", hint="run.hint_install", python=str(python),
                          missing="python (" + (probe.stderr.strip().splitlines() or ["?"])[-1] + ")")
    if missing:
        raise LaunchError("run.env_incomplete", hint="run.hint_install", python=str(python),
                          missing=", ".join(missing))


def _answers(url: str) -> bool:
    """Whether the server answers HTTP at all; a 401 (``--api-auth``) counts as up."""
    # No proxy: a developer's HTTP_PROXY must not swallow a loopback request.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _open_when_ready(url: str, child: subprocess.Popen) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline and child.poll() is None:
        if _answers(url + "sdapi/v1/options"):
            if not webbrowser.open(url):
                print(t("run.browser_failed", url=url), file=sys.stderr)
            return
        time.sleep(_POLL)


def _forward_sigterm(child: subprocess.Popen) -> None:
    """A service manager's SIGTERM must stop the UI too, not orphan it holding the port."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: child.terminate())


def launch_ui(home: Home, *, python: Path | None = None, host: str = "127.0.0.1", port: int = 7860,
              extra_args: Sequence[str] = (), open_browser: bool = False,
              lang: str | None = None) -> int:
    """Run the UI until it exits (or Ctrl+C); returns its exit status."""
    if python is None:
        recover(home.env_dir)  # an install killed half-way gives the working env back first
    target = python or home.env_python()
    env = child_env(home, os.environ, lang)
    check_python(target, env)
    child = subprocess.Popen(webui_command(target, home, host, port, extra_args), env=env)
    _forward_sigterm(child)
    if open_browser:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        threading.Thread(target=_open_when_ready, args=(f"http://{shown}:{port}/", child),
                         daemon=True).start()
    try:
        return child.wait()
    except KeyboardInterrupt:
        # The child got the same Ctrl+C; give it time to shut uvicorn down cleanly.
        try:
            return child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.terminate()
            return child.wait()
