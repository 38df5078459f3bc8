"""Pure-Python reader of the safetensors header: names, dtypes, shapes and offsets, no tensor data.

A safetensors file is an 8-byte little-endian header length ``N``, ``N`` bytes of UTF-8 JSON
(``name -> {dtype, shape, data_offsets}`` plus an optional ``__metadata__`` of strings), then the
tensor bytes. Checking the header and the file length catches the usual broken downloads in
milliseconds, whatever the file size: a saved HTML or JSON error page, a truncated transfer, or
trailing garbage. Nothing here imports torch or the ``safetensors`` package, so sdsetup can run it
before any managed environment exists.

Errors are :class:`InvalidSafetensors` (an :class:`~sdsetup.errors.SdsetupError`) whose message key
names what is wrong and whose ``path`` parameter names the file.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from sdsetup.errors import SdsetupError

# The Rust reference implementation refuses larger headers; a text page read as a length lands here.
MAX_HEADER_SIZE = 100_000_000

# Bits per element. A dtype missing here is unknown, not corrupt: its size is simply not checked.
DTYPE_BITS: Mapping[str, int] = MappingProxyType({
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
})

_SNIPPET_CHARS = 80
# Offsets and dimensions are u64 (at most 20 digits); a longer number is hostile, and Python's int()
# of a many-thousand-digit string raises ValueError (the 4300-digit limit) after quadratic work.
_MAX_INT_DIGITS = 20


class InvalidSafetensors(SdsetupError):
    """The file is not a complete, well-formed safetensors file; the key says which check failed."""

    def __init__(self, key: str, path: str = "", **params: object) -> None:
        super().__init__(key, hint="models.hint_redownload", path=path, **params)


@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    start: int  # offsets are relative to the start of the data section
    end: int


@dataclass(frozen=True)
class SafetensorsHeader:
    tensors: Mapping[str, TensorInfo]
    metadata: Mapping[str, str]
    data_size: int
    header_size: int  # N; the data section starts at byte 8 + N

    @property
    def data_offset(self) -> int:
        return 8 + self.header_size

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: info.shape for name, info in self.tensors.items()}


def snippet(data: bytes) -> str:
    text = data[:_SNIPPET_CHARS].decode("utf-8", errors="replace")
    return " ".join(text.split())


def looks_like_text_page(data: bytes) -> bool:
    """An error page saved as a model (HTML, ``{"error":"Unauthorized"}``, "Not Found"): a real
    header length never consists of eight printable characters."""
    return all(32 <= byte < 127 or byte in b"\t\r\n" for byte in data[:8])


def header_length(data: bytes, file_size: int, path: str = "") -> int:
    """``N`` from the first 8 bytes, with the checks that need nothing more."""
    if file_size < 8 or len(data) < 8:
        raise InvalidSafetensors("models.st_too_small", path, size=file_size)
    (length,) = struct.unpack("<Q", data[:8])
    if length > MAX_HEADER_SIZE or 8 + length > file_size:
        if looks_like_text_page(data):
            raise InvalidSafetensors("models.st_text_page", path, snippet=snippet(data))
        if length > MAX_HEADER_SIZE:
            raise InvalidSafetensors("models.st_header_too_large", path, length=length)
        raise InvalidSafetensors("models.st_header_truncated", path, length=length, size=file_size)
    return length


def _shape(value: object) -> tuple[int, ...] | None:
    if not isinstance(value, list):
        return None
    if not all(isinstance(dim, int) and not isinstance(dim, bool) and dim >= 0 for dim in value):
        return None
    return tuple(value)


def _tensor(name: str, entry: object, path: str) -> TensorInfo:
    if not isinstance(entry, dict):
        raise InvalidSafetensors("models.st_bad_entry", path, name=name)
    dtype, shape, offsets = entry.get("dtype"), _shape(entry.get("shape")), entry.get("data_offsets")
    if not isinstance(dtype, str) or shape is None or not isinstance(offsets, list) \
            or len(offsets) != 2 or not all(isinstance(o, int) and o >= 0 for o in offsets) \
            or offsets[0] > offsets[1]:
        raise InvalidSafetensors("models.st_bad_entry", path, name=name)
    info = TensorInfo(dtype=dtype, shape=shape, start=offsets[0], end=offsets[1])
    bits = DTYPE_BITS.get(dtype)
    if bits is not None and math.prod(shape) * bits != (info.end - info.start) * 8:
        raise InvalidSafetensors("models.st_bad_size", path, name=name, dtype=dtype,
                                 shape=list(shape), nbytes=info.end - info.start)
    return info


def _metadata(value: object, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidSafetensors("models.st_bad_metadata", path)
    return dict(value)


def _check_contiguous(tensors: Mapping[str, TensorInfo], path: str) -> int:
    """Tensors must tile the data section from 0 without gaps or overlaps; returns its size."""
    position = 0
    for name, info in sorted(tensors.items(), key=lambda item: (item[1].start, item[1].end)):
        if info.start != position:
            raise InvalidSafetensors("models.st_bad_offsets", path, name=name,
                                     start=info.start, expected=position)
        position = info.end
    return position


class _DuplicateName(ValueError):
    pass


def _int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise ValueError(f"number of {len(text)} digits")
    return int(text)


def _unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object whose names are all different: a second tensor of one name is not a choice
    to make silently (readers disagree on which one wins)."""
    obj: dict[str, object] = {}
    for name, value in pairs:
        if name in obj:
            raise _DuplicateName(name)
        obj[name] = value
    return obj


