"""The doctor's mirror section: the user's mirrors.toml, --mirror, and the JSON "mirrors" report."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from sdsetup.doctor.checks import FAIL, OK, WARN, DoctorInput, MirrorFacts, check_mirrors
from sdsetup.home import Home
from sdsetup.mirrors.checks import MirrorCheck
from sdsetup.mirrors.config import adhoc_mirror, build_mirrors, bundled_mirrors_file, read_tables
from sdsetup.install.torch_backend import Message, choose_variant
from tests.support.fileserver import FileServer

from .conftest import facts

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths in expectations")

BAD_MIRRORS = """[mirrors.lab]
name_en = "Lab"
name_zh = "实验室"
torch = "not a url"
"""


def lab_mirrors(base: str) -> str:
    return (f'[mirrors.lab]\nname_en = "Lab"\nname_zh = "实验室"\npypi = "{base}/simple"\n'
            f'torch = "{base}/whl/{{variant}}/"\nhuggingface = "{base}/hf"\n')


def mirror_statuses(m: MirrorFacts) -> dict[str, tuple[str, str, str | None]]:
    machine = facts()
    d = DoctorInput(Home(Path("/sd")), machine, choose_variant(machine), None, mirrors=m)
    return {c.id: (c.status, c.message.text(), c.fix.text() if c.fix else None) for c in check_mirrors(d)}


def test_mirror_facts_become_checks():
    config_bad = MirrorCheck("mirrors.config", False, "install.mirrors_invalid",
                             {"file": "/u/mirrors.toml", "line": 4, "where": "mirrors.lab.torch",
                              "problem": "not a URL"}, "install.hint_mirrors_file")
    miss = MirrorCheck("mirrors.miss.lab", False, "install.check_lazy_miss",
                       {"mirror": "lab", "count": 2, "host": "origin.example"}, "install.hint_other_mirror")
    got = mirror_statuses(MirrorFacts("lab", (config_bad, miss)))
    assert got["mirrors.config"] == (FAIL, "/u/mirrors.toml, line 4, mirrors.lab.torch: not a URL",
                                     "fix line 4 of /u/mirrors.toml, then check it with: sdsetup mirrors")
    assert got["mirrors.miss.lab"][0] == WARN and got["mirrors.miss.lab"][2].startswith("sdsetup install --mirror auto")
    unknown = mirror_statuses(MirrorFacts("nope", (), problem=Message("install.unknown_mirror", {
        "name": "nope", "known": "default, lab"}), hint=Message("install.hint_list_mirrors", {})))
    assert unknown["mirrors.chosen"][0] == FAIL and "nope" in unknown["mirrors.chosen"][1]
    chain = (adhoc_mirror("http://127.0.0.1:9/simple"),)
    shown = mirror_statuses(MirrorFacts("http://127.0.0.1:9/simple", (), chain))
    assert shown["mirrors.chosen"][0] == OK and "packages from http://127.0.0.1:9/simple" in shown["mirrors.chosen"][1]
    assert mirror_statuses(MirrorFacts("default", (), chain * 2)).keys() == {"mirrors.chosen", "mirrors.chosen.1"}


def test_bad_user_mirrors_file_fails_with_file_line_key_and_a_fix(run_cli, sdsetup_home):
    (sdsetup_home / "mirrors.toml").write_text(BAD_MIRRORS, encoding="utf-8")
    out = run_cli("doctor")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    where = f"{sdsetup_home / 'mirrors.toml'}, line 4, mirrors.lab.torch:"
    line = next(line for line in out.stdout.splitlines() if "mirrors.config" in line)
    assert "FAIL" in line and where in line
    assert f"fix: fix line 4 of {sdsetup_home / 'mirrors.toml'}" in out.stdout
    report = json.loads(run_cli("doctor", "--json").stdout)
    check = next(c for c in report["checks"] if c["id"] == "mirrors.config")
    assert check["status"] == "fail" and where in check["message"] and check["fix"]
    assert report["mirrors"]["checks"][0]["status"] == "fail" and report["mirrors"]["chain"] == []
    assert all("ok" not in c for c in report["mirrors"]["checks"])  # "status", as everywhere else


def test_a_named_loopback_mirror_is_shown_without_contacting_it(run_cli, sdsetup_home):
    with FileServer({"/simple/": b"<html></html>"}) as server:
        (sdsetup_home / "mirrors.toml").write_text(lab_mirrors(server.base), encoding="utf-8")
        start = time.monotonic()
        out = run_cli("doctor", "--json", "--mirror", "lab")
        elapsed = time.monotonic() - start
        assert server.requests == []  # doctor stays cheap: no probing unless asked
    assert out.returncode == 0, out.stdout + out.stderr
    mirrors = json.loads(out.stdout)["mirrors"]
    assert mirrors["requested"] == "lab"
    assert mirrors["chain"] == [{"name": "lab", "torch_layout": "index",
                                 "packages": f"{server.base}/simple",
                                 "torch": f"{server.base}/whl/cpu/",
                                 "huggingface": f"{server.base}/hf", "civitai": "-"}]
    assert elapsed < 3.0, elapsed


def test_auto_uses_the_remembered_choice_and_unknown_names_fail(run_cli, sdsetup_home):
    with FileServer() as server:
        (sdsetup_home / "mirrors.toml").write_text(lab_mirrors(server.base), encoding="utf-8")
        (sdsetup_home / "mirror-choice.json").write_text(
            json.dumps({"packages": "lab", "torch": "lab", "models": "lab"}), encoding="utf-8")
        auto = json.loads(run_cli("doctor", "--json", "--mirror", "auto").stdout)["mirrors"]
        assert server.requests == []
    assert auto["chain"][0]["name"] == "auto" and auto["chain"][0]["packages"] == f"{server.base}/simple"
    assert any(c["id"] == "mirrors.auto" and c["status"] == "ok" for c in auto["checks"])
    out = run_cli("doctor", "--mirror", "nope")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "unknown mirror 'nope'" in out.stdout and "fix: sdsetup mirrors" in out.stdout


def test_the_chosen_line_says_fallbacks_in_words():
    """``default`` has no index, torch base or model endpoints of its own: the line says where
    each comes from instead of internal codes (pip-config, "torch packages", "-")."""
    default = build_mirrors([read_tables(bundled_mirrors_file())], "mirrors.toml")["default"]
    line = mirror_statuses(MirrorFacts("default", (), (default,)))["mirrors.chosen"][1]
    assert line == ("mirror default: packages from the sources pip is set up with; torch from the same "
                    "sources as packages; models from https://huggingface.co (Hugging Face) and "
                    "https://civitai.com (Civitai)")
