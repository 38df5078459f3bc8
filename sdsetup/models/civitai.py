"""Civitai: version metadata, the file to fetch, and the signed storage URL behind a download.

The API base is the mirror's ``civitai`` entry, overridden by ``SDSETUP_CIVITAI_URL`` (self-hosted
proxies). The token goes only to that host as ``Authorization: Bearer``; the 307 to the storage host
is read here, not followed, so the storage URL is fetched with clean headers and the token is never
forwarded, printed or put in a message. Every refusal becomes a :class:`CivitaiError` in words.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from sdsetup import http
from sdsetup.download.item import Source
from sdsetup.download.names import redact_url
from sdsetup.models import endpoints
from sdsetup.download.retry import backoff_delay, parse_retry_after
from sdsetup.models.errors import CivitaiError

DEFAULT_BASE = "https://civitai.com"
TOKEN_ENV_VARS = ("CIVITAI_TOKEN", "CIVITAI_API_TOKEN", "CIVITAI_API_KEY")
# Weights of the model itself; other file types (VAE, Config, Training Data…) only on request.
MAIN_FILE_TYPES = ("Model", "Pruned Model", "Diffusion Model", "UNet")
_DETAIL_CHARS = 200


@dataclass(frozen=True)
class CivitaiFile:
    id: int
    name: str
    type: str
    format: str
    size: int | None
    sha256: str | None
    primary: bool
    pickle_scan: str | None


@dataclass(frozen=True)
class CivitaiVersion:
    id: int
    model_id: int | None
    model_name: str
    model_type: str
    name: str
    base_model: str | None
    usage_control: str | None
    model_mode: str | None  # "Archived" / "TakenDown"; absent when the model is healthy
    air: str | None
    files: tuple[CivitaiFile, ...]
    image_url: str | None
    raw: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class RetryPolicy:
    """Civitai's limiter counts every request, so a 429 is waited out longer than a 5xx. The API
    rarely sends Retry-After; when it does, it is followed up to ``retry_after_cap``."""

    attempts_429: int = 6
    attempts_5xx: int = 4
    base_429: float = 2.0
    base: float = 1.0
    cap: float = 30.0
    retry_after_cap: float = 120.0


BASE_ENV_VAR = "SDSETUP_CIVITAI_URL"


def api_base(mirror_civitai: str | None, environ: Mapping[str, str], *,
             mirror: str | None = None) -> str:
    """The site root the API lives under (``…/api/v1`` is accepted and trimmed).

    A base that is not a usable http(s) URL raises :class:`CivitaiError` saying where it came
    from: ``SDSETUP_CIVITAI_URL``, or the mirror named ``mirror``.
    """
    base = endpoints.configured("Civitai", environ, (BASE_ENV_VAR,), mirror_civitai, mirror,
                                DEFAULT_BASE, CivitaiError)
    return base[: -len("/api/v1")] if base.endswith("/api/v1") else base


def pick_token(flag: str | None, environ: Mapping[str, str], config: Mapping[str, Any],
               url_token: str | None = None) -> str | None:
    """The flag, then the environment, then ``[civitai] token`` in config.toml, then a URL's."""
    candidates = [flag, *(environ.get(name) for name in TOKEN_ENV_VARS)]
    section = config.get("civitai")
    if isinstance(section, Mapping) and isinstance(section.get("token"), str):
        candidates.append(section["token"])
    candidates.append(url_token)
    return next((c.strip() for c in candidates if c and c.strip()), None)


def _size_bytes(size_kb: object) -> int | None:
    """``sizeKB`` is bytes/1024, exact in real data; a rounded value must not fail the download."""
    if not isinstance(size_kb, (int, float)) or size_kb <= 0:
        return None
    size = size_kb * 1024
    return round(size) if abs(size - round(size)) < 1e-3 else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _parse_file(entry: Mapping[str, Any]) -> CivitaiFile | None:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), int):
        return None
    metadata = entry.get("metadata") if isinstance(entry.get("metadata"), Mapping) else {}
    hashes = entry.get("hashes") if isinstance(entry.get("hashes"), Mapping) else {}
    sha = _text(hashes.get("SHA256"))
    return CivitaiFile(
        id=entry["id"], name=_text(entry.get("name")) or f"{entry['id']}",
        type=_text(entry.get("type")) or "Model", format=_text(metadata.get("format")) or "",
        size=_size_bytes(entry.get("sizeKB")),
        sha256=sha.lower().removeprefix("0x") if sha else None,
        primary=entry.get("primary") is True, pickle_scan=_text(entry.get("pickleScanResult")),
    )


