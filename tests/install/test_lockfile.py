"""Lockfiles: the bundled ones are complete and hashed; malformed ones fail naming the line."""

from __future__ import annotations

import json

import pytest

from sdsetup.i18n import t
from sdsetup.install.lockfile import (LockError, TorchPin, find_torch_pin, lock_dir, parse_lock,
                              parse_torch_pins, runtime_pins, torch_pins, with_tofu)

TARGETS = [f"{plat}-cp{py}" for plat in ("linux_x86_64", "win_amd64") for py in (310, 311, 312)]


@pytest.mark.parametrize("target", TARGETS)
def test_every_bundled_lock_is_pinned_hashed_and_torch_free(target):
    path = lock_dir() / f"webui-{target}.txt"
    pins = {p.name: p for p in parse_lock(path.read_text(encoding="utf-8"), str(path))}
    assert "torch" not in pins and not any(n.startswith(("nvidia-", "triton")) for n in pins)
    # The web UI's stack and torch's own requirements are all there.
    assert {"diffusers", "transformers", "gradio", "safetensors", "accelerate", "peft", "filelock",
            "sympy", "networkx", "jinja2", "fsspec", "typing-extensions", "setuptools"} <= pins.keys()
    assert all(p.hashes for p in pins.values())
    if target.startswith("win"):
        assert "colorama" in pins  # Windows-only requirement of click/tqdm, resolved for the target


def test_torch_pins_cover_every_target_and_the_local_cpu_wheel_is_hashed():
    pins = torch_pins()
    for target in TARGETS:
        plat, py = target.split("-")
        assert find_torch_pin(pins, "2.13.0", "cpu", py, plat).file.startswith("torch-2.13.0+cpu-")
    pin = find_torch_pin(pins, "2.13.0", "cpu", "cp311", "linux_x86_64")
    assert pin.sha256 and len(pin.sha256) == 64 and pin.version == "2.13.0+cpu"


def test_missing_torch_pin_says_what_exists():
    with pytest.raises(LockError) as caught:
        find_torch_pin(torch_pins(), "2.13.0", "rocm7.2", "cp311", "win_amd64")
    assert "cpu" in caught.value.params["offered"]


@pytest.mark.parametrize("text, line", [
    ("six==1.17.0\n", 1),                                        # no hash
    ("six>=1.0 \\\n    --hash=sha256:" + "a" * 64 + "\n", 1),   # not pinned with ==
    ("six==1.17.0 \\\n    --hash=sha256:abc\n", 2),             # not a sha256
    ("# c\n\nsix==not-a-version \\\n    --hash=sha256:" + "a" * 64 + "\n", 3),
])
def test_malformed_locks_name_the_line(text, line):
    with pytest.raises(LockError) as caught:
        parse_lock(text, "lock.txt")
    assert caught.value.params["line"] == line and caught.value.params["file"] == "lock.txt"


def test_lock_with_markers_and_comments():
    text = ('accelerate==1.15.0 ; python_version >= "3.11" \\\n    --hash=sha256:' + "A" * 64 + " \\\n"
            "    --hash=sha256:" + "b" * 64 + "\n    # via\n    #   -r webui.in\nSix==1.17.0 \\\n"
            "    --hash=sha256:" + "c" * 64 + "\n")
    pins = parse_lock(text, "x")
    assert [(p.name, p.version, len(p.hashes)) for p in pins] == [("accelerate", "1.15.0", 2), ("six", "1.17.0", 1)]
    assert "a" * 64 in pins[0].hashes


def test_trust_on_first_use_fills_only_missing_hashes():
    pin = TorchPin("2.13.0", "cu128", "cp311", "win_amd64", "torch-2.13.0+cu128-cp311-cp311-win_amd64.whl", None)
    assert with_tofu(pin, {pin.file: "d" * 64}).sha256 == "d" * 64
    pinned = TorchPin(*[*pin.__dict__.values()][:5], "e" * 64)
    assert with_tofu(pinned, {pin.file: "d" * 64}).sha256 == "e" * 64


def test_torch_toml_errors():
    with pytest.raises(LockError):
        parse_torch_pins('[[wheel]]\nrelease = "2.13.0"\n', "torch.toml")


@pytest.mark.parametrize("variant", ["cu126", "cu128", "cu130"])
@pytest.mark.parametrize("python", ["cp310", "cp311", "cp312"])
def test_linux_cuda_builds_get_their_runtime_wheels_locked(python, variant):
    pins = {p.name for p in runtime_pins(variant, "linux_x86_64", python)}
    assert "triton" in pins and any(name.startswith("nvidia-cudnn") for name in pins)
    cuda_major = "cu12" if variant.startswith("cu12") else "cu13"
    assert all(not name.startswith("nvidia-cudnn") or name.endswith(cuda_major) for name in pins)
    assert runtime_pins(variant, "win_amd64", python) == ()  # Windows wheels carry their runtime
    assert runtime_pins("cpu", "linux_x86_64", python) == ()


def test_a_gpu_build_without_a_runtime_lock_is_refused_before_any_download(tmp_path):
    lock = tmp_path / "webui.txt"
    (tmp_path / "torch-runtime-cu130-linux_x86_64-cp311.txt").write_text("", encoding="utf-8")
    with pytest.raises(LockError) as caught:
        runtime_pins("cu128", "linux_x86_64", "cp311", lock)
    assert caught.value.params["offered"] == "cu130"
    assert t(caught.value.hint, **caught.value.params) == "sdsetup install --variant cu130"


def test_recorded_hashes_of_the_wrong_shape_are_dropped(tmp_path):
    from sdsetup.home import Home
    from sdsetup.install.lockfile import TOFU_FILE, recorded_hashes

    home = Home(tmp_path)
    good = "a" * 64
    (tmp_path / TOFU_FILE).write_text(json.dumps({"t.whl": good, "u.whl": 3, "v.whl": "short"}),
                                      encoding="utf-8")
    assert recorded_hashes(home) == {"t.whl": good}
    (tmp_path / TOFU_FILE).write_text("[1]", encoding="utf-8")
    assert recorded_hashes(home) == {}
