"""``models get`` puts upscalers where A1111 and the bundled UI's Extras read them: models/ESRGAN."""

from __future__ import annotations

import json
from pathlib import Path

import tests.models.models_testkit as kit
from tests.models.civitai_lookalike import FakeFile, FakeVersion

UPSCALER = kit.safetensors_bytes(kit.ESRGAN)


def test_civitai_upscaler_lands_in_esrgan(civitai, civitai_env, run_cli, sdsetup_home: Path):
    civitai.add(FakeVersion(id=44, model_id=440, model_type="Upscaler",
                            files=[FakeFile(441, "4x_Sharp.safetensors", UPSCALER)]))
    result = run_cli("models", "get", "civitai:440@44", "--json", env=civitai_env)
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    placed = sdsetup_home / "models" / "ESRGAN" / "4x_Sharp.safetensors"
    assert Path(done["path"]) == placed and placed.read_bytes() == UPSCALER
    assert (done["type"], done["kind"]) == ("upscaler", "upscaler") and done["warnings"] == []


def test_hf_upscaler_with_type_lands_in_esrgan(civitai, hub, civitai_env, run_cli, sdsetup_home):
    pth = b"PK\x03\x04" + b"\0" * 64
    hub.add("someone/upscalers", "4x_foo.pth", pth)
    env = {**civitai_env, "HF_ENDPOINT": hub.base}
    result = run_cli("models", "get", "hf:someone/upscalers/4x_foo.pth", "--type", "upscaler",
                     "--allow-pickle", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert Path(json.loads(result.stdout)["path"]) == sdsetup_home / "models" / "ESRGAN" / "4x_foo.pth"
