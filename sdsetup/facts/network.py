"""Network facts: the proxies the environment names (and whether they answer), pip's indexes."""

from __future__ import annotations

import socket
import sys
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit

from sdsetup.facts.bounded import run_bounded
from sdsetup.facts.model import PipConfig, Proxy

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


# `pip config list` scopes, most binding last: environment variables beat every file.
_SCOPE_RANK = {"global": 0, "user": 1, "site": 2, ":env:": 3}


def parse_pip_config(text: str) -> PipConfig:
    """Parse ``pip config list`` lines such as ``global.index-url='https://…'``."""
    best: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        scope, dot, key = name.rpartition(".")
        if not sep or not dot:
            continue
        rank = _SCOPE_RANK.get(scope, 1)
        if key not in best or rank >= best[key][0]:
            best[key] = (rank, value.strip().strip("'\""))

    def split(key: str) -> tuple[str, ...]:
        return tuple(best[key][1].split()) if key in best else ()

    index = best.get("index-url")
    return PipConfig(index[1] if index else None, split("extra-index-url"), split("find-links"))


def probe_pip_config(timeout: float) -> PipConfig | None:
    out = run_bounded([sys.executable, "-m", "pip", "config", "list"], timeout)
    return parse_pip_config(out.stdout) if out.returncode == 0 else None
