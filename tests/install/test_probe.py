"""Probing mirrors: the choice per role (pure) and a real parallel probe of loopback mirrors."""

from __future__ import annotations

import json

import pytest

from sdsetup.mirror_probe import ProbeResult, pick_best
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
    assert remembered == data["auto"]
    table = run_cli("mirrors", "fast", env=env)
    assert "--mirror auto uses: packages fast" in table.stdout


def test_a_mirror_with_an_invalid_url_is_unreachable_not_a_crash():
    from sdsetup.mirror_probe import probe
    from sdsetup.mirrors import Mirror

    broken = Mirror("broken", "Broken", "坏的", huggingface="http://127.0.0.1:notaport")
    (result,) = probe([broken], torch_file=None, timeout=2)
    assert not result.ok and result.error == "InvalidURL"
