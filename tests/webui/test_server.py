"""The real server driven over HTTP as A1111 clients drive it."""

from __future__ import annotations

import base64
import io
import json
import threading
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from webui.infotext import parse_infotext

SMALL = {"width": 64, "height": 64, "steps": 2}


def txt2img(server, **body) -> dict:
    reply = httpx.post(server.api("txt2img"), json={**SMALL, **body}, timeout=120)
    assert reply.status_code == 200, reply.text
    return reply.json()


def decode(b64: str) -> Image.Image:
    assert not b64.startswith("data:")
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def test_txt2img_returns_png_with_a1111_infotext(server):
    body = txt2img(server, prompt="a (cat:1.2) <lora:missing:0.5>", negative_prompt="blurry",
                   seed=1234, sampler_name="DPM++ 2M SDE", scheduler="karras", cfg_scale=6,
                   someone_elses_key={"x": 1})
    image = decode(body["images"][0])
    assert image.format == "PNG" and image.size == (64, 64)
    text = image.info["parameters"]
    lines = text.split("\n")
    assert lines[0] == "a (cat:1.2) <lora:missing:0.5>"
    assert lines[1] == "Negative prompt: blurry"
    assert lines[2].startswith("Steps: 2, Sampler: DPM++ 2M SDE, Schedule type: Karras, CFG scale: 6")
    fields = parse_infotext(text)
    assert fields["Seed"] == "1234" and fields["Size"] == "64x64"
    assert fields["Model"] in ("tiny", "other") and len(fields["Model hash"]) == 10
    assert fields["Version"].startswith("sdsetup-")
    info = json.loads(body["info"])
    assert info["all_seeds"] == [1234] and info["infotexts"] == [text]
    assert body["parameters"]["someone_elses_key"] == {"x": 1}


def test_same_seed_same_image_and_batch_seeds_count_up(server):
    first = txt2img(server, prompt="a dog", seed=77, batch_size=2)
    again = txt2img(server, prompt="a dog", seed=78)
    pixels = [np.asarray(decode(b)) for b in first["images"]]
    assert len(pixels) == 2 and not np.array_equal(pixels[0], pixels[1])
    alone = np.asarray(decode(again["images"][0])).astype(int)
    # Batched maths differs from single-image maths in the last bits only.
    assert np.abs(pixels[1].astype(int) - alone).max() <= 3
    repeat = np.asarray(decode(txt2img(server, prompt="a dog", seed=78)["images"][0])).astype(int)
    assert np.array_equal(alone, repeat)
    assert json.loads(first["info"])["all_seeds"] == [77, 78]


@pytest.mark.parametrize("body, field", [
    ({"steps": "many"}, "steps"), ({"steps": 0}, "steps"), ({"width": 32}, "width"),
    ({"cfg_scale": "high"}, "cfg_scale"), ({"seed": 2 ** 40}, "seed"),
    ({"prompt": ["a", "b"]}, "prompt"), ({"override_settings": "x"}, "override_settings"),
])
def test_bad_bodies_get_422_naming_the_field(server, body, field):
    reply = httpx.post(server.api("txt2img"), json=body, timeout=30)
    assert reply.status_code == 422
    assert reply.json()["errors"] == field or field in reply.text


def test_progress_and_interrupt_answer_during_a_long_run(server):
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(
        txt2img(server, prompt="long", steps=150, width=128, height=128, seed=3)))
    worker.start()
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        progress = httpx.get(server.api("progress"), timeout=5).json()
        seen.append(progress)
        if progress["state"]["sampling_step"] >= 3:
            break
        time.sleep(0.05)
    assert 0 < seen[-1]["progress"] < 1 and seen[-1]["state"]["job_count"] == 1
    assert decode(seen[-1]["current_image"]).size == (64, 64)  # latent size: the tiny VAE scales by 2
    assert httpx.get(server.api("progress?skip_current_image=true"), timeout=5).json()["current_image"] is None
    started = time.monotonic()
    assert httpx.post(server.api("interrupt"), timeout=5).json() == {}
    worker.join(60)
    assert time.monotonic() - started < 30
    assert len(result["images"]) == 1  # the partial image is still decoded and returned
    idle = httpx.get(server.api("progress"), timeout=5).json()
    assert idle["progress"] == 0 and idle["state"]["job_count"] == 0


