"""Unusable Civitai/Hugging Face addresses and URLs: words naming the address and its origin,
never a traceback; and the one HTTP client setup (user agent) on both APIs."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.models.models_testkit as kit
from sdsetup import http
from sdsetup.models import hf
from sdsetup.models.civitai import CivitaiClient, api_base
from sdsetup.models.errors import CivitaiError, ModelError
from sdsetup.models.refs import HfRef
from tests.models.civitai_lookalike import FakeFile, FakeVersion

BAD = "http://host:notaport"
LORA = kit.safetensors_bytes({"lora_unet_x_attn2_to_k.lora_down.weight": (4, 768),
                              "lora_unet_x_attn2_to_k.lora_up.weight": (320, 4)}, dtype="U8")


def _refused(result, *words: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr and "hint:" in result.stderr
    for word in words:
        assert word in result.stderr


def test_a_bad_civitai_base_from_the_environment(run_cli, civitai_env):
    result = run_cli("models", "get", "civitai:12345",
                     env={**civitai_env, "SDSETUP_CIVITAI_URL": BAD})
    _refused(result, BAD, "SDSETUP_CIVITAI_URL", "port")


def test_a_bad_hf_endpoint_from_the_environment(run_cli, civitai_env):
    result = run_cli("models", "get", "hf:o/r/v.safetensors",
                     env={**civitai_env, "HF_ENDPOINT": BAD})
    _refused(result, BAD, "HF_ENDPOINT")


def test_a_bad_base_from_a_mirror_names_the_mirror(run_cli, civitai_env, sdsetup_home: Path):
    (sdsetup_home / "mirrors.toml").write_text(
        f'[mirrors.lab]\nname_en = "Lab"\nname_zh = "实验室"\ncivitai = "{BAD}"\n'
        f'huggingface = "{BAD}"\n')
    env = {**civitai_env, "SDSETUP_CIVITAI_URL": None}
    for ref in ("civitai:12345", "hf:o/r/v.safetensors"):
        result = run_cli("models", "get", ref, "--mirror", "lab", env=env)
        _refused(result)
        # Refused where the mirror is read (file, line, key) or where the base is checked.
        assert "mirrors.toml" in result.stderr or "mirror lab" in result.stderr


def test_a_bad_hf_endpoint_does_not_stop_a_civitai_download(run_cli, civitai, civitai_env,
                                                            sdsetup_home: Path):
    civitai.add(FakeVersion(11, 110, "LORA", [FakeFile(111, "a.safetensors", LORA)]))
    result = run_cli("models", "get", "civitai:110@11", env={**civitai_env, "HF_ENDPOINT": BAD})
    assert result.returncode == 0, result.stderr
    assert (sdsetup_home / "models" / "Lora" / "a.safetensors").is_file()
    assert civitai.requests[0].headers["user-agent"] == http.USER_AGENT


def test_a_pasted_url_with_a_bad_port(run_cli, civitai_env):
    result = run_cli("models", "get", "https://host:notaport/x.safetensors", env=civitai_env)
    _refused(result, "https://host:notaport/x.safetensors", "port")


def test_a_bad_base_from_a_mirror_is_named_with_the_mirror():
    with pytest.raises(ModelError) as caught:
        hf.endpoint(BAD, {}, mirror="lab")
    assert "mirror lab" in str(caught.value) and BAD in str(caught.value)


def test_api_base_says_where_a_bad_value_came_from():
    with pytest.raises(CivitaiError) as caught:
        api_base(BAD, {}, mirror="lab")
    assert caught.value.key == "models.bad_endpoint" and "lab" in str(caught.value)
    with pytest.raises(ModelError) as caught:
        hf.endpoint(None, {"SDSETUP_HF_ENDPOINT": BAD + "/"})
    assert "SDSETUP_HF_ENDPOINT" in str(caught.value) and BAD in str(caught.value)


def test_invalid_urls_from_clients_become_domain_errors():
    # Bases that skipped the check (a caller passing its own) still fail in words.
    with CivitaiClient(BAD, None) as client, pytest.raises(CivitaiError) as caught:
        client.version(1)
    assert caught.value.key == "models.bad_url" and "host:notaport" in str(caught.value)
    with pytest.raises(ModelError) as caught:
        hf.lookup(BAD, HfRef("o/r", "v.safetensors"), None)
    assert caught.value.key == "models.bad_url"


def test_hugging_face_lookups_send_the_user_agent(hub):
    hub.add("o/r", "v.safetensors", LORA)
    hf.lookup(hub.base, HfRef("o/r", "v.safetensors"), "secret")
    sent = hub.requests[-1].headers
    assert sent["user-agent"] == http.USER_AGENT and sent["authorization"] == "Bearer secret"
