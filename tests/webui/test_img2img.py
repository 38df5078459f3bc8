"""img2img, inpainting and outpainting: in-process on tiny checkpoints, and over HTTP with webuiapi."""

from __future__ import annotations

import base64
import io
import json

import httpx
import numpy as np
import pytest
import webuiapi
from PIL import Image

from test_engine import CPU, home_with, make_paths
from webui.engine import Engine, Options
from webui.img2img_params import parse_img2img
from webui.infotext import parse_infotext


def b64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def picture(width: int = 64, height: int = 64) -> Image.Image:
    rng = np.random.default_rng(7)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")


def square_mask(size=(64, 64), box=(16, 16, 48, 48)) -> Image.Image:
    mask = Image.new("L", size)
    mask.paste(255, box)
    return mask


def job(init=None, mask=None, **fields):
    body = {"init_images": [b64(init or picture())], "width": 64, "height": 64, "steps": 4,
            "seed": 3, "sampler_name": "Euler", "prompt": "a cat", **fields}
    if mask is not None:
        body["mask"] = b64(mask)
    return parse_img2img(body)


@pytest.fixture(scope="module")
def engine(tmp_path_factory, tiny_checkpoints):
    return Engine(home_with(tmp_path_factory.mktemp("img2img-home"), tiny_checkpoints["tiny"]), CPU, Options())


@pytest.mark.parametrize("full_res", [False, True])
def test_unmasked_pixels_come_back_exactly(engine, full_res):
    init = picture()
    result = engine.img2img(job(init, square_mask(), mask_blur=0, inpaint_full_res=full_res,
                                denoising_strength=1.0), save=False)
    out, before = np.asarray(result.images[0]), np.asarray(init)
    keep = np.asarray(square_mask()) == 0
    assert np.array_equal(out[keep], before[keep])
    assert not np.array_equal(out[~keep], before[~keep])


def test_mask_blur_feathers_only_the_seam(engine):
    init = picture()
    result = engine.img2img(job(init, square_mask(), mask_blur=2, inpaint_full_res=False), save=False)
    out, before = np.asarray(result.images[0]), np.asarray(init)
    far = np.ones((64, 64), bool)
    far[8:56, 8:56] = False  # beyond the blur's reach (2·int(2.5·2+.5)+1 = 11 taps)
    assert np.array_equal(out[far], before[far])
    assert "Mask blur: 2" in result.infotexts[0]


@pytest.mark.parametrize("size", [(96, 64), (64, 96)])
def test_outpainting_with_resize_and_fill_returns_the_requested_size(engine, size):
    result = engine.img2img(job(resize_mode=2, width=size[0], height=size[1]), save=False)
    assert result.images[0].size == size and f"Size: {size[0]}x{size[1]}" in result.infotexts[0]


@pytest.mark.parametrize("resize_mode", [0, 1, 3])
def test_other_resize_modes_return_the_requested_size(engine, resize_mode):
    result = engine.img2img(job(picture(48, 80), resize_mode=resize_mode, width=64, height=96), save=False)
    assert result.images[0].size == (64, 96)


def test_plain_img2img_runs_int_denoise_times_steps_and_writes_a1111_infotext(engine):
    result = engine.img2img(job(denoising_strength=0.5, steps=10), save=False)
    assert engine.state.sampling_step == engine.state.sampling_steps == 5
    text = result.infotexts[0]
    assert text.startswith("a cat\nSteps: 10, Sampler: Euler, Schedule type: Automatic, CFG scale: 7.0, "
                           "Seed: 3, Size: 64x64")
    assert "Denoising strength: 0.5, Version: sdsetup-" in text and "Mask" not in text
    assert result.info["denoising_strength"] == 0.5


@pytest.mark.parametrize("fill, content", [(0, "fill"), (1, None), (2, "latent noise"),
                                           (3, "latent nothing")])
def test_every_masked_content_runs_and_is_recorded(engine, fill, content):
    result = engine.img2img(job(mask=square_mask(), inpainting_fill=fill, inpaint_full_res=False,
                                inpainting_mask_invert=1, initial_noise_multiplier=0.9), save=False)
    fields = parse_infotext(result.infotexts[0])
    assert fields["Mask mode"] == "Inpaint not masked" and fields["Mask blur"] == "4"
    assert fields.get("Masked content") == content and fields["Noise multiplier"] == "0.9"
    assert list(fields).index("Masked content" if content else "Mask blur") < list(fields).index("Noise multiplier")


