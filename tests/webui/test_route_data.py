"""The pure parts behind the A1111 routes: png-info parsing, EXIF comments, LoRA metadata,
embedding shapes, CUDA memory fields and cmd-flags (tables)."""

from __future__ import annotations

import io
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from webui.api_routes import cmd_flags
from webui.memory import cuda_report
from webui.network_info import embedding_shape, parse_metadata
from webui.pnginfo import a1111_parameters, old_hires_first_pass, read_image_info, user_comment

SETTINGS = "Steps: 20, Sampler: Euler, Size: 512x768"


@pytest.mark.parametrize("text, expected", [
    (SETTINGS, {"Size-1": "512", "Size-2": "768", "Steps": "20"}),
    (f"{SETTINGS}, Hires resize: 1024x1536", {"Hires resize-1": "1024", "Hires resize-2": "1536"}),
    (SETTINGS, {"Hires resize-1": 0, "Hires sampler": "Use same sampler",
                "Hires schedule type": "Use same scheduler", "Masked area padding": 32,
                "Schedule type": "Automatic", "Clip skip": "1", "RNG": "GPU", "FP8 weight": "Disable",
                "Refiner switch by sampling steps": False}),
    (f"{SETTINGS}, First pass size: 0x0",
     {"Size-1": 448, "Size-2": 640, "Hires resize-1": 512, "Hires resize-2": 768}),
    (f"a [b:c:0.5]\n{SETTINGS}, Version: v1.5.1",
     {"Old prompt editing timelines": True, "Downcast alphas_cumprod": True}),
    (f"{SETTINGS}, Refiner: x, Version: v1.7.0", {"Refiner switch by sampling steps": True}),
    (f"(a:1.3)\n{SETTINGS}", {"Emphasis": "Original"}),
    (f"{SETTINGS}, FP8 weight: Enable for SDXL", {"Cache FP16 weight for LoRA": False}),
    (f"cat\n{SETTINGS}, Hypernet: ink", {"Prompt": "cat<hypernet:ink:1.0>"}),
])
def test_png_info_parameters_follow_a1111(text, expected):
    parsed = a1111_parameters(text)
    assert {k: parsed.get(k) for k in expected} == expected
    assert "Size" not in parsed


@pytest.mark.parametrize("text, absent", [
    (f"{SETTINGS}, Version: sdsetup-0.3.0", "Downcast alphas_cumprod"),
    (f"plain\n{SETTINGS}", "Emphasis"),
    (SETTINGS, "Cache FP16 weight for LoRA"),
])
def test_png_info_adds_nothing_else(text, absent):
    assert absent not in a1111_parameters(text)


def test_old_hires_first_pass_is_about_512_squared():
    assert old_hires_first_pass(1024, 1024) == (512, 512)
    assert old_hires_first_pass(512, 768) == (448, 640)


def test_parsing_long_hostile_text_stays_fast():
    hostile = "(" * 5000 + "a-" * 20000 + "\n" + "Version: " + "v" + "1-" * 20000 + ", Steps: 1, Seed: 2"
    started = time.perf_counter()
    a1111_parameters(hostile)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("raw, text", [
    (b"UNICODE\x00" + "猫, Steps: 2".encode("utf-16-be"), "猫, Steps: 2"),
    (b"UNICODE\x00" + "\ufeffcat".encode("utf-16-le"), "cat"),
    (b"ASCII\x00\x00\x00cat", "cat"),
    (b"\x00" * 8 + b"cat", "cat"),
])
def test_exif_user_comment(raw, text):
    assert user_comment(raw) == text


def test_jpeg_infotext_comes_from_exif_and_items_leave_pillow_keys_out():
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + "a cat\nSteps: 2".encode("utf-16-be")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="JPEG", exif=exif, dpi=(72, 72))
    text, items = read_image_info(buffer.getvalue())
    assert text == "a cat\nSteps: 2" and items == {}


