"""``models get``: from a reference to a verified file in the right folder, with its sidecars.

The order matters for safety: metadata first (expected name, size and SHA-256), the pickle rule
before any byte is fetched, the existing-file check before anything is overwritten, and the format
check on the finished temporary file before it is renamed into place (the engine's ``validate``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sdsetup.download import DownloadItem, Source, fetch, name_from_url
from sdsetup.download.item import Tuning
from sdsetup.errors import SdsetupError
from sdsetup.jsonstate import write_json
from sdsetup.models import hf
from sdsetup.models.arch import (
    Architecture, detect_architecture, families_conflict, family_of_base_model,
)
from sdsetup.models.civitai import CivitaiClient, CivitaiVersion, check_downloadable, choose_file
from sdsetup.models.errors import ModelError, UnsafeFile
from sdsetup.models.hashcache import HashCache
from sdsetup.models.library import (
    CIVITAI_SIDECAR, HASH_SIDECAR, PREVIEW_SIDECAR, SDSETUP_KEY, hash_line, read_civitai_sidecar,
)
from sdsetup.models.placement import FOLDERS, Layout, folder, route, sidecar, target_name
from sdsetup.models.refs import CivitaiRef, HfRef, Reference, UrlRef
from sdsetup.models.safety import SAFETENSORS, check_allowed, file_format, validator
from sdsetup.safetensors_header import read_header

STAGING = ".incoming"  # under models/: same filesystem as the final folders, hidden from `list`


@dataclass(frozen=True)
class GetOptions:
    layout: Layout
    hf_token: str | None = field(default=None, repr=False)
    hf_endpoint_var: str | None = None  # the environment variable the HF endpoint came from
    file: str | None = None
    type: str | None = None  # canonical placement type, already checked
    dest: Path | None = None
    name: str | None = None
    allow_pickle: bool = False
    connections: int | None = None
    progress: bool | None = None
    tuning: Tuning | None = None
    # Told (name, size, folder) just before bytes are fetched; folder None: chosen from the header.
    announce: Callable[[str, int | None, Path | None], None] | None = field(default=None,
                                                                            compare=False)


@dataclass(frozen=True)
class Wanted:
    """What one download must produce, before any byte is fetched."""

    name: str
    fmt: str
    type: str | None  # None: decided from the file's own header after the download
    sha256: str | None
    size: int | None
    base_model: str | None = None
    file_id: int | None = None  # Civitai's; None for other sources
    metadata: Mapping[str, Any] | None = field(default=None, repr=False)  # the version, verbatim
    preview_url: str | None = None


@dataclass(frozen=True)
class Installed:
    path: Path
    type: str
    arch: Architecture | None
    sha256: str
    size: int
    already: bool
    verified: bool  # against a published hash (or the one recorded at install time)
    sidecars: tuple[Path, ...] = ()
    warnings: tuple[SdsetupError, ...] = ()

    def as_json(self) -> dict[str, Any]:
        arch = self.arch or Architecture()
        return {"path": str(self.path), "type": self.type, "family": arch.family,
                "kind": arch.kind, "inpainting": arch.inpainting, "sha256": self.sha256,
                "size": self.size, "already_installed": self.already, "verified": self.verified,
                "sidecars": [str(p) for p in self.sidecars],
                "warnings": [str(w) for w in self.warnings]}


def wanted_from_civitai(version: CivitaiVersion, options: GetOptions) -> tuple[Wanted, int]:
    """The file to fetch from a version, and its id for the download endpoint."""
    check_downloadable(version)
    chosen = choose_file(version, options.file)
    name = target_name(options.name or chosen.name)
    kind = options.type or route(version.model_type, chosen.type)
    wanted = Wanted(name=name, fmt=file_format(name, chosen.format), type=kind,
                    sha256=chosen.sha256, size=chosen.size, base_model=version.base_model,
                    file_id=chosen.id, metadata=version.raw, preview_url=version.image_url)
    return wanted, chosen.id


def wanted_plain(name: str, options: GetOptions, sha256: str | None = None,
                 size: int | None = None) -> Wanted:
    safe = target_name(options.name or name)
    fmt = file_format(safe)
    if options.type is None and fmt != SAFETENSORS:
        raise ModelError("models.need_type", hint="models.hint_type", name=safe)
    return Wanted(name=safe, fmt=fmt, type=options.type, sha256=sha256, size=size)


def destination(wanted: Wanted, options: GetOptions) -> Path:
    if options.dest is not None:
        return options.dest / wanted.name
    if wanted.type is None:
        return options.layout.models / STAGING / wanted.name
    return folder(options.layout, wanted.type) / wanted.name


def _expected(wanted: Wanted, dest: Path) -> str | None:
    """The published hash, else the one recorded when this same Civitai file was installed."""
    if wanted.sha256 or wanted.file_id is None:
        return wanted.sha256
    recorded = read_civitai_sidecar(dest)
    own = recorded.get(SDSETUP_KEY) if isinstance(recorded, dict) else None
    if isinstance(own, dict) and own.get("file_id") == wanted.file_id:
        return own.get("sha256")
    return None


def _already_there(dest: Path, sha256: str | None, cache: HashCache) -> bool:
    """True when ``dest`` holds this very file; a different file there is never overwritten."""
    if not dest.exists():
        return False
    if sha256 and cache.sha256(dest) == sha256:
        return True
    raise UnsafeFile("models.exists_different", hint="models.hint_exists", path=str(dest))


def _inspect(path: Path, fmt: str) -> Architecture | None:
    if fmt != SAFETENSORS:
        return None
    header = read_header(path)
    return detect_architecture(header.shapes(), header.metadata)


def _warnings(wanted: Wanted, kind: str, arch: Architecture | None) -> list[SdsetupError]:
    """What the user should know: no hash to check, or labels that disagree with the weights.

    Sites mislabel files, so a disagreement is reported but the user's or the site's choice kept.
    """
    found: list[SdsetupError] = []
    if not wanted.sha256:
        found.append(ModelError("models.warn_unverified", name=wanted.name))
    if arch is None:
        return found
    if arch.kind == "unknown" and wanted.type is None:
        found.append(ModelError("models.warn_unknown_kind", name=wanted.name))
    if arch.kind in FOLDERS and arch.kind != kind:
        found.append(ModelError("models.warn_kind", detected=arch.kind, declared=kind))
    declared = family_of_base_model(wanted.base_model)
    if families_conflict(arch.family, declared):
        found.append(ModelError("models.warn_family", detected=arch.family,
                                declared=wanted.base_model or "?"))
    return found


def _sidecars(dest: Path, sha256: str, wanted: Wanted, options: GetOptions
              ) -> tuple[list[Path], list[SdsetupError]]:
    """The version metadata (plus which file and its hash, for ``verify``) and the preview; for
    other sources, the published hash the file matched (``verify`` and ``list`` read it)."""
    written: list[Path] = []
    warnings: list[SdsetupError] = []
    if wanted.metadata is not None:
        info = sidecar(dest, CIVITAI_SIDECAR)
        own = {"file_id": wanted.file_id, "sha256": sha256, "published": bool(wanted.sha256)}
        write_json(info, {**wanted.metadata, SDSETUP_KEY: own}, sort_keys=False)
        written.append(info)
    elif wanted.sha256:
        record = sidecar(dest, HASH_SIDECAR)
        record.write_text(hash_line(sha256, dest.name), encoding="utf-8")
        written.append(record)
    if wanted.preview_url:
        preview = sidecar(dest, PREVIEW_SIDECAR)
        try:
            fetch(DownloadItem((wanted.preview_url,), preview), progress=False,
                  tuning=options.tuning)
            written.append(preview)
        except SdsetupError as err:
            # A missing preview costs a thumbnail, not the model.
            warnings.append(ModelError("models.warn_preview", detail=str(err)))
    return written, warnings


def _settle(staged: Path, final: Path, cache: HashCache) -> tuple[Path, bool]:
    """Move a file whose folder came from its own header to that folder."""
    try:
        sha = cache.sha256(staged)
        already = _already_there(final, sha, cache)
        if not already:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
            cache.remember(final, sha)
    finally:
        staged.unlink(missing_ok=True)
    return final, already


def install(wanted: Wanted, source: Callable[[], Source], options: GetOptions,
            cache: HashCache) -> Installed:
    """Fetch (unless already there), check, place, and write the sidecars.

    ``source`` is called only when bytes must be fetched: resolving a Civitai download counts
    against the user's download limit.
    """
    check_allowed(wanted.name, wanted.fmt, options.allow_pickle)
    dest = destination(wanted, options)
    staged = wanted.type is None and options.dest is None
    if staged:
        dest.unlink(missing_ok=True)  # a leftover of an interrupted move; its .part is kept
    already = not staged and _already_there(dest, _expected(wanted, dest), cache)
    if not already:
        if options.announce is not None:
            options.announce(wanted.name, wanted.size, None if staged else dest.parent)
        fetch(DownloadItem((source(),), dest, sha256=wanted.sha256, size=wanted.size,
                           validate=validator(wanted.fmt)),
              connections=options.connections, progress=options.progress, tuning=options.tuning)
        if wanted.sha256:
            cache.remember(dest, wanted.sha256)
    arch = _inspect(dest, wanted.fmt)
    kind = wanted.type or (arch.kind if arch and arch.kind in FOLDERS else "other")
    if staged:
        dest, already = _settle(dest, folder(options.layout, kind) / wanted.name, cache)
    warnings = _warnings(wanted, kind, arch)
    sha = cache.sha256(dest)
    written, sidecar_warnings = _sidecars(dest, sha, wanted, options)
    return Installed(dest, kind, arch, sha, dest.stat().st_size, already,
                     bool(wanted.sha256 or already), tuple(written),
                     tuple(warnings + sidecar_warnings))


def get_civitai(ref: CivitaiRef, client: CivitaiClient, options: GetOptions,
                cache: HashCache) -> Installed:
    version_id = ref.version_id or client.newest_version_id(ref.model_id or 0)
    version = client.version(version_id)
    if ref.file_id is not None and options.file is None:
        options = replace(options, file=str(ref.file_id))
    wanted, file_id = wanted_from_civitai(version, options)
    return install(wanted, lambda: client.download_source(version.id, file_id), options, cache)


def get_hf(ref: HfRef, base: str, options: GetOptions, cache: HashCache) -> Installed:
    found = hf.lookup(base, ref, options.hf_token, var=options.hf_endpoint_var)
    wanted = wanted_plain(ref.path.rsplit("/", 1)[-1], options, found.sha256, found.size)
    return install(wanted, lambda: hf.source(found, options.hf_token), options, cache)


def get_url(ref: UrlRef, options: GetOptions, cache: HashCache) -> Installed:
    wanted = wanted_plain(name_from_url(ref.url), options)
    return install(wanted, lambda: Source(ref.url), options, cache)
def get(ref: Reference, *, client: CivitaiClient, hf_base: str, options: GetOptions,
        cache: HashCache) -> Installed:
    if isinstance(ref, CivitaiRef):
        return get_civitai(ref, client, options, cache)
    if isinstance(ref, HfRef):
        return get_hf(ref, hf_base, options, cache)
    return get_url(ref, options, cache)
