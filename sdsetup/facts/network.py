"""Network facts: the proxies the environment names (and whether they answer), pip's indexes."""

from __future__ import annotations

import socket
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from sdsetup.facts.model import PipConfig, Proxy
from sdsetup.mirrors.config import MirrorError
from sdsetup.mirrors.pipconfig import pip_package_sources

# httpx, pip and urllib read both spellings; the lower-case one wins in urllib, so list it first.
PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
                   "ALL_PROXY")
_DEFAULT_PORTS = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080, "socks4": 1080}


def proxies_from(environ: Mapping[str, str]) -> tuple[Proxy, ...]:
    return tuple(Proxy(name, environ[name]) for name in PROXY_VARIABLES if environ.get(name))


def proxies_from_system(found: Mapping[str, str]) -> tuple[Proxy, ...]:
    """Proxies urllib read from the Windows registry or macOS settings (``getproxies()``), which
    pip and httpx also obey without saying so; keyed by scheme."""
    return tuple(Proxy(f"system:{scheme}", url) for scheme, url in sorted(found.items())
                 if scheme in ("http", "https", "all") and url)


def probe_proxies(environ: Mapping[str, str], os_name: str) -> tuple[Proxy, ...]:
    found = proxies_from(environ)
    if not found and os_name in ("windows", "macos"):
        # Environment variables win over system settings; urllib reads the latter only without them.
        found = proxies_from_system(urllib.request.getproxies())
    return found


def proxy_address(url: str) -> tuple[str, int] | None:
    """Host and port of a proxy URL; a bare ``host:port`` is read as http, as pip does."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    return (parts.hostname, port) if parts.hostname and port else None


def probe_proxy(proxy: Proxy, timeout: float) -> Proxy:
    address = proxy_address(proxy.url)
    if address is None:
        return proxy
    try:
        with socket.create_connection(address, timeout=max(timeout, 0.05)):
            return Proxy(proxy.variable, proxy.url, True)
    except OSError:
        return Proxy(proxy.variable, proxy.url, False)


def unreachable_hosts(urls: Sequence[str], timeout: float) -> dict[str, str]:
    """``host:port`` -> why, for each http(s) URL whose host does not take a TCP connection.

    A connect only (no request): it says whether the host is there, in at most ``timeout``.
    """
    addresses = {}
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.hostname:
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                continue  # a bad port is reported where the URL is used
            addresses[f"{parts.hostname}:{port}"] = (parts.hostname, port)

    def why(address: tuple[str, int]) -> str | None:
        try:
            with socket.create_connection(address, timeout=max(timeout, 0.05)):
                return None
        except OSError as err:
            return err.strerror or type(err).__name__

    if not addresses:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(addresses))) as pool:
        found = dict(zip(addresses, pool.map(why, addresses.values())))
    return {host: reason for host, reason in found.items() if reason is not None}


def pip_config_of(indexes: Sequence[str], find_links: Sequence[str]) -> PipConfig:
    """The doctor's view of the package sources pip (and so the ``default`` mirror) uses."""
    return PipConfig(indexes[0] if indexes else None, tuple(indexes[1:]), tuple(find_links))


def probe_pip_config(timeout: float) -> PipConfig | None:
    """pip's sources read exactly as ``sdsetup install`` reads them for the ``default`` mirror."""
    try:
        sources = pip_package_sources(timeout=max(timeout, 0.05))
    except MirrorError:
        return None
    return pip_config_of(sources.indexes, sources.find_links)
