"""Clients written by others, unchanged: webuiapi (A1111 API), gradio_client and a real browser."""

from __future__ import annotations

import shutil

import pytest
import webuiapi
from gradio_client import Client
from PIL import Image

from browser import SCREENSHOTS, needs_chromium, open_page
from conftest import start_server, stop_server
from sdsetup.i18n import t



def test_webuiapi_lists_sets_generates_and_polls(server):
    port = int(server.url.rstrip("/").rsplit(":", 1)[1])
    api = webuiapi.WebUIApi(host="127.0.0.1", port=port, sampler="Euler a", steps=2)
    names = api.util_get_model_names()
    assert sorted(n.split(" [")[0] for n in names) == ["other.safetensors", "tiny.safetensors"]
    api.util_set_model("tiny")
    assert api.util_get_current_model().startswith("tiny.safetensors [")
    result = api.txt2img(prompt="a cat", width=64, height=64, seed=42)
    assert isinstance(result.image, Image.Image) and result.image.size == (64, 64)
    assert result.info["all_seeds"] == [42] and result.parameters["prompt"] == "a cat"
    assert api.get_progress()["state"]["job_count"] == 0
    assert api.interrupt() == {}


def test_gradio_client_calls_the_page_function(server):
    client = Client(server.url, verbose=False)
    gallery, info, status = client.predict(
        None, "Automatic", "a cat", "", "Euler", "Automatic", 2, 7, 64, 64, 5, 1, 1, 1,
        True, "Latent", 1.5, 2, 0.6, api_name="/txt2img")
    assert len(gallery) == 1 and info.startswith("a cat\nSteps: 2, Sampler: Euler")
    assert "Denoising strength: 0.6, Hires upscale: 1.5, Hires steps: 2, Hires upscaler: Latent" in info
    assert Image.open(gallery[0]["image"]).size == (96, 96)


@pytest.fixture(params=["en", "zh_CN"])
def page_server(request, server, tmp_path, tiny_checkpoints):
    """The shared English server, or a Chinese one started for this test."""
    if request.param == "en":
        yield request.param, server
        return
    chinese = start_server(tmp_path / "home", [tiny_checkpoints["tiny"]], lang="zh_CN")
    yield request.param, chinese
    stop_server(chinese)


@needs_chromium
def test_browser_types_prompt_clicks_generate_and_sees_image(page_server, tmp_path):
    lang, running = page_server
    button = t("run.ui_generate", lang=lang)
    with open_page(viewport={"width": 1280, "height": 900}) as (page, requested):
        # "load", not "networkidle": the page holds gradio's heartbeat stream open.
        page.goto(running.url, wait_until="load", timeout=60_000)
        page.locator("#prompt textarea").wait_for(state="visible", timeout=60_000)
        page.locator("#prompt textarea").fill("a red apple")
        for slider, value in (("steps", "2"), ("width", "64"), ("height", "64")):
            box = page.locator(f"#{slider} input[type=number]")
            box.fill(value)
            box.press("Enter")
        page.get_by_role("button", name=button, exact=True).click()
        image = page.locator("#gallery img").first
        try:
            # Live previews (a fraction of the size) pass through the gallery first; the
            # infotext appears only with the finished image.
            try:
                page.wait_for_function(
                    "() => [...document.querySelectorAll('textarea')].some(t => t.value.includes('Steps: 2,'))",
                    timeout=120_000)
            except Exception as exc:  # say what the page showed instead
                shown = page.evaluate("() => [document.querySelector('#status')?.innerText,"
                                      " ...[...document.querySelectorAll('textarea')].map(t => t.value)]")
                raise AssertionError(f"no finished image; the page shows {shown!r}") from exc
            image.wait_for(state="visible", timeout=30_000)
            page.wait_for_function(
                "() => document.querySelector('#gallery img')?.naturalWidth === 64", timeout=30_000)
        finally:
            page.screenshot(path=str(SCREENSHOTS / f"ui-{lang}.png") if SCREENSHOTS.is_dir()
                            else str(tmp_path / "ui.png"), full_page=True)
        assert image.evaluate("img => img.naturalWidth") == 64
        # Nothing from outside hosts: the page must load fully behind a firewall.
        assert [u for u in requested if not u.startswith((running.url, "data:", "blob:"))] == []
        assert "Steps: 2" in page.locator("textarea").last.input_value()


@needs_chromium
def test_a_checkpoint_and_an_upscaler_placed_while_running_appear_on_page_load(tmp_path, tiny_checkpoints,
                                                                               tiny_upscalers):
    running = start_server(tmp_path / "home", [])
    try:
        shutil.copy(tiny_checkpoints["tiny"], running.home / "models" / "Stable-diffusion")
        (running.home / "models" / "ESRGAN").mkdir(parents=True, exist_ok=True)
        shutil.copy(tiny_upscalers["compact"], running.home / "models" / "ESRGAN")
        with open_page() as (page, _):
            page.goto(running.url, wait_until="load", timeout=60_000)
            page.wait_for_function(
                "() => document.querySelector('#model input')?.value.startsWith('tiny.safetensors')",
                timeout=30_000)
            # The "no checkpoint" note goes; the download box stays for the next model.
            assert not page.get_by_text("No checkpoint yet.").is_visible()
            assert page.get_by_text(t("run.ui_download_title", lang="en")).is_visible()
            # The hires fix's upscaler list is read again too.
            page.get_by_text(t("run.ui_hires", lang="en"), exact=True).click()
            page.locator("#hr_upscaler input").click()
            page.get_by_role("option", name="4x_tiny-compact").wait_for(timeout=30_000)
    finally:
        stop_server(running)


def test_download_box_runs_sdsetup_models_get_and_shows_its_answer(server):
    client = Client(server.url, verbose=False)
    log = client.predict("https://civitai.com/not-a-model-link", api_name="/download_model")
    assert "error:" in log and "hint:" in log and "Traceback" not in log


def test_png_info_tab_reads_a_generated_file(server, tmp_path):
    import base64

    import httpx
    from gradio_client import handle_file

    body = httpx.post(server.api("txt2img"), json={"prompt": "info tab", "width": 64, "height": 64,
                                                   "steps": 2, "seed": 21}, timeout=60).json()
    png = tmp_path / "made.png"
    png.write_bytes(base64.b64decode(body["images"][0]))
    text, fields = Client(server.url, verbose=False).predict(handle_file(str(png)), api_name="/png_info")
    assert text.startswith("info tab\nSteps: 2") and fields["Seed"] == "21"
