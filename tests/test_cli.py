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


def test_only_the_named_command_is_imported():
    from sdsetup.cli import _command_modules, _named_command

    assert _named_command(["--home", "/x", "--lang=zh", "download", "-h"]) == "download"
    assert _named_command(["-h"]) is None and _named_command([]) is None
    assert [m.__name__ for m in _command_modules(["download", "URL"])] == ["sdsetup.commands.download"]
    assert len(_command_modules(["frobnicate"])) == len(_command_modules([])) > 5


def test_every_command_has_help(run_cli):
    listing = run_cli("-h").stdout
    for command in ("doctor", "install", "up", "run", "models", "download", "mirrors", "mirror"):
        assert command in listing
        shown = run_cli(command, "-h")
        assert shown.returncode == 0 and shown.stdout.startswith(f"usage: sdsetup {command}")


def test_dry_run_help_promises_what_it_prints(run_cli):
    """README: `--dry-run` shows every file, its size, sha256 and source; so does its help."""
    for lang in ("en", "zh"):
        shown = run_cli("--lang", lang, "install", "-h").stdout
        assert "sha256" in shown.rsplit("--dry-run", 1)[1].split("--json")[0], shown
