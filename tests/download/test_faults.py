"""Each scripted network fault against the engine: the file still lands, verified, or the
failure says what went wrong and where. The ``final_paths`` watcher fails any test that lets
an unverified file show at its final path, even for an instant."""

from __future__ import annotations

import time

import pytest

from sdsetup.download import (
    AllSourcesFailed,
    DownloadError,
    DownloadItem,
    HashMismatch,
    HttpStatus,
    SizeMismatch,
    Source,
    fetch,
)
from tests.download.helpers import QUICK, payload, sha
from tests.support.fileserver import Fault, FileServer

SIZE = 400_000


def _get(server, dest, *sources, connections=None, **item):
    urls = sources or (server.url("/f.bin"),)
    return fetch(DownloadItem(tuple(urls), dest, **item), connections=connections,
                 progress=False, tuning=QUICK)


@pytest.fixture
def data(server):
    server.files["/f.bin"] = payload(SIZE)
    return server.files["/f.bin"]


@pytest.fixture
def dest(tmp_path, data, final_paths):
    return final_paths.watch(tmp_path / "f.bin", data)


def _ranges(server, path="/f.bin"):
    return [r.headers.get("range") for r in server.requests_for(path)]


def test_reset_mid_body_resumes_with_if_range(server, data, dest):
    """Without a known hash the validator is what says the bytes so far are still the file's."""
    server.fault("/f.bin", Fault(reset_after=100_000, times=1))
    _get(server, dest)
    assert dest.read_bytes() == data
    second = server.requests_for("/f.bin")[1].headers
    resumed_at = int(second["range"].split("=")[1].split("-")[0])
    assert 0 < resumed_at <= 100_000
    assert second["if-range"] == server.etag("/f.bin")


def test_truncated_body_under_full_content_length_is_continued(server, data, dest):
    server.fault("/f.bin", Fault(truncate_after=150_000, times=2))
    _get(server, dest, sha256=sha(data))
    assert _ranges(server) == ["bytes=0-", "bytes=150000-399999", "bytes=300000-399999"]


def test_503_then_ok(server, data, dest):
    server.fault("/f.bin", Fault(fail_first=2, fail_status=503))
    _get(server, dest, sha256=sha(data))
    assert len(server.requests_for("/f.bin")) == 3


def test_429_waits_as_long_as_retry_after_says(server, data, dest):
    server.fault("/f.bin", Fault(fail_first=1, fail_status=429, retry_after="1"))
    started = time.monotonic()
    _get(server, dest, sha256=sha(data))
    assert time.monotonic() - started >= 1.0
    assert len(server.requests_for("/f.bin")) == 2


def test_stalled_body_is_dropped_and_resumed(server, data, dest):
    server.fault("/f.bin", Fault(stall_after=50_000, stall_seconds=20, times=1))
    started = time.monotonic()
    _get(server, dest, sha256=sha(data))
    assert time.monotonic() - started < 10
    assert _ranges(server)[1].startswith("bytes=50000-")


def test_server_ignoring_range_restarts_from_zero(server, data, dest):
    server.fault("/f.bin", Fault(ignore_range=True, reset_after=120_000, times=1))
    _get(server, dest, sha256=sha(data))
    assert dest.read_bytes() == data
    assert len(server.requests_for("/f.bin")) == 2


def test_large_file_without_range_support_falls_back_to_one_stream(server, tmp_path,
                                                                    final_paths):
    data = server.files["/big.bin"] = payload(3 * 1024 * 1024)
    server.fault("/big.bin", Fault(ignore_range=True))
    dest = final_paths.watch(tmp_path / "big.bin", data)
    _get(server, dest, server.url("/big.bin"), connections=4, sha256=sha(data))
    assert len(server.requests_for("/big.bin")) == 1


def test_206_at_the_wrong_offset_is_rejected(server, data, dest):
    server.fault("/f.bin", Fault(wrong_range_offset=1, offset_shift=5000))
    _get(server, dest, sha256=sha(data))
    assert dest.read_bytes() == data
    assert len(server.requests_for("/f.bin")) == 2