def test_only_masked_records_area_and_padding_and_keeps_the_original_size(engine):
    init = picture(128, 96)
    mask = square_mask((128, 96), (40, 30, 60, 50))
    result = engine.img2img(job(init, mask, inpaint_full_res_padding=12, mask_blur=0), save=False)
    assert result.images[0].size == (128, 96)
    assert "Inpaint area: Only masked, Masked area padding: 12, Masked content: fill" in result.infotexts[0]


@pytest.mark.parametrize("layout", [{"in_channels": 9}, {"sdxl": True}])
def test_inpainting_and_sdxl_checkpoints_inpaint_and_img2img(tmp_path, layout):
    import ldm

    paths = make_paths(tmp_path)
    ldm.write_checkpoint(paths.checkpoints / "model.safetensors", **layout)
    engine = Engine(paths, CPU, Options())
    init = picture()
    masked = engine.img2img(job(init, square_mask(), mask_blur=0, inpainting_fill=3), save=False)
    keep = np.asarray(square_mask()) == 0
    assert np.array_equal(np.asarray(masked.images[0])[keep], np.asarray(init)[keep])
    plain = engine.img2img(job(init, resize_mode=3, width=96), save=False)
    assert plain.images[0].size == (96, 64)
    nine = layout.get("in_channels") == 9
    assert ("Conditional mask weight: 1.0" in masked.infotexts[0]) is nine
    assert masked.info["is_using_inpainting_conditioning"] is nine


# --- over HTTP ------------------------------------------------------------------------------------
def test_webuiapi_img2img_plain_and_with_mask_unchanged(server):
    port = int(server.url.rstrip("/").rsplit(":", 1)[1])
    api = webuiapi.WebUIApi(host="127.0.0.1", port=port, sampler="Euler a", steps=4)
    init = picture()
    plain = api.img2img(images=[init], prompt="a cat", width=64, height=64, seed=5,
                        denoising_strength=0.5)
    assert plain.image.size == (64, 64) and plain.info["all_seeds"] == [5]
    assert "Denoising strength: 0.5" in plain.info["infotexts"][0]
    assert plain.parameters["init_images"] is None  # A1111 echoes no images by default
    masked = api.img2img(images=[init], mask_image=square_mask(), inpainting_fill=1, mask_blur=0,
                         inpaint_full_res=False, prompt="a dog", width=64, height=64, seed=5)
    keep = np.asarray(square_mask()) == 0
    assert np.array_equal(np.asarray(masked.image)[keep], np.asarray(init)[keep])
    assert masked.image.info["parameters"] == masked.info["infotexts"][0]


@pytest.mark.parametrize("body, field", [
    ({"init_images": ["not*base64"]}, "init_images[0]"),
    ({"init_images": [None, "x"], "batch_size": 2}, "init_images[0]"),
    ({"init_images": "PNG", "mask": "data:image/png;base64,@@"}, "mask"),
    ({"init_images": []}, "init_images"),
])
def test_bad_images_get_422_naming_the_field(server, body, field):
    if body["init_images"] == "PNG":
        body["init_images"] = [b64(picture(8, 8))]
    reply = httpx.post(server.api("img2img"), json=body, timeout=60)
    assert reply.status_code == 422 and reply.json()["errors"] == field


def test_img2img_saves_to_its_own_folder(server):
    reply = httpx.post(server.api("img2img"), json={
        "init_images": [b64(picture())], "width": 64, "height": 64, "steps": 2, "seed": 9,
        "save_images": True}, timeout=60)
    assert reply.status_code == 200
    info = json.loads(reply.json()["info"])
    assert list((server.home / "outputs" / "img2img-images").glob("*/*-9.png")), info


def test_page_img2img_follows_the_options_as_txt2img_does(server, tmp_path):
    """The page's img2img reads the /options a client set (here clip skip), not A1111's defaults."""
    from gradio_client import Client, handle_file

    source = tmp_path / "source.png"
    picture().save(source)
    assert httpx.post(server.api("options"), json={"CLIP_stop_at_last_layers": 2}, timeout=60).status_code == 200
    try:
        client = Client(server.url, verbose=False)
        # The event's inputs in order (the sub-tab is page state): checkpoint (None: the loaded
        # one), VAE, prompts, the three image inputs,
        # resize mode, mask blur/mode/fill/area/padding, sampler, schedule, steps, size, CFG,
        # denoising, seed, batch size.
        _, infotext, _ = client.predict(
            None, "Automatic", "a cat", "", handle_file(str(source)), None, None, None,
            "Just resize", 4, "Inpaint masked", "original", "Whole picture", 32, "Euler", "Automatic",
            2, 64, 64, 7, 0.5, 5, 1, api_name="/img2img")
    finally:
        httpx.post(server.api("options"), json={"CLIP_stop_at_last_layers": 1}, timeout=60)
    assert "Clip skip: 2" in infotext, infotext
