"""Extras, model upscalers (spandrel), face restorers and prompt styles: tables for the pure parts,
the real upscalers run in process, and webuiapi's calls against the real server."""

from __future__ import annotations

import base64
import io
import re
import shutil
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
import webuiapi
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from browser import needs_chromium, open_page
from conftest import start_server, stop_server
from sdsetup.i18n import t
from webui import extras, networks, styles, upscalers
from webui.errors import RequestError
from webui.faces import Faces
from webui.upscalers import Upscaler
from webui.upscaling import Device, Upscaling, load_model, run_model, spandrel_missing


def picture(width: int, height: int, seed: int = 0) -> Image.Image:
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (height, width, 3), generator=generator, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy(), "RGB")


def png_b64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


# --- pure parts -----------------------------------------------------------------------------
@pytest.mark.parametrize("name, scale", [("4x_foo", 4), ("RealESRGAN_x2plus", 2), ("foo", 4),
                                         ("2X-bar", 2), ("x0y", 4), ("8x_NMKD", 8)])
def test_scale_is_read_from_the_name_as_a1111_does(name, scale):
    assert upscalers.scale_in_name(name) == scale


def test_model_upscalers_first_stem_wins_and_builtins_are_not_shadowed():
    found = upscalers.model_upscalers([("ESRGAN", Path("a/4x_a.pth")), ("DAT", Path("b/4x_a.pth")),
                                       ("SwinIR", Path("c/None.pth")), ("DAT", Path("d/2x_b.pth"))])
    assert [(u.name, u.folder, u.scale) for u in found] == [("4x_a", "ESRGAN", 4), ("2x_b", "DAT", 2)]
    assert found[0].api() == {"name": "4x_a", "model_name": "ESRGAN_4x", "model_path": "a/4x_a.pth",
                              "model_url": None, "scale": 4}


@pytest.mark.parametrize("fields, size, plan", [
    ({}, (100, 60), (2.0, None, {"Postprocess upscale by": 2.0})),
    ({"upscaling_resize": 3.5}, (100, 60), (3.5, None, {"Postprocess upscale by": 3.5})),
    ({"resize_mode": 1, "upscaling_resize_w": 300, "upscaling_resize_h": 120}, (100, 60),
     (3.0, (300, 120), {"Postprocess upscale to": "300x120"})),
    ({"resize_mode": 1, "upscaling_resize_w": 128, "upscaling_resize_h": 256,
      "upscaling_crop": False}, (64, 64), (4.0, None, {"Postprocess upscale to": "128x256"})),
])
def test_size_plan_follows_a1111(fields, size, plan):
    got = extras.size_plan(*size, extras.parse_extras(fields))
    assert (got.scale, got.crop, got.info) == plan


@pytest.mark.parametrize("fields, field", [
    ({"upscaling_resize": "big"}, "upscaling_resize"), ({"upscaling_resize": 9}, "upscaling_resize"),
    ({"resize_mode": 2}, "resize_mode"), ({"upscaling_resize_w": 10**9}, "upscaling_resize_w"),
    ({"extras_upscaler_2_visibility": 1.5}, "extras_upscaler_2_visibility"),
    ({"upscaler_1": 3}, "upscaler_1"), ({"gfpgan_visibility": -1}, "gfpgan_visibility"),
])
def test_bad_extras_fields_name_the_field(fields, field):
    with pytest.raises(RequestError) as caught:
        extras.parse_extras(fields)
    assert caught.value.field == field


@pytest.mark.parametrize("fields, size, field", [
    ({"upscaling_resize": 8}, (1025, 10), "upscaling_resize"),
    ({"resize_mode": 1, "upscaling_resize_w": 8192, "upscaling_resize_h": 64}, (10, 100),
     "upscaling_resize_h"),
])
def test_results_over_8192_a_side_are_refused_before_any_work(fields, size, field, tmp_path):
    request = extras.parse_extras({"upscaler_1": "Lanczos", **fields})
    with pytest.raises(RequestError) as caught:
        extras.process(Image.new("RGB", size), request, [Upscaler("None"), Upscaler("Lanczos")],
                       Upscaling(cuda=False), Faces(tmp_path, None))
    assert caught.value.field == field


