"""The models already on disk: find them, describe them (``models list``), re-hash them (``verify``).

A file is *broken* when it is not a well-formed file of its format, *mismatch* when its SHA-256
differs from the one recorded beside it (in ``<stem>.civitai.json``, or in ``<stem>.sha256`` for a
download from elsewhere whose hash was published), *ok* when it matches,
*unchecked* when a hash is recorded but the file has not been hashed yet (``verify`` does that), and
*unverified* when nothing says what it should hash to (hashing it again cannot change that).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdsetup.errors import SdsetupError
from sdsetup.jsonstate import read_json
from sdsetup.models.arch import Architecture, detect_architecture
from sdsetup.models.hashcache import HashCache
from sdsetup.models.placement import FOLDERS, Layout, folder, sidecar
from sdsetup.models.safety import MODEL_EXTENSIONS, SAFETENSORS, file_format, validate_file
from sdsetup.safetensors_header import read_header

CIVITAI_SIDECAR = ".civitai.json"
HASH_SIDECAR = ".sha256"  # `sha256sum` format: the published hash a non-Civitai download matched
PREVIEW_SIDECAR = ".preview.png"
SDSETUP_KEY = "_sdsetup"  # what sdsetup adds to the version metadata: which file, which hash

OK, BROKEN, MISMATCH, UNCHECKED, UNVERIFIED = "ok", "broken", "mismatch", "unchecked", "unverified"


@dataclass(frozen=True)
class ModelEntry:
    path: Path
    type: str  # the folder it sits in, as a canonical type
    size: int
    arch: Architecture | None  # None when the header could not be read or is not safetensors
    sha256: str | None
    expected_sha256: str | None
    status: str
    problem: SdsetupError | None = None

    @property
    def autov2(self) -> str | None:
        """Civitai's AutoV2 / A1111's short hash: the first 10 hex digits of the SHA-256."""
        return self.sha256[:10].upper() if self.sha256 else None


# Folders A1111 reads but sdsetup never writes to: found by `list`, not used for placement.
_READ_ONLY_FOLDERS = (("lora", "LyCORIS"), ("upscaler", "RealESRGAN"), ("upscaler", "SwinIR"),
                      ("upscaler", "DAT"))


def _folders(layout: Layout) -> Iterator[tuple[str, Path]]:
    for kind in FOLDERS:
        yield kind, folder(layout, kind)
    for kind, name in _READ_ONLY_FOLDERS:
        yield kind, layout.models / name


def model_files(layout: Layout) -> Iterator[tuple[str, Path]]:
    """Every model file under the known folders (subfolders too), with the folder's type."""
    seen: set[Path] = set()
    for kind, base in _folders(layout):
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(base).parts)
            if hidden or not path.is_file() or path.suffix.lower() not in MODEL_EXTENSIONS \
                    or path in seen:
                continue
            seen.add(path)
            yield kind, path


def expected_sha256(metadata: Any, file_name: str) -> str | None:
    """The hash a sidecar promises: sdsetup's own record, else the file entry of the same name."""
    if not isinstance(metadata, dict):
        return None
    own = metadata.get(SDSETUP_KEY)
    if isinstance(own, dict) and isinstance(own.get("sha256"), str):
        return own["sha256"].lower()
    for entry in metadata.get("files") or ():
        if isinstance(entry, dict) and str(entry.get("name", "")).lower() == file_name.lower():
            sha = (entry.get("hashes") or {}).get("SHA256")
            return sha.lower() if isinstance(sha, str) else None
    return None


def read_civitai_sidecar(path: Path) -> Any:
    """The ``<stem>.civitai.json`` beside a model, parsed, or None."""
    return read_json(sidecar(path, CIVITAI_SIDECAR))


def hash_line(sha256: str, name: str) -> str:
    """A ``<stem>.sha256`` file's text, as ``sha256sum`` writes it (``sha256sum -c`` checks it)."""
    return f"{sha256}  {name}\n"


def read_hash_sidecar(path: Path) -> str | None:
    """The hash in ``<stem>.sha256`` beside a model, or None (missing or not a SHA-256)."""
    try:
        words = sidecar(path, HASH_SIDECAR).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return None
    sha = words[0].lower() if words else ""
    return sha if len(sha) == 64 and all(c in "0123456789abcdef" for c in sha) else None


def _status(sha: str | None, expected: str | None) -> str:
    if expected is None:
        return UNVERIFIED
    if sha is None:
        return UNCHECKED
    return OK if sha == expected else MISMATCH


def describe(kind: str, path: Path, cache: HashCache, *, hash_now: bool,
             fresh: bool = False) -> ModelEntry:
    """One file's entry; hashes it only when ``hash_now`` (else uses what the cache knows)."""
    size = path.stat().st_size
    expected = expected_sha256(read_civitai_sidecar(path), path.name) or read_hash_sidecar(path)
    fmt = file_format(path.name)
    arch, problem = None, None
    try:
        validate_file(path, fmt)
        if fmt == SAFETENSORS:
            header = read_header(path)
            arch = detect_architecture(header.shapes(), header.metadata)
    except SdsetupError as err:
        problem = err
    sha = cache.sha256(path, fresh=fresh) if hash_now else cache.cached(path)
    status = BROKEN if problem else _status(sha, expected)
    return ModelEntry(path, kind, size, arch, sha, expected, status, problem)


def shown_path(path: Path, layout: Layout) -> str:
    """Relative to the layout root (``models/Lora/x.safetensors``) when it is inside it."""
    return str(path.relative_to(layout.root)) if path.is_relative_to(layout.root) else str(path)


def entry_json(entry: ModelEntry, layout: Layout) -> dict[str, Any]:
    arch = entry.arch or Architecture()
    return {
        "name": entry.path.name,
        "path": str(entry.path),
        "relative_path": shown_path(entry.path, layout),
        "type": entry.type,
        "family": arch.family,
        "kind": arch.kind,
        "inpainting": arch.inpainting,
        "size": entry.size,
        "sha256": entry.sha256,
        "autov2": entry.autov2,
        "expected_sha256": entry.expected_sha256,
        "status": entry.status,
        "problem": str(entry.problem) if entry.problem else None,
    }
