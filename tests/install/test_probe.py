"""Probing mirrors: the choice per role (pure) and a real parallel probe of loopback mirrors."""

from __future__ import annotations

import json

import pytest

from sdsetup.mirrors.probe import ProbeResult, pick_best
from tests.install.conftest import pep503
from tests.support.fileserver import Fault, FileServer


@pytest.mark.parametrize("results, choice", [
    ([], {"packages": "default", "torch": "pytorch", "models": "default"}),
    ([ProbeResult("a", "packages", "u", True, 0.2, 1e6), ProbeResult("b", "packages", "u", True, 0.05, 5e6),
      ProbeResult("c", "packages", "u", False)], {"packages": "b", "torch": "pytorch", "models": "default"}),
    ([ProbeResult("sjtu", "torch", "u", True, 0.01, 9e9, "download.pytorch.org", miss=True),
      ProbeResult("nju", "torch", "u", True, 0.3, 1e6)], {"packages": "default", "torch": "nju", "models": "default"}),
    ([ProbeResult("x", "models", "u", True, 0.3), ProbeResult("y", "models", "u", True, 0.1)],
     {"packages": "default", "torch": "pytorch", "models": "y"}),

    # the official index measured unreachable: torch is looked up among the packages' sources
    ([ProbeResult("lab", "packages", "u", True, 0.1, 1e6), ProbeResult("pytorch", "torch", "u", False),
      ProbeResult("sjtu", "torch", "u", False)], {"packages": "lab", "torch": "default", "models": "default"}),
    ([ProbeResult("pytorch", "torch", "u", False), ProbeResult("default", "models", "u", False),
      ProbeResult("hf", "models", "u", False)], {"packages": "default", "torch": "default", "models": "default"}),
])
def test_pick_best(results, choice):
    assert pick_best(results) == choice


