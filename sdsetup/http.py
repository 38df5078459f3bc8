"""sdsetup's one HTTP client setup: its user agent, timeouts, HTTP/1.1 and the user's proxies.

No custom transport is ever passed to httpx: that would silently disable ``HTTP(S)_PROXY``,
``ALL_PROXY``, ``NO_PROXY`` and the system proxy (Clash, v2ray), which users in China rely on.
"""

from __future__ import annotations

from typing import Any

import httpx

from sdsetup import __version__

USER_AGENT = f"sdsetup/{__version__}"
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 30.0


def client(*, timeout: float | httpx.Timeout | None = None, headers: dict[str, str] | None = None,
           identity: bool = False, **kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` with sdsetup's defaults; ``kwargs`` go to httpx (``limits``…).

    ``identity`` asks for uncompressed bodies (``Accept-Encoding: identity``): the download engine
    needs it, since under compression Content-Length stops matching the bytes written. Redirects
    are not followed unless ``follow_redirects=True`` is passed.
    """
    if "transport" in kwargs or "mounts" in kwargs:
        raise ValueError("a custom transport disables the user's proxies")
    if timeout is None:
        timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
    elif not isinstance(timeout, httpx.Timeout):
        timeout = httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT))
    sent = {"User-Agent": USER_AGENT}
    if identity:
        sent["Accept-Encoding"] = "identity"
    sent.update(headers or {})
    kwargs.setdefault("follow_redirects", False)
    return httpx.Client(http1=True, http2=False, trust_env=True, timeout=timeout, headers=sent,
                        **kwargs)


def bearer(token: str | None) -> dict[str, str]:
    """The ``Authorization`` header for ``token``; empty when there is none."""
    return {"Authorization": f"Bearer {token}"} if token else {}
