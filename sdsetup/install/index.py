"""Read package listings over HTTP or from disk: simple indexes, flat listings and local folders.

Parsing lives in :mod:`sdsetup.install.index_pages` (pure); :class:`IndexReader` fetches pages over
HTTP or reads them from disk. A source is either a simple index (``<base>/<project>/`` pages) or a
flat listing of files (pip's find-links: an Aliyun-style directory page or a folder of wheels).
An ad hoc source of unknown kind is told apart by looking at it once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from packaging.utils import canonicalize_name

from sdsetup.install.index_pages import (ACCEPT, IndexFile, ListingError, files_of, is_flat, local_path,
                                 parse_html, parse_page)

__all__ = ["IndexReader", "ListingError", "folder_listing", "local_path"]


def folder_listing(path: Path) -> list[IndexFile]:
    return [IndexFile(filename=p.name, url=p.as_uri(), size=p.stat().st_size)
            for p in sorted(path.iterdir())
            if p.is_file() and p.name.endswith((".whl", ".tar.gz", ".zip"))]


class IndexReader:
    """Fetches project listings from indexes and flat sources, reading each flat source once."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client
        self._flat: dict[str, list[IndexFile]] = {}
        self._kind: dict[str, bool] = {}
        self._lock = threading.Lock()

    def _get(self, url: str) -> tuple[str, str, str] | None:
        """(body, content type, final URL) of a page; None when the page does not exist."""
        try:
            response = self._client.get(url, headers={"Accept": ACCEPT}, follow_redirects=True)
        except (httpx.HTTPError, httpx.InvalidURL) as err:
            raise ListingError("install.index_unreachable", hint="install.hint_other_mirror",
                              url=url, detail=f"{type(err).__name__}: {err}") from err
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ListingError("install.index_unreachable", hint="install.hint_other_mirror",
                              url=url, detail=f"HTTP {response.status_code}")
        return response.text, response.headers.get("content-type", ""), str(response.url)

    def _listing(self, url: str) -> list[IndexFile] | None:
        if urlsplit(url).scheme == "file":
            path = local_path(url)
            if (path / "index.html").is_file():
                return parse_html((path / "index.html").read_text(encoding="utf-8"), path.as_uri() + "/")
            return folder_listing(path) if path.is_dir() else None
        got = self._get(url)
        return parse_page(*got) if got else None

    def flat_files(self, source: str) -> list[IndexFile]:
        with self._lock:
            if source not in self._flat:
                self._flat[source] = self._listing(source.rstrip("/") + "/") or []
            return self._flat[source]

    def source_is_flat(self, source: str) -> bool:
        """Whether an ad hoc source is a flat listing; a URL ending in /simple is an index."""
        with self._lock:
            known = self._kind.get(source)
        if known is not None:
            return known
        if source.rstrip("/").endswith("/simple"):
            flat = False
        elif urlsplit(source).scheme == "file":
            flat = local_path(source).is_dir() and bool(folder_listing(local_path(source)))
        else:
            flat = is_flat(self.flat_files(source))
        with self._lock:
            self._kind[source] = flat
        return flat

    def project_files(self, project: str, *, indexes: Sequence[str] = (),
                      find_links: Sequence[str] = ()) -> list[IndexFile]:
        """Every file of ``project`` the sources list, in source order."""
        found: list[IndexFile] = []
        for source in indexes:
            if self.source_is_flat(source):
                found += files_of(project, self.flat_files(source))
            else:
                page = source.rstrip("/") + "/" + canonicalize_name(project) + "/"
                found += self._listing(page) or []
        for source in find_links:
            found += files_of(project, self.flat_files(source))
        return found
