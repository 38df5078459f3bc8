"""Package listings as data: PEP 503 HTML, PEP 691 JSON and flat directory listings, parsed.

Pure: text in, :class:`IndexFile` records out (no network, no files). :mod:`sdsetup.install.index` fetches
the pages and reads local folders; :mod:`sdsetup.install.plan` and :mod:`sdsetup.install.wheelhouse` only need
what is here.

Exceptions::

    SdsetupError
    └── ListingError          a listing that cannot be read or parsed; names the URL
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from sdsetup.errors import SdsetupError

ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
          "text/html;q=0.01")
_HASH = re.compile(r"[#&](sha512|sha384|sha256|sha224|sha1|md5)=([^&]*)")
_SUPPORTED_MAJOR = 1


class ListingError(SdsetupError):
    """A listing that cannot be read or parsed."""


@dataclass(frozen=True)
class IndexFile:
    """One file a listing offers."""

    filename: str
    url: str
    """Absolute, without the hash fragment."""
    sha256: str | None = None
    requires_python: str | None = None
    yanked: bool = False
    size: int | None = None


@dataclass(frozen=True)
class Wheel:
    """What a wheel's filename says."""

    project: str
    version: Version
    tags: frozenset[Tag]


def wheel_of(filename: str) -> Wheel | None:
    """Parse a (possibly %-quoted) wheel filename; None for sdists and names that are not wheels."""
    name = unquote(filename)
    if not name.endswith(".whl"):
        return None
    try:
        project, version, _build, tags = parse_wheel_filename(name)
    except InvalidWheelFilename:
        return None
    return Wheel(str(project), version, tags)


def _file(href: str, base: str, filename: str | None = None, **extra) -> IndexFile:
    absolute = urljoin(base, href)
    found = _HASH.search(absolute)
    sha256 = found.group(2).lower() if found and found.group(1) == "sha256" else None
    url = absolute.split("#", 1)[0]
    name = unquote(filename or url.rstrip("/").rsplit("/", 1)[-1])
    return IndexFile(filename=name, url=url, sha256=sha256, **extra)


class _Anchors(HTMLParser):
    """Collects ``<a>`` tags and ``<base href>``; HTMLParser unescapes ``&gt;`` and ``&#43;``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self.base: str | None = None
        self.api_version: str | None = None
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "base" and attributes.get("href") and self.base is None:
            self.base = attributes["href"]
        elif tag == "meta" and attributes.get("name") == "pypi:repository-version":
            self.api_version = attributes.get("content")
        elif tag == "a":
            self._open, self._text = attributes, []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text).strip()))
            self._open = None


def _check_api_version(version: str | None, url: str) -> None:
    major = (version or "1").split(".")[0].strip()
    if not major.isdigit() or int(major) > _SUPPORTED_MAJOR:
        raise ListingError("install.index_api_version", hint="install.hint_other_mirror",
                          url=url, version=version)


def parse_html(text: str, url: str) -> list[IndexFile]:
    """Files of a PEP 503 project page or a flat directory listing (relative hrefs resolved)."""
    parser = _Anchors()
    parser.feed(text)
    _check_api_version(parser.api_version, url)
    base = urljoin(url, parser.base) if parser.base else url
    files = []
    for attrs, label in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        yanked = "data-yanked" in attrs
        requires = attrs.get("data-requires-python") or None
        # The link text is the filename; a bare directory listing may show a shortened one.
        text_name = label if label.endswith((".whl", ".tar.gz", ".zip")) else None
        files.append(_file(href, base, text_name, requires_python=requires, yanked=yanked))
    return files


def parse_json(text: str, url: str) -> list[IndexFile]:
    """Files of a PEP 691 project page."""
    try:
        data = json.loads(text)
        _check_api_version(str(data.get("meta", {}).get("api-version", "1.0")), url)
        return [
            IndexFile(
                filename=entry["filename"], url=urljoin(url, entry["url"]).split("#", 1)[0],
                sha256=(entry.get("hashes") or {}).get("sha256"),
                requires_python=entry.get("requires-python") or None,
                yanked=bool(entry.get("yanked", False)), size=entry.get("size"),
            )
            for entry in data["files"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ListingError("install.index_unparsable", hint="install.hint_other_mirror", url=url,
                          detail=str(err)) from err


def parse_page(body: str, content_type: str, url: str) -> list[IndexFile]:
    if "application/vnd.pypi.simple.v1+json" in content_type:
        return parse_json(body, url)
    return parse_html(body, url)


def is_flat(files: Iterable[IndexFile]) -> bool:
    """A root page that links files (find-links style) rather than project pages."""
    return any(f.filename.endswith((".whl", ".tar.gz", ".zip")) for f in files)


def files_of(project: str, files: Iterable[IndexFile]) -> list[IndexFile]:
    """The wheels in a (flat) listing that belong to ``project``."""
    wanted = canonicalize_name(project)
    return [f for f in files if (w := wheel_of(f.filename)) and canonicalize_name(w.project) == wanted]


def local_path(url: str) -> Path:
    return Path(url2pathname(urlsplit(url).path))
