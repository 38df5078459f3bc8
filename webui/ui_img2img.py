"""The img2img tab (sub-tabs img2img / Inpaint / Inpaint upload) and the "Send to" buttons.

The tab calls :meth:`Engine.img2img` as the API does. The Inpaint sub-tab is an image editor with
a white brush: what is painted (the layers' alpha) is the mask, white = repaint, as in A1111.
Images reach the tab from the txt2img gallery or PNG Info through :func:`send_buttons`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr
from PIL import Image

from webui import samplers
from webui.engine import Engine
from webui.errors import WebuiError
from webui.img2img_params import LIMITS as IMG2IMG_LIMITS
from webui.img2img_params import Img2Img
from webui.masking import MaskSettings
from webui.params import LIMITS, parse_txt2img
from webui.ui_progress import stream

# Tab ids: the page's top-level tabs and this tab's sub-tabs.
TOP_IMG2IMG, TOP_EXTRAS = "img2img", "extras"
PLAIN, INPAINT, UPLOAD = "img2img_plain", "img2img_inpaint", "img2img_upload"
RESIZE_KEYS = ("run.ui_resize_just", "run.ui_resize_crop", "run.ui_resize_fill", "run.ui_resize_latent")
FILL_KEYS = ("run.ui_fill_fill", "run.ui_fill_original", "run.ui_fill_noise", "run.ui_fill_nothing")


@dataclass(frozen=True)
class Img2ImgTab:
    sub_tabs: gr.Tabs
    plain: gr.Image
    editor: gr.ImageEditor


def painted_mask(layers: list | None) -> Image.Image | None:
    """The editor's brush layers as one RGBA image (alpha = painted), or None when nothing is."""
    painted = [layer for layer in layers or [] if layer is not None and layer.getbbox()]
    if not painted:
        return None
    merged = Image.new("RGBA", painted[0].size)
    for layer in painted:
        merged.alpha_composite(layer.convert("RGBA"))
    return merged


def _index(choices: list[str], value: str) -> int:
    return choices.index(value) if value in choices else 0


