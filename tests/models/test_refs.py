"""Every accepted reference form, and the refusals that show the accepted forms."""

from __future__ import annotations

import pytest

from sdsetup.models.errors import BadReference
from sdsetup.models.refs import CivitaiRef, HfRef, HfRepoRef, UrlRef, parse_reference

CASES = [
    ("https://civitai.com/models/4201/slug?modelVersionId=130072", CivitaiRef(4201, 130072)),
    ("https://civitai.com/models/4201?modelVersionId=130072", CivitaiRef(4201, 130072)),
    ("https://civitai.com/models/4201/slug", CivitaiRef(4201, None)),
    ("https://www.civitai.com/models/4201", CivitaiRef(4201, None)),
    ("https://civitai.red/models/4201/slug?modelVersionId=130072", CivitaiRef(4201, 130072)),
    ("https://civitai.green/models/4201?version=130072", CivitaiRef(4201, 130072)),
    ("https://civitai.com/model-versions/130072", CivitaiRef(None, 130072)),
    ("https://civitai.com/api/v1/model-versions/130072", CivitaiRef(None, 130072)),
    ("https://civitai.com/api/v1/modelVersions/130072", CivitaiRef(None, 130072)),
    ("https://civitai.com/api/v1/models/4201", CivitaiRef(4201, None)),
    ("https://civitai.com/api/download/models/130072", CivitaiRef(None, 130072)),
    ("https://civitai.com/api/download/models/130072?type=Model&format=SafeTensor&fileId=99",
     CivitaiRef(None, 130072, 99)),
    ("urn:air:sd1:checkpoint:civitai:4201@130072", CivitaiRef(4201, 130072)),
    ("urn:air:sdxl:checkpoint:civitai:827184@2514310+2402203", CivitaiRef(827184, 2514310, 2402203)),
    ("urn:air:flux1:lora:civitai:1231067@1387174.safetensors", CivitaiRef(1231067, 1387174)),
    ("civitai:4201", CivitaiRef(4201, None)),
    ("civitai:4201@130072", CivitaiRef(4201, 130072)),
    ("  civitai:4201@130072+7  ", CivitaiRef(4201, 130072, 7)),
    ("hf:stabilityai/sdxl-vae/sdxl_vae.safetensors",
     HfRef("stabilityai/sdxl-vae", "sdxl_vae.safetensors", "main")),
    ("hf:owner/repo/sub/dir/file.safetensors@v1.0",
     HfRef("owner/repo", "sub/dir/file.safetensors", "v1.0")),
    ("https://huggingface.co/owner/repo/resolve/main/unet/x.safetensors",
     HfRef("owner/repo", "unet/x.safetensors", "main")),
    ("https://hf-mirror.com/owner/repo/blob/abc123/x.safetensors",
     HfRef("owner/repo", "x.safetensors", "abc123")),
    ("https://example.org/files/model.safetensors", UrlRef("https://example.org/files/model.safetensors")),
    ("hf:Salesforce/blip-image-captioning-base",
     HfRepoRef("Salesforce/blip-image-captioning-base", "main")),
    ("hf:owner/repo@v2", HfRepoRef("owner/repo", "v2")),
    ("https://huggingface.co/owner/repo", HfRepoRef("owner/repo", "main")),
    ("https://hf-mirror.com/owner/repo/tree/abc123/", HfRepoRef("owner/repo", "abc123")),
    ("https://huggingface.co/owner/repo/discussions", UrlRef("https://huggingface.co/owner/repo/discussions")),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0].strip() for c in CASES])
def test_accepted_forms(text, expected):
    assert parse_reference(text) == expected


def test_a_token_pasted_in_a_download_url_is_kept_but_never_shown():
    ref = parse_reference("https://civitai.com/api/download/models/5?token=abc-secret")
    assert ref.url_token == "abc-secret"
    assert "abc-secret" not in repr(ref)


def test_a_refused_reference_is_echoed_without_its_token():
    with pytest.raises(BadReference) as caught:
        parse_reference("https://civitai.com/api/download/oops?fileId=1&token=abc-secret")
    assert "abc-secret" not in str(caught.value) and "token=***" in str(caught.value)


BAD = [
    "", "hello", "civitai:", "civitai:abc", "civitai:0", "civitai:12@", "urn:air:sd1:checkpoint:foo:1@2",
    "urn:air:sd1:checkpoint:civitai:4201", "ftp://civitai.com/models/1", "https://civitai.com/images/55",
    "https://civitai.com/user/someone", "hf:owner", "hf:owner/repo@", "hf:owner/.hidden", "hf:owner/repo/../../etc/passwd",
    "hf:owner/repo/file@", "file:///etc/passwd", "C:\\models\\x.safetensors",
]


@pytest.mark.parametrize("text", BAD)
def test_malformed_references_list_the_accepted_forms(text):
    with pytest.raises(BadReference) as caught:
        parse_reference(text)
    assert caught.value.key == "models.bad_reference"
    assert caught.value.hint == "models.hint_reference_forms"


def test_a_bare_number_is_ambiguous_and_says_how_to_write_it():
    with pytest.raises(BadReference) as caught:
        parse_reference("4201")
    assert caught.value.key == "models.bare_number"
