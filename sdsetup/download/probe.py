"""Asking a server what a file is called, for URLs whose path does not say (Civitai's
``/api/download/models/<id>``)."""

from __future__ import annotations

from contextlib import closing

import httpx

from sdsetup.download.item import Source, Tuning
from sdsetup.download.mirrors import Mirror
from sdsetup.download.names import name_from_disposition, name_from_url
from sdsetup.download.transport import TooManyRedirects, make_client, open_stream


def remote_name(source: Source | str, tuning: Tuning | None = None) -> str | None:
    """The sanitised name from ``Content-Disposition`` or the redirect target's path, if any.

    Asks for one byte only; any failure is left for the download itself to report.
    """
    tune = tuning or Tuning()
    mirror = Mirror(source if isinstance(source, Source) else Source(source), 0)
    try:
        with make_client(tune, 1) as client, closing(
                open_stream(client, mirror, {"Range": "bytes=0-0"}, tune.max_redirects)) as resp:
            if resp.status_code not in (200, 206):
                return None
            named = name_from_disposition(resp.headers.get("content-disposition"))
    except (httpx.HTTPError, httpx.InvalidURL, TooManyRedirects):
        return None
    if named:
        return named
    from_target = name_from_url(mirror.target) if mirror.target else None
    return from_target if from_target and "." in from_target else None
