"""Names from servers made safe for disk, and URLs made safe for messages."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
# Windows refuses these as a file's stem whatever the extension ("nul.txt" included).
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
_MAX_BYTES = 200  # under every common filesystem's 255, leaving room for ".part.json"
FALLBACK_NAME = "download"
_EXTENDED = re.compile(r"filename\*\s*=\s*([\w!#$%&+^`{}~-]*)'[^']*'([^;\s]+)", re.IGNORECASE)
_PLAIN = re.compile(r'(?<![\w*])filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))', re.IGNORECASE)


def safe_filename(name: str) -> str:
    """A single path component that is safe on Windows and POSIX: no traversal, no odd names."""
    base = re.split(r"[/\\]", name)[-1]
    cleaned = _FORBIDDEN.sub("_", base).strip().rstrip(". ")
    if cleaned.lstrip(".") == "":
        return FALLBACK_NAME
    stem = cleaned.split(".", 1)[0]
    if stem.upper() in _RESERVED:
        cleaned = "_" + cleaned
    return _truncate(cleaned)


def _truncate(name: str) -> str:
    if len(name.encode("utf-8")) <= _MAX_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16:
        stem, ext = name, ""
    budget = _MAX_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0)
    short = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return f"{short}.{ext}" if ext else short


def name_from_url(url: str) -> str:
    """The file name a URL's path ends with, sanitised."""
    return safe_filename(unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]))


def name_from_disposition(value: str | None) -> str | None:
    """The sanitised file name a ``Content-Disposition`` header offers (RFC 6266), if any.

    ``filename*`` (RFC 5987, e.g. ``UTF-8''%E6%A8%A1%E5%9E%8B.safetensors``) wins over
    ``filename``, as Civitai's storage sends both.
    """
    extended = _EXTENDED.search(value or "")
    if extended:
        charset = extended[1] or "utf-8"
        try:
            return safe_filename(unquote(extended[2], encoding=charset, errors="strict"))
        except (LookupError, UnicodeDecodeError):
            pass  # an unknown or lying charset: fall back to the plain parameter
    plain = _PLAIN.search(value or "")
    if not plain:
        return None
    return safe_filename(plain[1] if plain[1] is not None else plain[2])


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched, as a catalogue key, or None when it is a usable http(s) URL.

    Checked up front because urllib and httpx raise ``ValueError``/``InvalidURL`` on a bad port or
    host, which are not network errors and would otherwise escape as tracebacks.
    """
    import httpx  # here, so the name helpers stay importable without the HTTP stack

    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            return "download.url_scheme"
        if not parts.hostname:
            return "download.url_host"
        try:
            parts.port  # noqa: B018 - urllib validates the port when it is read
        except ValueError:
            return "download.url_port"
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        return "download.url_invalid"
    return None


def redact_url(url: str) -> str:
    """The URL without credentials or query string: signed URLs carry secrets there."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:  # a bad port is shown as written; it cannot carry a secret
        port = parts.netloc.rpartition(":")[2]
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
