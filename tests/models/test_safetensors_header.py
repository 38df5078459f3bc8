"""The pure-Python safetensors header check, on real files written here and on broken look-alikes."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from tests.models.models_testkit import SDXL_CHECKPOINT, safetensors_bytes, write_sparse_safetensors
from sdsetup.safetensors_header import InvalidSafetensors, parse_header, read_header

GOOD = safetensors_bytes({"a": (2, 3), "b": (4,)}, metadata={"format": "pt"})


def _with_header(header: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def test_reads_names_shapes_offsets_and_metadata():
    header = parse_header(GOOD, len(GOOD))
    assert header.tensors["a"].shape == (2, 3) and header.tensors["a"].dtype == "F16"
    assert (header.tensors["b"].start, header.tensors["b"].end) == (12, 20)
    assert header.metadata == {"format": "pt"}
    assert header.data_size == 20
    assert header.data_offset + header.data_size == len(GOOD)


def test_agrees_with_the_safetensors_library(tmp_path: Path):
    numpy = pytest.importorskip("numpy")
    from safetensors.numpy import save_file

    path = tmp_path / "lib.safetensors"
    save_file({"w": numpy.ones((3, 5), dtype=numpy.float16), "z": numpy.zeros(7, numpy.int64)},
              str(path), metadata={"k": "v"})
    header = read_header(path)
    assert {n: (i.dtype, i.shape) for n, i in header.tensors.items()} == {
        "w": ("F16", (3, 5)), "z": ("I64", (7,))}
    assert header.metadata == {"k": "v"}


def test_large_sparse_file_reads_only_the_header(tmp_path: Path):
    path = write_sparse_safetensors(tmp_path / "xl.safetensors", SDXL_CHECKPOINT)
    header = read_header(path)
    assert header.tensors["model.diffusion_model.label_emb.0.0.weight"].shape == (1280, 2816)


UNAUTHORIZED = (b'{"error":"Unauthorized","message":"The creator of this asset requires you to be '
                b'logged in to download it"}')

BROKEN = [
    ("empty", b"", "models.st_too_small"),
    ("seven bytes", b"\x01" * 7, "models.st_too_small"),
    ("civitai 401 body", UNAUTHORIZED, "models.st_text_page"),
    ("html page", b"<!DOCTYPE html><html><body>Just a moment...</body></html>" * 3,
     "models.st_text_page"),
    ("binary junk", b"\xff" * 64, "models.st_header_too_large"),
    ("header cut off", GOOD[:20], "models.st_header_truncated"),
    ("data cut off", GOOD[:-3], "models.st_truncated"),
    ("trailing bytes", GOOD + b"\0\0", "models.st_trailing"),
    ("not json", struct.pack("<Q", 4) + b"{{{{", "models.st_bad_json"),
    ("json list", struct.pack("<Q", 2) + b"[]", "models.st_bad_json"),
    ("bad utf-8", struct.pack("<Q", 2) + b"\xff\xfe", "models.st_bad_json"),
    ("entry not object", _with_header({"t": 3}), "models.st_bad_entry"),
    ("negative dim", _with_header({"t": {"dtype": "F16", "shape": [-1], "data_offsets": [0, 2]}},
                                  b"\0\0"), "models.st_bad_entry"),
    ("size mismatch", _with_header({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}},
                                   b"\0" * 4), "models.st_bad_size"),
    ("gap", _with_header({"t": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}, b"\0" * 4),
     "models.st_bad_offsets"),
    ("overlap", _with_header({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
                              "b": {"dtype": "U8", "shape": [2], "data_offsets": [1, 3]}}, b"\0" * 3),
     "models.st_bad_offsets"),
    ("metadata not text", _with_header({"__metadata__": {"n": 1}}), "models.st_bad_metadata"),
]


@pytest.mark.parametrize("data,key", [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_files_are_refused_with_what_is_wrong(tmp_path: Path, data: bytes, key: str):
    path = tmp_path / "model.safetensors"
    path.write_bytes(data)
    with pytest.raises(InvalidSafetensors) as caught:
        read_header(path)
    assert caught.value.key == key
    assert str(path) in str(caught.value)


def test_error_page_message_quotes_the_page():
    with pytest.raises(InvalidSafetensors) as caught:
        parse_header(UNAUTHORIZED, len(UNAUTHORIZED), "x.safetensors")
    assert '{"error":"Unauthorized"' in str(caught.value)


def test_unknown_dtype_is_accepted_without_a_size_check():
    data = _with_header({"t": {"dtype": "F12_NEW", "shape": [3], "data_offsets": [0, 5]}}, b"\0" * 5)
    assert parse_header(data, len(data)).tensors["t"].dtype == "F12_NEW"


def test_missing_file_is_an_error_not_a_traceback(tmp_path: Path):
    with pytest.raises(InvalidSafetensors) as caught:
        read_header(tmp_path / "absent.safetensors")
    assert caught.value.key == "models.st_unreadable"