def test_unknown_upscaler_names_the_field_and_none_skips_the_second():
    known = [Upscaler("None"), Upscaler("Lanczos")]
    with pytest.raises(RequestError) as caught:
        extras.upscalers_for(extras.parse_extras({"upscaler_2": "nope"}), known)
    assert caught.value.field == "upscaler_2"
    request = extras.parse_extras({"upscaler_1": "None", "upscaler_2": "Lanczos",
                                   "extras_upscaler_2_visibility": 1})
    assert extras.upscalers_for(request, known) == (None, None)


STYLES_CSV = ('\ufeffname,prompt,negative_prompt\n'
              'cinematic,"{prompt}, cinematic, film grain",blurry\n'
              'plain,"masterpiece, best quality",\n'
              ',nameless,\n'
              '"quoted, name","a ""quoted"" word",low quality\n')


def test_styles_csv_is_read_as_a1111_writes_it():
    book = styles.parse_styles(STYLES_CSV)
    assert list(book) == ["cinematic", "plain", "quoted, name"]
    assert book["quoted, name"] == styles.Style("quoted, name", 'a "quoted" word', "low quality")
    assert styles.parse_styles("name,text\nold,an old style\n")["old"].prompt == "an old style"
    assert styles.parse_styles("prompt\nno name column\n") == {}
    assert styles.parse_styles(styles.format_styles(book.values())) == book


@pytest.mark.parametrize("prompt, negative, names, expected", [
    ("a cat", "", ["cinematic"], ("a cat, cinematic, film grain", "blurry")),
    ("a cat", "ugly", ["plain"], ("a cat, masterpiece, best quality", "ugly")),
    ("a cat", "", ["plain", "cinematic"], ("a cat, masterpiece, best quality, cinematic, film grain",
                                           "blurry")),
    (" a cat ", "", ["missing"], ("a cat", "")),
    ("", "", ["plain"], ("masterpiece, best quality", "")),
])
def test_styles_apply_in_order_as_a1111(prompt, negative, names, expected):
    assert styles.apply_styles(prompt, negative, names, styles.parse_styles(STYLES_CSV)) == expected


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet='a,"\n\r\ufeff {}x', max_size=2000))
def test_styles_parser_takes_any_text_in_linear_time(text):
    started = time.perf_counter()
    styles.parse_styles(text * 20)
    assert time.perf_counter() - started < 0.5


def test_style_book_merges_files_and_saves_to_its_own(tmp_path):
    theirs, own = tmp_path / "a1111" / "styles.csv", tmp_path / "home" / "styles.csv"
    theirs.parent.mkdir()
    theirs.write_text("name,prompt,negative_prompt\nshared,theirs,\nonly,from a1111,\n")
    book = styles.StyleBook(own, [theirs])
    assert book.styles()["shared"].prompt == "theirs"
    book.save(styles.Style("shared", "mine", "bad"))
    assert book.styles()["shared"].prompt == "mine" and "only" in book.styles()
    assert "from a1111" in theirs.read_text() and "only" not in own.read_text()


@pytest.mark.parametrize("raw, info", [
    (b'{"baseModel": "SDXL 1.0", "trainedWords": ["pxl", " ", 3]}', ("SDXL 1.0", ("pxl",))),
    (b'[1, 2]', ("", ())), (b'{"baseModel": 5, "trainedWords": "x"}', ("", ())), (b"\xff{", ("", ())),
])
def test_civitai_sidecar_read_from_any_shape(raw, info):
    assert networks.sidecar_info(raw) == info


def test_cards_never_point_outside_their_folder(tmp_path):
    folder, outside = tmp_path / "Lora", tmp_path / "secret"
    folder.mkdir()
    outside.mkdir()
    (folder / "style.safetensors").write_bytes(b"x")
    (folder / "style.civitai.json").write_text('{"baseModel": "SD 1.5", "trainedWords": ["zzz"]}')
    (outside / "key.png").write_bytes(b"private")
    (folder / "style.preview.png").symlink_to(outside / "key.png")
    (folder / "leak.safetensors").symlink_to(outside / "key.png")
    found = networks.scan("lora", folder, (".safetensors",))
    assert [(c.name, c.preview, c.base_model, c.trigger_words) for c in found] == [
        ("style", None, "SD 1.5", ("zzz",))]
    assert networks.matching(found, "ZZZ sd") == found and networks.matching(found, "qq") == []
    assert networks.add_to_prompt("a cat", networks.prompt_text(found[0])) == "a cat, <lora:style:1>"
    assert networks.add_to_prompt("a, <lora:style:1>", "<lora:style:1>") == "a, <lora:style:1>"