def test_mirror_that_always_resumes_wrong_is_left_for_another(tmp_path, final_paths):
    data = payload(SIZE)
    with FileServer({"/f.bin": data}) as bad, FileServer({"/f.bin": data}) as good:
        bad.fault("/f.bin", Fault(wrong_range_offset=1000))
        dest = final_paths.watch(tmp_path / "f.bin", data)
        _get(bad, dest, bad.url("/f.bin"), good.url("/f.bin"), sha256=sha(data))
    assert dest.read_bytes() == data


def test_etag_change_between_requests_restarts_the_file(server, data, dest):
    server.fault("/f.bin", Fault(change_etag_after=1, reset_after=100_000, times=1))
    _get(server, dest)
    requests = server.requests_for("/f.bin")
    old_etag = requests[1].headers["if-range"]
    assert old_etag != server.etag("/f.bin")
    assert requests[-1].headers["range"] == "bytes=0-399999"
    assert "if-range" not in requests[-1].headers


def test_redirect_to_another_host_keeps_the_token_home(tmp_path, final_paths):
    data = payload(SIZE)
    with FileServer() as api, FileServer({"/f.bin": data}) as cdn:
        api.files["/f.bin"] = b"unused"
        api.fault("/f.bin", Fault(redirect_to=cdn.base, redirect_query="?sig=secret"))
        cdn.fault("/f.bin", Fault(reset_after=100_000, times=1))
        dest = final_paths.watch(tmp_path / "f.bin", data)
        source = Source(api.url("/f.bin"), headers={"Authorization": "Bearer tok"}, name="civitai")
        fetch(DownloadItem((source,), dest, sha256=sha(data)), progress=False, tuning=QUICK)
    assert [r.headers.get("authorization") for r in api.requests] == ["Bearer tok"]
    assert all("authorization" not in r.headers for r in cdn.requests)
    # The signed target is reused for the resume instead of asking the API again.
    assert [r.path for r in cdn.requests] == ["/f.bin?sig=secret"] * 2


def test_expired_signed_target_is_resolved_again(tmp_path, final_paths):
    data = payload(SIZE)
    with FileServer() as api, FileServer({"/f.bin": data}) as cdn:
        api.files["/f.bin"] = b"unused"
        api.fault("/f.bin", Fault(redirect_to=cdn.base))
        cdn.fault("/f.bin", Fault(reset_after=100_000, times=1))
        dest = final_paths.watch(tmp_path / "f.bin", data)
        fetch(DownloadItem((api.url("/f.bin"),), dest, sha256=sha(data)), progress=False,
              tuning=QUICK)
        assert len(api.requests) == 1
        # Now the CDN refuses the old URL once (an expired signature): go back to the API.
        cdn.fault("/f.bin", Fault(fail_first=len(cdn.requests) + 1, fail_status=403))
        dest.unlink()
        fetch(DownloadItem((api.url("/f.bin"),), dest, sha256=sha(data)), progress=False,
              tuning=QUICK)
    assert dest.read_bytes() == data


def test_resolve_callback_supplies_a_fresh_url(tmp_path, server, data, dest):
    server.files["/expired.bin"] = data
    server.fault("/expired.bin", Fault(status=410))
    calls = []

    def resolve():
        calls.append(1)
        return server.url("/f.bin")

    source = Source(server.url("/expired.bin"), resolve=resolve)
    fetch(DownloadItem((source,), dest, sha256=sha(data)), progress=False, tuning=QUICK)
    assert calls == [1] and dest.read_bytes() == data


def test_404_on_one_mirror_moves_on_at_once(tmp_path, data, final_paths):
    with FileServer({}) as empty, FileServer({"/f.bin": data}) as good:
        dest = final_paths.watch(tmp_path / "f.bin", data)
        started = time.monotonic()
        _get(good, dest, empty.url("/f.bin"), good.url("/f.bin"), sha256=sha(data))
        assert time.monotonic() - started < 2
        assert len(empty.requests) == 1


def test_404_everywhere_is_an_http_status_error(server, tmp_path, final_paths):
    dest = tmp_path / "missing.bin"
    with pytest.raises(HttpStatus) as err:
        _get(server, dest, server.url("/missing.bin?token=secret"))
    assert err.value.status == 404
    assert "secret" not in str(err.value) and "/missing.bin" in str(err.value)
    assert not dest.exists()