@pytest.mark.parametrize("raw, parsed", [
    ({"ss_output_name": "detail"}, {"ss_output_name": "detail"}),
    ({"ss_tag_frequency": '{"a": {"b": 1}}'}, {"ss_tag_frequency": {"a": {"b": 1}}}),
    ({"broken": "{not json"}, {"broken": "{not json"}),
    ({"list": "[1, 2]"}, {"list": "[1, 2]"}),  # A1111 parses objects only
])
def test_lora_metadata_values(raw, parsed):
    assert parse_metadata(raw) == parsed


@pytest.mark.parametrize("tensors, expected", [
    ({"emb_params": (2, 768)}, (768, 2)),
    ({"emb_params": (768,)}, (768, 1)),
    ({"string_to_param.*": (4, 768), "other": (1,)}, (768, 4)),
    ({"clip_g": (3, 1280), "clip_l": (3, 768)}, (2048, 3)),
    ({"a": (1, 2), "b": (1, 2)}, None),
    ({}, None),
])
def test_embedding_shape_and_vectors(tensors, expected):
    assert embedding_shape(tensors) == expected


def test_cuda_report_has_a1111s_fields():
    stats = {"allocated_bytes.all.current": 5, "allocated_bytes.all.peak": 9,
             "reserved_bytes.all.current": 20, "num_ooms": 1}
    report = cuda_report(free=70, total=100, stats=stats)
    assert list(report) == ["system", "active", "allocated", "reserved", "inactive", "events"]
    assert report["system"] == {"free": 70, "used": 30, "total": 100}
    assert report["allocated"] == {"current": 5, "peak": 9}
    assert report["reserved"] == {"current": 20, "peak": 0}
    assert report["events"] == {"retries": 0, "oom": 1}


def test_cmd_flags_hide_credentials():
    models = Path("home") / "models"
    engine = SimpleNamespace(
        paths=SimpleNamespace(checkpoints=models / "Stable-diffusion", vaes=models / "VAE",
                              loras=models / "Lora", embeddings=Path("home") / "embeddings"),
        options=SimpleNamespace(medvram=False, lowvram=True, allow_ckpt=False))
    flags = cmd_flags({"api_auth": "alice:s3cret", "port": 7860, "listen": True}, engine)
    assert flags["api_auth"] == "***" and "s3cret" not in str(flags)
    assert flags["gradio_auth"] is None and flags["lowvram"] is True and flags["listen"] is True
    assert flags["lora_dir"] == str(models / "Lora")


def test_a1111_pt_embedding_is_described_from_its_own_fields(tmp_path):
    import torch

    from webui.network_info import describe_embedding

    path = tmp_path / "style.pt"
    torch.save({"string_to_token": {"*": 265}, "string_to_param": {"*": torch.zeros(4, 768)},
                "name": "style", "step": 1200, "sd_checkpoint": "6ce0161689",
                "sd_checkpoint_name": "v1-5"}, path)
    assert describe_embedding(path) == {"step": 1200, "sd_checkpoint": "6ce0161689",
                                        "sd_checkpoint_name": "v1-5", "shape": 768, "vectors": 4}
    path.write_bytes(b"not a pickle")
    assert describe_embedding(path) is None  # changed file: read again, and refused


def test_listing_stamp_changes_with_the_files_only(tmp_path):
    import os

    from webui.catalog import CHECKPOINT_SUFFIXES, files_under, listing_stamp

    (tmp_path / "sub").mkdir()
    model = tmp_path / "sub" / "a.safetensors"
    model.write_bytes(b"1")
    (tmp_path / "notes.txt").write_text("x")
    first = listing_stamp(tmp_path, CHECKPOINT_SUFFIXES)
    assert [p for p, _, _ in first] == [str(p) for p in files_under(tmp_path, CHECKPOINT_SUFFIXES)]
    (tmp_path / "notes2.txt").write_text("y")
    assert listing_stamp(tmp_path, CHECKPOINT_SUFFIXES) == first
    model.write_bytes(b"12")  # still being copied in
    grown = listing_stamp(tmp_path, CHECKPOINT_SUFFIXES)
    assert grown != first
    os.utime(model, ns=(1, 1))
    assert listing_stamp(tmp_path, CHECKPOINT_SUFFIXES) != grown
    assert listing_stamp(tmp_path / "missing", CHECKPOINT_SUFFIXES) == ()