# --- the upscalers themselves ----------------------------------------------------------------
def test_spandrel_recognises_the_tiny_models(tiny_upscalers):
    cpu = Device.choose(False)
    compact = load_model(tiny_upscalers["compact"], cpu, "upscaler_1")
    esrgan = load_model(tiny_upscalers["esrgan"], cpu, "upscaler_1")
    assert (compact.architecture.id, compact.scale) == ("Compact", 4)
    assert (esrgan.architecture.id, esrgan.scale) == ("ESRGAN", 2)


def test_tiles_give_the_same_picture_as_one_pass(tiny_upscalers):
    model = load_model(tiny_upscalers["compact"], Device.choose(False), "upscaler_1")
    image = picture(150, 90)
    whole = run_model(model, image, Device("cpu", 1024))
    tiled = run_model(model, image, Device("cpu", 40))
    # Equal but for float rounding: the margin gives every tile all the context it needs.
    difference = torch.tensor(list(whole.getdata())) - torch.tensor(list(tiled.getdata()))
    assert whole.size == tiled.size == (600, 360) and difference.abs().max() <= 1


def test_not_an_upscaler_is_a_request_error(tmp_path):
    bad = tmp_path / "4x_bad.pth"
    torch.save({"some.weight": torch.zeros(3)}, bad)
    with pytest.raises(RequestError) as caught:
        load_model(bad, Device.choose(False), "upscaler_1")
    assert caught.value.field == "upscaler_1" and "4x_bad" in str(caught.value)


def test_a1111_upscale_runs_the_model_until_large_enough(tiny_upscalers):
    upscaling = Upscaling(cuda=False)
    two = Upscaler("2x", tiny_upscalers["esrgan"], "ESRGAN", 2)
    assert upscaling.by(picture(40, 24), two, 3, "upscaler_1").size == (120, 72)   # 2× twice, down
    assert upscaling.to(picture(40, 24), two, 64, 64, "hr_upscaler").size == (64, 64)
    assert upscaling.by(picture(40, 24), Upscaler("Lanczos"), 1.5, "x").size == (56, 32)


# --- the API, with webuiapi unchanged ----------------------------------------------------------
def furnish(home: Path, tiny_upscalers: dict[str, Path]) -> Path:
    """A home with both upscalers, styles and a LoRA card (its file is never loaded here)."""
    for folder, path in (("ESRGAN", tiny_upscalers["compact"]), ("RealESRGAN", tiny_upscalers["esrgan"])):
        (home / "models" / folder).mkdir(parents=True)
        shutil.copy(path, home / "models" / folder)
    (home / "styles.csv").write_text(STYLES_CSV, encoding="utf-8")
    (home / "models" / "Lora").mkdir()
    (home / "models" / "Lora" / "ink_style.safetensors").write_bytes(b"{}")
    (home / "models" / "Lora" / "ink_style.civitai.json").write_text(
        '{"baseModel": "SD 1.5", "trainedWords": ["inkwash"]}')
    picture(64, 64).save(home / "models" / "Lora" / "ink_style.preview.png")
    return home


@pytest.fixture(scope="module")
def extras_server(tmp_path_factory, tiny_checkpoints, tiny_upscalers):
    home = furnish(tmp_path_factory.mktemp("home"), tiny_upscalers)
    running = start_server(home, [tiny_checkpoints["tiny"]])
    yield running
    stop_server(running)


def client(server) -> webuiapi.WebUIApi:
    return webuiapi.WebUIApi(host="127.0.0.1", port=int(server.url.rstrip("/").rsplit(":", 1)[1]))


def test_upscaler_lists_in_a1111_shape(extras_server):
    listed = httpx.get(extras_server.api("upscalers"), timeout=10).json()
    assert [u["name"] for u in listed] == ["None", "Lanczos", "Nearest", "4x_tiny-compact",
                                           "2x_tiny-esrgan"]
    assert listed[3]["model_name"] == "ESRGAN_4x" and listed[3]["scale"] == 4
    assert listed[3]["model_path"].endswith("ESRGAN/4x_tiny-compact.safetensors")
    assert set(listed[0]) == {"name", "model_name", "model_path", "model_url", "scale"}
    real = httpx.get(extras_server.api("realesrgan-models"), timeout=10).json()
    assert [(m["name"], m["scale"]) for m in real] == [("2x_tiny-esrgan", 2)]
    restorers = httpx.get(extras_server.api("face-restorers"), timeout=10).json()
    assert [r["name"] for r in restorers] == ["CodeFormer", "GFPGAN"]


