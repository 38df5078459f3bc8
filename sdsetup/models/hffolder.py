"""``models get hf:owner/repo``: a whole Hugging Face model folder, as ``save_pretrained`` writes it.

Only what transformers needs to load the model is fetched: the top-level JSON and text files
(config, tokenizer, processor), sentencepiece ``.model`` files and the ``.safetensors`` weights;
never pickled weights (``.bin``, ``.pt``) nor other frameworks' (``.h5``, ``.msgpack``, ONNX).
The folder goes where config.json's ``model_type`` says (blip -> models/BLIP, clip -> models/CLIP,
what the interrogate API reads) unless ``--type`` says otherwise. Each file goes through the same
engine as a single file (resume, mirrors, the LFS SHA-256 checked) into a staging folder under
``models/.incoming``, renamed into place once every file is there: the folder appears complete or
not at all, and a run that was interrupted resumes from what the staging folder holds.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdsetup.download import DownloadItem, fetch, fetch_all, safe_filename
from sdsetup.errors import SdsetupError
from sdsetup.models import hf
from sdsetup.models.errors import ModelError, UnsafeFile
from sdsetup.models.fetcher import STAGING, GetOptions
from sdsetup.models.hashcache import HashCache
from sdsetup.models.hf import RepoFile
from sdsetup.models.placement import MODEL_FOLDERS, model_folder
from sdsetup.models.refs import HfRepoRef
from sdsetup.models.safety import SAFETENSORS, validator

CONFIG = "config.json"
WEIGHTS = ".safetensors"
_SUPPORT = (".json", ".txt", ".model")  # config, tokenizer, processor; sentencepiece models
_PICKLES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
_INDEX = ".index.json"  # the shard list of a weights format: only the safetensors one is wanted


@dataclass(frozen=True)
class InstalledFolder:
    path: Path
    type: str
    files: tuple[str, ...]
    size: int
    already: bool
    verified: bool  # every weights file matched the SHA-256 the Hub published for it
    warnings: tuple[SdsetupError, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "type": self.type, "files": list(self.files),
                "size": self.size, "already_installed": self.already, "verified": self.verified,
                "warnings": [str(w) for w in self.warnings]}


def _wanted(name: str) -> bool:
    if name.endswith(WEIGHTS):
        return True
    if name.endswith(_INDEX):
        return name.endswith(WEIGHTS + _INDEX)
    return name.endswith(_SUPPORT)


def choose(files: Sequence[RepoFile], repo: str) -> tuple[RepoFile, ...]:
    """The files the folder needs, config.json first, before any byte is fetched.

    Only the repository's top level: subfolders hold other formats (onnx/, openvino/) or other
    models. A repository without config.json is no transformers model; one without safetensors
    weights is refused, as pickles are everywhere in ``models get``.
    """
    top = [f for f in files if "/" not in f.path and not f.path.startswith(".")
           and safe_filename(f.path) == f.path]
    if not any(f.path == CONFIG for f in top):
        raise ModelError("models.hf_not_a_folder", hint="models.hint_hf_one_file", repo=repo)
    if not any(f.path.endswith(WEIGHTS) for f in top):
        found = [f.path for f in top if f.path.endswith(_PICKLES)]
        raise UnsafeFile("models.hf_no_safetensors", hint="models.hint_hf_one_file", repo=repo,
                         found=", ".join(found) or "-")
    return tuple(sorted((f for f in top if _wanted(f.path)),
                        key=lambda f: (f.path != CONFIG, f.path)))


def folder_kind(model_type: Any, declared: str | None, repo: str) -> str:
    """``--type`` when given, else config.json's ``model_type`` when it is one sdsetup places."""
    if declared is not None:
        return declared
    if isinstance(model_type, str) and model_type in MODEL_FOLDERS:
        return model_type
    raise ModelError("models.hf_folder_kind", hint="models.hint_hf_one_file", repo=repo,
                     model_type=model_type if isinstance(model_type, str) else "?",
                     kinds=", ".join(MODEL_FOLDERS))


def _model_type(config: Path) -> Any:
    data = json.loads(config.read_text(encoding="utf-8"))
    return data.get("model_type") if isinstance(data, dict) else None


def _json_check(name: str, hint: str, var: str | None) -> Callable[[Path], None]:
    """A JSON file must parse: a mirror's error page saved as config.json never lands.

    ``name`` is the file's: the engine checks the temporary file before its rename.
    """
    def check(path: Path) -> None:
        try:
            json.loads(path.read_bytes())
        except ValueError as err:  # UnicodeDecodeError is one too
            raise UnsafeFile("models.hf_bad_json", hint=hint, var=var, path=name,
                             detail=type(err).__name__) from None
    return check


def _validate(name: str, hint: str, var: str | None) -> Callable[[Path], None] | None:
    if name.endswith(WEIGHTS):
        return validator(SAFETENSORS)
    return _json_check(name, hint, var) if name.endswith(".json") else None


def _matches(path: Path, file: RepoFile, cache: HashCache) -> bool:
    if not path.is_file():
        return False
    if file.sha256:
        return cache.sha256(path) == file.sha256
    return file.size is None or path.stat().st_size == file.size


def _already_there(final: Path, files: Sequence[RepoFile], cache: HashCache) -> bool:
    """True when ``final`` holds these very files; a different folder there is never touched."""
    if not final.exists():
        return False
    if all(_matches(final / f.path, f, cache) for f in files):
        return True
    raise UnsafeFile("models.exists_different", hint="models.hint_exists", path=str(final))


def get_folder(ref: HfRepoRef, base: str, options: GetOptions,
               cache: HashCache) -> InstalledFolder:
    var = options.hf_endpoint_var
    files = choose(hf.repo_files(base, ref, options.hf_token, var=var), ref.repo)
    root = options.dest if options.dest is not None else options.layout.models
    staging = root / STAGING / safe_filename(f"{ref.repo.replace('/', '--')}@{ref.revision}")
    hint = hf.retry_hint(base, var)
    items = [DownloadItem((hf.source(hf.repo_file(base, ref, f), options.hf_token),),
                          staging / f.path, sha256=f.sha256, size=f.size,
                          validate=_validate(f.path, hint, var)) for f in files]
    # config.json says where the folder goes: known before the weights are fetched.
    fetch(items[0], progress=False, tuning=options.tuning)
    kind = folder_kind(_model_type(staging / CONFIG), options.type, ref.repo)
    final = (options.dest or model_folder(options.layout, kind)) / safe_filename(
        options.name or ref.name)
    weights = [f for f in files if f.path.endswith(WEIGHTS)]
    warnings = tuple(ModelError("models.warn_unverified", name=f.path)
                     for f in weights if not f.sha256)
    size = sum(f.size or 0 for f in files)
    already = _already_there(final, files, cache)
    if already:
        shutil.rmtree(staging, ignore_errors=True)
    else:
        if options.announce is not None:
            options.announce(ref.repo, size, final.parent)
        fetch_all(items[1:], connections=options.connections, progress=options.progress,
                  tuning=options.tuning)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, final)
        with suppress(OSError):
            staging.parent.rmdir()  # only when no other download is staged there
        for f in weights:
            if f.sha256:
                cache.remember(final / f.path, f.sha256)
    return InstalledFolder(final, kind, tuple(f.path for f in files),
                           sum((final / f.path).stat().st_size for f in files), already,
                           not warnings, warnings)