def test_corrupt_mirror_is_dropped_after_the_hash_check(tmp_path, data, final_paths):
    with FileServer({"/f.bin": data}) as bad, FileServer({"/f.bin": data}) as good:
        bad.fault("/f.bin", Fault(corrupt=True))
        dest = final_paths.watch(tmp_path / "f.bin", data)
        _get(bad, dest, Source(bad.url("/f.bin"), name="bad"), good.url("/f.bin"),
             sha256=sha(data))
        assert len(good.requests) >= 1


def test_corrupt_everywhere_fails_naming_the_mirror(tmp_path, data, final_paths):
    with FileServer({"/f.bin": data}) as bad:
        bad.fault("/f.bin", Fault(corrupt=True))
        dest = final_paths.watch(tmp_path / "f.bin", data)
        with pytest.raises(HashMismatch) as err:
            _get(bad, dest, Source(bad.url("/f.bin"), name="sjtu"), sha256=sha(data))
    assert "sjtu" in str(err.value)
    assert not dest.exists() and not dest.with_name("f.bin.part").exists()


def test_mirror_with_another_size_is_not_mixed_in(tmp_path, data, final_paths):
    with FileServer({"/f.bin": data + b"x"}) as other, FileServer({"/f.bin": data}) as good:
        dest = final_paths.watch(tmp_path / "f.bin", data)
        _get(other, dest, good.url("/f.bin"), other.url("/f.bin"), connections=1,
             size=len(data))
    assert dest.read_bytes() == data


def test_refused_connection_then_a_good_mirror(tmp_path, server, data, dest):
    _get(server, dest, "http://127.0.0.1:9/f.bin", server.url("/f.bin"), sha256=sha(data))
    assert dest.read_bytes() == data


def test_every_mirror_failing_names_each_and_why(tmp_path, server, data):
    server.fault("/f.bin", Fault(fail_first=1000, fail_status=503))
    dest = tmp_path / "f.bin"
    with pytest.raises(AllSourcesFailed) as err:
        _get(server, dest, server.url("/f.bin"), "http://127.0.0.1:9/f.bin")
    text = str(err.value)
    assert "HTTP 503" in text and "127.0.0.1:9" in text
    assert not dest.exists()


def test_body_without_content_length(server, data, dest):
    server.fault("/f.bin", Fault(no_length=True, ignore_range=True))
    _get(server, dest, sha256=sha(data))
    assert dest.read_bytes() == data


def test_trickling_mirror_is_dropped_for_a_faster_one(tmp_path, data, final_paths):
    with FileServer({"/f.bin": data}) as slow, FileServer({"/f.bin": data}) as fast:
        slow.fault("/f.bin", Fault(throttle=4 * 1024))  # under QUICK.stall_speed
        dest = final_paths.watch(tmp_path / "f.bin", data)
        started = time.monotonic()
        _get(slow, dest, slow.url("/f.bin"), fast.url("/f.bin"), connections=1,
             sha256=sha(data))
        # At 4 KiB/s the slow mirror alone would need 100 s.
        assert time.monotonic() - started < 20
        assert len(slow.requests) == 1


def test_proxy_from_the_environment_is_used(monkeypatch, server, tmp_path, final_paths):
    data = payload(SIZE)
    # A proxy receives the absolute URL in the request line.
    server.files["http://sdsetup.invalid/f.bin"] = data
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.base)
    dest = final_paths.watch(tmp_path / "f.bin", data)
    _get(server, dest, "http://sdsetup.invalid/f.bin", sha256=sha(data))
    assert server.requests[0].path == "http://sdsetup.invalid/f.bin"


def test_progress_bars_show_bytes_and_speed(server, data, tmp_path, capsys):
    fetch(DownloadItem((server.url("/f.bin"),), tmp_path / "f.bin"), progress=True,
          tuning=QUICK)
    err = capsys.readouterr().err
    assert "f.bin" in err and "391k/391k" in err.replace("K", "k") and "/s" in err


def test_every_mirror_with_another_size_is_a_size_mismatch(server, data, tmp_path):
    with pytest.raises(SizeMismatch) as err:
        _get(server, tmp_path / "f.bin", size=len(data) - 1)
    assert err.value.params["actual"] == len(data)
    assert not (tmp_path / "f.bin").exists()