def saved_extras(server) -> list[Path]:
    return sorted((server.home / "outputs" / "extras-images").glob("*.png"))


def test_webuiapi_extra_single_image(extras_server):
    image = picture(48, 40)
    image.info["parameters"] = "kept"
    before = saved_extras(extras_server)
    result = client(extras_server).extra_single_image(image, upscaler_1="4x_tiny-compact",
                                                      upscaling_resize=2)
    assert saved_extras(extras_server) == before  # as A1111: the API never saves Extras results
    assert result.image.size == (96, 80)
    # A1111's field is a float, so its infotext says 2.0 too.
    assert result.info == "<p>Postprocess upscale by: 2.0, Postprocess upscaler: 4x_tiny-compact</p>"
    assert result.image.info["postprocessing"] == \
        "Postprocess upscale by: 2.0, Postprocess upscaler: 4x_tiny-compact"
    assert result.image.info["parameters"] == "kept"


def test_webuiapi_extra_batch_images_scale_to_with_crop_and_a_second_upscaler(extras_server):
    result = client(extras_server).extra_batch_images(
        [picture(40, 40, 1), picture(32, 48, 2)], resize_mode=1, upscaling_resize_w=96,
        upscaling_resize_h=64, upscaling_crop=True, upscaler_1="2x_tiny-esrgan",
        upscaler_2="Lanczos", extras_upscaler_2_visibility=0.5)
    assert [im.size for im in result.images] == [(96, 64), (96, 64)]
    assert "Postprocess crop to: 96x64" in result.info and "Postprocess upscaler 2: Lanczos" in result.info


def test_extras_errors_are_422_naming_field_and_folder(extras_server):
    def post(path, **fields):
        body = {"image": png_b64(picture(16, 16)), **fields}
        return httpx.post(extras_server.api(path), json=body, timeout=30)

    unknown = post("extra-single-image", upscaler_1="8x_missing")
    assert unknown.status_code == 422 and unknown.json()["errors"] == "upscaler_1"
    faces = post("extra-single-image", gfpgan_visibility=0.5)
    assert faces.status_code == 422 and faces.json()["errors"] == "gfpgan_visibility"
    assert str(extras_server.home / "models" / "GFPGAN") in faces.json()["detail"]
    assert post("extra-single-image", image="not an image").status_code == 422
    empty = httpx.post(extras_server.api("extra-batch-images"), json={"imageList": []}, timeout=10)
    assert empty.status_code == 422 and empty.json()["errors"] == "imageList"


