"""``sdsetup run`` as users meet it: help, clear failures, auth, and stopping cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import free_port, start_server, stop_server


def test_help_in_both_languages(run_cli):
    english = run_cli("run", "-h")
    chinese = run_cli("--lang", "zh", "run", "-h")
    assert english.returncode == chinese.returncode == 0
    assert "--api-auth" in english.stdout and "--medvram" in english.stdout
    assert "基本认证" in chinese.stdout


def test_missing_managed_env_says_install(run_cli, sdsetup_home):
    done = run_cli("run", "--no-browser")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: no Python found at {sdsetup_home / 'env' / 'bin' / 'python'}", "hint: sdsetup install"]


def test_python_without_the_packages_names_them(run_cli, tmp_path):
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    done = run_cli("run", "--python", str(bare / "bin" / "python"), "--no-browser")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "lacks torch, diffusers, transformers, gradio, safetensors" in done.stderr
    assert done.stderr.splitlines()[-1] == "hint: sdsetup install"


@pytest.mark.parametrize("flag, value", [("--api-auth", "nopassword"), ("--gradio-auth", ":x")])
def test_malformed_auth_is_a_usage_error(run_cli, flag, value):
    done = run_cli("run", flag, value, "--python", sys.executable)
    assert done.returncode == 2 and f"{flag} must be USER:PASS" in done.stderr


def test_listen_without_auth_warns(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "webui", "--home", str(tmp_path), "--listen", "--nowebui",
         "--port", str(free_port())], stderr=subprocess.PIPE, text=True)
    try:
        assert "warning: --listen without --api-auth" in process.stderr.readline()
    finally:
        process.kill()
        process.wait()


def test_api_and_page_auth(tmp_path, tiny_checkpoints):
    server = start_server(tmp_path, [tiny_checkpoints["tiny"]], "--api-auth", "alice:s3cret",
                          "--gradio-auth", "bob:pw", auth=("alice", "s3cret"))
    try:
        denied = httpx.get(server.api("options"), timeout=10)
        assert denied.status_code == 401 and denied.headers["WWW-Authenticate"] == "Basic"
        wrong = httpx.get(server.api("options"), auth=("alice", "nope"), timeout=10)
        assert wrong.status_code == 401
        allowed = httpx.get(server.api("options"), auth=("alice", "s3cret"), timeout=10)
        assert allowed.status_code == 200 and allowed.json()["sd_model_checkpoint"]
        page = httpx.get(server.url + "config", timeout=10)
        assert page.status_code == 401 or page.json().get("auth_required")
        login = httpx.post(server.url + "login", data={"username": "bob", "password": "pw"}, timeout=10)
        assert login.status_code == 200
    finally:
        stop_server(server)


def test_sigterm_to_sdsetup_stops_the_ui(tmp_path, tiny_checkpoints):
    server = start_server(tmp_path, [tiny_checkpoints["tiny"]], "--nowebui")
    server.process.send_signal(signal.SIGTERM)  # only sdsetup, not its process group
    server.process.wait(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(server.api("options"), timeout=1)
            time.sleep(0.2)
        except httpx.HTTPError:
            return
    stop_server(server)
    pytest.fail("the UI process outlived sdsetup")


def test_ui_runs_from_an_env_without_sdsetup_installed(tmp_path, tiny_checkpoints):
    """The managed env need not contain sdsetup: launch appends our source folder to sys.path."""
    import sysconfig

    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # A plain path entry: the dev venv's packages (torch, gradio…) without its editable sdsetup hook.
    (Path(site) / "dev-packages.pth").write_text(sysconfig.get_path("purelib") + "\n")
    probe = subprocess.run([str(python), "-c", "import torch, gradio; import sdsetup"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert "No module named 'sdsetup'" in probe.stderr
    server = start_server(tmp_path / "home", [tiny_checkpoints["tiny"]], "--nowebui", python=python)
    try:
        assert httpx.get(server.api("sd-models"), timeout=10).json()[0]["model_name"] == "tiny"
    finally:
        stop_server(server)


AUDIT_HOOK = '''
import os, sys

_LOG = os.environ["SDSETUP_TEST_NET_LOG"]
_LOCAL = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "", None}


def _host(address):
    return address[0] if isinstance(address, tuple) else address


def _audit(event, args):
    if event == "socket.getaddrinfo" and args[0] not in _LOCAL:
        host = args[0].decode() if isinstance(args[0], bytes) else args[0]
    elif event == "socket.connect" and isinstance(args[1], tuple) and _host(args[1]) not in _LOCAL:
        host = _host(args[1])
    else:
        return
    with open(_LOG, "a") as log:
        log.write(f"{os.getpid()} {event} {host}\\n")


sys.addaudithook(_audit)
'''


def test_no_outside_host_is_contacted_at_start_or_generation(tmp_path, tiny_checkpoints):
    """Every process's DNS lookups and connects are audited; only loopback may appear."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(AUDIT_HOOK)
    log = tmp_path / "net.log"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))
    os.environ["SDSETUP_TEST_NET_LOG"] = str(log)
    try:
        # The hook itself must see a lookup, or an empty log would prove nothing.
        subprocess.run([sys.executable, "-c", "import socket\ntry:\n socket.getaddrinfo("
                        "'example.invalid', 80)\nexcept OSError:\n pass"], check=True)
        assert "getaddrinfo example.invalid" in log.read_text()
        log.unlink()
        server = start_server(tmp_path / "home", [tiny_checkpoints["tiny"]])
    finally:
        os.environ.pop("SDSETUP_TEST_NET_LOG")
        os.environ["PYTHONPATH"] = os.environ["PYTHONPATH"].replace(str(hooks), "").strip(os.pathsep)
        if not os.environ["PYTHONPATH"]:
            del os.environ["PYTHONPATH"]
    try:
        assert httpx.get(server.url, timeout=30).status_code == 200
        made = httpx.post(server.api("txt2img"), json={"prompt": "x", "steps": 2, "width": 64,
                                                       "height": 64}, timeout=60)
        assert made.status_code == 200
    finally:
        stop_server(server)
    assert not log.exists() or log.read_text() == ""


def test_busy_port_is_reported_with_the_next_one_to_try(tmp_path):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "webui", "--home", str(tmp_path), "--port",
                               str(port)], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, SDSETUP_LANG="en"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-2].startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert lines[-1] == f"hint: sdsetup run --port {port + 1}"