def _first_image(images: object) -> str | None:
    for image in images if isinstance(images, list) else ():
        if isinstance(image, Mapping) and image.get("type", "image") == "image" \
                and _text(image.get("url")):
            return image["url"]
    return None


def parse_version(data: Any, version_id: int) -> CivitaiVersion:
    """A ``/api/v1/model-versions/{id}`` body, read leniently: any key may be missing."""
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), int):
        raise CivitaiError("models.civitai_bad_answer", hint="models.hint_civitai_later",
                           what=f"model-versions/{version_id}")
    model = data.get("model") if isinstance(data.get("model"), Mapping) else {}
    files = tuple(f for f in map(_parse_file, data.get("files") or ()) if f is not None)
    return CivitaiVersion(
        id=data["id"], model_id=data.get("modelId") if isinstance(data.get("modelId"), int) else None,
        model_name=_text(model.get("name")) or "", model_type=_text(model.get("type")) or "Other",
        name=_text(data.get("name")) or "", base_model=_text(data.get("baseModel")),
        usage_control=_text(data.get("usageControl")), model_mode=_text(model.get("mode")),
        air=_text(data.get("air")),
        files=files, image_url=_first_image(data.get("images")), raw=data,
    )


def default_version_id(data: Any, model_id: int) -> int:
    """The newest version of a ``/api/v1/models/{id}`` body (``modelVersions[0]``)."""
    versions = data.get("modelVersions") if isinstance(data, Mapping) else None
    if not versions or not isinstance(versions[0], Mapping) or not isinstance(
            versions[0].get("id"), int):
        raise CivitaiError("models.civitai_no_versions", hint="models.hint_civitai_page",
                           model=model_id)
    return versions[0]["id"]


def check_downloadable(version: CivitaiVersion) -> None:
    """Refusals the metadata already shows, before the download endpoint is asked (and counts)."""
    what = f"model-versions/{version.id}"
    if version.model_mode in ("Archived", "TakenDown"):
        raise CivitaiError("models.civitai_archived", hint="models.hint_civitai_page", what=what)
    if version.usage_control not in (None, "Download"):
        raise CivitaiError("models.civitai_downloads_disabled", hint="models.hint_civitai_page",
                           what=what)


def choose_file(version: CivitaiVersion, wanted: str | None) -> CivitaiFile:
    """``--file`` (id or name) if given; else safetensors weights first, then the primary file."""
    if not version.files:
        raise CivitaiError("models.civitai_no_files", hint="models.hint_civitai_page",
                           version=version.id)
    if wanted:
        match = [f for f in version.files
                 if str(f.id) == wanted.strip() or f.name.lower() == wanted.strip().lower()]
        if not match:
            names = ", ".join(f"{f.id} ({f.name})" for f in version.files)
            raise CivitaiError("models.civitai_no_such_file", hint="models.hint_file_choice",
                               wanted=wanted, version=version.id, files=names)
        return match[0]

    def rank(f: CivitaiFile) -> tuple[bool, bool, bool]:
        weights = f.type in MAIN_FILE_TYPES
        return (weights and f.format == "SafeTensor", f.primary, weights)

    return max(version.files, key=rank)


def _body(response: httpx.Response) -> Mapping[str, Any]:
    try:
        data = json.loads(response.content)
    except ValueError:
        return {"message": " ".join(response.text[:_DETAIL_CHARS].split())}
    return data if isinstance(data, Mapping) else {}


def _detail(body: Mapping[str, Any], token: str | None) -> str:
    """The server's own words, shortened, with the token scrubbed should a proxy echo it."""
    text = " ".join(str(body.get(k)) for k in ("error", "message") if body.get(k))[:_DETAIL_CHARS]
    return text.replace(token, "***") if token else text


def refusal(status: int, body: Mapping[str, Any], *, what: str, has_token: bool,
            detail: str) -> CivitaiError:
    """The error for a final (non-retried) refusal from the API or the download endpoint."""
    message = str(body.get("message") or "").lower()
    if status == 401 and "disabled downloads" in message:
        return CivitaiError("models.civitai_downloads_disabled", hint="models.hint_civitai_page",
                            what=what)
    if status == 401:
        if has_token:
            return CivitaiError("models.civitai_token_rejected", hint="models.hint_token",
                                what=what)
        return CivitaiError("models.civitai_login_required", hint="models.hint_token", what=what)
    if status == 403 and str(body.get("error", "")).lower() == "early access":
        return CivitaiError("models.civitai_early_access", hint="models.hint_early_access",
                            what=what, deadline=str(body.get("deadline") or "?"))
    if status == 403:
        return CivitaiError("models.civitai_forbidden", hint="models.hint_civitai_page",
                            what=what, detail=detail)
    if status == 404:
        return CivitaiError("models.civitai_not_found", hint="models.hint_civitai_page", what=what)
    if status == 410:
        return CivitaiError("models.civitai_archived", hint="models.hint_civitai_page", what=what)
    if status == 429:
        return CivitaiError("models.civitai_rate_limited", hint="models.hint_civitai_later",
                            what=what)
    if status >= 500:
        return CivitaiError("models.civitai_server_error", hint="models.hint_civitai_later",
                            what=what, status=status)
    return CivitaiError("models.civitai_refused", hint="models.hint_civitai_page", what=what,
                        status=status, detail=detail)


