"""Which bytes are done and who fetches what next, shared by a file's connections.

Work is handed out as segments, lowest offset first. An idle connection with nothing left to
take carves the largest remaining segment: a long one is cut into pieces of ``piece_size``
(its owner keeps the first), a short one is split in half. Every connection stays busy until
the end and a slow piece is split again (as aria2 does), while handing pieces out in order
keeps the finished prefix growing, so the sha256 is computed during the download rather than
after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sdsetup.download.ranges import Span, merge, missing


@dataclass
class Segment:
    """Bytes ``[start, end)``; ``[start, pos)`` is written. ``end`` is None while size is unknown."""

    start: int
    pos: int
    end: int | None
    busy: bool = False
    dead: bool = False  # dropped by a restart: whoever holds it must stop writing

    @property
    def remaining(self) -> int | None:
        return None if self.end is None else self.end - self.pos


class Pieces:
    def __init__(self, size: int | None, done: tuple[Span, ...], min_piece: int,
                 piece_size: int) -> None:
        self.size = size
        self.min_piece = min_piece
        self.piece_size = piece_size
        self._done = list(merge(done))
        self.cond = threading.Condition()
        self.segments = ([Segment(s, s, e) for s, e in missing(self._done, size)]
                         if size is not None else [Segment(0, 0, None)])
        self.stopped = False
        self.generation = 0  # bumped by restart(): bytes read before it are stale

    def take(self, can_split: Callable[[], bool]) -> Segment | None:
        """A segment to fetch, waiting while others might still produce one; None when done."""
        with self.cond:
            while not self.stopped:
                idle = [s for s in self.segments if not s.busy and (s.remaining or s.end is None)]
                if idle:
                    first = min(idle, key=lambda s: s.start)
                    first.busy = True
                    return first
                if self.finished():
                    return None
                stolen = self._split_largest() if can_split() else None
                if stolen is not None:
                    return stolen
                self.cond.wait(0.2)
            return None

    def _split_largest(self) -> Segment | None:
        busy = [s for s in self.segments if s.busy and s.remaining is not None]
        if not busy:
            return None
        victim = max(busy, key=lambda s: s.remaining or 0)
        remaining = victim.remaining or 0
        # The victim writes at most one network chunk (far below min_piece) past its pos
        # before it sees the new end, so the parts never overlap on disk.
        if remaining >= 2 * self.piece_size:
            cut = victim.pos + self.piece_size
        elif remaining >= 2 * self.min_piece:
            cut = victim.pos + remaining // 2
        else:
            return None
        end = victim.end or 0
        carved = [Segment(s, s, min(s + self.piece_size, end))
                  for s in range(cut, end, self.piece_size)]
        victim.end = cut
        carved[0].busy = True
        self.segments.extend(carved)
        return carved[0]

    def claim(self, seg: Segment, want: int) -> int:
        """How many of ``want`` bytes at ``seg.pos`` still belong to this segment."""
        with self.cond:
            if seg.dead or self.stopped:
                return 0
            return want if seg.end is None else max(0, min(want, seg.end - seg.pos))

    def advance(self, seg: Segment, count: int) -> None:
        with self.cond:
            if not seg.dead:
                seg.pos += count

    def release(self, seg: Segment) -> None:
        """Give a segment back after a failure, for this or another connection to continue."""
        with self.cond:
            seg.busy = False
            if seg.end is None:
                seg.pos = 0  # without a known size there is no resuming: start over
            self.cond.notify_all()

    def finish(self, seg: Segment) -> None:
        """The stream of a size-unknown segment ended cleanly: that is the file's size."""
        with self.cond:
            seg.busy = False
            if seg.end is None and not seg.dead:
                seg.end = seg.pos
                self.size = seg.pos
            self.cond.notify_all()

    def learn_size(self, size: int) -> None:
        with self.cond:
            if self.size is None:
                self.size = size
                for seg in self.segments:
                    if seg.end is None:
                        seg.end = size
            self.cond.notify_all()

    def restart(self) -> None:
        """The file changed on the server: forget every byte and fetch it whole again."""
        with self.cond:
            for seg in self.segments:
                seg.dead = True
            self.generation += 1
            self._done = []
            self.segments = [Segment(0, 0, self.size)]
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    def finished(self) -> bool:
        with self.cond:
            return self.size is not None and not any(
                s.remaining for s in self.segments if not s.dead)

    def prefix(self) -> tuple[int, int]:
        """How many bytes from 0 are written, and the generation they belong to."""
        spans = self.done_spans()
        with self.cond:
            return (spans[0][1] if spans and spans[0][0] == 0 else 0), self.generation

    def done_spans(self) -> list[Span]:
        with self.cond:
            return merge([*self._done, *((s.start, s.pos) for s in self.segments if not s.dead)])
