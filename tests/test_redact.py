"""Userinfo never reaches output: the pure redaction, and every printed surface of the CLI."""

from __future__ import annotations

import json
import time

import pytest

from sdsetup.redact import redact_userinfo

PASSWORD = "S3CRETPW"


@pytest.mark.parametrize("text, shown", [
    ("http://alice:S3CRETPW@host/simple", "http://***@host/simple"),
    ("see https://tok@h:8080/x?a=b@c and ftp://u@h", "see https://***@h:8080/x?a=b@c and ftp://***@h"),
    ("http://host/path@not-userinfo", "http://host/path@not-userinfo"),
    ("'http://a:b@h' \"http://c:d@h\"", "'http://***@h' \"http://***@h\""),
    ("mail me@example.org", "mail me@example.org"),
    ("://@", "://***@"),
])
def test_userinfo_is_hidden_and_nothing_else_changes(text, shown):
    assert redact_userinfo(text) == shown


@pytest.mark.parametrize("piece", ["a", "a:", "://", "://a", "a@", "://a@", ":/", "http://a:b"])
def test_redaction_is_linear_on_adversarial_text(piece):
    text = piece * (1_000_000 // len(piece))
    start = time.perf_counter()
    redact_userinfo(text)
    assert time.perf_counter() - start < 1.0


def _lab(home, base: str) -> None:
    (home / "mirrors.toml").write_text(
        f'[mirrors.lab]\nname_en = "Lab"\nname_zh = "实验室"\npypi = "{base}/simple"\n'
        f'torch = "{base}/whl/{{variant}}/"\nhuggingface = "{base}/hf"\n', encoding="utf-8")


def test_no_printed_surface_shows_a_password(run_cli, sdsetup_home):
    sdsetup_home.mkdir(parents=True, exist_ok=True)
    _lab(sdsetup_home, f"http://alice:{PASSWORD}@127.0.0.1:9")
    runs = {
        "doctor": run_cli("doctor", "--mirror", "lab"),
        "doctor --json": run_cli("doctor", "--mirror", "lab", "--json"),
        "install": run_cli("install", "--mirror", "lab", "--dry-run", timeout=180),
        "install adhoc": run_cli("install", "--mirror", f"http://bob:{PASSWORD}@127.0.0.1:9/simple",
                                 "--dry-run", timeout=180),
        "mirrors": run_cli("mirrors"),
        "mirrors --json": run_cli("mirrors", "--json"),
        "civitai": run_cli("models", "get", "civitai:110@11",
                           env={"SDSETUP_CIVITAI_URL": f"http://u:{PASSWORD}@127.0.0.1:9",
                                "CIVITAI_TOKEN": "t"}),
        "civitai bad": run_cli("models", "get", "civitai:110@11",
                               env={"SDSETUP_CIVITAI_URL": f"ftp://u:{PASSWORD}@127.0.0.1:9"}),
    }
    for name, result in runs.items():
        assert "Traceback" not in result.stderr, (name, result.stderr)
        assert PASSWORD not in result.stdout + result.stderr, (name, result.stdout, result.stderr)
    assert "***@127.0.0.1:9" in runs["doctor"].stdout
    json.loads(runs["doctor --json"].stdout)
    assert runs["install"].returncode == 1 and "***@127.0.0.1:9" in runs["install"].stderr
