"""Hostile safetensors headers: each file is one row marked broken, never a traceback, no leftovers."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

import tests.models.models_testkit as kit
from sdsetup.safetensors_header import InvalidSafetensors, parse_header
from tests.models.civitai_lookalike import FakeFile, FakeVersion

GOOD = kit.safetensors_bytes(kit.SD1_LORA)


def _file(header: bytes, data: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + data


HOSTILE = {
    "huge_offset": _file(b'{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,' + b"9" * 5000 + b"]}}"),
    "deep_arrays": _file(b'{"w":{"dtype":"U8","shape":' + b"[" * 100_000 + b"]" * 100_000 + b"}}"),
    "duplicate_names": _file(b'{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                             b'"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"x"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_header_is_a_clear_error(name):
    data = HOSTILE[name]
    with pytest.raises(InvalidSafetensors) as caught:
        parse_header(data, len(data), f"{name}.safetensors")
    assert f"{name}.safetensors" in str(caught.value)
    if name == "duplicate_names":
        assert "tensor w twice" in str(caught.value)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    models = tmp_path / "models"
    lora = models / "Lora"
    lora.mkdir(parents=True)
    (lora / "good.safetensors").write_bytes(GOOD)
    for name, data in HOSTILE.items():
        (lora / f"{name}.safetensors").write_bytes(data)
    return models


@pytest.mark.parametrize("command", ["list", "verify"])
def test_list_and_verify_show_each_hostile_file_as_one_broken_row(library, run_cli, command):
    result = run_cli("models", command, "--json", "--models-dir", str(library))
    assert "Traceback" not in result.stderr
    assert result.returncode == (0 if command == "list" else 1), result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"good.safetensors", *(f"{n}.safetensors" for n in HOSTILE)}
    assert rows["good.safetensors"]["status"] != "broken"
    for name in HOSTILE:
        assert rows[f"{name}.safetensors"]["status"] == "broken", rows[f"{name}.safetensors"]
    text = run_cli("models", command, "--models-dir", str(library))
    assert "Traceback" not in text.stderr and "good.safetensors" in text.stdout


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_get_of_a_hostile_file_fails_in_words_and_leaves_nothing(
        name, civitai, civitai_env, run_cli, sdsetup_home):
    civitai.add(FakeVersion(id=11, model_id=110, model_type="LORA",
                            files=[FakeFile(111, "a.safetensors", HOSTILE[name], publish_hash=False)]))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "error: a.safetensors" in result.stderr or "error: " in result.stderr.splitlines()[-2]
    assert result.stderr.splitlines()[-1].startswith("hint: ")
    models = sdsetup_home / "models"
    assert list(models.rglob("a.safetensors")) == []
    assert [p for p in models.rglob("*") if p.is_file() and ".incoming" in p.parts] == []