def build_tab(engine: Engine, tr: Callable[..., str], model: gr.Dropdown, vae: gr.Dropdown) -> Img2ImgTab:
    """The tab's components inside the current ``gr.Tab``; wires its own Generate button."""
    resize_choices = [tr(k) for k in RESIZE_KEYS]
    fill_choices = [tr(k) for k in FILL_KEYS]
    mask_modes = [tr("run.ui_mask_mode_masked"), tr("run.ui_mask_mode_unmasked")]
    areas = [tr("run.ui_area_whole"), tr("run.ui_area_masked")]
    mode = gr.State(PLAIN)
    with gr.Row():
        with gr.Column(scale=3):
            prompt = gr.Textbox(label=tr("run.ui_prompt"), lines=3, elem_id="img2img_prompt")
            negative = gr.Textbox(label=tr("run.ui_negative"), lines=2)
            with gr.Tabs(selected=PLAIN) as sub_tabs:
                with gr.Tab(tr("run.ui_tab_img2img"), id=PLAIN) as plain_tab:
                    plain = gr.Image(type="pil", label=tr("run.ui_init_image"), format="png",
                                     elem_id="img2img_image")
                with gr.Tab(tr("run.ui_tab_inpaint"), id=INPAINT) as inpaint_tab:
                    editor = gr.ImageEditor(
                        type="pil", label=tr("run.ui_inpaint_canvas"), format="png", layers=False,
                        brush=gr.Brush(colors=["#ffffff"], color_mode="fixed", default_size=16),
                        transforms=(), sources=("upload", "clipboard"), elem_id="inpaint_editor")
                with gr.Tab(tr("run.ui_tab_inpaint_upload"), id=UPLOAD) as upload_tab:
                    with gr.Row():
                        upload_image = gr.Image(type="pil", label=tr("run.ui_init_image"), format="png")
                        upload_mask = gr.Image(type="pil", label=tr("run.ui_mask_upload"), format="png",
                                               image_mode="L")
            resize = gr.Radio(resize_choices, value=resize_choices[0], label=tr("run.ui_resize_mode"))
            with gr.Row():
                mask_blur = gr.Slider(*IMG2IMG_LIMITS["mask_blur"], value=4, step=1,
                                      label=tr("run.ui_mask_blur"))
                mask_mode = gr.Radio(mask_modes, value=mask_modes[0], label=tr("run.ui_mask_mode"))
            with gr.Row():
                fill = gr.Radio(fill_choices, value=fill_choices[1], label=tr("run.ui_masked_content"))
                area = gr.Radio(areas, value=areas[0], label=tr("run.ui_inpaint_area"))
                padding = gr.Slider(0, 256, value=32, step=4, label=tr("run.ui_padding"))
            with gr.Row():
                sampler = gr.Dropdown([s.name for s in samplers.SAMPLERS], value="DPM++ 2M",
                                      label=tr("run.ui_sampler"))
                schedule = gr.Dropdown([s.label for s in samplers.SCHEDULES],
                                       value="Automatic", label=tr("run.ui_schedule"))
            steps = gr.Slider(*LIMITS["steps"], value=20, step=1, label=tr("run.ui_steps"),
                              elem_id="img2img_steps")
            with gr.Row():
                width = gr.Slider(*LIMITS["width"], value=512, step=8, label=tr("run.ui_width"),
                                  elem_id="img2img_width")
                height = gr.Slider(*LIMITS["height"], value=512, step=8, label=tr("run.ui_height"),
                                   elem_id="img2img_height")
            with gr.Row():
                cfg = gr.Slider(1, LIMITS["cfg_scale"][1], value=7, step=0.5, label=tr("run.ui_cfg"))
                denoising = gr.Slider(*IMG2IMG_LIMITS["denoising_strength"], value=0.75, step=0.01,
                                      label=tr("run.ui_denoising"))
                seed = gr.Number(value=-1, precision=0, label=tr("run.ui_seed"))
                batch_size = gr.Slider(*LIMITS["batch_size"], value=1, step=1, label=tr("run.ui_batch_size"))
        with gr.Column(scale=2):
            go = gr.Button(tr("run.ui_generate"), variant="primary", elem_id="img2img_generate")
            status = gr.Markdown(elem_id="img2img_status")
            gallery = gr.Gallery(label=tr("run.ui_gallery"), elem_id="img2img_gallery", format="png")
            info = gr.Textbox(label=tr("run.ui_infotext"), lines=4, interactive=False,
                              elem_id="img2img_infotext")

    def generate(chosen, title, vae_name, prompt, negative, image, edited, up_image, up_mask, resize,
                 blur, mask_mode, fill, area, padding, sampler, schedule, steps, width, height, cfg,
                 denoising, seed, batch_size):
        if chosen == INPAINT:
            init = (edited or {}).get("background")
            mask = painted_mask((edited or {}).get("layers"))
        elif chosen == UPLOAD:
            init, mask = up_image, up_mask
        else:
            init, mask = image, None
        if init is None:
            yield None, "", tr("run.ui_error", message=tr("run.ui_no_init_image"))
            return
        try:
            base = parse_txt2img({
                "prompt": prompt, "negative_prompt": negative, "sampler_name": sampler,
                "scheduler": schedule, "steps": steps, "cfg_scale": cfg, "width": width,
                "height": height, "seed": seed, "batch_size": batch_size,
                "override_settings": {"sd_model_checkpoint": title, "sd_vae": vae_name}},
                engine.current_options())
        except WebuiError as err:
            yield None, "", tr("run.ui_error", message=str(err))
            return
        job = Img2Img(base, (init,), mask, _index(resize_choices, resize), float(denoising),
                      MaskSettings(blur_x=int(blur), blur_y=int(blur), fill=_index(fill_choices, fill),
                                   full_res=area == areas[1], padding=int(padding),
                                   invert=mask_mode == mask_modes[1]))
        yield from stream(engine, tr, lambda: engine.img2img(job, save=True), base.steps, 1)

    for tab, name in ((plain_tab, PLAIN), (inpaint_tab, INPAINT), (upload_tab, UPLOAD)):
        tab.select(lambda name=name: name, outputs=mode, api_name=False)
    go.click(generate, inputs=[mode, model, vae, prompt, negative, plain, editor, upload_image,
                               upload_mask, resize, mask_blur, mask_mode, fill, area, padding, sampler,
                               schedule, steps, width, height, cfg, denoising, seed, batch_size],
             outputs=[gallery, info, status], api_name="img2img")
    return Img2ImgTab(sub_tabs, plain, editor)


def _image_of(value, index: int = 0):
    """One image from a gallery value (a list of (path, caption)) or an image component's value."""
    if isinstance(value, list):
        if not value:
            return None
        item = value[min(index, len(value) - 1)]
        return item[0] if isinstance(item, (list, tuple)) else item
    return value


def send_buttons(tab: Img2ImgTab, top_tabs: gr.Tabs, extras_inbox: gr.State, tr: Callable[..., str],
                 source: gr.components.Component, selected: gr.State | None = None) -> None:
    """"Send to img2img / inpaint / extras" under ``source`` (a gallery or an image)."""
    with gr.Row():
        to_img2img = gr.Button(tr("run.ui_send_img2img"), size="sm")
        to_inpaint = gr.Button(tr("run.ui_send_inpaint"), size="sm")
        to_extras = gr.Button(tr("run.ui_send_extras"), size="sm")
    inputs = [source, selected] if selected is not None else [source]

    def plain(value, index=0):
        image = _image_of(value, index)
        return gr.Tabs(selected=TOP_IMG2IMG), gr.Tabs(selected=PLAIN), image

    def inpaint(value, index=0):
        image = _image_of(value, index)
        canvas = {"background": image, "layers": [], "composite": image} if image else None
        return gr.Tabs(selected=TOP_IMG2IMG), gr.Tabs(selected=INPAINT), canvas

    def extras(value, index=0):
        return gr.Tabs(selected=TOP_EXTRAS), _image_of(value, index)

    to_img2img.click(plain, inputs, [top_tabs, tab.sub_tabs, tab.plain], api_name=False)
    to_inpaint.click(inpaint, inputs, [top_tabs, tab.sub_tabs, tab.editor], api_name=False)
    to_extras.click(extras, inputs, [top_tabs, extras_inbox], api_name=False)