def test_webuiapi_prompt_styles_and_styles_field(extras_server):
    listed = client(extras_server).get_prompt_styles()
    assert listed[0] == {"name": "cinematic", "prompt": "{prompt}, cinematic, film grain",
                         "negative_prompt": "blurry"}
    body = {"prompt": "a cat", "styles": ["cinematic"], "steps": 1, "width": 64, "height": 64,
            "seed": 3}
    reply = httpx.post(extras_server.api("txt2img"), json=body, timeout=120).json()
    text = reply["info"]
    assert "a cat, cinematic, film grain\\nNegative prompt: blurry" in text
    bad = httpx.post(extras_server.api("txt2img"), json={**body, "styles": "cinematic"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["errors"] == "styles"


def test_hires_fix_uses_a_model_upscaler(extras_server):
    body = {"prompt": "hires", "steps": 1, "width": 64, "height": 64, "seed": 5, "enable_hr": True,
            "hr_upscaler": "4x_tiny-compact", "hr_scale": 1.5, "denoising_strength": 0.5}
    reply = httpx.post(extras_server.api("txt2img"), json=body, timeout=180).json()
    assert "Hires upscaler: 4x_tiny-compact" in reply["info"]
    assert Image.open(io.BytesIO(base64.b64decode(reply["images"][0]))).size == (96, 96)


# --- the page ----------------------------------------------------------------------------------
@pytest.fixture(params=["en", "zh_CN"])
def extras_page(request, extras_server, tmp_path, tiny_checkpoints, tiny_upscalers):
    """The English server above, or a Chinese one with the same upscaler."""
    if request.param == "en":
        yield request.param, extras_server
        return
    home = furnish(tmp_path / "home", tiny_upscalers)
    chinese = start_server(home, [tiny_checkpoints["tiny"]], lang="zh_CN")
    yield request.param, chinese
    stop_server(chinese)


@needs_chromium
def test_browser_runs_an_extras_upscale_and_a_lora_card_fills_the_prompt(extras_page, tmp_path):
    lang, running = extras_page
    source = tmp_path / "source.png"
    picture(40, 32).save(source)
    with open_page(viewport={"width": 1280, "height": 1000}) as (page, requested):
        page.goto(running.url, wait_until="load", timeout=60_000)
        page.locator("#prompt textarea").fill("a heron")
        page.get_by_text(t("run.ui_networks", lang=lang), exact=True).click(timeout=60_000)
        card = page.locator("#networks_cards").get_by_text("ink_style (SD 1.5 · inkwash)")
        card.click(timeout=30_000)
        page.wait_for_function("() => document.querySelector('#prompt textarea').value"
                               " === 'a heron, <lora:ink_style:1>'", timeout=30_000)
        page.locator("#networks_search input, #networks_search textarea").first.fill("zzz")
        card.wait_for(state="hidden", timeout=30_000)
        page.get_by_role("tab", name=t("run.ui_tab_extras", lang=lang)).click(timeout=60_000)
        page.locator("#extras_image input[type=file]").set_input_files(str(source))
        page.locator("#extras_upscaler_1 input").click()
        page.get_by_role("option", name="4x_tiny-compact").click()
        box = page.locator("#extras_resize input[type=number]")
        box.fill("2")
        box.press("Enter")
        page.locator("#extras_run").click()
        try:
            page.wait_for_function(
                "() => document.querySelector('#extras_info textarea')?.value.includes('4x_tiny')",
                timeout=60_000)
            page.wait_for_function(
                "() => document.querySelector('#extras_result img')?.naturalWidth === 80",
                timeout=30_000)
        finally:
            page.screenshot(path=str(tmp_path / f"extras-{lang}.png"), full_page=True)
        info = page.locator("#extras_info textarea").input_value()
        assert info == "Postprocess upscale by: 2.0, Postprocess upscaler: 4x_tiny-compact"
        # As A1111's tab: the result is saved as outputs/extras-images/NNNNN.png with its text.
        with Image.open(saved_extras(running)[-1]) as saved:
            assert saved.size == (80, 64)
            assert saved.info["postprocessing"] == saved.info["extras"] == info
        assert page.locator("#extras_result img").evaluate("img => img.naturalHeight") == 64
        for key in ("run.ui_extras_run", "run.ui_extras_upscaler_1", "run.ui_styles",
                    "run.ui_networks", "run.ui_download_title"):
            assert page.get_by_text(t(key, lang=lang)).first.count() == 1, key
        assert [u for u in requested if not u.startswith((running.url, "data:", "blob:"))] == []


def test_without_spandrel_model_upscalers_are_a_clear_422(monkeypatch, tiny_upscalers):
    monkeypatch.setitem(sys.modules, "spandrel", None)  # as in a managed env built without it
    assert "spandrel" in spandrel_missing()
    with pytest.raises(RequestError) as caught:
        load_model(tiny_upscalers["compact"], Device.choose(False), "hr_upscaler")
    assert caught.value.field == "hr_upscaler" and "torchvision" in str(caught.value)


@pytest.mark.slow
def test_gfpgan_from_its_folder_restores_and_blends(tmp_path, gfpgan_model):
    (tmp_path / "GFPGAN").mkdir()
    shutil.copy(gfpgan_model, tmp_path / "GFPGAN")
    image = picture(96, 80)
    faces = Faces(tmp_path, Upscaling(cuda=False))
    restored, info = faces.restore(image, extras.parse_extras({"gfpgan_visibility": 0.5}))
    assert restored.size == image.size and list(restored.getdata()) != list(image.getdata())
    assert info == {"GFPGAN visibility": 0.5}
    assert faces.restore(image, extras.parse_extras({})) == (image, {})


@pytest.mark.parametrize("home, models, expected", [
    ("/h", "/h/models", ()),
    ("/h", "/a1111/models", (Path("/a1111/styles.csv"),)),
])
def test_an_a1111_install_beside_models_dir_lends_its_styles(home, models, expected):
    from webui.__main__ import a1111_styles

    assert a1111_styles(Path(home), Path(models)) == expected


def test_page_saves_the_prompt_as_a_style(extras_server):
    from gradio_client import Client

    picked, note = Client(extras_server.url, verbose=False).predict(
        "night, neon", "a {prompt} street, night, neon", "daylight", api_name="/save_style")
    assert note == t("run.ui_style_saved", name="night, neon", lang="en")
    listed = client(extras_server).get_prompt_styles()
    assert listed[-1] == {"name": "night, neon", "prompt": "a {prompt} street, night, neon",
                          "negative_prompt": "daylight"}
    assert "cinematic" in (extras_server.home / "styles.csv").read_text(encoding="utf-8")


# --- restore_faces in generation -------------------------------------------------------------
def face_engine(root: Path, checkpoint: Path, gfpgan: Path | None = None):
    from test_engine import CPU, make_paths
    from webui.engine import Engine, Options

    paths = make_paths(root)
    paths.checkpoints.mkdir(parents=True)
    shutil.copy(checkpoint, paths.checkpoints)
    if gfpgan is not None:
        (root / "models" / "GFPGAN").mkdir()
        shutil.copy(gfpgan, root / "models" / "GFPGAN")
    return Engine(paths, CPU, Options())


@pytest.mark.parametrize("model, folder", [("CodeFormer", "Codeformer"), ("GFPGAN", "GFPGAN")])
def test_restore_faces_without_a_model_is_a_422_before_any_work(tmp_path, tiny_checkpoints, model,
                                                                 folder):
    from webui.options import A1111_DEFAULTS
    from webui.params import parse_txt2img

    engine = face_engine(tmp_path, tiny_checkpoints["tiny"])
    settings = {**A1111_DEFAULTS, "face_restoration_model": model}
    with pytest.raises(RequestError) as caught:
        engine.txt2img(parse_txt2img({"restore_faces": True, "steps": 1}, settings), save=False)
    assert caught.value.field == "restore_faces"
    assert str(tmp_path / "models" / folder) in str(caught.value) and model in str(caught.value)
    assert engine.pipe is None  # refused before the checkpoint was even loaded


@pytest.mark.parametrize("body, settings, restorer", [
    ({}, {}, None), ({"restore_faces": True}, {}, "CodeFormer"),
    ({"restore_faces": True}, {"face_restoration_model": "GFPGAN"}, "GFPGAN"),
    ({}, {"face_restoration": True}, "CodeFormer"),  # A1111: the option when the field is unset
    ({"restore_faces": False}, {"face_restoration": True}, None),
    ({"override_settings": {"face_restoration_model": "GFPGAN"}, "restore_faces": True}, {}, "GFPGAN"),
])
def test_restore_faces_picks_the_restorer_as_a1111(body, settings, restorer):
    from webui.options import A1111_DEFAULTS
    from webui.params import parse_txt2img

    assert parse_txt2img(body, {**A1111_DEFAULTS, **settings}).face_restorer == restorer


@pytest.mark.slow
def test_restore_faces_runs_on_each_image_before_saving_and_keeps_unmasked_pixels(
        tmp_path, tiny_checkpoints, gfpgan_model):
    from test_img2img import job, picture as init_picture, square_mask
    from webui.options import A1111_DEFAULTS
    from webui.params import parse_txt2img

    engine = face_engine(tmp_path, tiny_checkpoints["tiny"], gfpgan_model)
    settings = {**A1111_DEFAULTS, "face_restoration_model": "GFPGAN"}
    body = {"prompt": "a face", "steps": 1, "width": 64, "height": 64, "seed": 5, "batch_size": 2}
    plain = engine.txt2img(parse_txt2img(body, settings), save=False)
    restored = engine.txt2img(parse_txt2img({**body, "restore_faces": True}, settings), save=True)
    for before, after, text, saved in zip(plain.images, restored.images, restored.infotexts,
                                          restored.saved):
        assert list(before.getdata()) != list(after.getdata())
        assert re.search(r"Seed: \d+, Face restoration: GFPGAN, Size: 64x64, ", text)
        on_disk = Image.open(saved)
        assert list(on_disk.getdata()) == list(after.getdata()) and on_disk.info["parameters"] == text
    assert (restored.info["restore_faces"], restored.info["face_restoration_model"]) == (True, "GFPGAN")
    init = init_picture()
    inpainted = engine.img2img(job(init, square_mask(), mask_blur=0, denoising_strength=1.0,
                                   restore_faces=True,
                                   override_settings={"face_restoration_model": "GFPGAN"}), save=False)
    keep = np.asarray(square_mask()) == 0
    assert np.array_equal(np.asarray(inpainted.images[0])[keep], np.asarray(init)[keep])
    assert "Face restoration: GFPGAN" in inpainted.infotexts[0]