def _load_json(raw: bytes, path: str) -> object:
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_int, object_pairs_hook=_unique)
    except _DuplicateName as err:
        raise InvalidSafetensors("models.st_duplicate_name", path, name=str(err)[:200]) from None
    except RecursionError:
        # arrays nested deeper than the interpreter's stack: no real header nests beyond two levels
        raise InvalidSafetensors("models.st_bad_json", path, detail="nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as err:  # JSONDecodeError is a ValueError
        raise InvalidSafetensors("models.st_bad_json", path, detail=str(err)[:200]) from None


def parse_header(data: bytes, file_size: int, path: str = "") -> SafetensorsHeader:
    """Parse and check a header. ``data`` is the start of the file, at least ``8 + N`` bytes of it
    (more is ignored); ``file_size`` is the whole file's length, checked against the offsets."""
    length = header_length(data, file_size, path)
    raw = data[8:8 + length]
    if len(raw) < length:
        raise ValueError("parse_header needs the whole header: pass at least 8 + N bytes")
    parsed = _load_json(raw, path)
    if not isinstance(parsed, dict):
        raise InvalidSafetensors("models.st_bad_json", path, detail=type(parsed).__name__)
    metadata = _metadata(parsed.pop("__metadata__", None), path)
    tensors = {name: _tensor(name, entry, path) for name, entry in parsed.items()}
    data_size = _check_contiguous(tensors, path)
    expected = 8 + length + data_size
    if expected != file_size:
        key = "models.st_truncated" if file_size < expected else "models.st_trailing"
        raise InvalidSafetensors(key, path, size=file_size, expected=expected)
    return SafetensorsHeader(tensors=MappingProxyType(tensors), metadata=MappingProxyType(metadata),
                             data_size=data_size, header_size=length)


def read_header(path: Path) -> SafetensorsHeader:
    """Read and check the header of the file at ``path``; reads only ``8 + N`` bytes."""
    where = str(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
            length = header_length(head + handle.read(_SNIPPET_CHARS), size, where)
            handle.seek(8)
            return parse_header(head + handle.read(length), size, where)
    except OSError as err:
        raise InvalidSafetensors("models.st_unreadable", where, detail=err.strerror or str(err)) \
            from None
