"""Who may talk to the server: no rebound host names on loopback, no cross-site writes.

DNS rebinding: a page on ``evil.example`` can make that name resolve to 127.0.0.1 and then read
and drive a loopback server as its own origin; the browser still sends ``Host: evil.example``.
So, as Jupyter and Ollama do, a server bound to loopback answers only loopback host names.

Cross-site requests: any page may send a "simple" request (a form or ``text/plain`` body, no
preflight) to any host; browsers mark it with its ``Origin`` (and ``Sec-Fetch-Site``). A request
that changes state is refused when it comes from a foreign origin, and the A1111 API, which takes
JSON, refuses the simple body types outright. Clients that are not browsers (webuiapi, gradio's
client, curl) send no ``Origin`` and are unaffected.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from urllib.parse import urlsplit

from sdsetup.i18n import t

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIMPLE_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
API_PREFIX = "/sdapi/"


def is_loopback_name(name: str) -> bool:
    """``localhost``, ``*.localhost`` (browsers resolve it to loopback) or a loopback address."""
    name = name.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without the port (``[::1]:7860`` → ``::1``)."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _same_origin(origin: str, host: str) -> bool:
    try:
        netloc = urlsplit(origin).netloc.lower()
    except ValueError:
        return False
    return bool(netloc) and netloc == host.lower()


def refusal(method: str, path: str, headers: Mapping[str, str], loopback_only: bool) -> str | None:
    """Why a request must be refused (a catalogue key), or None to let it through."""
    host = headers.get("host", "")
    if loopback_only and not is_loopback_name(host_name(host)):
        return "run.refused_host"
    if method in SAFE_METHODS:
        return None
    origin = headers.get("origin")
    if origin is not None and not _same_origin(origin, host):
        return "run.refused_cross_site"
    if headers.get("sec-fetch-site") == "cross-site":
        return "run.refused_cross_site"
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if path.startswith(API_PREFIX) and content_type in SIMPLE_TYPES:
        return "run.refused_cross_site"
    return None


class GuardMiddleware:
    """Pure ASGI middleware that applies :func:`refusal` before any route (the page's too)."""

    def __init__(self, app, loopback_only: bool) -> None:
        self.app = app
        self.loopback_only = loopback_only

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope.get("method", "GET") if scope["type"] == "http" else "WEBSOCKET"
        key = refusal(method, scope.get("path", ""), headers, self.loopback_only)
        if key is None:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        detail = t(key, host=host_name(headers.get("host", "")))
        body = json.dumps({"error": "Forbidden", "detail": detail, "errors": detail}).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
