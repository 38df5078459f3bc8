"""Infotext writer and reader against known A1111 strings (a1111-compat.md §8)."""

from __future__ import annotations

import pytest
from PIL import Image

from webui.infotext import format_infotext, parse_infotext
from webui.outputs import png_bytes, read_parameters, save_image

A1111 = ('masterpiece, 1girl, <lora:add_detail:0.8>\n'
         'Negative prompt: easynegative, lowres\n'
         'Steps: 25, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234567890, '
         'Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Denoising strength: 0.45, '
         'Clip skip: 2, Hires upscale: 2, Hires steps: 15, Hires upscaler: Latent, '
         'Lora hashes: "add_detail: 7c6bad76eb54", TI hashes: "easynegative: c74b4e810b03", '
         'Version: v1.10.1')


def test_writer_reproduces_a1111_exactly():
    settings = {"Steps": 25, "Sampler": "DPM++ 2M", "Schedule type": "Karras", "CFG scale": 7,
                "Seed": 1234567890, "Size": "512x768", "Model hash": "6ce0161689",
                "Model": "v1-5-pruned-emaonly", "Denoising strength": 0.45, "Clip skip": 2,
                "Hires upscale": 2, "Hires steps": 15, "Hires upscaler": "Latent",
                "Lora hashes": "add_detail: 7c6bad76eb54", "TI hashes": "easynegative: c74b4e810b03",
                "Version": "v1.10.1"}
    assert format_infotext("masterpiece, 1girl, <lora:add_detail:0.8>", "easynegative, lowres",
                           settings) == A1111


def test_reader_parses_a1111():
    fields = parse_infotext(A1111)
    assert fields["Prompt"] == "masterpiece, 1girl, <lora:add_detail:0.8>"
    assert fields["Negative prompt"] == "easynegative, lowres"
    assert fields["Steps"] == "25" and fields["Schedule type"] == "Karras"
    assert (fields["Size-1"], fields["Size-2"]) == ("512", "768")
    assert fields["Lora hashes"] == "add_detail: 7c6bad76eb54"
    assert fields["RNG"] == "GPU"  # default filled in as A1111 does


@pytest.mark.parametrize("settings, line", [
    ({"Steps": 20, "Sampler": "Euler a", "Schedule type": None, "CFG scale": 7.0}, "Steps: 20, Sampler: Euler a, CFG scale: 7.0"),
    ({"Steps": 1, "Seed": 5, "Note": "a, b"}, 'Steps: 1, Seed: 5, Note: "a, b"'),
    ({"Steps": 1, "Seed": 5, "Tiling": "Tiling"}, "Steps: 1, Seed: 5, Tiling"),
    ({"Steps": 1, "Seed": 5, "X": "time 12:30"}, 'Steps: 1, Seed: 5, X: "time 12:30"'),
])
def test_settings_line_rules(settings, line):
    assert format_infotext("p", "", settings) == f"p\n{line}"


def test_multiline_prompt_and_negative_round_trip():
    text = format_infotext("line one\nline two", "bad\nworse",
                           {"Steps": 4, "Sampler": "Euler", "CFG scale": 7, "Seed": 1, "Version": "sdsetup-0.1.0"})
    fields = parse_infotext(text)
    assert fields["Prompt"] == "line one\nline two" and fields["Negative prompt"] == "bad\nworse"
    assert text.split("\n")[-1].startswith("Steps: ")  # Civitai's reader needs this
    assert fields["Version"] == "sdsetup-0.1.0"


def test_version_never_parses_as_an_old_a1111_release():
    from packaging.version import InvalidVersion, Version

    from webui.engine import VERSION

    with pytest.raises(InvalidVersion):
        Version(VERSION)


def test_text_without_settings_is_all_prompt():
    assert parse_infotext("just a prompt")["Prompt"] == "just a prompt"


def test_png_carries_parameters_latin1_and_cjk(tmp_path):
    image = Image.new("RGB", (8, 8))
    for text in ("a cat\nSteps: 1, Seed: 2, Size: 8x8", "一只猫\nSteps: 1, Seed: 2, Size: 8x8"):
        assert read_parameters(png_bytes(image, text)) == text
    from datetime import datetime

    when = datetime(2026, 1, 2, 3, 4, 5)
    first = save_image(image, "x\nSteps: 1, Seed: 7, Size: 8x8", tmp_path, 7, when)
    second = save_image(image, "x\nSteps: 1, Seed: 8, Size: 8x8", tmp_path, 8, when)
    assert first.relative_to(tmp_path).as_posix() == "txt2img-images/2026-01-02/00000-7.png"
    assert second.name == "00001-8.png"