def test_short_206_answers_are_continued(server, data, dest):
    server.fault("/f.bin", Fault(max_range=100_000))
    _get(server, dest, sha256=sha(data))
    assert _ranges(server) == ["bytes=0-", "bytes=100000-399999", "bytes=200000-399999",
                               "bytes=300000-399999"]


def test_socks_proxy_from_all_proxy_is_used(monkeypatch, server, data, dest):
    from tests.support.socksproxy import SocksProxy

    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    with SocksProxy() as proxy:
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        _get(server, dest, sha256=sha(data))
    assert dest.read_bytes() == data
    assert proxy.connections and proxy.connections[0][1] == int(server.base.rsplit(":", 1)[1])


# --------------------------------------------------------------- validators that do not hold still

@pytest.mark.parametrize("fault", [
    Fault(etag_per_response=True, reset_after=60_000),
    Fault(last_modified_per_response=True, no_etag=True, reset_after=60_000),
], ids=["etag-per-response", "last-modified-per-response"])
def test_known_hash_resumes_without_validators_when_they_change_per_response(server, data, dest,
                                                                               fault):
    """Every response resets after 60 kB and carries a new validator: the hash is the identity,
    so each resume continues where the last stopped, and nothing is fetched twice."""
    server.fault("/f.bin", fault)
    start = time.monotonic()
    _get(server, dest, sha256=sha(data))
    assert dest.read_bytes() == data
    requests = server.requests_for("/f.bin")
    assert all("if-range" not in r.headers for r in requests)
    assert server.bytes_sent["/f.bin"] == SIZE and len(requests) == -(-SIZE // 60_000)
    assert time.monotonic() - start < 20


@pytest.mark.parametrize("fault", [
    Fault(etag_per_response=True, reset_after=100_000, times=2),
    Fault(last_modified_per_response=True, no_etag=True, reset_after=100_000, times=2),
], ids=["etag-per-response", "last-modified-per-response"])
def test_unknown_hash_falls_back_to_one_stream_when_validators_change(server, data, dest, fault):
    """No hash and a validator that changes per response: after the second refused If-Range the
    file is fetched in one stream from byte 0 without validators, instead of looping."""
    server.fault("/f.bin", fault)
    _get(server, dest)
    assert dest.read_bytes() == data
    last = server.requests_for("/f.bin")[-1].headers
    assert "if-range" not in last and last["range"].startswith("bytes=0-")


def test_unknown_hash_with_validators_that_never_hold_ends_with_an_error(server, data, dest):
    """Every response resets and changes its ETag: a bounded number of tries, then an error."""
    server.fault("/f.bin", Fault(etag_per_response=True, reset_after=100_000))
    start = time.monotonic()
    with pytest.raises(DownloadError):
        _get(server, dest)
    assert time.monotonic() - start < 60 and len(server.requests_for("/f.bin")) < 40
    assert not dest.exists()


@pytest.mark.parametrize("known_hash", [True, False], ids=["hash", "no-hash"])
def test_two_mirror_nodes_with_different_validators_for_the_same_bytes(tmp_path, final_paths,
                                                                       known_hash):
    big = payload(3 * 1024 * 1024)
    dest = final_paths.watch(tmp_path / "big.bin", big)
    with FileServer({"/f.bin": big}) as one, FileServer({"/f.bin": big}) as two:
        one.fault("/f.bin", Fault(node=1, reset_after=400_000, times=2))
        two.fault("/f.bin", Fault(node=2, reset_after=400_000, times=2))
        fetch(DownloadItem((one.url("/f.bin"), two.url("/f.bin")), dest,
                           sha256=sha(big) if known_hash else None),
              connections=4, progress=False, tuning=QUICK)
        assert dest.read_bytes() == big
        assert one.bytes_sent["/f.bin"] and two.bytes_sent["/f.bin"]
        # bytes in flight when a piece is handed over count too (a loaded machine sends more)
        assert one.bytes_sent["/f.bin"] + two.bytes_sent["/f.bin"] < 4 * len(big)
        for server in (one, two):
            sent = {r.headers.get("if-range") for r in server.requests_for("/f.bin")} - {None}
            assert not known_hash or not sent
            assert sent <= {server.etag("/f.bin")}  # a node is only ever asked with its own
