"""The Civitai client on its own: retries, refusals, redirects, lenient parsing of real captures."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from sdsetup.models.civitai import (
    CivitaiClient, RetryPolicy, api_base, choose_file, parse_version, pick_token,
)
from sdsetup.models.errors import CivitaiError
from tests.models.civitai_lookalike import VERSION_TEMPLATE, FakeFile, FakeVersion

QUICK = RetryPolicy(attempts_429=3, attempts_5xx=3, base_429=0.02, base=0.01, cap=0.04)


@pytest.fixture
def lora(civitai):
    return civitai.add(FakeVersion(11, 110, "LORA", [FakeFile(111, "a.safetensors", b"x" * 64)]))


def _client(civitai, token="tok-SECRET-1234567890", policy=QUICK, sleeps=None):
    return CivitaiClient(civitai.base, token, policy=policy,
                         sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_429_is_waited_out_slowly_then_succeeds(civitai, lora):
    civitai.script("/api/v1/model-versions/11", (429, {"error": "Too many requests"}),
                   (429, {"error": "Too many requests"}))
    sleeps: list[float] = []
    with _client(civitai, sleeps=sleeps) as client:
        assert client.version(11).id == 11
    assert len(sleeps) == 2 and sleeps[1] >= sleeps[0] * 0.9


def test_429_that_never_ends_is_an_error_in_words(civitai, lora):
    civitai.script("/api/download/models/11", *[(429, {"error": "unusual amount"})] * 5)
    with _client(civitai) as client, pytest.raises(CivitaiError) as caught:
        client.resolve_download(11, 111)
    assert caught.value.key == "models.civitai_rate_limited"


def test_5xx_is_retried_then_reported(civitai, lora):
    civitai.script("/api/v1/model-versions/11", (500, {"error": "Error getting file"}))
    with _client(civitai) as client:
        assert client.version(11).id == 11
    civitai.script("/api/v1/model-versions/11", *[(503, {})] * 5)
    with _client(civitai) as client, pytest.raises(CivitaiError) as caught:
        client.version(11)
    assert caught.value.key == "models.civitai_server_error" and caught.value.params["status"] == 503


def test_retry_after_is_honoured(civitai, lora):
    civitai.script("/api/v1/model-versions/11", (429, {}, {"Retry-After": "7"}), (503, {}),
                   (429, {}, {"Retry-After": "100000"}))
    sleeps: list[float] = []
    patient = dataclasses.replace(QUICK, attempts_429=5, attempts_5xx=5)
    with _client(civitai, sleeps=sleeps, policy=patient) as client:
        client.version(11)
    assert sleeps[0] == 7.0  # the server's word
    assert sleeps[1] <= QUICK.cap  # no Retry-After: the policy's backoff
    assert sleeps[2] == QUICK.retry_after_cap  # an absurd wait is capped


def test_resolve_reads_the_redirect_without_following_it(civitai, lora):
    with _client(civitai) as client:
        source = client.download_source(11, 111)
        assert source.resolve is not None and source.resolve() != source.url  # fresh signature
    assert source.url.startswith(civitai.storage.base + "/files/11/111?")
    assert dict(source.headers) == {}  # the storage host never gets the token
    assert "sig" not in (source.name or "")  # signed query kept out of messages
    assert civitai.storage.requests == []  # resolving fetched nothing from storage


def test_unreachable_api_names_the_host_and_the_proxy_fix():
    with CivitaiClient("http://127.0.0.1:9", None, policy=QUICK) as client, \
            pytest.raises(CivitaiError) as caught:
        client.version(1)
    assert caught.value.key == "models.civitai_unreachable"
    assert caught.value.params["host"] == "127.0.0.1:9"


def test_a_captcha_page_instead_of_json_is_named(civitai, lora):
    civitai.script("/api/v1/model-versions/11", (200, None))
    with _client(civitai) as client, pytest.raises(CivitaiError) as caught:
        client.version(11)
    assert caught.value.key == "models.civitai_bad_answer"


def test_real_capture_parses():
    version = parse_version(VERSION_TEMPLATE, 1387174)
    assert (version.model_type, version.base_model, version.air) == (
        "LORA", "Flux.1 D", "urn:air:flux1:lora:civitai:1231067@1387174")
    (file,) = version.files
    assert file.size == 19281048  # sizeKB 18829.1484375 is exact bytes/1024
    assert file.sha256 == "9753338ab693ca82bf89ed77a5d1912879e40051463ec6e330fb9866ce798668"
    assert version.image_url and version.image_url.startswith("https://image.civitai.com/")


def test_parsing_is_lenient_about_missing_keys():
    data = {"id": 5, "files": [{"id": 1}, {"name": "no id"}, "junk"], "images": None}
    version = parse_version(data, 5)
    assert [f.id for f in version.files] == [1]
    assert version.files[0].sha256 is None and version.files[0].size is None
    assert (version.model_type, version.image_url) == ("Other", None)


def _version_with(*files: dict):
    data = copy.deepcopy(VERSION_TEMPLATE)
    data["files"] = list(files)
    return parse_version(data, data["id"])


def _file(id: int, name: str, type="Model", fmt="SafeTensor", primary=False) -> dict:
    return {"id": id, "name": name, "type": type, "primary": primary, "metadata": {"format": fmt}}


@pytest.mark.parametrize("files,wanted,chosen", [
    ([_file(1, "a.ckpt", fmt="PickleTensor", primary=True), _file(2, "a.safetensors")], None, 2),
    ([_file(1, "a.safetensors", primary=True), _file(2, "b.safetensors")], None, 1),
    ([_file(1, "vae.safetensors", type="VAE"), _file(2, "a.safetensors", type="Pruned Model")],
     None, 2),
    ([_file(1, "cfg.yaml", type="Config", fmt="Other"), _file(2, "a.ckpt", fmt="PickleTensor",
                                                                primary=True)], None, 2),
    ([_file(1, "a.safetensors", primary=True), _file(2, "B.SafeTensors")], "b.safetensors", 2),
    ([_file(1, "a.safetensors", primary=True), _file(2, "b.safetensors")], "2", 2),
])
def test_file_choice(files, wanted, chosen):
    assert choose_file(_version_with(*files), wanted).id == chosen


def test_file_choice_refusals():
    with pytest.raises(CivitaiError) as caught:
        choose_file(_version_with(), None)
    assert caught.value.key == "models.civitai_no_files"
    with pytest.raises(CivitaiError) as caught:
        choose_file(_version_with(_file(1, "a.safetensors")), "9")
    assert caught.value.key == "models.civitai_no_such_file"


@pytest.mark.parametrize("flag,environ,config,url_token,expected", [
    ("f", {"CIVITAI_TOKEN": "e"}, {"civitai": {"token": "c"}}, "u", "f"),
    (None, {"CIVITAI_TOKEN": "e"}, {"civitai": {"token": "c"}}, "u", "e"),
    (None, {"CIVITAI_API_KEY": "k"}, {}, None, "k"),
    (None, {}, {"civitai": {"token": " c "}}, "u", "c"),
    (None, {}, {"civitai": "not a table"}, "u", "u"),
    (None, {"CIVITAI_TOKEN": ""}, {}, None, None),
])
def test_token_sources_in_order(flag, environ, config, url_token, expected):
    assert pick_token(flag, environ, config, url_token) == expected


@pytest.mark.parametrize("mirror,environ,expected", [
    (None, {}, "https://civitai.com"),
    ("https://proxy.example/", {}, "https://proxy.example"),
    ("https://proxy.example", {"SDSETUP_CIVITAI_URL": "http://127.0.0.1:8/api/v1/"},
     "http://127.0.0.1:8"),
])
def test_api_base(mirror, environ, expected):
    assert api_base(mirror, environ) == expected
