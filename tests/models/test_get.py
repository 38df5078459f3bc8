"""``sdsetup models get`` end to end against the loopback Civitai look-alike, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tests.models.models_testkit as kit
from tests.models.civitai_lookalike import FakeFile, FakeVersion

LORA = kit.safetensors_bytes(kit.SD1_LORA)
CHECKPOINT = kit.safetensors_bytes(kit.SD1_CHECKPOINT, dtype="U8")
EMBEDDING = kit.safetensors_bytes(kit.SD1_EMBEDDING)


def _version(version_id: int, model_type: str, files: list[FakeFile], **kw) -> FakeVersion:
    return FakeVersion(id=version_id, model_id=version_id * 10, model_type=model_type,
                       files=files, **kw)


def _json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_lora_checkpoint_and_embedding_land_in_their_folders_verified(
        civitai, civitai_env, run_cli, sdsetup_home: Path):
    civitai.add(_version(11, "LORA", [FakeFile(111, "detail_tweaker.safetensors", LORA)]))
    civitai.add(_version(22, "Checkpoint", [
        FakeFile(221, "dreamy_v1.ckpt", b"PK\x03\x04" + b"\0" * 60, format="PickleTensor",
                 primary=True),
        FakeFile(222, "dreamy_v1.safetensors", CHECKPOINT, primary=False),
        FakeFile(223, "dreamy_v1.vae.safetensors", kit.safetensors_bytes(kit.SD_VAE, dtype="U8"),
                 type="VAE", primary=False),
    ]))
    civitai.add(_version(33, "TextualInversion", [FakeFile(331, "easyneg.safetensors", EMBEDDING)],
                         with_image=False))
    placed = {}
    for ref in ("https://civitai.com/models/110/slug?modelVersionId=11",
                "urn:air:sd1:checkpoint:civitai:220@22", "civitai:330@33"):
        placed[ref] = _json(run_cli("models", "get", ref, "--json", env=civitai_env))

    lora = sdsetup_home / "models" / "Lora" / "detail_tweaker.safetensors"
    checkpoint = sdsetup_home / "models" / "Stable-diffusion" / "dreamy_v1.safetensors"
    embedding = sdsetup_home / "embeddings" / "easyneg.safetensors"
    assert [Path(p["path"]) for p in placed.values()] == [lora, checkpoint, embedding]
    assert lora.read_bytes() == LORA and checkpoint.read_bytes() == CHECKPOINT
    assert embedding.read_bytes() == EMBEDDING
    assert [(p["type"], p["family"], p["kind"]) for p in placed.values()] == [
        ("lora", "sd1", "lora"), ("checkpoint", "sd1", "checkpoint"), ("embedding", "sd1", "embedding")]
    for path in (lora, checkpoint, embedding):
        info = json.loads(path.with_name(path.stem + ".civitai.json").read_text())
        assert info["_sdsetup"]["sha256"] == kit_sha(path)
        assert info["model"]["type"] in ("LORA", "Checkpoint", "TextualInversion")
    assert lora.with_name("detail_tweaker.preview.png").read_bytes().startswith(b"\x89PNG")
    assert not embedding.with_name("easyneg.preview.png").exists()
    # Safetensors beat the primary pickle; the VAE of the version is not taken unasked.
    assert not (sdsetup_home / "models" / "VAE").exists()
    assert [r.path.split("fileId=")[1] for r in civitai.downloads()] == ["111", "222", "331"]


def kit_sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_second_get_is_already_installed_without_a_download(civitai, civitai_env, run_cli,
                                                            sdsetup_home):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)]))
    first = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert f"downloading a.safetensors (8.9 KiB) into {sdsetup_home / 'models' / 'Lora'}" \
        in first.stderr
    assert "placed" in first.stdout and "SHA-256 checked" in first.stdout
    second = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert "already installed" in second.stdout and "downloading" not in second.stderr
    again = _json(run_cli("models", "get", "civitai:110@11", "--json", env=civitai_env))
    assert again["already_installed"] is True
    assert len(civitai.downloads()) == 1


def test_model_page_without_version_takes_the_newest(civitai, civitai_env, run_cli, sdsetup_home):
    civitai.add(FakeVersion(41, 40, "LORA", [FakeFile(411, "old.safetensors", LORA)]))
    civitai.add(FakeVersion(42, 40, "LORA", [FakeFile(421, "new.safetensors", LORA)]))
    done = _json(run_cli("models", "get", "https://civitai.red/models/40/some-slug", "--json",
                         env=civitai_env))
    assert Path(done["path"]).name == "new.safetensors"


def test_file_choice_type_and_dest_overrides(civitai, civitai_env, run_cli, sdsetup_home, tmp_path):
    vae = kit.safetensors_bytes(kit.SD_VAE, dtype="U8")
    civitai.add(_version(22, "Checkpoint", [
        FakeFile(222, "m.safetensors", CHECKPOINT), FakeFile(223, "m.vae.safetensors", vae,
                                                              type="VAE", primary=False)]))
    by_id = _json(run_cli("models", "get", "urn:air:sd1:checkpoint:civitai:220@22+223", "--json",
                          env=civitai_env))
    assert Path(by_id["path"]) == sdsetup_home / "models" / "VAE" / "m.vae.safetensors"
    dest = tmp_path / "elsewhere"
    moved = _json(run_cli("models", "get", "civitai:220@22", "--type", "lora", "--dest", str(dest),
                          "--json", env=civitai_env))
    assert Path(moved["path"]) == dest / "m.safetensors"
    assert any("looks like a checkpoint" in w for w in moved["warnings"])
    by_name = _json(run_cli("models", "get", "https://civitai.com/api/download/models/22",
                            "--file", "M.VAE.safetensors", "--json", env=civitai_env))
    assert by_name["already_installed"] is True
    missing = run_cli("models", "get", "civitai:220@22", "--file", "nope.bin", env=civitai_env)
    assert missing.returncode == 1 and "222 (m.safetensors)" in missing.stderr


def test_models_dir_points_at_an_existing_a1111_install(civitai, civitai_env, run_cli, tmp_path):
    webui = tmp_path / "stable-diffusion-webui"
    (webui / "models" / "Lora").mkdir(parents=True)
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)]))
    civitai.add(_version(33, "TextualInversion", [FakeFile(331, "neg.safetensors", EMBEDDING)]))
    for ref in ("civitai:110@11", "civitai:330@33"):
        assert run_cli("models", "get", ref, "--models-dir", str(webui / "models"),
                       env=civitai_env).returncode == 0
    assert (webui / "models" / "Lora" / "a.safetensors").is_file()
    assert (webui / "embeddings" / "neg.safetensors").is_file()


@pytest.mark.parametrize("refusal,expected", [
    ((401, {"error": "Unauthorized", "message": "The creator of this asset has disabled downloads "
                                                "on this file"}), "disabled downloads"),
    ((403, {"error": "Early Access", "deadline": "2026-12-24T00:00:00.000Z",
            "message": "This asset is in Early Access. You can use Buzz access it now!"}),
     "Early Access until 2026-12-24T00:00:00.000Z"),
    ((403, {"error": "You do not have access to download this file"}),
     "refuses access to download/models/11 (403): You do not have access"),
    ((404, {"error": "File not found"}), "Civitai has no download/models/11 (404)"),
    ((410, {"error": "Model archived, not available for download"}), "archived"),
    ((400, {"error": "Invalid fileId"}), "(HTTP 400): Invalid fileId"),
])
def test_download_refusals_are_answered_in_words(civitai, civitai_env, run_cli, sdsetup_home,
                                                 refusal, expected):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)],
                         download_refusal=refusal))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 1
    assert expected in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (sdsetup_home / "models" / "Lora").exists()


@pytest.mark.parametrize("field,value,expected", [
    ("model_mode", "Archived", "archived on Civitai"),
    ("usage_control", "Generation", "disabled downloads"),
])
def test_metadata_refusals_cost_no_download(civitai, civitai_env, run_cli, field, value, expected):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)], **{field: value}))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 1 and expected in result.stderr
    assert civitai.downloads() == []


def test_missing_token_says_how_to_get_one(civitai, civitai_env, run_cli):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)]))
    result = run_cli("models", "get", "civitai:110@11", env={**civitai_env, "CIVITAI_TOKEN": None})
    assert result.returncode == 1
    assert "requires a logged-in account" in result.stderr
    assert "civitai.com/user/account" in result.stderr and "--token" in result.stderr


def test_wrong_token_is_rejected_without_being_printed(civitai, civitai_env, run_cli):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)]))
    result = run_cli("models", "get", "civitai:110@11", "--token", "WRONG-tok-777",
                     env={**civitai_env, "CIVITAI_TOKEN": None})
    assert result.returncode == 1 and "rejected the API key" in result.stderr
    assert "WRONG-tok-777" not in result.stderr + result.stdout


def test_unknown_version_is_404_in_words(civitai, civitai_env, run_cli):
    result = run_cli("models", "get", "civitai:1@999", env=civitai_env)
    assert result.returncode == 1
    assert "Civitai has no model-versions/999 (404)" in result.stderr


def test_token_reaches_the_api_only_never_storage_or_output(civitai, civitai_env, run_cli,
                                                            sdsetup_home):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)]))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 0, result.stderr
    token = civitai.token
    assert all(r.headers.get("authorization") == f"Bearer {token}" for r in civitai.requests)
    stored = civitai.storage.requests
    assert stored and all("authorization" not in r.headers for r in stored)
    assert all(token not in r.path and token not in json.dumps(r.headers) for r in stored)
    assert token not in result.stdout + result.stderr
    for path in sdsetup_home.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_token_from_config_file(civitai, civitai_env, run_cli, sdsetup_home):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)]))
    (sdsetup_home / "config.toml").write_text(f'[civitai]\ntoken = "{civitai.token}"\n')
    result = run_cli("models", "get", "civitai:110@11", env={**civitai_env, "CIVITAI_TOKEN": None})
    assert result.returncode == 0, result.stderr


def test_hostile_file_name_is_made_safe(civitai, civitai_env, run_cli, sdsetup_home, tmp_path):
    hostile = '..\\../../evil:name<>|?*.safetensors'
    civitai.add(_version(11, "LORA", [FakeFile(111, hostile, LORA)]))
    done = _json(run_cli("models", "get", "civitai:110@11", "--json", env=civitai_env))
    path = Path(done["path"])
    assert path.parent == sdsetup_home / "models" / "Lora"
    assert path.name == "evil_name_____.safetensors"
    assert [p for p in tmp_path.rglob("*.safetensors") if sdsetup_home not in p.parents] == []


def test_hash_mismatch_never_lands(civitai, civitai_env, run_cli, sdsetup_home):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA,
                                               published_sha256="AB" * 32)]))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 1 and "sha256" in result.stderr.lower()
    assert not (sdsetup_home / "models" / "Lora" / "a.safetensors").exists()


def test_pickle_is_refused_before_any_download(civitai, civitai_env, run_cli, sdsetup_home):
    pickle = b"PK\x03\x04" + b"\0" * 100
    civitai.add(_version(11, "Checkpoint", [FakeFile(111, "old.ckpt", pickle,
                                                     format="PickleTensor")]))
    refused = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert refused.returncode == 1 and "pickle" in refused.stderr and "--allow-pickle" in refused.stderr
    assert civitai.downloads() == [] and civitai.storage.requests_for("/files/11/111") == []
    allowed = _json(run_cli("models", "get", "civitai:110@11", "--allow-pickle", "--json",
                            env=civitai_env))
    assert Path(allowed["path"]).read_bytes() == pickle


def test_html_page_served_as_a_model_never_lands(civitai, civitai_env, run_cli, sdsetup_home):
    page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>"
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", page, publish_hash=False)]))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 1
    assert "is a text or web page, not a model" in result.stderr
    assert "<!DOCTYPE html>" in result.stderr
    assert list((sdsetup_home / "models").rglob("a.safetensors")) == []


def test_truncated_safetensors_without_hash_never_lands(civitai, civitai_env, run_cli, sdsetup_home):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA[:-10],
                                               publish_hash=False)]))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 1 and "incomplete" in result.stderr
    assert list((sdsetup_home / "models").rglob("a.safetensors")) == []


def test_family_mismatch_with_civitai_base_model_is_a_warning(civitai, civitai_env, run_cli):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)], base_model="Pony"))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 0
    assert "warning:" in result.stderr and "sd1" in result.stderr and "Pony" in result.stderr


def test_unpublished_hash_is_a_warning(civitai, civitai_env, run_cli):
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA, publish_hash=False)]))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 0 and "no SHA-256 is published" in result.stderr
    # The hash recorded at install time recognises the same file on the next run.
    again = _json(run_cli("models", "get", "civitai:110@11", "--json", env=civitai_env))
    assert again["already_installed"] is True and len(civitai.downloads()) == 1


def test_existing_different_file_is_never_overwritten(civitai, civitai_env, run_cli, sdsetup_home):
    target = sdsetup_home / "models" / "Lora" / "a.safetensors"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"mine")
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)]))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 1 and "different file" in result.stderr
    assert target.read_bytes() == b"mine"


def test_messages_in_chinese(civitai, civitai_env, run_cli):
    result = run_cli("--lang", "zh", "models", "get", "civitai:1@999", env=civitai_env)
    assert result.returncode == 1 and "错误" in result.stderr and "404" in result.stderr


@pytest.mark.parametrize("args,code,expected", [
    (("civitai:1@2", "--type", "spaceship"), 2, "unknown model type: spaceship"),
    (("civitai:1@2", "--connections", "0"), 2, "--connections must be 1 or more"),
    (("4201",), 1, "ambiguous"),
    (("https://civitai.com/images/77",), 1, "civitai:ID[@VERSION]"),
])
def test_bad_command_lines_say_what_and_how(run_cli, civitai_env, args, code, expected):
    result = run_cli("models", "get", *args, env=civitai_env)
    assert result.returncode == code and expected in result.stderr and "hint:" in result.stderr


def test_broken_config_file_is_named(civitai, civitai_env, run_cli, sdsetup_home):
    (sdsetup_home / "config.toml").write_text("[civitai\ntoken = 1\n")
    result = run_cli("models", "get", "civitai:1@2", env={**civitai_env, "CIVITAI_TOKEN": None})
    assert result.returncode == 1 and "config.toml" in result.stderr and "Traceback" not in result.stderr


def test_token_never_reaches_storage_after_a_refresh(civitai, civitai_env, run_cli, sdsetup_home):
    """A proxy (SDSETUP_CIVITAI_URL) that first serves the file itself, then refuses it and
    re-resolves to a storage URL: the retry to storage carries no token."""
    civitai.add(_version(11, "LORA", [FakeFile(111, "a.safetensors", LORA)]))
    civitai.script("/api/download/", (200, {}), (403, {"error": "signature expired"}))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 0, result.stderr
    stored = civitai.storage.requests_for("/files/11/111")
    assert stored, [r.path for r in civitai.requests]
    assert all("authorization" not in r.headers for r in civitai.storage.requests), \
        [r.headers for r in civitai.storage.requests]
    assert civitai.token not in json.dumps([r.headers for r in civitai.storage.requests])
