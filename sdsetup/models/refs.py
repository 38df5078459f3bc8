"""What the user pasted into ``sdsetup models get``, parsed into one of three reference kinds.

Accepted: Civitai page, API and download URLs (civitai.com, www., .red, .green), AIR URNs,
``civitai:MODEL[@VERSION][+FILE]``, ``hf:owner/repo/path/to/file[@revision]`` and Hugging Face
``/resolve/`` or ``/blob/`` URLs (one file), ``hf:owner/repo[@revision]`` and a repository's page URL
(its model folder), and any other http(s) URL as a plain download. A Civitai URL only
supplies ids: the API base comes from the mirror, so a pasted ``.red`` link still resolves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from sdsetup.download.names import url_problem
from sdsetup.i18n import t
from sdsetup.models.errors import BadReference

CIVITAI_HOSTS = ("civitai.com", "civitai.red", "civitai.green")
HF_HOSTS = ("huggingface.co", "hf.co", "hf-mirror.com")
DEFAULT_REVISION = "main"


@dataclass(frozen=True)
class CivitaiRef:
    """A Civitai model and/or version; ``version_id`` None means the model's newest version."""

    model_id: int | None = None
    version_id: int | None = None
    file_id: int | None = None
    # A token pasted inside a download URL; never shown (repr=False keeps it out of reprs).
    url_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class HfRef:
    repo: str
    path: str
    revision: str = DEFAULT_REVISION


@dataclass(frozen=True)
class HfRepoRef:
    """A whole Hugging Face model folder (config, tokenizer, safetensors weights)."""

    repo: str
    revision: str = DEFAULT_REVISION

    @property
    def name(self) -> str:
        return self.repo.split("/")[1]


@dataclass(frozen=True)
class UrlRef:
    url: str


Reference = CivitaiRef | HfRef | HfRepoRef | UrlRef

_INT = r"[1-9][0-9]*"
_AIR = re.compile(
    rf"^urn:air:[a-z0-9_.-]+:[a-z0-9_]+:civitai:(?P<model>{_INT})@(?P<version>{_INT})"
    rf"(?:\+(?P<file>{_INT}))?(?:\.[a-z0-9]+)?$", re.IGNORECASE)
_SHORT = re.compile(rf"^civitai:(?P<model>{_INT})(?:@(?P<version>{_INT}))?(?:\+(?P<file>{_INT}))?$",
                    re.IGNORECASE)
_VERSION_PATH = re.compile(rf"^/(?:api/v1/)?(?:model-versions|modelVersions)/(?:mini/)?({_INT})/?$")
_MODEL_PATH = re.compile(rf"^/(?:api/v1/)?models/({_INT})(?:/[^/]*)?/?$")
_DOWNLOAD_PATH = re.compile(rf"^/api/download/models/({_INT})/?$")
_HF_URL_PATH = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/(?:resolve|blob)/(?P<rev>[^/]+)/(?P<path>.+)$")
_HF_REPO_PATH = re.compile(r"^/(?P<repo>[^/]+/[^/]+)(?:/tree/(?P<rev>[^/]+))?/?$")
_HF_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


_TOKEN_QUERY = re.compile(r"(?i)([?&](?:token|api_key|key)=)[^&#]*")


def _bad(reference: str) -> BadReference:
    # What the user pasted is echoed back, minus any token it carried.
    return BadReference("models.bad_reference", hint="models.hint_reference_forms",
                        reference=_TOKEN_QUERY.sub(r"\1***", reference))


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _first_int(query: dict[str, list[str]], *names: str) -> int | None:
    for name in names:
        for value in query.get(name, ()):
            if value.isdigit() and int(value) > 0:
                return int(value)
    return None


def _is_host(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _civitai_url(path: str, query: dict[str, list[str]], reference: str) -> CivitaiRef:
    if match := _DOWNLOAD_PATH.match(path):
        token = (query.get("token") or [None])[0]
        return CivitaiRef(version_id=int(match[1]), file_id=_first_int(query, "fileId"),
                          url_token=token or None)
    if match := _VERSION_PATH.match(path):
        return CivitaiRef(version_id=int(match[1]))
    if match := _MODEL_PATH.match(path):
        return CivitaiRef(model_id=int(match[1]),
                          version_id=_first_int(query, "modelVersionId", "version"))
    raise _bad(reference)


def _hf_ref(repo: str, path: str, revision: str, reference: str) -> HfRef | HfRepoRef:
    """One file, or the repository's folder when ``path`` is empty."""
    parts = [*repo.split("/"), *(path.split("/") if path else ())]
    if len(repo.split("/")) != 2 or not all(_HF_PART.match(p) for p in parts) \
            or ".." in parts or not revision:
        raise _bad(reference)
    return HfRef(repo=repo, path=path, revision=revision) if path else HfRepoRef(repo, revision)


def _hf_short(body: str, reference: str) -> HfRef | HfRepoRef:
    revision = DEFAULT_REVISION
    at = body.rfind("@")
    if at != -1 and "/" not in body[at:]:
        body, revision = body[:at], body[at + 1:]
    owner, _, rest = body.partition("/")
    name, _, path = rest.partition("/")
    return _hf_ref(f"{owner}/{name}", path, revision, reference)


def parse_reference(text: str) -> Reference:
    """Parse one reference; :class:`BadReference` lists the accepted forms when nothing fits."""
    reference = text.strip()
    if match := _AIR.match(reference) or _SHORT.match(reference):
        return CivitaiRef(model_id=int(match["model"]), version_id=_int(match["version"]),
                          file_id=_int(match["file"]))
    if reference.lower().startswith("hf:"):
        return _hf_short(reference[3:], reference)
    if reference.isdigit():
        raise BadReference("models.bare_number", hint="models.hint_bare_number", number=reference)
    parts = urlsplit(reference)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad(reference)
    problem = url_problem(reference)
    if problem is not None:  # a bad port, say: urllib and httpx would raise on it later
        raise BadReference("models.bad_url_reference", hint="download.hint_url",
                           reference=_TOKEN_QUERY.sub(r"\1***", reference), reason=t(problem))
    host = parts.hostname.lower()
    if _is_host(host, CIVITAI_HOSTS):
        return _civitai_url(parts.path, parse_qs(parts.query), reference)
    if _is_host(host, HF_HOSTS) and (match := _HF_URL_PATH.match(unquote(parts.path))):
        return _hf_ref(match["repo"], match["path"], match["rev"], reference)
    if _is_host(host, HF_HOSTS) and (match := _HF_REPO_PATH.match(unquote(parts.path))):
        return _hf_ref(match["repo"], "", match["rev"] or DEFAULT_REVISION, reference)
    return UrlRef(reference)