def test_models_listed_and_switched_through_options(server):
    models = httpx.get(server.api("sd-models"), timeout=10).json()
    titles = sorted(m["title"] for m in models)
    assert [t.split(" [")[0] for t in titles] == ["other.safetensors", "tiny.safetensors"]
    assert all(m["hash"] == m["sha256"][:10] and m["title"].endswith(f"[{m['hash']}]") for m in models)
    for title in titles:
        assert httpx.post(server.api("options"), json={"sd_model_checkpoint": title,
                                                       "unknown_key": 1}, timeout=60).json() is None
        assert httpx.get(server.api("options"), timeout=10).json()["sd_model_checkpoint"] == title
        made = decode(txt2img(server, prompt="x", seed=1)["images"][0])
        assert parse_infotext(made.info["parameters"])["Model"] == title.split(".")[0]
    reply = httpx.post(server.api("options"), json={"sd_model_checkpoint": "nope"}, timeout=10)
    assert reply.status_code == 422 and "nope" in reply.json()["detail"]


def test_png_info_reads_back_infotext(server):
    image = txt2img(server, prompt="read me", seed=9)["images"][0]
    reply = httpx.post(server.api("png-info"), json={"image": "data:image/png;base64," + image},
                       timeout=10).json()
    assert reply["info"].startswith("read me\nSteps: 2")
    assert reply["parameters"]["Seed"] == "9" and reply["parameters"]["Size-1"] == "64"
    bad = httpx.post(server.api("png-info"), json={"image": "not base64!"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["errors"] == "image"


def test_lists_and_saved_outputs(server):
    samplers = httpx.get(server.api("samplers"), timeout=10).json()
    assert samplers[0]["name"] == "DPM++ 2M" and "Euler a" in [s["name"] for s in samplers]
    schedulers = httpx.get(server.api("schedulers"), timeout=10).json()
    assert {"automatic", "karras"} <= {s["name"] for s in schedulers}
    assert httpx.get(server.api("scripts"), timeout=10).json() == {"txt2img": [], "img2img": []}
    assert "ram" in httpx.get(server.api("memory"), timeout=10).json()
    assert httpx.post(server.api("refresh-checkpoints"), timeout=10).json() is None
    assert httpx.get(server.api("loras"), timeout=10).json() == []
    assert httpx.get(server.api("sd-vae"), timeout=10).json() == []
    txt2img(server, prompt="keep", seed=4242, save_images=True)
    saved = list((server.home / "outputs" / "txt2img-images").rglob("*-4242.png"))
    assert len(saved) == 1 and Image.open(saved[0]).info["parameters"].startswith("keep\n")
    assert "X-Process-Time" in httpx.get(server.api("options"), timeout=10).headers


@pytest.mark.parametrize("route", ["server-kill", "server-restart", "server-stop"])
def test_server_routes_exist_only_with_the_flag(server, route):
    assert httpx.post(server.api(route), timeout=10).status_code == 404
    assert server.process.poll() is None


def test_options_are_a1111s_full_set_and_keep_what_clients_post(server):
    options = httpx.get(server.api("options"), timeout=10).json()
    for key, default in (("samples_format", "png"), ("eta_noise_seed_delta", 0), ("jpeg_quality", 80),
                         ("eta_ancestral", 1.0), ("sd_vae", "Automatic"), ("CLIP_stop_at_last_layers", 1)):
        assert options[key] == default, key
    posted = {**options, "some_extension_option": [1, "two"], "show_progress_every_n_steps": 5}
    assert httpx.post(server.api("options"), json=posted, timeout=60).json() is None
    again = httpx.get(server.api("options"), timeout=10).json()
    assert again["some_extension_option"] == [1, "two"] and again["show_progress_every_n_steps"] == 5
    reply = httpx.post(server.api("options"), json={"samples_format": "gif"}, timeout=10)
    assert reply.status_code == 422 and reply.json()["errors"] == "samples_format"


def test_jpg_samples_carry_the_infotext_in_exif_user_comment(server):
    body = txt2img(server, prompt="a cat, 一只猫", seed=5, override_settings={"samples_format": "jpg"})
    image = decode(body["images"][0])
    assert image.format == "JPEG"
    comment = image.getexif().get_ifd(0x8769)[0x9286]
    assert comment[:8] == b"UNICODE\0"  # as piexif's UserComment.dump(..., encoding="unicode")
    assert comment[8:].decode("utf-16-be") == json.loads(body["info"])["infotexts"][0]


@pytest.mark.parametrize("body, field", [
    ({"alwayson_scripts": {"ControlNet": {"args": []}}}, "alwayson_scripts"),
    ({"script_name": "x/y/z plot"}, "script_name"),
    ({"restore_faces": True}, "restore_faces"),
    ({"batch_size": 100000, "width": 1024, "height": 1024}, "batch_size"),
])
def test_what_would_be_silently_skipped_is_a_422_naming_the_field(server, body, field):
    reply = httpx.post(server.api("txt2img"), json={**SMALL, **body}, timeout=60)
    assert reply.status_code == 422 and reply.json()["errors"] == field
    assert "GiB" in reply.json()["detail"] or field != "batch_size"


def test_skip_answers_null(server):
    assert httpx.post(server.api("skip"), timeout=10).json() is None
