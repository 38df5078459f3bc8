"""sdsetup.http: the one client setup every module shares."""

from __future__ import annotations

import httpx
import pytest

from sdsetup import __version__, http


def test_defaults_and_bearer(server):
    server.files["/a.bin"] = b"abc"
    with http.client() as plain, http.client(identity=True, timeout=5.0,
                                             headers={"X-Extra": "1"}) as engine:
        assert plain.get(server.url("/a.bin"), headers=http.bearer("t0k")).content == b"abc"
        engine.get(server.url("/a.bin"), headers=http.bearer(None))
        assert not plain.follow_redirects and plain.timeout.connect == http.CONNECT_TIMEOUT
        assert engine.timeout.read == 5.0
    first, second = (r.headers for r in server.requests)
    assert first["user-agent"] == http.USER_AGENT == f"sdsetup/{__version__}"
    assert first["authorization"] == "Bearer t0k" and first.get("accept-encoding") != "identity"
    assert second["accept-encoding"] == "identity" and second["x-extra"] == "1"
    assert "authorization" not in second


def test_proxies_come_from_the_environment(server, monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.base)
    with http.client() as client:
        client.get("http://files.example.invalid/x.bin")
    assert "files.example.invalid" in server.requests[-1].path


def test_a_custom_transport_is_refused():
    with pytest.raises(ValueError):
        http.client(transport=httpx.HTTPTransport())
