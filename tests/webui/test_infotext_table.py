"""Our infotext against A1111 1.10's, byte for byte, for requests as clients send them.

Each row is an A1111 txt2img request (what it names and what ran); the expected string is what
A1111 1.10's ``create_infotext`` writes for it (key order, ``Schedule type`` always written —
``fix_p_invalid_sampler_and_scheduler`` makes it a label and ``get_sigmas`` puts the sampler's
default schedule in when Automatic — ENSD only for samplers that use it, ``Eta`` only when not 1).
Every text is then read back with a port of ``parse_generation_parameters``'s rules.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import a1111_parse
from webui import hires, recording
from webui.infotext import format_infotext, generation_settings
from webui.params import parse_txt2img
from webui.samplers import resolve

MODEL = ("6ce0161689", "v1-5-pruned-emaonly")
HEAD = "Steps: 20, Sampler: {s}, Schedule type: {t}, CFG scale: 7.0, Seed: 1234, Size: 512x512, " \
       "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly"
END = "Version: v1.10.1"


def line(sampler: str, schedule: str, *middle: str) -> str:
    return ", ".join([HEAD.format(s=sampler, t=schedule), *middle, END])


# (request fields, extras: lora/ti hashes, vae, Generation overrides), expected last line
CASES = [
    ({"sampler_name": "DPM++ 2M"}, {}, line("DPM++ 2M", "Karras")),
    ({"sampler_name": "Euler a"}, {}, line("Euler a", "Automatic")),
    ({"sampler_name": "Euler", "scheduler": "uniform"}, {}, line("Euler", "Uniform")),
    ({"sampler_name": "DPM++ 2M SDE"}, {}, line("DPM++ 2M SDE", "Exponential")),
    ({"sampler_name": "DPM++ 3M SDE", "scheduler": "Karras"}, {}, line("DPM++ 3M SDE", "Karras")),
    ({"sampler_name": "Euler a Karras"}, {}, line("Euler a", "Karras")),
    ({"sampler_name": "Restart"}, {}, line("Restart", "Karras")),
    ({"sampler_name": "DPM fast", "scheduler": "KL Optimal"}, {}, line("DPM fast", "KL Optimal")),
    ({"sampler_name": "Heun", "scheduler": "align_your_steps"}, {}, line("Heun", "Align Your Steps")),
    ({"sampler_name": "LMS", "scheduler": "Polyexponential"}, {}, line("LMS", "Polyexponential")),
    ({"sampler_name": "DPM2 a", "scheduler": "sgm_uniform"}, {}, line("DPM2 a", "SGM Uniform")),
    ({"sampler_name": "DDIM", "eta": 0.5}, {}, line("DDIM", "Automatic", "Eta DDIM: 0.5")),
    ({"sampler_name": "UniPC", "scheduler": "Karras"}, {}, line("UniPC", "Karras")),
    ({"sampler_name": "Euler a", "eta": 0.7, "override_settings": {"eta_noise_seed_delta": 31337}}, {},
     line("Euler a", "Automatic", "ENSD: 31337", "Eta: 0.7")),
    ({"sampler_name": "Euler a", "eta": 0, "override_settings": {"eta_noise_seed_delta": 31337}}, {},
     line("Euler a", "Automatic", "Eta: 0.0")),
    ({"sampler_name": "DPM++ 2M", "override_settings": {"eta_noise_seed_delta": 31337}}, {},
     line("DPM++ 2M", "Karras")),
    ({"sampler_name": "Euler", "scheduler": "beta"}, {},
     line("Euler", "Beta", "Beta schedule alpha: 0.6", "Beta schedule beta: 0.6")),
    ({"sampler_name": "DPM++ 2M", "enable_hr": True, "hr_scale": 2, "hr_upscaler": "Latent",
      "hr_second_pass_steps": 10, "denoising_strength": 0.45}, {},
     line("DPM++ 2M", "Karras", "Denoising strength: 0.45", "Hires upscale: 2.0", "Hires steps: 10",
          "Hires upscaler: Latent")),
    ({"sampler_name": "Euler", "enable_hr": True, "hr_resize_x": 1024, "hr_upscaler": "Latent (nearest)",
      "denoising_strength": 0.6}, {},
     line("Euler", "Automatic", "Denoising strength: 0.6", "Hires resize: 1024x0",
          "Hires upscaler: Latent (nearest)")),
    ({"sampler_name": "DPM++ 2M", "prompt": "a cat <lora:add_detail:0.8>"},
     {"lora": {"add_detail": "7c6bad76eb54"}},
     line("DPM++ 2M", "Karras", 'Lora hashes: "add_detail: 7c6bad76eb54"')),
    ({"sampler_name": "DPM++ 2M", "negative_prompt": "easynegative, lowres"},
     {"ti": {"easynegative": "c74b4e810b03"}},
     line("DPM++ 2M", "Karras", 'TI hashes: "easynegative: c74b4e810b03"')),
    ({"sampler_name": "Euler a", "override_settings": {"CLIP_stop_at_last_layers": 2}}, {},
     line("Euler a", "Automatic", "Clip skip: 2")),
    ({"sampler_name": "Euler a", "subseed": 99, "subseed_strength": 0.3}, {},
     line("Euler a", "Automatic", "Variation seed: 99", "Variation seed strength: 0.3")),
    ({"sampler_name": "Euler a", "seed_resize_from_w": 768, "seed_resize_from_h": 512}, {},
     line("Euler a", "Automatic", "Seed resize from: 768x512")),
    ({"sampler_name": "Euler a", "seed_resize_from_w": 768, "seed_resize_from_h": -1}, {},
     line("Euler a", "Automatic")),
    ({"sampler_name": "Euler a", "tiling": True}, {}, line("Euler a", "Automatic", "Tiling: True")),
    ({"sampler_name": "Euler a"}, {"vae": ("c6a580b13a", "vae-ft-mse-840000-ema-pruned")},
     line("Euler a", "Automatic", "VAE hash: c6a580b13a", "VAE: vae-ft-mse-840000-ema-pruned")),
    ({"sampler_name": "Euler a", "prompt": "portrait, 1girl\nstudio light: soft",
      "negative_prompt": "bad hands\nlowres"}, {}, line("Euler a", "Automatic")),
    ({"sampler_name": "Euler a", "prompt": "一只猫，坐在窗边", "negative_prompt": "模糊"}, {},
     line("Euler a", "Automatic")),
    # restore_faces: /options face_restoration_model, between Seed and Size
    ({"sampler_name": "Euler a", "restore_faces": True}, {},
     line("Euler a", "Automatic").replace("Seed: 1234, ", "Seed: 1234, Face restoration: CodeFormer, ")),
    ({"sampler_name": "DPM++ 2M", "override_settings": {"face_restoration": True,
                                                       "face_restoration_model": "GFPGAN"}}, {},
     line("DPM++ 2M", "Karras").replace("Seed: 1234, ", "Seed: 1234, Face restoration: GFPGAN, ")),
    # img2img: the same writer with the pass's denoising strength and its own extra fields
    ({"sampler_name": "DPM++ 2M"}, {"overrides": {"denoising_strength": 0.75, "extra": {"Mask blur": 4}}},
     line("DPM++ 2M", "Karras", "Denoising strength: 0.75", "Mask blur: 4")),
    ({"sampler_name": "DPM++ 2M SDE Karras", "enable_hr": True, "hr_scale": 1.5, "denoising_strength": 0.5,
      "prompt": "a cat <lora:add_detail:1>", "negative_prompt": "easynegative",
      "subseed": 7, "subseed_strength": 0.05,
      "override_settings": {"CLIP_stop_at_last_layers": 2, "eta_noise_seed_delta": 31337}},
     {"lora": {"add_detail": "7c6bad76eb54"}, "ti": {"easynegative": "c74b4e810b03"},
      "vae": ("c6a580b13a", "vae-ft-mse-840000-ema-pruned")},
     ", ".join([HEAD.format(s="DPM++ 2M SDE", t="Karras"), "VAE hash: c6a580b13a",
                "VAE: vae-ft-mse-840000-ema-pruned", "Variation seed: 7", "Variation seed strength: 0.05",
                "Denoising strength: 0.5", "Clip skip: 2", "Hires upscale: 1.5", "Hires upscaler: Latent",
                'Lora hashes: "add_detail: 7c6bad76eb54"', 'TI hashes: "easynegative: c74b4e810b03"', END])),
]


def _ours(body: dict, extras: dict) -> tuple[dict, str]:
    body = {"prompt": "a cat", "seed": 1234, "steps": 20, "cfg_scale": 7, "width": 512, "height": 512, **body}
    request = parse_txt2img(body)
    choice = resolve(request.sampler_name, request.scheduler)
    upscale = hires.plan(request.width, request.height, request.steps, request.hires) if request.hires else None
    extra = recording.extra_params(request, choice, upscale, extras.get("lora", {}), extras.get("ti", {}))
    generation = recording.describe(request, choice, request.seed, request.subseed, extra, MODEL,
                                    extras.get("vae", (None, None)), "v1.10.1")
    generation = replace(generation, **extras.get("overrides", {}))
    return body, format_infotext(request.prompt, request.negative_prompt, generation_settings(generation))


@pytest.mark.parametrize("body, extras, expected", CASES)
def test_infotext_equals_a1111_byte_for_byte(body, extras, expected):
    full, text = _ours(body, extras)
    negative = f"\nNegative prompt: {full['negative_prompt']}" if full.get("negative_prompt") else ""
    assert text == f"{full['prompt']}{negative}\n{expected}"


@pytest.mark.parametrize("body, extras, expected", CASES)
def test_infotext_round_trips_through_a1111_parser(body, extras, expected):
    full, text = _ours(body, extras)
    fields = a1111_parse.parse(text)
    assert fields["Prompt"] == full["prompt"] and fields["Negative prompt"] == full.get("negative_prompt", "")
    assert (fields["Steps"], fields["Seed"], fields["Size-1"], fields["Size-2"]) == ("20", "1234", "512", "512")
    for key, value in a1111_parse.PARAM.findall(expected):
        size = a1111_parse.IMAGE_SIZE.match(value)
        if size:
            assert (fields[f"{key}-1"], fields[f"{key}-2"]) == size.groups(), key
        else:
            assert fields[key] == a1111_parse._unquote(value.strip()), key


def test_table_is_large_enough():
    assert len(CASES) >= 20
