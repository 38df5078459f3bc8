"""``sdsetup install`` end to end with tiny real wheels: loopback mirrors, real venvs, real pip/uv."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.install.conftest import TORCH_FILE, TORCH_VERSION, flat, make_wheel, pep503, sha256
from tests.support.fileserver import Fault, FileServer

pytestmark = pytest.mark.slow


def env_python(home: Path) -> Path:
    windows = home / "env" / "Scripts" / "python.exe"
    return windows if windows.exists() else home / "env" / "bin" / "python"


def imports_ok(home: Path) -> str:
    done = subprocess.run([str(env_python(home)), "-c", "import sdt_alpha, torch; "
                           "print(sdt_alpha.VALUE, torch.__version__)"],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.strip()


def install(run_cli, lock: Path, mirror: str, *extra: str):
    return run_cli("install", "--mirror", mirror, "--variant", "cpu", "--lock", str(lock), *extra,
                   timeout=300)


def test_install_from_loopback_index_then_rerun_is_a_no_op(run_cli, sdsetup_home, tiny_set):
    with FileServer(pep503(tiny_set.wheels)) as server:
        first = install(run_cli, tiny_set.lock, server.url("/simple"), "--installer", "pip", "--json")
        assert first.returncode == 0, first.stderr
        result = json.loads(first.stdout)
        assert result["status"] == "installed"
        assert result["installer"] == "pip"
        assert result["torch"]["torch_version"] == TORCH_VERSION
        assert result["torch"]["tensor_ok"] is True
        assert result["fetched"] == 3
        assert imports_ok(sdsetup_home) == f"42 {TORCH_VERSION}"

        served = len(server.requests)
        started = time.monotonic()
        again = install(run_cli, tiny_set.lock, server.url("/simple"), "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["status"] == "up_to_date"
        assert time.monotonic() - started < 10
        assert len(server.requests) == served  # the warm run never touched the mirror


def test_dry_run_prints_every_file_with_its_source(run_cli, sdsetup_home, tiny_set):
    with FileServer(pep503(tiny_set.wheels)) as server:
        done = install(run_cli, tiny_set.lock, server.url("/simple"), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert sorted(f["filename"] for f in plan["files"]) == sorted(tiny_set.wheels)
    # HTML listings give no sizes: the plan asked the mirror (HEAD), so the total is complete.
    assert {f["filename"]: f["size"] for f in plan["files"]} == {n: len(d) for n, d in tiny_set.wheels.items()}
    assert plan["unknown_sizes"] == 0 and plan["known_size"] == sum(map(len, tiny_set.wheels.values()))
    assert all(f["sources"][0]["url"].startswith(server.base) for f in plan["files"])
    assert not (sdsetup_home / "env").exists()


def test_dry_run_text_shows_each_files_sha256(run_cli, sdsetup_home, tiny_set):
    with FileServer(pep503(tiny_set.wheels)) as server:
        done = install(run_cli, tiny_set.lock, server.url("/simple"), "--dry-run")
    assert done.returncode == 0, done.stderr
    for name, data in tiny_set.wheels.items():
        assert name in done.stdout and f"sha256 {sha256(data)}" in done.stdout, done.stdout


def test_mirror_dying_mid_download_fails_over_to_the_second(run_cli, sdsetup_home, tiny_set):
    with FileServer(pep503(tiny_set.wheels)) as dying, FileServer(pep503(tiny_set.wheels)) as good:
        for name in tiny_set.wheels:
            dying.fault(f"/simple/{name.split('-')[0].replace('_', '-')}/{name.replace('+', '%2B')}",
                        Fault(reset_after=200))
        done = install(run_cli, tiny_set.lock, f"{dying.url('/simple')},{good.url('/simple')}")
        assert done.returncode == 0, done.stderr
        assert sum(good.bytes_sent.values()) > 0
    assert imports_ok(sdsetup_home).startswith("42 ")


def test_a_mirror_serving_a_wrong_file_is_refused(run_cli, sdsetup_home, tiny_set):
    with FileServer(pep503(tiny_set.wheels)) as server:
        path = "/simple/sdt-beta/sdt_beta-2.0-py3-none-any.whl"
        server.fault(path, Fault(corrupt=True))
        done = install(run_cli, tiny_set.lock, server.url("/simple"))
    assert done.returncode == 1
    assert "error:" in done.stderr and "sha256" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (sdsetup_home / "env").exists()
    assert not list((sdsetup_home / "cache" / "wheels").glob("sdt_beta*.whl"))


def test_flat_listing_without_hashes_and_escaped_plus(run_cli, sdsetup_home, tiny_set):
    with FileServer(flat(tiny_set.wheels)) as server:
        page = server.files["/flat/"].decode()
        assert "&#43;" in page and "sha256" not in page
        done = install(run_cli, tiny_set.lock, server.url("/flat/"))
    assert done.returncode == 0, done.stderr
    assert imports_ok(sdsetup_home).startswith("42 ")


def test_lazy_cache_that_bounces_to_its_origin_is_a_miss_that_still_works(
        run_cli, sdsetup_home, tiny_set, tmp_path):
    torch_bytes = tiny_set.wheels[TORCH_FILE]
    others = {k: v for k, v in tiny_set.wheels.items() if k != TORCH_FILE}
    quoted = TORCH_FILE.replace("+", "%2B")
    with FileServer(pep503(others)) as packages, FileServer({f"/cpu/{quoted}": torch_bytes}) as origin, \
            FileServer() as lazy:
        lazy.fault(f"/cpu/{quoted}", Fault(redirect_to=origin.base))
        # The lazy cache is reached as "localhost", its origin as 127.0.0.1: different hosts.
        lazy_base = lazy.base.replace("127.0.0.1", "localhost")
        mirrors = tmp_path / "mirrors.toml"
        mirrors.write_text(
            "[mirrors.lab]\nname_en = \"Lab cache\"\nname_zh = \"实验室缓存\"\n"
            f"pypi = \"{packages.url('/simple')}\"\ntorch = \"{lazy_base}/{{variant}}/\"\n"
            "torch_layout = \"lazy\"\ntorch_origin = [\"127.0.0.1\"]\n", encoding="utf-8")
        planned = run_cli("install", "--mirror", "lab", "--variant", "cpu", "--lock", str(tiny_set.lock),
                          "--dry-run", "--json", env={"SDSETUP_MIRRORS": str(mirrors)})
        torch_sources = next(f for f in json.loads(planned.stdout)["files"] if f["torch"])["sources"]
        # The lazy cache first; the official index only as the last resort.
        assert [s["mirror"] for s in torch_sources] == ["lab", "pytorch"]
        done = run_cli("install", "--mirror", "lab", "--variant", "cpu", "--lock", str(tiny_set.lock),
                       env={"SDSETUP_MIRRORS": str(mirrors)}, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "miss" in done.stderr and "127.0.0.1" in done.stderr
        assert origin.bytes_sent[f"/cpu/{quoted}"] >= len(torch_bytes)
    misses = json.loads((sdsetup_home / "mirror-misses.json").read_text(encoding="utf-8"))
    assert misses["lab"]["host"] == "127.0.0.1"
    doctor_view = run_cli("mirrors", "lab", "--json", env={"SDSETUP_MIRRORS": str(mirrors)})
    assert json.loads(doctor_view.stdout)["mirrors"][0]["torch_layout"] == "lazy"


def test_torch_without_published_hash_is_trusted_on_first_use(run_cli, sdsetup_home, tiny_set):
    with FileServer(pep503(tiny_set.wheels, hashes=False)) as server:
        done = install(run_cli, tiny_set.lock_tofu, server.url("/simple"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tofu"] == [TORCH_FILE]
    assert "trusting this first verified download" in done.stderr
    recorded = json.loads((sdsetup_home / "torch-hashes.json").read_text(encoding="utf-8"))
    assert set(recorded) == {TORCH_FILE}


def test_failed_install_keeps_the_working_env(run_cli, sdsetup_home, tiny_set, tmp_path):
    # A second torch build whose import fails: the rebuilt env cannot prove torch.
    broken = make_wheel(tmp_path, "torch", TORCH_VERSION, {"torch": "raise ImportError('broken build')"},
                        tag="py2.py3-none-any")
    wheels = {**tiny_set.wheels, broken.name: broken.read_bytes()}
    lock = tmp_path / "lock" / "webui.txt"
    lock.parent.mkdir()
    lock.write_text(tiny_set.lock.read_text(encoding="utf-8"), encoding="utf-8")
    (lock.parent / "torch.toml").write_text(
        (tiny_set.lock.parent / "torch.toml").read_text(encoding="utf-8")
        .replace(TORCH_FILE, broken.name).split("sha256")[0], encoding="utf-8")
    with FileServer(pep503(wheels)) as server:
        assert install(run_cli, tiny_set.lock, server.url("/simple")).returncode == 0
        marker = sdsetup_home / "env" / "sdsetup-install.json"
        before = marker.read_text(encoding="utf-8")
        failed = install(run_cli, lock, server.url("/simple"))
    assert failed.returncode == 1
    assert "was not kept" in failed.stderr and "broken build" in failed.stderr
    assert marker.read_text(encoding="utf-8") == before
    assert not (sdsetup_home / "env.old").exists()
    assert imports_ok(sdsetup_home).startswith("42 ")


def lock_with_gamma(tiny_set, tmp_path: Path) -> tuple[Path, Path]:
    """A new wheel, sdt-gamma, and a lock that is the tiny set's plus that wheel (same torch.toml)."""
    gamma = make_wheel(tmp_path, "sdt-gamma", "3.0", {"sdt_gamma": "VALUE = 3\n"})
    lock = tmp_path / "lock" / "webui.txt"
    lock.parent.mkdir()
    lock.write_text(tiny_set.lock.read_text(encoding="utf-8")
                    + f"sdt-gamma==3.0 \\\n    --hash=sha256:{sha256(gamma.read_bytes())}\n", encoding="utf-8")
    (lock.parent / "torch.toml").write_text((tiny_set.lock.parent / "torch.toml").read_text(encoding="utf-8"),
                                            encoding="utf-8")
    return gamma, lock