class CivitaiClient:
    """Talks to one Civitai API base. ``sleep`` and ``policy`` are parameters so tests run fast."""

    def __init__(self, base: str, token: str | None, *, policy: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], None] = time.sleep, timeout: float = 30.0) -> None:
        self.base = base.rstrip("/")
        self._token = token
        self._policy = policy
        self._sleep = sleep
        self._client = http.client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CivitaiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def host(self) -> str:
        """Host and port for messages; never the userinfo a proxy URL may carry."""
        return urlsplit(self.base).netloc.rpartition("@")[2]

    def _auth(self) -> dict[str, str]:
        return http.bearer(self._token)

    def _attempts(self, status: int) -> int:
        if status == 429:
            return self._policy.attempts_429
        return self._policy.attempts_5xx if status >= 500 else 1

    def _delay(self, status: int, failures: int, retry_after: str | None) -> float:
        told = parse_retry_after(retry_after, time.time())
        if told is not None:
            return min(told, self._policy.retry_after_cap)
        base = self._policy.base_429 if status == 429 else self._policy.base
        # Jitter in [0.5, 1): never hammer, never wait much less than the schedule says.
        return backoff_delay(failures, base, self._policy.cap, 0.5 + random.random() / 2)

    def _get(self, url: str, what: str, *, read_body: bool = True) -> httpx.Response:
        """GET with the token, retrying 429 slowly and 5xx sooner; refusals become errors.

        ``read_body=False`` leaves a 2xx body unread: the download endpoint may stream the model.
        """
        failures = 0
        while True:
            try:
                with self._client.stream("GET", url, headers=self._auth()) as response:
                    if response.status_code < 400:
                        if read_body:
                            response.read()
                        return response
                    response.read()
            except httpx.InvalidURL as err:  # not an HTTPError: a bad base or redirect target
                raise endpoints.bad_url(url, err, CivitaiError) from None
            except httpx.HTTPError as err:
                raise CivitaiError("models.civitai_unreachable", hint="models.hint_civitai_proxy",
                                   host=self.host, detail=str(err) or type(err).__name__) from None
            status = response.status_code
            failures += 1
            if failures < self._attempts(status):
                self._sleep(self._delay(status, failures, response.headers.get("Retry-After")))
                continue
            body = _body(response)
            raise refusal(status, body, what=what, has_token=bool(self._token),
                          detail=_detail(body, self._token))

    def _json(self, path: str, what: str) -> Any:
        response = self._get(f"{self.base}{path}", what)
        try:
            return json.loads(response.content)
        except ValueError:
            raise CivitaiError("models.civitai_bad_answer", hint="models.hint_civitai_later",
                               what=what) from None

    def version(self, version_id: int) -> CivitaiVersion:
        data = self._json(f"/api/v1/model-versions/{version_id}", f"model-versions/{version_id}")
        return parse_version(data, version_id)

    def newest_version_id(self, model_id: int) -> int:
        return default_version_id(self._json(f"/api/v1/models/{model_id}", f"models/{model_id}"),
                                  model_id)

    def download_url(self, version_id: int, file_id: int) -> str:
        return f"{self.base}/api/download/models/{version_id}?fileId={file_id}"

    def resolve_download(self, version_id: int, file_id: int) -> str:
        """The signed storage URL the download endpoint redirects to (one limiter hit)."""
        url = self.download_url(version_id, file_id)
        response = self._get(url, f"download/models/{version_id}", read_body=False)
        location = response.headers.get("Location")
        if response.status_code == 200 or not location:
            return url
        return urljoin(url, location)

    def download_source(self, version_id: int, file_id: int) -> Source:
        """A source for the engine: the storage URL without any token, re-resolved on expiry.

        A proxy that serves the file itself (200, no redirect) gets the token, since it is the API
        host; a storage host never does.
        """
        url = self.resolve_download(version_id, file_id)
        headers = self._auth() if url == self.download_url(version_id, file_id) else {}
        return Source(url, headers=headers, name=redact_url(url),
                      resolve=lambda: self.resolve_download(version_id, file_id))