def test_probe_prefers_the_fast_mirror_and_counts_a_lazy_bounce_as_a_miss(run_cli, sdsetup_home, tmp_path,
                                                                         tiny_set):
    six = {"six-1.17.0-py2.py3-none-any.whl": b"x" * 400_000}
    torch_name = "torch-2.13.0%2Bcpu-cp311-cp311-manylinux_2_28_x86_64.whl"
    with FileServer({**pep503(six), f"/cpu/{torch_name}": b"t" * 200_000}) as fast, \
            FileServer(pep503(six)) as slow, FileServer() as lazy:
        slow.fault("/simple/six/six-1.17.0-py2.py3-none-any.whl", Fault(throttle=200_000))
        lazy.fault(f"/cpu/{torch_name}", Fault(redirect_to=fast.base))
        mirrors = tmp_path / "mirrors.toml"
        mirrors.write_text(
            f'[mirrors.fast]\nname_en = "f"\nname_zh = "f"\npypi = "{fast.url("/simple")}"\n'
            f'torch = "{fast.base}/{{variant}}/"\n'
            f'[mirrors.slow]\nname_en = "s"\nname_zh = "s"\npypi = "{slow.url("/simple")}"\n'
            f'[mirrors.lazy]\nname_en = "l"\nname_zh = "l"\ntorch = "{lazy.base.replace("127.0.0.1", "localhost")}/{{variant}}/"\n'
            'torch_layout = "lazy"\ntorch_origin = ["127.0.0.1"]\n', encoding="utf-8")
        env = {"SDSETUP_MIRRORS": str(mirrors)}
        done = run_cli("mirrors", "fast", "slow", "lazy", "--probe", "--json", env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["auto"]["packages"] == "fast" and data["auto"]["torch"] == "fast"
    lazy_torch = next(r for r in data["probe"] if r["mirror"] == "lazy" and r["role"] == "torch")
    assert lazy_torch["miss"] and lazy_torch["final_host"] == "127.0.0.1"
    remembered = json.loads((sdsetup_home / "mirror-choice.json").read_text(encoding="utf-8"))
    assert remembered.pop("since") and remembered == data["auto"]
    table = run_cli("mirrors", "fast", env=env)
    assert "--mirror auto uses: packages fast" in table.stdout
    assert "(probed " in table.stdout and "sdsetup mirrors --forget" in table.stdout
    # remembering never changes what a plain command uses: that stays default
    plain = json.loads(run_cli("doctor", "--json", env=env).stdout)["mirrors"]
    assert plain["chain"][0]["name"] == "default"
    assert "forgot" in run_cli("mirrors", "--forget", env=env).stdout
    assert not (sdsetup_home / "mirror-choice.json").exists()
    assert "no probe result" in run_cli("mirrors", "--forget", env=env).stdout


def test_a_mirror_with_an_invalid_url_is_unreachable_not_a_crash():
    from sdsetup.mirrors.probe import probe
    from sdsetup.mirrors.config import Mirror

    broken = Mirror("broken", "Broken", "坏的", huggingface="http://127.0.0.1:notaport")
    (result,) = probe([broken], torch_file=None, timeout=2)
    assert not result.ok and result.error == "InvalidURL"


def _refusing_port() -> int:
    """A loopback port nothing listens on: connections to it are refused at once."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_auto_never_routes_a_role_to_a_mirror_it_measured_unreachable(run_cli, sdsetup_home, tmp_path):
    """Loopback mirrors, some refusing connections; the official index too (overridden to a dead
    port): auto takes torch from the reachable packages source, and doctor --mirror auto agrees."""
    six = {"six-1.17.0-py2.py3-none-any.whl": b"x" * 100_000}
    dead = f"http://127.0.0.1:{_refusing_port()}"
    with FileServer(pep503(six)) as lab:
        mirrors = tmp_path / "mirrors.toml"
        mirrors.write_text(
            f'[mirrors.lab]\nname_en = "l"\nname_zh = "l"\npypi = "{lab.url("/simple")}"\n'
            f'[mirrors.down]\nname_en = "d"\nname_zh = "d"\npypi = "{dead}/simple"\n'
            f'torch = "{dead}/whl/{{variant}}/"\n'
            f'[mirrors.pytorch]\ntorch = "{dead}/official/{{variant}}/"\n', encoding="utf-8")
        env = {"SDSETUP_MIRRORS": str(mirrors)}
        done = run_cli("mirrors", "lab", "down", "pytorch", "--probe", "--json", env=env)
        assert done.returncode == 0, done.stderr
        auto = json.loads(done.stdout)["auto"]
        assert auto == {"packages": "lab", "torch": "default", "models": "default"}
        doctor = json.loads(run_cli("doctor", "--json", "--mirror", "auto", env=env).stdout)
    chain = doctor["mirrors"]["chain"][0]
    assert dead not in json.dumps(chain) and chain["packages"] == lab.url("/simple"), chain



def test_doctor_fails_a_chosen_source_that_cannot_be_reached(run_cli, sdsetup_home, tmp_path):
    """A remembered choice that routes torch to a host refusing connections: FAIL with a fix."""
    dead = f"http://127.0.0.1:{_refusing_port()}"
    mirrors = tmp_path / "mirrors.toml"
    mirrors.write_text(f'[mirrors.down]\nname_en = "d"\nname_zh = "d"\ntorch = "{dead}/whl/{{variant}}/"\n',
                       encoding="utf-8")
    (sdsetup_home / "mirror-choice.json").write_text(
        json.dumps({"packages": "default", "torch": "down", "models": "default"}), encoding="utf-8")
    env = {"SDSETUP_MIRRORS": str(mirrors)}
    text = run_cli("doctor", "--mirror", "auto", env=env)
    assert text.returncode == 1, text.stdout
    line = next(l for l in text.stdout.splitlines() if "cannot be reached" in l)
    assert line.lstrip().startswith("FAIL") and dead.removeprefix("http://") in line
    assert "sdsetup install --mirror default" in text.stdout  # the sources pip already uses
    report = json.loads(run_cli("doctor", "--json", "--mirror", "auto", env=env).stdout)
    reach = [c for c in report["checks"] if c["id"].startswith("mirrors.reach.")]
    assert reach and reach[0]["status"] == "fail"


@pytest.mark.parametrize("failed, hint", [
    (["sjtu"], "install.hint_other_mirror"),
    (["default"], "install.hint_other_mirror"),
    (["sjtu", "tuna", "pytorch"], "install.hint_other_mirror"),
    (["http://10.0.0.2:8000/simple"], "install.hint_other_mirror"),
    (["auto", "pytorch"], "install.hint_mirror_default"),
    (["sjtu", "auto"], "install.hint_mirror_default"),
])
def test_a_failing_source_is_answered_with_the_other_way(failed, hint):
    from sdsetup.mirrors.choice import retry_hint

    assert retry_hint(failed) == hint


def test_install_hints_name_a_command_that_installs_not_a_probe(run_cli, sdsetup_home, tmp_path):
    """A remembered probe changes only `--mirror auto`: after a named mirror whose index refuses
    connections the hint is `install --mirror auto`; after `auto` itself failed it is
    `install --mirror default`. Never `sdsetup mirrors --probe` alone, which installs nothing."""
    dead = f"http://127.0.0.1:{_refusing_port()}"
    mirrors = tmp_path / "mirrors.toml"
    mirrors.write_text(
        f'[mirrors.lab]\nname_en = "l"\nname_zh = "l"\npypi = "{dead}/simple"\n'
        f'torch = "{dead}/whl/{{variant}}/"\n'
        f'[mirrors.pytorch]\ntorch = "{dead}/official/{{variant}}/"\n', encoding="utf-8")
    env = {"SDSETUP_MIRRORS": str(mirrors)}

    def hint(*args: str) -> str:
        done = run_cli("install", "--dry-run", "--variant", "cpu", *args, env=env)
        assert done.returncode == 1 and "cannot read the package listing" in done.stderr, done.stderr
        return next(line for line in done.stderr.splitlines() if line.startswith("hint:"))

    assert hint("--mirror", "lab").startswith("hint: sdsetup install --mirror auto")
    (sdsetup_home / "mirror-choice.json").write_text(
        json.dumps({"packages": "lab", "torch": "lab", "models": "lab"}), encoding="utf-8")
    assert hint("--mirror", "auto").startswith("hint: sdsetup install --mirror default")
    zh = run_cli("--lang", "zh", "install", "--dry-run", "--variant", "cpu", "--mirror", "lab", env=env)
    assert "提示： sdsetup install --mirror auto   （每类文件用实测最快的镜像" in zh.stderr, zh.stderr
