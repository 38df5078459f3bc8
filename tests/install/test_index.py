"""Simple-API parsing: PEP 503 HTML, PEP 691 JSON, flat listings; and reading them for real."""

from __future__ import annotations

import json

import httpx
import pytest

from sdsetup.install.index import IndexReader
from sdsetup.install.index_pages import ListingError, files_of, is_flat, parse_html, parse_json, wheel_of
from tests.install.conftest import flat, pep503
from tests.support.fileserver import FileServer

# Shaped like torch.example.org's pages: root-relative and absolute hrefs, %2B, metadata attrs.
PYTORCH_PAGE = """<!DOCTYPE html><html><body><h1>Links for torch</h1>
<a href="/whl/cu130/torch-2.10.0%2Bcu130-cp310-cp310-manylinux_2_28_x86_64.whl#sha256=aa11"
 data-dist-info-metadata="sha256=bb" data-core-metadata="sha256=bb">torch-2.10.0+cu130-cp310-cp310-manylinux_2_28_x86_64.whl</a><br/>
<a href="https://torch-r2.example.org/whl/cu130/torch-2.11.0%2Bcu130-cp312-cp312-win_amd64.whl">torch-2.11.0+cu130-cp312-cp312-win_amd64.whl</a><br/>
<a href="networkx-3.0-py3-none-any.whl#sha256=CC22" data-requires-python="&gt;=3.8" data-yanked="bad">networkx-3.0-py3-none-any.whl</a>
</body></html>"""


def test_pep503_page_from_the_pytorch_index():
    files = parse_html(PYTORCH_PAGE, "https://torch.example.org/whl/cu130/torch/")
    first, second, third = files
    assert first.url == "https://torch.example.org/whl/cu130/torch-2.10.0%2Bcu130-cp310-cp310-manylinux_2_28_x86_64.whl"
    assert first.filename == "torch-2.10.0+cu130-cp310-cp310-manylinux_2_28_x86_64.whl"
    assert first.sha256 == "aa11"
    assert second.url.startswith("https://torch-r2.example.org/") and second.sha256 is None
    assert third.url == "https://torch.example.org/whl/cu130/torch/networkx-3.0-py3-none-any.whl"
    assert third.sha256 == "cc22" and third.requires_python == ">=3.8" and third.yanked


def test_base_href_is_honoured():
    page = '<html><head><base href="https://files.example/pkgs/"></head><a href="x-1.0-py3-none-any.whl">x</a>'
    assert parse_html(page, "https://index.example/simple/x/")[0].url == "https://files.example/pkgs/x-1.0-py3-none-any.whl"


def test_pep691_json_page():
    data = {"meta": {"api-version": "1.1"}, "name": "six", "files": [
        {"filename": "six-1.17.0-py2.py3-none-any.whl", "url": "../../packages/six-1.17.0-py2.py3-none-any.whl",
         "hashes": {"sha256": "dd"}, "requires-python": ">=2.7", "yanked": False, "size": 11050}]}
    (f,) = parse_json(json.dumps(data), "https://m.example/simple/six/")
    assert f.url == "https://m.example/packages/six-1.17.0-py2.py3-none-any.whl"
    assert (f.sha256, f.size, f.requires_python, f.yanked) == ("dd", 11050, ">=2.7", False)


def test_newer_major_api_version_is_refused():
    with pytest.raises(ListingError):
        parse_json(json.dumps({"meta": {"api-version": "2.0"}, "files": []}), "https://m/simple/x/")
    with pytest.raises(ListingError):
        parse_html('<meta name="pypi:repository-version" content="2.0">', "https://m/simple/x/")


def test_aliyun_style_flat_listing():
    page = ('<a href="torch-2.5.1%2Bcu121-cp312-cp312-linux_x86_64.whl">torch-2.5.1&#43;cu121-cp312-cp312-linux_x86_64.whl</a>\n'
            '<a href="torchvision-0.20.1%2Bcu121-cp312-cp312-linux_x86_64.whl">torchvision-0.20.1&#43;cu121-…</a>\n'
            '<a href="../">../</a>')
    files = parse_html(page, "https://mirrors.aliyun.com/pytorch-wheels/cu121/")
    assert is_flat(files)
    (torch,) = files_of("torch", files)
    assert torch.filename == "torch-2.5.1+cu121-cp312-cp312-linux_x86_64.whl"
    assert str(wheel_of(torch.filename).version) == "2.5.1+cu121"
    assert wheel_of("torchvision-0.20.1%2Bcu121-cp312-cp312-linux_x86_64.whl").project == "torchvision"


@pytest.mark.parametrize("name, ok", [
    ("torch-2.5.1%2Bcu121-cp312-cp312-linux_x86_64.whl", True),
    ("torch-2.5.1-cp312-linux_x86_64.whl", False),
    ("six-1.17.0.tar.gz", False),
])
def test_wheel_names(name, ok):
    assert (wheel_of(name) is not None) == ok


def test_reader_against_loopback_index_flat_listing_and_folder(tiny_set, tmp_path):
    with FileServer({**pep503(tiny_set.wheels), **flat(tiny_set.wheels)}) as server, \
            httpx.Client() as client:
        reader = IndexReader(client)
        from_index = reader.project_files("sdt-alpha", indexes=[server.url("/simple")])
        from_flat = reader.project_files("SDT_Alpha", indexes=[server.url("/flat")])
        missing = reader.project_files("nothing-here", indexes=[server.url("/simple")])
    assert [f.filename for f in from_index] == [f.filename for f in from_flat] == ["sdt_alpha-1.0-py3-none-any.whl"]
    assert from_index[0].sha256 and from_flat[0].sha256 is None
    assert missing == []
    for name, data in tiny_set.wheels.items():
        (tmp_path / name).write_bytes(data)
    with httpx.Client() as client:
        local = IndexReader(client).project_files("torch", find_links=[tmp_path.as_uri()])
    assert [f.url for f in local] == [(tmp_path / next(n for n in tiny_set.wheels if n.startswith("torch"))).as_uri()]


def test_unreachable_index_is_an_error_naming_the_url():
    with httpx.Client() as client, pytest.raises(ListingError) as caught:
        IndexReader(client).project_files("six", indexes=["http://127.0.0.1:9/simple"])
    assert caught.value.params["url"] == "http://127.0.0.1:9/simple/six/"


def test_an_invalid_url_is_a_listing_error_not_a_crash():
    from sdsetup import http

    with http.client() as client:
        with pytest.raises(ListingError) as caught:
            IndexReader(client).project_files("six", indexes=["http://127.0.0.1:notaport/simple"])
    assert caught.value.key == "install.index_unreachable"


def test_a_garbage_api_version_is_a_listing_error():
    page = '<meta name="pypi:repository-version" content="x.y"><a href="a-1-py3-none-any.whl">a</a>'
    with pytest.raises(ListingError):
        parse_html(page, "http://127.0.0.1:9/simple/a/")
