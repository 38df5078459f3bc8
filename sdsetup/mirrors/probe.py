"""Measure mirrors in parallel and pick the best one per role (packages, torch, models).

Each role gets one latency measurement and, where a real file is known, a small ranged read
(256 KiB) whose speed ranks mirrors that answer. A lazy cache that redirects the read to its origin
is a *miss*: it still works (bytes come from the origin) but it is not chosen for that role.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from urllib.parse import quote, urlsplit

import httpx

from sdsetup import http
from sdsetup.errors import SdsetupError
from sdsetup.home import Home
from sdsetup.install.index_pages import ACCEPT, parse_page
from sdsetup.install.lockfile import torch_pins
from sdsetup.mirrors.config import DEFAULT, Mirror, OFFICIAL_TORCH
from sdsetup.mirrors.memory import remember_choice
from sdsetup.mirrors.pipconfig import package_sources
from sdsetup.install.venv import current_target

ROLES = ("packages", "torch", "models")
PROBE_BYTES = 256 * 1024
PACKAGE_PROBE_PROJECT = "six"  # tiny, on every index, rarely yanked: a stable thing to read


@dataclass(frozen=True)
class ProbeResult:
    mirror: str
    role: str
    url: str
    ok: bool
    latency_s: float | None = None
    speed_bps: float | None = None
    final_host: str | None = None
    miss: bool = False
    error: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


def pick_best(results: Sequence[ProbeResult]) -> dict[str, str]:
    """Per role, the fastest mirror that answered without bouncing; fallbacks where none did.

    A fallback is never a mirror this probe found unreachable for that role: torch falls back to
    the official index, else to ``default``, whose torch is looked up among the packages' sources
    (see :func:`~sdsetup.mirrors.config.compose`).
    """
    choice: dict[str, str] = {}
    for role in ROLES:
        good = [r for r in results if r.role == role and r.ok and not r.miss]
        ranked = sorted(good, key=lambda r: (-(r.speed_bps or 0.0), r.latency_s or 0.0))
        if ranked:
            choice[role] = ranked[0].mirror
            continue
        failed = {r.mirror for r in results if r.role == role and not r.ok}
        fallbacks = (OFFICIAL_TORCH, DEFAULT) if role == "torch" else (DEFAULT,)
        choice[role] = next((m for m in fallbacks if m not in failed), fallbacks[-1])
    return choice


def probe_targets(mirror: Mirror, torch_file: str | None, variant: str) -> list[tuple[str, str]]:
    """(role, url) pairs worth measuring for one mirror; local or absent roles are skipped."""
    targets = []
    # A mirror without an index of its own would only measure pip's sources again.
    own = not mirror.from_pip_config or mirror.name == DEFAULT
    web = [s for s in package_sources(mirror).indexes if own and urlsplit(s).scheme in ("http", "https")]
    if web:
        targets.append(("packages", web[0].rstrip("/") + f"/{PACKAGE_PROBE_PROJECT}/"))
    base = mirror.torch_base(variant)
    if base and torch_file:
        targets.append(("torch", base.rstrip("/") + "/" + quote(torch_file)))
    if mirror.huggingface:
        targets.append(("models", mirror.huggingface.rstrip("/") + "/api/models?limit=1"))
    return targets


def _read(client: httpx.Client, url: str) -> tuple[httpx.Response, bytes, float, float]:
    """A ranged GET: (response, body, seconds to the first byte, seconds for the body)."""
    start = time.monotonic()
    headers = {"Range": f"bytes=0-{PROBE_BYTES - 1}", "Accept-Encoding": "identity",
               "Accept": ACCEPT}
    with client.stream("GET", url, headers=headers) as response:
        latency = time.monotonic() - start
        body = b"".join(response.iter_raw())
        return response, body, latency, max(time.monotonic() - start - latency, 1e-6)


def _measure(client: httpx.Client, mirror: Mirror, role: str, url: str) -> ProbeResult:
    """Latency of the first request; speed of a ranged read of a real file where there is one."""
    try:
        response, body, latency, elapsed = _read(client, url)
        if role == "packages" and response.status_code < 400:
            files = parse_page(body.decode("utf-8", "replace"), response.headers.get("content-type", ""),
                               str(response.url))
            if files:
                response, body, _, elapsed = _read(client, files[-1].url)
    except (httpx.HTTPError, httpx.InvalidURL, SdsetupError) as err:
        return ProbeResult(mirror.name, role, url, False, error=type(err).__name__)
    host = response.url.host
    ok = response.status_code < 400
    return ProbeResult(
        mirror.name, role, url, ok, latency_s=round(latency, 4),
        speed_bps=round(len(body) / elapsed) if ok and role != "models" else None,
        final_host=host, miss=role == "torch" and host in mirror.torch_origin,
        error=None if ok else f"HTTP {response.status_code}",
    )


def probe(mirrors: Sequence[Mirror], *, torch_file: str | None, variant: str = "cpu",
          timeout: float = 8.0) -> list[ProbeResult]:
    """Measure every (mirror, role) at once; a slow mirror costs at most ``timeout``."""
    jobs = [(m, role, url) for m in mirrors for role, url in probe_targets(m, torch_file, variant)]
    if not jobs:
        return []
    with http.client(timeout=timeout, follow_redirects=True) as client, \
            ThreadPoolExecutor(max_workers=min(16, len(jobs))) as pool:
        return list(pool.map(lambda job: _measure(client, *job), jobs))


def torch_probe_file(variant: str) -> str | None:
    """The pinned torch wheel of this variant for the running Python: a real file to read."""
    here = current_target()
    return next((p.file for p in torch_pins() if (p.variant, p.python, p.platform)
                 == (variant, here.python_tag, here.lock_platform)), None)


def probe_and_remember(home: Home, mirrors: Sequence[Mirror], variant: str = "cpu",
                       timeout: float = 8.0) -> tuple[dict[str, str], list[ProbeResult]]:
    """Probe, remember the best per role for ``--mirror auto``, and return both."""
    results = probe(mirrors, torch_file=torch_probe_file(variant), variant=variant, timeout=timeout)
    choice = pick_best(results)
    remember_choice(home, choice)
    return choice, results
