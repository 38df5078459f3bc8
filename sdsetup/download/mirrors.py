"""The health of each source of one file: which to use next, which to rest, which to drop."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sdsetup.download.item import Source
from sdsetup.download.names import redact_url
from sdsetup.download.responses import Rejected


@dataclass
class Mirror:
    """Mutable health record of one source; guarded by its :class:`Pool`'s lock."""

    source: Source
    order: int
    url: str = ""                 # the source URL, or a fresh one from ``source.resolve``
    target: str | None = None     # where ``url`` last redirected to (a signed CDN URL), reused
    validator: str | None = None  # strong ETag or Last-Modified this mirror gave
    # False when the expected sha256 is the file's identity, or when this mirror's validator
    # changed on every response (load-balanced nodes): then no If-Range is ever sent
    use_validator: bool = True
    changes: int = 0              # If-Range refusals: the second one makes it one stream
    one_stream: bool = False      # validators that never hold: no ranges, the file in one go
    ranges: bool | None = None    # whether it honours Range; None until a response tells
    failures: int = 0             # failures since it last completed a piece
    refreshes: int = 0            # consecutive re-resolutions without a byte
    not_before: float = 0.0
    gone: str | None = None       # why it is out of the game for this file
    refusal: Rejected | None = None  # the answer that put it out
    last_error: str | None = None
    active: int = 0
    served: int = 0               # bytes this mirror wrote into the file, to blame on a bad hash

    def __post_init__(self) -> None:
        self.url = self.url or self.source.url

    @property
    def label(self) -> str:
        """For messages: the source's name with the host it is fetched from (the host is what
        failed; a name like ``auto`` alone says nothing about where), else the URL."""
        shown = redact_url(self.url)
        if not self.source.name:
            return shown
        host = urlsplit(shown).netloc
        return self.source.name if host in self.source.name else f"{self.source.name} ({host})"


@dataclass
class Pool:
    mirrors: list[Mirror]
    bench_after: int
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, sources: tuple[Source, ...], bench_after: int, use_validators: bool = True) -> Pool:
        return cls([Mirror(s, i, use_validator=use_validators) for i, s in enumerate(sources)],
                   bench_after)

    def pick(self, now: float, need_ranges: bool) -> tuple[Mirror | None, float]:
        """The mirror to use now and 0, or None and how long until one is ready.

        Healthy mirrors come before benched ones (too many failures in a row), and mirrors
        without a recent failure before those with one; among equals, the one with the fewest
        connections, so pieces spread over the mirrors.
        """
        with self.lock:
            usable = [m for m in self.mirrors
                      if m.gone is None and not (need_ranges and m.ranges is False)]
            if not usable:
                return None, -1.0
            ready = [m for m in usable if m.not_before <= now]
            if not ready:
                return None, min(m.not_before for m in usable) - now
            best = min(ready, key=lambda m: (m.failures >= self.bench_after, m.failures > 0,
                                            m.active, m.order))
            best.active += 1
            return best, 0.0

    def release(self, mirror: Mirror) -> None:
        with self.lock:
            mirror.active -= 1

    def any_ranges(self) -> bool:
        with self.lock:
            return any(m.ranges for m in self.mirrors if m.gone is None)

    def all_gone(self) -> bool:
        with self.lock:
            return all(m.gone is not None for m in self.mirrors)

    def reasons(self) -> dict[str, str]:
        with self.lock:
            return {m.label: m.gone or m.last_error or "-" for m in self.mirrors}

    def common_refusal(self) -> Rejected | None:
        """The answer every mirror was dropped for, when they all got the same kind of one."""
        with self.lock:
            refusals = [m.refusal for m in self.mirrors]
        if any(r is None for r in refusals):
            return None
        kinds = {(r.reason, r.status) for r in refusals if r is not None}
        return refusals[0] if len(kinds) == 1 else None

    def blame(self) -> Mirror | None:
        """The mirror that served the most bytes of the file."""
        with self.lock:
            served = [m for m in self.mirrors if m.served]
            return max(served, key=lambda m: m.served) if served else None
