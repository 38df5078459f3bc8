"""``models get hf:owner/repo``: which files of a repository make its model folder, where the folder
goes, and real runs against the Hub look-alike: a tiny BLIP that transformers loads from where it
landed, a wrong hash or a pickle-only repository that leaves nothing, ``--type`` routing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import tests.models.models_testkit as kit
from sdsetup.models.errors import ModelError, UnsafeFile
from sdsetup.models.hf import RepoFile, parse_siblings
from sdsetup.models.hffolder import choose, folder_kind

SHA = "ab" * 32
CLIP_REPO = ["config.json", "flax_model.msgpack", "merges.txt", "model.safetensors",
             "preprocessor_config.json", "pytorch_model.bin", "special_tokens_map.json",
             "tf_model.h5", "tokenizer.json", "tokenizer_config.json", "vocab.json", "README.md",
             ".gitattributes", "onnx/model.onnx", "onnx/config.json"]
CLIP_FOLDER = ["config.json", "merges.txt", "model.safetensors", "preprocessor_config.json",
               "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.json"]
SHARDED = ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
           "model.safetensors.index.json", "pytorch_model.bin.index.json",
           "pytorch_model-00001-of-00002.bin", "spiece.model", "CON.json"]

CHOICES = [
    (CLIP_REPO, CLIP_FOLDER),
    (SHARDED, ["config.json", "model-00001-of-00002.safetensors",
               "model-00002-of-00002.safetensors", "model.safetensors.index.json",
               "spiece.model"]),
]


@pytest.mark.parametrize("listed,chosen", CHOICES, ids=["clip-vit", "sharded"])
def test_a_folder_is_config_tokenizer_and_safetensors_weights_only(listed, chosen):
    files = [RepoFile(name, 1, None) for name in listed]
    assert [f.path for f in choose(files, "o/r")] == chosen


REFUSED = [
    (["config.json", "pytorch_model.bin", "tf_model.h5", "vocab.txt"], UnsafeFile,
     "models.hf_no_safetensors", "pytorch_model.bin"),
    (["config.json", "vocab.txt", "sub/model.safetensors"], UnsafeFile,
     "models.hf_no_safetensors", "-"),
    (["model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors"],
     ModelError, "models.hf_not_a_folder", None),
]


@pytest.mark.parametrize("listed,error,key,found", REFUSED, ids=["pickles", "nested", "diffusers"])
def test_repositories_that_make_no_usable_folder_are_refused(listed, error, key, found):
    with pytest.raises(error) as caught:
        choose([RepoFile(name, 1, None) for name in listed], "o/r")
    assert caught.value.key == key and caught.value.hint == "models.hint_hf_one_file"
    assert caught.value.params.get("found") == found


KINDS = [("blip", None, "blip"), ("clip", None, "clip"), ("bert", "clip", "clip"),
         ("blip", "clip", "clip"), ("clip_vision_model", None, None), (None, None, None),
         (["clip"], None, None)]


@pytest.mark.parametrize("model_type,declared,kind", KINDS)
def test_the_folder_follows_model_type_unless_type_says(model_type, declared, kind):
    if kind is None:
        with pytest.raises(ModelError) as caught:
            folder_kind(model_type, declared, "o/r")
        assert caught.value.key == "models.hf_folder_kind"
        assert caught.value.params["kinds"] == "blip, clip"
    else:
        assert folder_kind(model_type, declared, "o/r") == kind


def test_the_hub_listing_gives_sizes_and_lfs_hashes():
    answer = {"id": "o/r", "sha": "0" * 40, "siblings": [
        {"rfilename": "config.json", "blobId": "1" * 40, "size": 120},
        {"rfilename": "model.safetensors", "blobId": "2" * 40, "size": 135,
         "lfs": {"sha256": SHA.upper(), "size": 990, "pointerSize": 135}},
        {"rfilename": "w.safetensors", "lfs": {"sha256": "not-a-hash", "size": 5}},
        {"rfilename": 7}, "junk", {"size": 3}]}
    assert parse_siblings(answer) == (RepoFile("config.json", 120, None),
                                      RepoFile("model.safetensors", 990, SHA),
                                      RepoFile("w.safetensors", 5, None))
    assert parse_siblings({"siblings": None}) == parse_siblings([]) == ()


# --- real runs through the CLI against the Hub look-alike ---------------------------------------


def fake_folder(model_type: str) -> dict[str, bytes]:
    return {"config.json": json.dumps({"model_type": model_type}).encode(),
            "tokenizer.json": b"{}", "vocab.json": b"{}", "merges.txt": b"#version: 0.2\n",
            "model.safetensors": kit.safetensors_bytes({"w": (4, 4)}, dtype="U8")}


def add(hub, repo: str, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        hub.add(repo, name, data)


def write_tiny_blip(folder: Path) -> Path:
    from transformers import BlipConfig, BlipForConditionalGeneration

    tiny = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
            "num_attention_heads": 2}
    config = BlipConfig(text_config={**tiny, "vocab_size": 32, "encoder_hidden_size": 16},
                        vision_config={**tiny, "image_size": 16, "patch_size": 8},
                        projection_dim=8)
    BlipForConditionalGeneration(config).save_pretrained(folder)
    return folder


def test_a_tiny_blip_lands_where_interrogate_reads_it_and_transformers_loads_it(
        civitai, hub, civitai_env, run_cli, sdsetup_home, tmp_path):
    from transformers import BlipForConditionalGeneration

    source = write_tiny_blip(tmp_path / "saved")
    (source / "vocab.txt").write_text("[PAD]\n[UNK]\n", encoding="utf-8")
    (source / "pytorch_model.bin").write_bytes(b"\x80\x02 a pickle that must never be fetched")
    hub.add_folder("org/tiny-blip", source)
    env = {**civitai_env, "HF_ENDPOINT": hub.base, "HF_TOKEN": "hf_SECRET_abc"}
    result = run_cli("models", "get", "hf:org/tiny-blip", "--json", env=env)
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    placed = sdsetup_home / "models" / "BLIP" / "tiny-blip"
    assert (Path(done["path"]), done["type"], done["verified"]) == (placed, "blip", True)
    assert sorted(p.name for p in placed.iterdir()) == done["files"] == [
        "config.json", "generation_config.json", "model.safetensors", "vocab.txt"]
    weights = (source / "model.safetensors").read_bytes()
    assert hashlib.sha256((placed / "model.safetensors").read_bytes()).digest() == \
        hashlib.sha256(weights).digest()
    BlipForConditionalGeneration.from_pretrained(str(placed), local_files_only=True)
    assert not any((sdsetup_home / "models" / ".incoming").glob("*"))
    listing = [r for r in hub.requests if r.path.startswith("/api/")]
    assert [r.path for r in listing] == ["/api/models/org/tiny-blip/revision/main?blobs=true"]
    assert not any("pytorch_model.bin" in r.path for r in hub.requests)
    assert all(r.headers.get("authorization") == "Bearer hf_SECRET_abc" for r in hub.requests)
    assert all("authorization" not in r.headers for r in civitai.storage.requests)

    before = len(hub.requests)
    again = run_cli("models", "get", "hf:org/tiny-blip", env=env)
    assert again.returncode == 0 and again.stdout.startswith("already installed:"), again.stdout
    assert [r.path.split("?")[0] for r in hub.requests[before:]] == [
        "/api/models/org/tiny-blip/revision/main", "/org/tiny-blip/resolve/main/config.json"]


def test_a_wrong_hash_leaves_no_folder(civitai, hub, civitai_env, run_cli, sdsetup_home):
    files = fake_folder("clip")
    add(hub, "o/clipper", files)
    hub.add("o/clipper", "model.safetensors", files["model.safetensors"], published_sha256=SHA)
    result = run_cli("models", "get", "hf:o/clipper", env={**civitai_env, "HF_ENDPOINT": hub.base})
    assert result.returncode == 1 and f"expected {SHA}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (sdsetup_home / "models" / "CLIP").exists()
    assert json.loads(run_cli("models", "list", "--json").stdout) == []


def test_a_pickle_only_repository_is_refused_before_any_download(civitai, hub, civitai_env,
                                                                run_cli, sdsetup_home):
    add(hub, "o/old", {"config.json": b'{"model_type": "blip"}', "pytorch_model.bin": b"\x80\x02"})
    result = run_cli("models", "get", "hf:o/old", "--allow-pickle",
                     env={**civitai_env, "HF_ENDPOINT": hub.base})
    assert result.returncode == 1, result.stderr
    assert "no .safetensors weights, only pytorch_model.bin" in result.stderr
    assert "hint: sdsetup models get hf:o/old/<file>.safetensors" in result.stderr
    assert [r.path.split("?")[0] for r in hub.requests] == ["/api/models/o/old/revision/main"]
    assert not (sdsetup_home / "models" / "BLIP").exists()


def test_type_routes_a_folder_and_names_what_is_supported(civitai, hub, civitai_env, run_cli,
                                                          sdsetup_home, tmp_path):
    add(hub, "o/encoder", fake_folder("bert"))
    env = {**civitai_env, "HF_ENDPOINT": hub.base}
    unknown = run_cli("models", "get", "hf:o/encoder", env=env)
    assert unknown.returncode == 1
    assert "o/encoder is a bert model" in unknown.stderr and "blip, clip" in unknown.stderr
    assert not (sdsetup_home / "models" / "CLIP").exists()
    routed = run_cli("models", "get", "hf:o/encoder", "--type", "clip", "--name", "mine", "--json",
                     env=env)
    assert routed.returncode == 0, routed.stderr
    assert json.loads(routed.stdout)["path"] == str(sdsetup_home / "models" / "CLIP" / "mine")
    elsewhere = run_cli("models", "get", "hf:o/encoder", "--type", "CLIP", "--dest",
                        str(tmp_path / "x"), env=env)
    assert elsewhere.returncode == 0 and (tmp_path / "x" / "encoder" / "config.json").is_file()
    wrong = run_cli("models", "get", "hf:o/encoder", "--type", "lora", env=env)
    assert wrong.returncode == 2 and "hint: use one of: blip, clip" in wrong.stderr, wrong.stderr


def test_a_different_folder_in_the_way_is_never_touched(civitai, hub, civitai_env, run_cli,
                                                        sdsetup_home):
    add(hub, "o/blipper", fake_folder("blip"))
    mine = sdsetup_home / "models" / "BLIP" / "blipper"
    mine.mkdir(parents=True)
    (mine / "config.json").write_text("{}", encoding="utf-8")
    result = run_cli("models", "get", "hf:o/blipper", env={**civitai_env, "HF_ENDPOINT": hub.base})
    assert result.returncode == 1 and "is a different file" in result.stderr, result.stderr
    assert [p.name for p in mine.iterdir()] == ["config.json"]


def test_an_unknown_repository_is_named(civitai, hub, civitai_env, run_cli):
    result = run_cli("models", "get", "hf:o/none", env={**civitai_env, "HF_ENDPOINT": hub.base})
    assert result.returncode == 1 and "no model repository o/none@main" in result.stderr


def test_an_error_page_served_as_config_never_lands(civitai, hub, civitai_env, run_cli,
                                                    sdsetup_home):
    add(hub, "o/paged", {**fake_folder("blip"), "config.json": b"<html>captcha</html>"})
    result = run_cli("models", "get", "hf:o/paged", env={**civitai_env, "HF_ENDPOINT": hub.base})
    assert result.returncode == 1 and "config.json is not JSON" in result.stderr, result.stderr
    assert "hint: set HF_ENDPOINT=https://hf-mirror.com" in result.stderr  # the other endpoint
    assert not (sdsetup_home / "models" / "BLIP").exists()
