"""The CLI as a user meets it: run as a subprocess, exit codes, error rendering."""

import subprocess
import sys

from sdsetup import __version__


def sdsetup(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "sdsetup", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_version():
    out = sdsetup("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"sdsetup {__version__}"


def test_unknown_command_is_a_usage_error_with_a_hint():
    out = sdsetup("frobnicate")
    assert out.returncode == 2
    assert out.stderr.startswith("error: ")
    assert "hint: sdsetup -h" in out.stderr
    assert "Traceback" not in out.stderr


def test_usage_error_in_chinese():
    out = sdsetup("--lang", "zh", "frobnicate")
    assert out.returncode == 2
    assert out.stderr.startswith("错误：")
    assert "提示：" in out.stderr


def test_unexpected_os_error_is_rendered_not_raised():
    from sdsetup.cli import _os_error, render_error

    err = _os_error(FileExistsError(17, "File exists", "/data/sdhome"))
    text = render_error(err)
    assert text.splitlines()[0] == "error: /data/sdhome: File exists"
    assert text.splitlines()[1].startswith("hint: check that /data/sdhome exists")
