"""The img2img tab in a real browser: a PNG dropped on PNG Info fills the fields, is sent to
Inpaint, a mask is brushed on it, and the inpainting runs (in English and in Chinese)."""

from __future__ import annotations

from PIL import Image

from browser import SCREENSHOTS, needs_chromium, open_page
from sdsetup.i18n import t
from test_clients import page_server  # noqa: F401 (fixture)
from webui.outputs import png_bytes


def white_pixels(png: bytes) -> int:
    """Pure-white pixels in the middle of an editor screenshot, where the red image is shown and
    the stroke passes (the canvas around the image is white too)."""
    import io

    import numpy as np

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    height, width = pixels.shape[:2]
    middle = pixels[height // 2 - 8:height // 2 + 8, width // 2 - 20:width // 2 + 20]
    return int((middle.min(axis=2) >= 250).sum())


INFOTEXT = "a red apple\nNegative prompt: blurry\nSteps: 3, Sampler: Euler, CFG scale: 6, Seed: 5, Size: 64x64"


@needs_chromium
def test_png_info_fills_fields_sends_to_inpaint_and_a_brushed_mask_inpaints(page_server, tmp_path):
    lang, running = page_server
    png = tmp_path / "apple.png"
    png.write_bytes(png_bytes(Image.new("RGB", (64, 64), (200, 30, 30)), INFOTEXT))
    with open_page(viewport={"width": 1280, "height": 1000}) as (page, _):
        # "load", not "networkidle": the page holds gradio's heartbeat stream open.
        page.goto(running.url, wait_until="load", timeout=60_000)
        page.get_by_role("tab", name=t("run.ui_tab_pnginfo", lang=lang), exact=True).click()
        page.locator("#pnginfo_image input[type=file]").set_input_files(str(png))
        page.wait_for_function(
            "() => document.querySelector('#prompt textarea')?.value === 'a red apple'",
            timeout=30_000)
        assert page.locator("#steps input[type=number]").input_value() == "3"
        page.get_by_role("button", name=t("run.ui_send_inpaint", lang=lang), exact=True) \
            .locator("visible=true").click()
        canvas = page.locator("#inpaint_editor canvas").first
        canvas.wait_for(state="visible", timeout=30_000)
        box = canvas.bounding_box()
        middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for _ in range(10):  # a busy editor may drop the first strokes: paint until one shows
            page.wait_for_timeout(1000)
            page.mouse.move(middle_x - 60, middle_y)
            page.mouse.down()
            page.mouse.move(middle_x + 60, middle_y + 10, steps=20)  # a stroke across the image
            page.mouse.up()
            if white_pixels(canvas.screenshot()):
                break
        assert white_pixels(canvas.screenshot()), "the brush stroke never appeared"
        page.locator("#img2img_prompt textarea").fill("a green apple")
        for slider, value in (("img2img_steps", "2"), ("img2img_width", "64"), ("img2img_height", "64")):
            number = page.locator(f"#{slider} input[type=number]")
            number.fill(value)
            number.press("Enter")
        page.locator("#img2img_generate").click()
        try:
            page.wait_for_function(
                "() => document.querySelector('#img2img_infotext textarea')?.value.includes('Mask blur: 4')",
                timeout=300_000)  # a shared 2-core machine can take minutes
            page.wait_for_function(
                "() => document.querySelector('#img2img_gallery img')?.naturalWidth === 64", timeout=30_000)
        finally:
            page.screenshot(path=str(SCREENSHOTS / f"inpaint-{lang}.png") if SCREENSHOTS.is_dir()
                            else str(tmp_path / "inpaint.png"), full_page=True)
        text = page.locator("#img2img_infotext textarea").input_value()
        assert text.startswith("a green apple\nSteps: 2") and "Denoising strength: 0.75" in text
