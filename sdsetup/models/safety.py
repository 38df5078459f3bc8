"""What may land in the models folder: formats, the pickle rule, and the check run before the rename.

Pickle formats (``.ckpt``, ``.pt``, ``.pth``, ``.bin``) can run code when loaded, so they are refused
unless the user passes ``--allow-pickle``; sdsetup never unpickles anything to check it. A
safetensors file must have a complete, consistent header; any model file that starts like a text or
web page is an error page saved under a model's name and never lands.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sdsetup.models.errors import UnsafeFile
from sdsetup.safetensors_header import (
    InvalidSafetensors, looks_like_text_page, read_header, snippet,
)

SAFETENSORS = "safetensors"
PICKLE = "pickle"
GGUF = "gguf"
OTHER = "other"

_EXTENSIONS = {".safetensors": SAFETENSORS, ".sft": SAFETENSORS,
               ".ckpt": PICKLE, ".pt": PICKLE, ".pth": PICKLE, ".bin": PICKLE, ".pkl": PICKLE,
               ".gguf": GGUF}
MODEL_EXTENSIONS = frozenset(_EXTENSIONS)
_GGUF_MAGIC = b"GGUF"
_SNIFF_BYTES = 128


def file_format(name: str, declared: str = "") -> str:
    """By extension; Civitai's declared ``PickleTensor`` counts too, whatever the name says."""
    by_name = _EXTENSIONS.get(Path(name).suffix.lower(), OTHER)
    return PICKLE if declared == "PickleTensor" and by_name != SAFETENSORS else by_name


def check_allowed(name: str, fmt: str, allow_pickle: bool) -> None:
    if fmt == PICKLE and not allow_pickle:
        raise UnsafeFile("models.pickle_refused", hint="models.hint_allow_pickle", name=name)


def _sniff(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_SNIFF_BYTES)


def validate_file(path: Path, fmt: str) -> None:
    """Refuse a finished download that is not what its name claims (runs before the rename)."""
    if fmt == SAFETENSORS:
        read_header(path)
        return
    if fmt == OTHER:
        return
    head = _sniff(path)
    if looks_like_text_page(head):
        raise InvalidSafetensors("models.st_text_page", str(path), snippet=snippet(head))
    if fmt == GGUF and not head.startswith(_GGUF_MAGIC):
        raise InvalidSafetensors("models.not_gguf", str(path))


def validator(fmt: str) -> Callable[[Path], None]:
    return lambda path: validate_file(path, fmt)