def test_a_changed_lock_fetches_only_what_changed(run_cli, sdsetup_home, tiny_set, tmp_path):
    gamma, lock = lock_with_gamma(tiny_set, tmp_path)
    with FileServer(pep503({**tiny_set.wheels, gamma.name: gamma.read_bytes()})) as server:
        assert install(run_cli, tiny_set.lock, server.url("/simple")).returncode == 0
        done = install(run_cli, lock, server.url("/simple"), "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["fetched"] == 1
        wheel_gets = [r.path for r in server.requests if r.method == "GET" and r.path.endswith(".whl")]
    assert sum(1 for p in wheel_gets if "sdt_gamma" in p) >= 1
    assert sum(1 for p in wheel_gets if "sdt_alpha" in p) == 1  # fetched once, by the first install


def test_an_env_broken_behind_our_back_is_rebuilt(run_cli, sdsetup_home, tiny_set):
    with FileServer(pep503(tiny_set.wheels)) as server:
        assert install(run_cli, tiny_set.lock, server.url("/simple")).returncode == 0
        for module in (sdsetup_home / "env").rglob("site-packages/torch.py"):
            module.unlink()
        served = len(server.requests)
        done = install(run_cli, tiny_set.lock, server.url("/simple"), "--json")
        assert done.returncode == 0, done.stderr
        assert "building it again" in done.stderr
        assert json.loads(done.stdout)["status"] == "installed"
        assert json.loads(done.stdout)["fetched"] == 0  # every wheel came from the cache
        assert not [r for r in server.requests[served:] if r.method == "GET" and r.path.endswith(".whl")]
    assert imports_ok(sdsetup_home).startswith("42 ")


def _kill_when(process: subprocess.Popen, ready, timeout: float = 240) -> bool:
    """SIGKILL ``process`` as soon as ``ready()`` holds; False if it ended before that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            process.kill()
            process.wait()
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.005)
    process.kill()
    raise AssertionError("the install never reached the point to kill it at")


KILL_POINTS = {
    # just after the working env was moved aside, before the new one exists
    "env moved aside": lambda home: (home / "env.old").exists(),
    # the new venv exists and its requirements are written: the installer is about to run
    "venv created": lambda home: (home / "env.old").exists()
    and (home / "env" / "sdsetup-requirements.txt").exists(),
    # the new lock's packages are in: torch is being proven
    "packages installed": lambda home: (home / "env.old").exists()
    and any((home / "env").rglob("site-packages/sdt_gamma*")),
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_kill_9_during_install_leaves_the_working_env_for_doctor_and_run(
        point, run_cli, sdsetup_home, tiny_set, tmp_path):
    import os
    import sys

    gamma, lock = lock_with_gamma(tiny_set, tmp_path)
    with FileServer(pep503({**tiny_set.wheels, gamma.name: gamma.read_bytes()})) as server:
        assert install(run_cli, tiny_set.lock, server.url("/simple")).returncode == 0
        marker = (sdsetup_home / "env" / "sdsetup-install.json").read_text(encoding="utf-8")
        env = dict(os.environ, SDSETUP_HOME=str(sdsetup_home), SDSETUP_LANG="en")
        process = subprocess.Popen(
            [sys.executable, "-m", "sdsetup", "install", "--mirror", server.url("/simple"), "--variant",
             "cpu", "--lock", str(lock), "--installer", "pip"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert _kill_when(process, lambda: KILL_POINTS[point](sdsetup_home)), "install ended first"
    assert (sdsetup_home / "env.old").exists() or point == "env moved aside"

    doctor = run_cli("doctor", "--json")
    report = json.loads(doctor.stdout)
    env_check = next(c for c in report["checks"] if c["id"] == "env")
    assert env_check["status"] != "fail" and "not installed" not in env_check["message"], env_check
    assert not (sdsetup_home / "env.old").exists()
    assert (sdsetup_home / "env" / "sdsetup-install.json").read_text(encoding="utf-8") == marker
    assert not (sdsetup_home / "env.lock").exists()
    assert imports_ok(sdsetup_home).startswith("42 ")

    run = run_cli("run", "--port", "1", timeout=120)
    # the recovered env's python answers: what it lacks is the UI's libraries, not the env itself
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "diffusers" in run.stderr and str(sdsetup_home / "env") in run.stderr, run.stderr
