"""Hugging Face files through plain ``/resolve/`` URLs on the chosen endpoint (hf-mirror style).

Only the resolve URL is used, never the Xet protocol, so a mirror that rewrites redirects keeps
working and the download engine resumes as with any other file. A HEAD without following the redirect
gives the LFS file's SHA-256 (``X-Linked-Etag``) and size before a byte is fetched. ``HF_TOKEN``
(gated repositories) goes to the endpoint host only.

A whole model folder is listed through the Hub API (``/api/models/{repo}/revision/{rev}?blobs=true``,
which hf-mirror.com serves too): each file's size, and the SHA-256 of each LFS file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from sdsetup import http
from sdsetup.download.item import Source
from sdsetup.models import endpoints
from sdsetup.models.errors import ModelError
from sdsetup.models.refs import HfRef, HfRepoRef

DEFAULT_ENDPOINT = "https://huggingface.co"
MIRROR_HOST = "hf-mirror.com"  # what the bundled mirrors' `huggingface` endpoints point at
_SHA256_LENGTH = 64


@dataclass(frozen=True)
class HfFile:
    url: str
    sha256: str | None
    size: int | None


@dataclass(frozen=True)
class RepoFile:
    """One file of a repository, as the Hub lists it."""

    path: str
    size: int | None
    sha256: str | None  # LFS files only: a git blob has a git hash, not a SHA-256


ENDPOINT_ENV_VARS = ("SDSETUP_HF_ENDPOINT", "HF_ENDPOINT")


def endpoint(mirror_hf: str | None, environ: Mapping[str, str], *,
             mirror: str | None = None) -> str:
    """The endpoint: the environment, else the mirror named ``mirror``, else huggingface.co.

    One that is not a usable http(s) URL raises :class:`ModelError` saying where it came from.
    """
    return endpoints.configured("Hugging Face", environ, ENDPOINT_ENV_VARS, mirror_hf, mirror,
                                DEFAULT_ENDPOINT, ModelError)


def endpoint_var(environ: Mapping[str, str]) -> str | None:
    """The environment variable the endpoint comes from, when one is set (see :func:`endpoint`)."""
    return next((name for name in ENDPOINT_ENV_VARS if environ.get(name)), None)


def retry_hint(base: str, var: str | None) -> str:
    """The hint for an endpoint that failed: the other way to the Hub, never the one that failed.

    hf-mirror.com failed: go to huggingface.co itself; anything else failed: go through
    hf-mirror.com. A base set by an environment variable is changed there, since that variable
    outranks --mirror.
    """
    host = urlsplit(base).hostname or ""
    to_official = host == MIRROR_HOST or host.endswith("." + MIRROR_HOST)
    if var is not None:
        return "models.hint_hf_env_official" if to_official else "models.hint_hf_env_mirror"
    return "models.hint_hf_official" if to_official else "models.hint_hf_mirror"


def resolve_url(base: str, ref: HfRef) -> str:
    return f"{base}/{ref.repo}/resolve/{quote(ref.revision, safe='')}/{quote(ref.path)}"


def _is_sha256(text: str) -> bool:
    return len(text) == _SHA256_LENGTH and all(c in "0123456789abcdef" for c in text)


def facts_from_headers(headers: Mapping[str, str]) -> tuple[str | None, int | None]:
    """SHA-256 and size of an LFS file from the resolve answer (a git blob has neither)."""
    etag = (headers.get("x-linked-etag") or "").strip().strip('"').removeprefix("W/").strip('"')
    sha = etag.lower() if _is_sha256(etag.lower()) else None
    size_text = headers.get("x-linked-size") or ""
    return sha, int(size_text) if size_text.isdigit() else None


def _ask(method: str, url: str, base: str, token: str | None, timeout: float, var: str | None,
         what: str, missing: str, follow: bool = False) -> httpx.Response:
    """One request to the endpoint; its refusals in words (``missing`` is the 404's key).

    ``follow``: the API redirects a renamed repository; httpx drops the token on a redirect
    to another host.
    """
    try:
        with http.client(timeout=timeout, follow_redirects=follow) as client:
            response = client.request(method, url, headers=http.bearer(token))
    except httpx.InvalidURL as err:  # not an HTTPError: the endpoint or path makes no URL
        raise endpoints.bad_url(url, err, ModelError) from None
    except httpx.HTTPError as err:
        raise ModelError("models.hf_unreachable", hint=retry_hint(base, var), var=var,
                         host=urlsplit(base).netloc, detail=type(err).__name__) from None
    status = response.status_code
    if status in (401, 403):
        raise ModelError("models.hf_gated", hint="models.hint_hf_token", what=what)
    if status == 404:
        raise ModelError(missing, hint="models.hint_hf_check", what=what)
    if status >= 400:
        raise ModelError("models.hf_refused", hint=retry_hint(base, var), var=var, what=what,
                         status=status)
    return response


def lookup(base: str, ref: HfRef, token: str | None, timeout: float = 30.0, *,
           var: str | None = None) -> HfFile:
    """HEAD the resolve URL (no redirect followed) for the file's hash and size.

    ``var`` names the environment variable ``base`` came from, if any, for the hint.
    """
    url = resolve_url(base, ref)
    response = _ask("HEAD", url, base, token, timeout, var, f"{ref.repo}/{ref.path}@{ref.revision}",
                    "models.hf_not_found")
    sha, size = facts_from_headers(response.headers)
    if size is None and response.status_code == 200 \
            and response.headers.get("content-length", "").isdigit():
        size = int(response.headers["content-length"])
    return HfFile(url=url, sha256=sha, size=size)


def listing_url(base: str, ref: HfRepoRef) -> str:
    return f"{base}/api/models/{ref.repo}/revision/{quote(ref.revision, safe='')}?blobs=true"


def parse_siblings(answer: Any) -> tuple[RepoFile, ...]:
    """The files of a model-info answer; entries without a usable name are left out."""
    siblings = answer.get("siblings") if isinstance(answer, dict) else None
    files = []
    for entry in siblings if isinstance(siblings, list) else ():
        name = entry.get("rfilename") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            continue
        lfs = entry.get("lfs") if isinstance(entry.get("lfs"), dict) else {}
        sha = str(lfs.get("sha256") or "").lower()
        size = lfs.get("size", entry.get("size"))
        files.append(RepoFile(name, size if isinstance(size, int) and size >= 0 else None,
                              sha if _is_sha256(sha) else None))
    return tuple(files)


def repo_files(base: str, ref: HfRepoRef, token: str | None, timeout: float = 30.0, *,
               var: str | None = None) -> tuple[RepoFile, ...]:
    """The repository's files at ``ref.revision``, with their sizes and LFS hashes."""
    what = f"{ref.repo}@{ref.revision}"
    response = _ask("GET", listing_url(base, ref), base, token, timeout, var, what,
                    "models.hf_no_repo", follow=True)
    try:
        answer = response.json()
    except ValueError:
        raise ModelError("models.hf_bad_answer", hint=retry_hint(base, var), var=var,
                         what=what) from None
    return parse_siblings(answer)


def repo_file(base: str, ref: HfRepoRef, file: RepoFile) -> HfFile:
    return HfFile(url=resolve_url(base, HfRef(ref.repo, file.path, ref.revision)),
                  sha256=file.sha256, size=file.size)


def source(file: HfFile, token: str | None) -> Source:
    return Source(file.url, headers=http.bearer(token), name=urlsplit(file.url).netloc)
