"""What an install will download, from where: a pure function of the lock and the listings.

The lock says *what* (name, version, allowed sha256s); each mirror's listing says *where*. For
every pin the best wheel for the target's tags is chosen from the first mirror that has one, and
every mirror offering that same file becomes a candidate source, in mirror order. A listing that
advertises a sha256 the lock does not allow is never used for that file: that is a mirror serving
a different build, and trying it would only end in a hash error. torch comes from its own pin
(torch.toml), through each mirror's wheel base or, for mirrors without one, its listing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from urllib.parse import quote

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from sdsetup.errors import SdsetupError
from sdsetup.install.index_pages import IndexFile, wheel_of
from sdsetup.install.lockfile import Pin, TorchPin


class PlanError(SdsetupError):
    """No mirror offers a usable file for some pins."""


@dataclass(frozen=True)
class MirrorListing:
    """What one mirror of the chain offers, already fetched."""

    mirror: str
    files: Mapping[str, tuple[IndexFile, ...]]
    """Canonical project name → files its listing shows."""
    torch_base: str | None = None
    """The mirror's torch wheel base for the variant; None: torch is in ``files``."""


@dataclass(frozen=True)
class PlannedFile:
    project: str
    version: str
    filename: str
    sha256: str | None
    """The hash the file must have, when known before downloading."""
    allowed: frozenset[str]
    """Any of these is accepted when ``sha256`` is None (the lock's hashes for the version)."""
    size: int | None
    sources: tuple[tuple[str, str], ...]
    """(mirror name, URL), in mirror order."""
    torch: bool = False

    def to_json(self) -> dict:
        data = asdict(self)
        data["allowed"] = sorted(self.allowed)
        data["sources"] = [{"mirror": m, "url": u} for m, u in self.sources]
        return data


@dataclass(frozen=True)
class Plan:
    files: tuple[PlannedFile, ...]
    variant: str
    torch_version: str
    python: str
    platform: str

    @property
    def known_size(self) -> int:
        return sum(f.size or 0 for f in self.files)

    @property
    def unknown_sizes(self) -> int:
        return sum(1 for f in self.files if f.size is None)

    def torch_file(self) -> PlannedFile:
        return next(f for f in self.files if f.torch)

    def to_json(self) -> dict:
        return {"variant": self.variant, "torch_version": self.torch_version,
                "python": self.python, "platform": self.platform,
                "known_size": self.known_size, "unknown_sizes": self.unknown_sizes,
                "files": [f.to_json() for f in self.files]}


def tag_rank(tags: Sequence[Tag]) -> dict[Tag, int]:
    """Position of each supported tag, best first (``packaging.tags.sys_tags`` order)."""
    return {tag: i for i, tag in reversed(list(enumerate(tags)))}


def _usable(f: IndexFile, pin: Pin, ranks: Mapping[Tag, int], python: Version) -> int | None:
    """The tag rank of a file that fits this pin and target, or None."""
    wheel = wheel_of(f.filename)
    if wheel is None or canonicalize_name(wheel.project) != pin.name:
        return None
    if wheel.version != Version(pin.version):
        return None
    if f.sha256 and f.sha256 not in pin.hashes:
        return None
    if f.requires_python:
        try:
            if python not in SpecifierSet(f.requires_python):
                return None
        except InvalidSpecifier:
            pass  # pip ignores a malformed requires-python too
    ranked = [ranks[tag] for tag in wheel.tags if tag in ranks]
    return min(ranked) if ranked else None


def _pick(pin: Pin, chain: Sequence[MirrorListing], ranks: Mapping[Tag, int],
          python: Version) -> PlannedFile | None:
    chosen: IndexFile | None = None
    for listing in chain:
        scored = [(rank, f) for f in listing.files.get(pin.name, ())
                  if (rank := _usable(f, pin, ranks, python)) is not None]
        if scored:
            chosen = min(scored, key=lambda pair: pair[0])[1]
            break
    if chosen is None:
        return None
    same = [(listing.mirror, f) for listing in chain for f in listing.files.get(pin.name, ())
            if f.filename == chosen.filename and (not f.sha256 or f.sha256 in pin.hashes)]
    sha = next((f.sha256 for _, f in same if f.sha256), None)
    size = next((f.size for _, f in same if f.size), None)
    return PlannedFile(pin.name, pin.version, chosen.filename, sha, pin.hashes, size,
                       tuple(dict.fromkeys((m, f.url) for m, f in same)))


def _torch(pin: TorchPin, chain: Sequence[MirrorListing]) -> PlannedFile | None:
    sources = []
    size = None
    for listing in chain:
        if listing.torch_base:
            sources.append((listing.mirror, listing.torch_base.rstrip("/") + "/" + quote(pin.file)))
            continue
        for f in listing.files.get("torch", ()):
            if f.filename == pin.file and (not pin.sha256 or not f.sha256 or f.sha256 == pin.sha256):
                sources.append((listing.mirror, f.url))
                size = size or f.size
    if not sources:
        return None
    allowed = frozenset({pin.sha256}) if pin.sha256 else frozenset()
    return PlannedFile("torch", pin.version, pin.file, pin.sha256, allowed, size,
                       tuple(dict.fromkeys(sources)), torch=True)


def build_plan(pins: Sequence[Pin], torch: TorchPin, tags: Sequence[Tag], python: str,
               chain: Sequence[MirrorListing]) -> Plan:
    """Every file to fetch, or a :class:`PlanError` naming every pin no mirror can serve."""
    ranks = tag_rank(tags)
    version = Version(python)
    files, missing = [], []
    for pin in pins:
        picked = _pick(pin, chain, ranks, version)
        if picked is None:
            missing.append(f"{pin.name}=={pin.version}")
        else:
            files.append(picked)
    torch_file = _torch(torch, chain)
    if torch_file is None or missing:
        names = ([] if torch_file else [torch.file]) + missing
        raise PlanError("install.plan_missing", hint="install.hint_other_mirror",
                        count=len(names), names=", ".join(names),
                        mirrors=", ".join(listing.mirror for listing in chain))
    return Plan((torch_file, *files), torch.variant, torch.version, python, torch.platform)


def requirements_text(plan: Plan, torch_sha256: str) -> str:
    """The hashed requirements pip installs from the wheelhouse (torch's hash known by now)."""
    lines = []
    for f in plan.files:
        hashes = {torch_sha256} if f.torch else f.allowed
        lines.append(f"{f.project}=={f.version} " + " ".join(f"--hash=sha256:{h}" for h in sorted(hashes)))
    return "\n".join(lines) + "\n"
