"""The download engine: every byte sdsetup fetches (wheels, torch, models, configs) goes here.

It survives bad networks: it resumes across processes from ``<dest>.part`` and its sidecar,
retries with backoff (honouring ``Retry-After``), drops stalled connections, splits large files
over several connections and mirrors, and lets only verified bytes land at the destination::

    fetch(DownloadItem((Source("https://mirror-a/x.whl", name="a"), "https://mirror-b/x.whl"),
                       dest=Path("x.whl"), sha256="…"), cache_dir=home.cache_dir)

Exceptions (all are :class:`sdsetup.errors.SdsetupError`, rendered by the CLI)::

    DownloadError             anything that stops a file from landing
    ├── AllSourcesFailed      every mirror failed; ``reasons`` maps each mirror to why
    │   ├── HttpStatus        ...all with one HTTP status (``status``; ``url`` has no query)
    │   └── SizeMismatch      ...all announcing a size other than the expected one
    ├── HashMismatch          the finished file's sha256 was wrong twice; names the mirrors
    ├── DestinationUnwritable the destination's folder, lock or part file cannot be written
    ├── DiskFull              no space left; the ``.part`` is kept for a later resume
    └── FileTooLarge          the filesystem cannot hold a file this large (FAT32: 4 GiB)

A ``validate`` callback of a :class:`DownloadItem` may raise any ``SdsetupError``; it is passed
through unchanged.
"""

from sdsetup.download.engine import fetch, fetch_all
from sdsetup.download.errors import (
    AllSourcesFailed,
    DestinationUnwritable,
    DiskFull,
    DownloadError,
    FileTooLarge,
    HashMismatch,
    HttpStatus,
    SizeMismatch,
)
from sdsetup.download.item import DownloadItem, Source, Tuning
from sdsetup.download.names import name_from_url, redact_url, safe_filename
from sdsetup.download.probe import remote_name

__all__ = [
    "AllSourcesFailed", "DestinationUnwritable", "DiskFull", "DownloadError", "DownloadItem", "FileTooLarge", "HashMismatch",
    "HttpStatus",
    "SizeMismatch", "Source", "Tuning", "fetch", "fetch_all", "name_from_url", "redact_url",
    "remote_name", "safe_filename",
]
