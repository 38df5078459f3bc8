"""Pure img2img geometry: resize modes, crop regions, mask feathering, fill and the overlay."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from webui.errors import RequestError
from webui.img2img_params import MAX_PIXELS, decode_image, parse_img2img
from webui.masking import (MaskSettings, apply_overlay, binary_mask, blur, crop_region,
                           expand_crop_region, fill, gaussian_kernel, prepare)
from webui.resize import resize_image, scaled_size


def gradient(width: int, height: int) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :, None].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None, None].repeat(width, 1)
    return Image.fromarray(np.concatenate([x, y, 255 - x], axis=2), "RGB")


def b64(image: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize("mode, source, target, scaled", [
    (0, (100, 50), (64, 64), (64, 64)),
    (1, (100, 50), (64, 64), (128, 64)),    # crop: cover, the wide source overflows sideways
    (1, (50, 100), (64, 64), (64, 128)),
    (2, (100, 50), (64, 64), (64, 32)),     # fill: fit inside, bands above and below
    (2, (50, 100), (64, 64), (32, 64)),
    (2, (64, 64), (128, 64), (64, 64)),     # outpainting a square to a wide canvas
    (3, (64, 64), (128, 64), (64, 64)),     # a mask under mode 3 is resized as "fill"
    (1, (64, 64), (128, 128), (128, 128)),
])
def test_scaled_size(mode, source, target, scaled):
    assert scaled_size(mode, source, target) == scaled


@pytest.mark.parametrize("mode", [0, 1, 2, 3])
@pytest.mark.parametrize("target", [(64, 64), (96, 48), (40, 80)])
def test_every_mode_returns_the_requested_size(mode, target):
    assert resize_image(mode, gradient(50, 70), *target).size == target


def test_fill_stretches_the_edge_rows_into_the_bands():
    wide = Image.new("RGB", (64, 32), (10, 20, 30))
    wide.paste((200, 0, 0), (0, 0, 64, 4))      # top rows red
    wide.paste((0, 0, 200), (0, 28, 64, 32))    # bottom rows blue
    out = np.asarray(resize_image(2, wide, 64, 64)).astype(int)
    assert abs(out[:16] - (200, 0, 0)).max() < 40 and abs(out[48:] - (0, 0, 200)).max() < 40
    assert (out[20:44, 5] == (10, 20, 30)).all()


def test_crop_and_resize_centres_and_cuts():
    left_red = Image.new("RGB", (128, 64), (0, 0, 255))
    left_red.paste((255, 0, 0), (0, 0, 32, 64))  # the left quarter is cut off
    out = np.asarray(resize_image(1, left_red, 64, 64))
    assert (out[:, 2:-2] == (0, 0, 255)).all()


@pytest.mark.parametrize("box, padding, expected", [
    ((10, 10, 20, 20), 0, (10, 10, 20, 20)),
    ((10, 10, 20, 20), 4, (6, 6, 24, 24)),
    ((0, 0, 5, 5), 8, (0, 0, 13, 13)),
    ((60, 50, 64, 64), 32, (28, 18, 64, 64)),
    (None, 8, None),
])
def test_crop_region(box, padding, expected):
    mask = Image.new("L", (64, 64))
    if box:
        mask.paste(255, box)
    assert crop_region(mask, padding) == expected


@pytest.mark.parametrize("box, size, image, expected", [
    ((10, 10, 20, 20), (64, 64), (64, 64), (10, 10, 20, 20)),      # already square
    ((10, 10, 30, 20), (64, 64), (64, 64), (10, 5, 30, 25)),       # too wide: grow the height
    ((10, 10, 20, 30), (64, 64), (64, 64), (5, 10, 25, 30)),       # too tall: grow the width
    ((0, 50, 40, 64), (64, 64), (64, 64), (0, 24, 40, 64)),        # pushed back inside the image
    ((10, 10, 20, 20), (128, 64), (64, 64), (5, 10, 25, 20)),      # 2:1 processing size
])
def test_expand_crop_region(box, size, image, expected):
    assert expand_crop_region(box, *size, *image) == expected


def test_gaussian_kernel_matches_opencv_size_and_sums_to_one():
    kernel = gaussian_kernel(4)
    assert len(kernel) == 2 * int(2.5 * 4 + 0.5) + 1 == 21
    assert kernel.sum() == pytest.approx(1.0) and kernel.argmax() == 10


def test_blur_feathers_only_near_the_edge_and_zero_blurs_nothing():
    mask = Image.new("L", (64, 64))
    mask.paste(255, (24, 24, 40, 40))
    assert np.array_equal(np.asarray(blur(mask, 0, 0)), np.asarray(mask))
    soft = np.asarray(blur(mask, 2, 2))
    assert soft[32, 32] == 255 and soft[0, 0] == 0 and 0 < soft[32, 23] < 255


def test_binary_mask_reads_a_brush_layer_by_its_alpha():
    layer = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    layer.paste((255, 255, 255, 200), (0, 0, 4, 8))
    layer.paste((255, 255, 255, 100), (4, 0, 6, 8))
    values = np.asarray(binary_mask(layer))
    assert (values[:, :4] == 255).all() and (values[:, 4:] == 0).all()
    assert binary_mask(Image.new("RGB", (4, 4), (255, 255, 255))).mode == "L"


def test_fill_replaces_only_the_masked_pixels_with_nearby_colours():
    image = Image.new("RGB", (32, 32), (0, 200, 0))
    image.paste((255, 0, 255), (8, 8, 24, 24))
    mask = Image.new("L", (32, 32))
    mask.paste(255, (8, 8, 24, 24))
    out = np.asarray(fill(image, mask)).astype(int)
    assert abs(out[16, 16] - (0, 200, 0)).max() < 40   # the magenta hole now looks green


def _square_mask(size=(64, 64), box=(16, 16, 48, 48)):
    mask = Image.new("L", size)
    mask.paste(255, box)
    return mask


def test_prepare_whole_picture_keeps_unmasked_pixels_exactly():
    init = gradient(64, 64)
    ready = prepare(init, _square_mask(), 64, 64, 0, MaskSettings(blur_x=0, blur_y=0, full_res=False))
    painted = Image.new("RGB", (64, 64), (255, 0, 0))
    out = np.asarray(apply_overlay(painted, ready.overlay, ready.paste_to))
    keep = np.asarray(_square_mask()) == 0
    assert np.array_equal(out[keep], np.asarray(init)[keep])
    assert (out[~keep] == (255, 0, 0)).all()
    assert ready.infotext == {"Masked content": "fill"}


def test_prepare_only_masked_crops_and_pastes_back_at_full_size():
    init = gradient(128, 128)
    mask = _square_mask((128, 128), (40, 40, 56, 72))
    ready = prepare(init, mask, 64, 64, 0, MaskSettings(blur_x=0, blur_y=0, padding=8, fill=1))
    assert ready.paste_to == (24, 32, 48, 48) and ready.image.size == (64, 64)
    assert ready.infotext == {"Inpaint area": "Only masked", "Masked area padding": 8}
    out = apply_overlay(Image.new("RGB", (64, 64), (0, 0, 0)), ready.overlay, ready.paste_to)
    assert out.size == (128, 128)
    keep = np.asarray(mask) == 0
    assert np.array_equal(np.asarray(out)[keep], np.asarray(init)[keep])


def test_prepare_with_blank_mask_and_only_masked_falls_back_to_img2img():
    ready = prepare(gradient(64, 64), Image.new("L", (64, 64)), 64, 64, 0, MaskSettings())
    assert ready.mask is None and ready.overlay is None


def test_prepare_infotext_fields_in_a1111_order():
    ready = prepare(gradient(64, 64), _square_mask(), 64, 64, 0,
                    MaskSettings(blur_x=4, blur_y=4, invert=True, fill=2, full_res=False))
    assert list(ready.infotext.items()) == [("Mask mode", "Inpaint not masked"), ("Mask blur", 4),
                                            ("Masked content", "latent noise")]


def test_decode_image_accepts_plain_and_data_uri_and_names_bad_fields():
    image = gradient(8, 8)
    assert decode_image("x", b64(image)).size == (8, 8)
    assert decode_image("x", "data:image/jpeg;base64," + b64(image, "JPEG")).size == (8, 8)
    for bad, key in (("not base64!!", "run.bad_base64"), (base64.b64encode(b"text").decode(), "run.bad_image"),
                     (5, "run.bad_image")):
        with pytest.raises(RequestError) as err:
            decode_image("init_images[0]", bad)
        assert err.value.field == "init_images[0]" and err.value.key == key


def test_decode_image_refuses_a_decompression_bomb_before_decoding():
    side = int(MAX_PIXELS ** 0.5) + 64
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG")   # a few KB that would be 17+ MP
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(RequestError) as err:
        decode_image("mask", base64.b64encode(buffer.getvalue()).decode())
    assert err.value.field == "mask" and err.value.key == "run.image_too_large"


@pytest.mark.parametrize("body, field", [
    ({}, "init_images"),
    ({"init_images": "abc"}, "init_images"),
    ({"init_images": ["@@@"]}, "init_images[0]"),
    ({"init_images": [None]}, "init_images[0]"),
    ({"init_images": ["IMG"], "mask": "%%%"}, "mask"),
    ({"init_images": ["IMG"], "resize_mode": 4}, "resize_mode"),
    ({"init_images": ["IMG"], "inpainting_fill": 7}, "inpainting_fill"),
    ({"init_images": ["IMG"], "denoising_strength": 1.5}, "denoising_strength"),
    ({"init_images": ["IMG"], "mask_blur": "x"}, "mask_blur"),
    ({"init_images": ["IMG", "IMG"], "batch_size": 1}, "init_images"),
])
def test_parse_img2img_names_the_bad_field(body, field):
    image = b64(gradient(8, 8))
    body = {k: ([image if x == "IMG" else x for x in v] if isinstance(v, list) else v)
            for k, v in body.items()}
    with pytest.raises(RequestError) as err:
        parse_img2img(body)
    assert err.value.field == field


def test_parse_img2img_defaults_and_mask_blur_both_axes():
    job = parse_img2img({"init_images": [b64(gradient(8, 8))], "mask_blur": 2, "steps": 10})
    assert job.denoising == 0.75 and job.resize_mode == 0 and job.mask is None
    assert (job.masking.blur_x, job.masking.blur_y) == (2, 2) and job.masking.full_res
    several = parse_img2img({"init_images": [b64(gradient(8, 8))] * 2, "batch_size": 4})
    assert several.base.batch_size == 2
