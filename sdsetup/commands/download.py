"""``sdsetup download URL [URL …]``: one file from one or more mirrors, resumable and verified."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from sdsetup.download import DownloadItem, Tuning, fetch, name_from_url, remote_name
from sdsetup.download.names import url_problem
from sdsetup.errors import UsageError
from sdsetup.i18n import t

ORDER = 50
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_MAX_CONNECTIONS = Tuning().max_connections


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("download", help=t("download.help"),
                                   description=t("download.description"))
    parser.add_argument("urls", nargs="+", metavar="URL", help=t("download.opt_urls"))
    parser.add_argument("-o", "--output", metavar="PATH", help=t("download.opt_output"))
    parser.add_argument("--sha256", metavar="HEX", help=t("download.opt_sha256"))
    parser.add_argument("--size", metavar="N", help=t("download.opt_size"))
    parser.add_argument("--connections", metavar="N", help=t(
        "download.opt_connections", default=Tuning().default_connections))
    parser.add_argument("--quiet", action="store_true", help=t("download.opt_quiet"))
    parser.set_defaults(func=run)


def _number(option: str, value: str | None, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise UsageError("download.bad_number", hint="core.hint_help", option=option, low=low,
                         high=high, value=value, prog="sdsetup download")
    return int(value)


def _name(url: str) -> str:
    """The URL's file name, or the server's when the URL has none (an API download link)."""
    name = name_from_url(url)
    return name if "." in name else remote_name(url) or name


def _destination(output: str | None, url: str) -> Path:
    """``-o`` as given; a folder (existing, or written with a trailing slash) gets the file's name."""
    if output is None:
        return Path.cwd() / _name(url)
    path = Path(output).expanduser()
    if path.is_dir() or output.endswith(("/", "\\")):
        return path / _name(url)
    return path


def run(args: argparse.Namespace, ctx) -> int:
    for url in args.urls:
        problem = url_problem(url)
        if problem is not None:
            raise UsageError("download.bad_url", hint="download.hint_url", url=url,
                             reason=t(problem))
    if args.sha256 is not None and not _HEX64.match(args.sha256):
        raise UsageError("download.bad_sha256", hint="download.hint_sha256", value=args.sha256)
    item = DownloadItem(
        sources=tuple(args.urls),
        dest=_destination(args.output, args.urls[0]).absolute(),
        sha256=args.sha256,
        size=_number("--size", args.size, 0, 1 << 50),
    )
    path = fetch(item, cache_dir=ctx.home.cache_dir,
                 connections=_number("--connections", args.connections, 1, _MAX_CONNECTIONS),
                 progress=False if args.quiet else None)
    print(path)
    return 0
