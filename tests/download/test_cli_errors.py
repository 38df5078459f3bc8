"""What ``sdsetup download`` says instead of a traceback: unusable URLs, unwritable destinations."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sdsetup.download import AllSourcesFailed, DestinationUnwritable, DownloadItem, fetch
from sdsetup.download.names import redact_url, url_problem
from tests.download.helpers import QUICK, payload
from tests.support.fileserver import Fault


def _refused(result, code: int, *words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr and "hint:" in result.stderr
    for word in words:
        assert word in result.stderr


@pytest.mark.parametrize("url, key", [
    ("http://host:notaport/x.bin", "download.url_port"),
    ("https://host:99999/x.bin", "download.url_port"),
    ("ftp://host/x.bin", "download.url_scheme"),
    ("https:///x.bin", "download.url_host"),
    ("https://host/x.bin", None),
    ("http://127.0.0.1:8080/a/b.safetensors?x=1", None),
])
def test_url_problem(url, key):
    assert url_problem(url) == key


def test_redacting_a_url_with_a_bad_port_does_not_raise():
    assert redact_url("http://user:pw@host:notaport/x?sig=1") == "http://host:notaport/x"


def test_a_bad_port_is_a_usage_error(run_cli):
    result = run_cli("download", "http://host:notaport/x.bin")
    _refused(result, 2, "http://host:notaport/x.bin", "port")


def test_a_destination_under_a_file_is_named(run_cli, tmp_path: Path):
    (tmp_path / "somefile").write_text("not a folder")
    result = run_cli("download", "http://127.0.0.1:9/x.bin", "-o",
                     str(tmp_path / "somefile" / "x.bin"))
    _refused(result, 1, "cannot write the download to", str(tmp_path / "somefile"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_a_destination_that_cannot_be_created_is_named(run_cli):
    result = run_cli("download", "http://127.0.0.1:9/x.bin", "-o", "/proc/x.bin")
    _refused(result, 1, "cannot write the download to", "/proc/x.bin")


def test_unwritable_destination_is_a_download_error(server, tmp_path: Path):
    server.files["/a.bin"] = payload(1000)
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    with pytest.raises(DestinationUnwritable) as err:
        fetch(DownloadItem((server.url("/a.bin"),), blocker / "a.bin"), progress=False,
              tuning=QUICK)
    assert str(blocker) in str(err.value)
    assert server.requests == []


def test_a_redirect_to_an_unusable_url_fails_the_mirror(server, tmp_path: Path):
    server.files["/a.bin"] = payload(1000)
    server.fault("/a.bin", Fault(redirect_to="http://127.0.0.1:notaport"))
    with pytest.raises(AllSourcesFailed) as err:
        fetch(DownloadItem((server.url("/a.bin"),), tmp_path / "a.bin"), progress=False,
              tuning=QUICK)
    assert server.url("/a.bin") in str(err.value)  # httpx reports the Location it refused
    assert not (tmp_path / "a.bin").exists()


def _dead_url(path: str = "/f.bin") -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}{path}"


def test_a_single_unreachable_url_fails_fast_naming_its_host(run_cli, tmp_path):
    url, out = _dead_url(), tmp_path / "out"
    result = run_cli("download", url, "-o", str(out), timeout=60)
    _refused(result, 1, url.split("/")[2])
    assert "every mirror" not in result.stderr and "again" not in result.stderr
    assert "sdsetup doctor" in result.stderr.splitlines()[-1]
    assert not out.exists() or [p.name for p in out.iterdir()] == []  # no .part, no .lock


def test_named_sources_that_refuse_are_reported_by_host(tmp_path):
    """Failures name the host that failed, not only the name of the mirror spec (``auto``)."""
    from sdsetup.download import Source

    first, second = _dead_url(), _dead_url()
    with pytest.raises(AllSourcesFailed) as caught:
        fetch(DownloadItem((Source(first, name="auto"), Source(second, name="auto")), tmp_path / "f"),
              progress=False, tuning=QUICK)
    hosts = {url.split("/")[2] for url in (first, second)}
    assert set(caught.value.reasons) == {f"auto ({host})" for host in hosts}
    assert caught.value.hint == "download.hint_unreachable"
