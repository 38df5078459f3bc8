"""What to fetch: a file's sources (mirrors), where it lands, and what it must hash to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Source:
    """One place a file can be fetched from.

    ``headers`` go to this URL's own host only, never to a host it redirects to (a Civitai token
    must not reach the storage CDN). ``resolve`` returns a fresh URL when the current one (e.g. an
    expired signed CDN target) answers 401/403/410 mid-download. ``name`` is for messages.
    """

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    resolve: Callable[[], str] | None = None
    name: str | None = None


@dataclass(frozen=True)
class DownloadItem:
    """One file: its mirrors in preference order; only verified bytes ever land at ``dest``.

    ``validate`` is called on the complete temporary file before it is renamed into place and
    refuses it by raising an ``SdsetupError``.
    """

    sources: tuple[Source | str, ...]
    dest: Path
    sha256: str | None = None
    size: int | None = None
    validate: Callable[[Path], None] | None = None

    def source_list(self) -> tuple[Source, ...]:
        return tuple(s if isinstance(s, Source) else Source(s) for s in self.sources)

    @property
    def expected_sha256(self) -> str | None:
        return self.sha256.lower() if self.sha256 else None


@dataclass(frozen=True)
class Tuning:
    """Knobs of the engine; defaults fit a slow, lossy link. Tests shrink the times."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    # Files below this are fetched over one connection: splitting costs more than it gains.
    split_threshold: int = 32 * 1024 * 1024
    # Large files are handed out in pieces of piece_size, in order; near the end a piece is
    # split in halves down to min_piece so no connection idles while another is slow.
    piece_size: int = 8 * 1024 * 1024
    min_piece: int = 1024 * 1024
    default_connections: int = 8
    max_connections: int = 16
    # Consecutive failures without a single byte of progress before giving up on a file.
    max_no_progress: int = 8
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0
    # A connection slower than this (bytes/s) for stall_window seconds is dropped and retried.
    stall_speed: int = 10 * 1024
    stall_window: float = 30.0
    # A mirror failing this many times in a row rests for bench_seconds.
    bench_after: int = 3
    bench_seconds: float = 60.0
    save_interval: float = 0.5
    lock_poll: float = 0.2
    lock_notice: float = 10.0  # while another process fetches the same file, say so this often
    max_redirects: int = 10
