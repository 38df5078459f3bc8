"""HTTP for the engine: one httpx client per job, and requests that follow redirects by hand.

The client comes from :func:`sdsetup.http.client` (proxies from the environment, no custom
transport, ``Accept-Encoding: identity``).
Redirects are followed here rather than by httpx so that a source's own headers (a Civitai token,
say) are sent to its own host only, and so the signed target can be reused for every range.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

import httpx

from sdsetup import http
from sdsetup.download.item import Tuning
from sdsetup.download.mirrors import Mirror

_REDIRECTS = {301, 302, 303, 307, 308}


def make_client(tuning: Tuning, connections: int) -> httpx.Client:
    timeout = httpx.Timeout(tuning.read_timeout, connect=tuning.connect_timeout,
                            pool=tuning.read_timeout)
    return http.client(
        timeout=timeout, identity=True,
        limits=httpx.Limits(max_connections=connections * 2 + 4,
                            max_keepalive_connections=connections * 2 + 4),
    )


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class TooManyRedirects(Exception):
    pass


def open_stream(client: httpx.Client, mirror: Mirror, headers: Mapping[str, str],
                max_redirects: int) -> httpx.Response:
    """A streaming GET of ``mirror``'s file (the caller closes it), redirects followed.

    The last redirect target is remembered on the mirror so later ranges skip the hop.
    """
    url = mirror.target or mirror.url
    for _ in range(max_redirects + 1):
        sent = dict(headers)
        # The source's own origin (the API), not mirror.url: a refresh may have swapped that for
        # a storage URL, and a token must never follow it there.
        if _origin(url) == _origin(mirror.source.url):
            sent.update(mirror.source.headers)
        response = client.send(client.build_request("GET", url, headers=sent), stream=True)
        location = response.headers.get("location")
        if response.status_code not in _REDIRECTS or not location:
            mirror.target = url if url != mirror.url else None
            return response
        response.close()
        url = urljoin(url, location)
    raise TooManyRedirects(url)
