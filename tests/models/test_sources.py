"""Resume after an interruption, expired storage URLs, slow 429s, Hugging Face and plain URLs."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sdsetup.download import partstate
import tests.models.models_testkit as kit
from tests.models.civitai_lookalike import FakeFile, FakeVersion
from tests.support.fileserver import Fault

# Big enough that half of it is clearly a partial download, small enough to be quick.
BIG_LORA = kit.safetensors_bytes({"lora_unet_x_attn2_to_k.lora_down.weight": (64, 768),
                                  "lora_unet_x_attn2_to_k.lora_up.weight": (320, 64),
                                  "pad": (1024, 1024)}, dtype="U8")


def test_interrupted_download_resumes_where_it_stopped(civitai, civitai_env, sdsetup_home):
    civitai.add(FakeVersion(11, 110, "LORA", [FakeFile(111, "big.safetensors", BIG_LORA)]))
    half = len(BIG_LORA) // 2
    civitai.storage.fault("/files/11/111", Fault(stall_after=half, stall_seconds=60, times=1))
    env = dict(os.environ, SDSETUP_HOME=str(sdsetup_home), SDSETUP_LANG="en",
               **{k: v for k, v in civitai_env.items() if v is not None})
    for key in (k for k, v in civitai_env.items() if v is None):
        env.pop(key, None)
    dest = sdsetup_home / "models" / "Lora" / "big.safetensors"
    first = subprocess.Popen([sys.executable, "-m", "sdsetup", "models", "get", "civitai:110@11"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Wait until the engine has recorded half the file as done, then pull the plug.
        deadline = time.monotonic() + 60
        while sum(e - s for s, e in getattr(partstate.load(dest), "done", ())) < half:
            assert time.monotonic() < deadline and first.poll() is None, "never got half the file"
            time.sleep(0.1)
    finally:
        first.kill()
        first.wait()
    assert not (sdsetup_home / "models" / "Lora" / "big.safetensors").exists()

    second = subprocess.run([sys.executable, "-m", "sdsetup", "models", "get", "civitai:110@11"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    placed = sdsetup_home / "models" / "Lora" / "big.safetensors"
    assert placed.read_bytes() == BIG_LORA
    ranges = [r.headers.get("range", "") for r in civitai.storage.requests_for("/files/11/111")]
    resumed_from = [int(r.split("=")[1].split("-")[0]) for r in ranges[1:] if r]
    assert resumed_from and min(resumed_from) >= half // 2, ranges
    assert civitai.storage.bytes_sent["/files/11/111"] < 2 * len(BIG_LORA)


def test_expired_storage_url_is_resolved_again(civitai, civitai_env, run_cli, sdsetup_home):
    civitai.add(FakeVersion(11, 110, "LORA", [FakeFile(111, "a.safetensors", BIG_LORA)]))
    civitai.storage.fault("/files/11/111", Fault(fail_first=1, fail_status=403))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 0, result.stderr
    assert len(civitai.downloads()) == 2  # the first signed URL expired, one fresh one
    assert (sdsetup_home / "models" / "Lora" / "a.safetensors").read_bytes() == BIG_LORA


def test_rate_limited_download_waits_then_succeeds(civitai, civitai_env, run_cli, sdsetup_home):
    civitai.add(FakeVersion(11, 110, "LORA", [FakeFile(111, "a.safetensors", BIG_LORA)]))
    civitai.script("/api/download/models/11", (429, {"error": "unusual amount of downloading"}))
    started = time.monotonic()
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 0.5  # backed off, not hammered
    assert len(civitai.downloads()) == 2


def test_hugging_face_file_through_the_mirror_endpoint(civitai, hub, civitai_env, run_cli,
                                                       sdsetup_home):
    vae = kit.safetensors_bytes(kit.SD_VAE, dtype="U8")
    hub.add("stabilityai/sd-vae-ft-mse-original", "vae-ft-mse.safetensors", vae)
    env = {**civitai_env, "HF_ENDPOINT": hub.base, "HF_TOKEN": "hf_SECRET_abc"}
    result = run_cli("models", "get", "hf:stabilityai/sd-vae-ft-mse-original/vae-ft-mse.safetensors",
                     "--json", env=env)
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    assert Path(done["path"]) == sdsetup_home / "models" / "VAE" / "vae-ft-mse.safetensors"
    assert done["warnings"] == []  # X-Linked-Etag gave the hash: verified
    assert [r.method for r in hub.requests] == ["HEAD", "GET"]
    assert all(r.headers.get("authorization") == "Bearer hf_SECRET_abc" for r in hub.requests)
    assert all("authorization" not in r.headers for r in civitai.storage.requests)
    assert not any("xet" in k for r in hub.requests for k in r.headers)
    missing = run_cli("models", "get", "hf:o/r/none.safetensors", env=env)
    assert missing.returncode == 1 and "Hugging Face has no file o/r/none.safetensors" in missing.stderr


def test_plain_url_is_placed_by_what_its_header_says(civitai, civitai_env, run_cli, sdsetup_home):
    civitai.storage.files["/dl/some-embedding.safetensors"] = kit.safetensors_bytes(
        kit.SDXL_EMBEDDING)
    url = civitai.storage.url("/dl/some-embedding.safetensors")
    result = run_cli("models", "get", url, "--json", env=civitai_env)
    assert result.returncode == 0, result.stderr
    assert "its folder follows from its contents" in result.stderr
    done = json.loads(result.stdout)
    assert Path(done["path"]) == sdsetup_home / "embeddings" / "some-embedding.safetensors"
    assert (done["family"], done["kind"]) == ("sdxl", "embedding")
    assert any("no SHA-256" in w for w in done["warnings"])
    assert not (sdsetup_home / "models" / ".incoming" / "some-embedding.safetensors").exists()


def test_plain_pickle_url_needs_a_type_and_consent(civitai, civitai_env, run_cli, sdsetup_home):
    civitai.storage.files["/dl/x.pt"] = b"\x80\x02" + b"\0" * 50
    url = civitai.storage.url("/dl/x.pt")
    result = run_cli("models", "get", url, env=civitai_env)
    assert result.returncode == 1 and "--type" in result.stderr
    result = run_cli("models", "get", url, "--type", "embedding", env=civitai_env)
    assert result.returncode == 1 and "pickle" in result.stderr
    result = run_cli("models", "get", url, "--type", "embedding", "--allow-pickle", env=civitai_env)
    assert result.returncode == 0, result.stderr
    assert (sdsetup_home / "embeddings" / "x.pt").is_file()


def test_storage_failure_is_reported_without_the_signed_query(civitai, civitai_env, run_cli,
                                                              sdsetup_home):
    civitai.add(FakeVersion(11, 110, "LORA", [FakeFile(111, "a.safetensors", BIG_LORA)]))
    civitai.storage.fault("/files/11/111", Fault(status=404))
    result = run_cli("models", "get", "civitai:110@11", env=civitai_env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error:" in result.stderr and "X-Amz-Signature" not in result.stderr
    assert not (sdsetup_home / "models" / "Lora" / "a.safetensors").exists()


def test_endpoints_come_from_the_chosen_mirror(civitai, hub, civitai_env, run_cli, sdsetup_home):
    (sdsetup_home / "mirrors.toml").write_text(
        f'[mirrors.lab]\nname_en = "Lab"\nname_zh = "实验室"\n'
        f'civitai = "{civitai.base}"\nhuggingface = "{hub.base}"\n')
    civitai.add(FakeVersion(11, 110, "LORA", [FakeFile(111, "a.safetensors", BIG_LORA)]))
    hub.add("o/r", "v.safetensors", kit.safetensors_bytes(kit.SD_VAE, dtype="U8"))
    env = {**civitai_env, "SDSETUP_CIVITAI_URL": None}
    for ref in ("civitai:110@11", "hf:o/r/v.safetensors"):
        result = run_cli("models", "get", ref, "--mirror", "lab", env=env)
        assert result.returncode == 0, result.stderr
    assert (sdsetup_home / "models" / "VAE" / "v.safetensors").is_file()
    unknown = run_cli("models", "get", "civitai:110@11", "--mirror", "nope", env=env)
    assert unknown.returncode == 1 and "nope" in unknown.stderr


@pytest.mark.parametrize("base, var, hint", [
    ("https://hf-mirror.com", None, "sdsetup models get <reference> --mirror default"),
    ("https://www.hf-mirror.com", None, "sdsetup models get <reference> --mirror default"),
    ("https://huggingface.co", None, "sdsetup models get <reference> --mirror tuna"),
    ("http://10.0.0.2:8080/hf", None, "sdsetup models get <reference> --mirror tuna"),
    ("https://nothf-mirror.com", None, "sdsetup models get <reference> --mirror tuna"),
    ("https://hf-mirror.com", "HF_ENDPOINT", "set HF_ENDPOINT=https://huggingface.co"),
    ("https://huggingface.co", "HF_ENDPOINT", "set HF_ENDPOINT=https://hf-mirror.com"),
    ("https://hf-mirror.com/", "SDSETUP_HF_ENDPOINT", "set SDSETUP_HF_ENDPOINT=https://huggingface.co"),
])
def test_the_hub_hint_never_names_the_endpoint_that_failed(base, var, hint):
    from sdsetup.i18n import t
    from sdsetup.models.hf import retry_hint

    assert t(retry_hint(base, var), var=var).startswith(hint)


def _refusing_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_failing_hub_endpoint_points_to_the_other_one(run_cli, civitai_env):
    """hf-mirror.com cannot be reached (here: through a proxy that refuses connections, so no
    byte leaves this machine): the hint is the official hub, not `--mirror tuna` again; the
    official hub failing points to the mirror; an endpoint from HF_ENDPOINT is changed there."""
    proxy = {"HTTPS_PROXY": f"http://127.0.0.1:{_refusing_port()}", "HTTP_PROXY": None,
             "ALL_PROXY": None, "NO_PROXY": None, "https_proxy": None, "http_proxy": None,
             "all_proxy": None, "no_proxy": None}
    env = {**civitai_env, **proxy}
    mirror = run_cli("models", "get", "hf:o/r/v.safetensors", "--mirror", "tuna", env=env)
    assert mirror.returncode == 1 and "hf-mirror.com" in mirror.stderr, mirror.stderr
    hint = next(line for line in mirror.stderr.splitlines() if line.startswith("hint:"))
    assert "--mirror default" in hint and "--mirror tuna" not in hint, hint
    official = run_cli("models", "get", "hf:o/r/v.safetensors", "--mirror", "pytorch", env=env)
    assert "huggingface.co" in official.stderr and "hint: sdsetup models get <reference> --mirror tuna" \
        in official.stderr, official.stderr
    via_env = run_cli("models", "get", "hf:o/r/v.safetensors", "--mirror", "tuna",
                      env={**env, "HF_ENDPOINT": "https://hf-mirror.com"})
    assert "hint: set HF_ENDPOINT=https://huggingface.co" in via_env.stderr, via_env.stderr


def test_a_hub_file_checked_at_download_stays_verified(civitai, hub, civitai_env, run_cli,
                                                       sdsetup_home):
    """The Hub published the file's SHA-256 and the download matched it: that hash is recorded
    beside the file (sha256sum format), so verify checks against it and list says ok, as get did."""
    vae = kit.safetensors_bytes(kit.SD_VAE, dtype="U8")
    hub.add("o/r", "v.safetensors", vae)
    env = {**civitai_env, "HF_ENDPOINT": hub.base}
    got = run_cli("models", "get", "hf:o/r/v.safetensors", env=env)
    assert got.returncode == 0 and "SHA-256 checked" in got.stdout, got.stdout + got.stderr
    record = sdsetup_home / "models" / "VAE" / "v.sha256"
    assert record.read_text(encoding="utf-8") == f"{hashlib.sha256(vae).hexdigest()}  v.safetensors\n"
    for command in ("verify", "list"):
        rows = json.loads(run_cli("models", command, "--json").stdout)
        assert [(r["name"], r["status"]) for r in rows] == [("v.safetensors", "ok")], command
    model = sdsetup_home / "models" / "VAE" / "v.safetensors"
    model.write_bytes(vae[:-1] + bytes([vae[-1] ^ 1]))  # same size, other bytes
    changed = run_cli("models", "verify", "--json")
    assert changed.returncode == 1 and json.loads(changed.stdout)[0]["status"] == "mismatch"
