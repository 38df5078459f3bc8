"""The gradio page: model picker, txt2img controls, live progress, gallery and PNG Info.

Every string comes from sdsetup's catalogue (domain ``run``) in the language chosen at start.
With no checkpoint on disk the page says how to get one; a box that runs the host's
``sdsetup models get <url>`` (the command prefix arrives in ``SDSETUP_CLI``) is always there, open
while there is no checkpoint, for a second model, a LoRA or an upscaler later.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import gradio as gr

from sdsetup.i18n import t
from webui import samplers, ui_extras
from webui.engine import VAE_AUTOMATIC, VAE_NONE, Engine
from webui.errors import WebuiError
from webui.hires import LATENT_MODES
from webui.infotext import parse_infotext
from webui.params import LIMITS, parse_txt2img
from webui.outputs import read_parameters
from webui.ui_img2img import TOP_IMG2IMG, build_tab, send_buttons
from webui.ui_progress import stream

def _sampler(name: str) -> str:
    if name not in {s.name for s in samplers.SAMPLERS}:
        raise ValueError(name)
    return name


# parse_infotext keys that fill the txt2img fields when a PNG is dropped on PNG Info, in the
# order of the components they fill (prompt, negative, steps, sampler, cfg, seed, width, height).
PASTE_FIELDS = (("Prompt", str), ("Negative prompt", str), ("Steps", int), ("Sampler", _sampler),
                ("CFG scale", float), ("Seed", int), ("Size-1", int), ("Size-2", int))


def pasted_value(fields: dict[str, str], key: str, convert):
    """A field's value for its component, or no change when it is missing or unusable."""
    try:
        return convert(fields[key])
    except (KeyError, ValueError):
        return gr.skip()

_LOG_LINES = 20


def _cli_prefix() -> list[str] | None:
    raw = os.environ.get("SDSETUP_CLI")
    try:
        prefix = json.loads(raw) if raw else None
    except ValueError:
        return None
    return prefix if isinstance(prefix, list) and all(isinstance(p, str) for p in prefix) else None


def build(engine: Engine, lang: str) -> gr.Blocks:
    def tr(key: str, **params) -> str:
        return t(key, lang=lang, **params)

    def titles() -> list[str]:
        return [ck.title for ck in engine.checkpoints]

    def vae_names() -> list[str]:
        return [VAE_AUTOMATIC, VAE_NONE, *(p.stem for p in engine.vaes())]

    def hires_upscalers() -> list[str]:
        return [*LATENT_MODES, *(u.name for u in engine.upscalers())]

    def refresh():
        engine.refresh()
        current = engine.selected()
        return (gr.update(choices=titles(), value=current.title if current else None),
                gr.update(choices=vae_names()), gr.update(visible=not engine.checkpoints),
                gr.update(choices=hires_upscalers()))

    def switch(title: str | None):
        if not title:
            return ""
        try:
            engine.select(title)
        except WebuiError as err:
            return tr("run.ui_error", message=str(err))
        return tr("run.ui_loaded", title=title)

    def download(url: str):
        """Run ``sdsetup models get`` and stream its output, so a slow link shows progress."""
        prefix = _cli_prefix()
        if not prefix:
            yield tr("run.ui_download_unavailable")
            return
        if not url.strip():
            yield tr("run.ui_download_empty")
            return
        command = [*prefix, "models", "get", "--models-dir", str(engine.paths.checkpoints.parent),
                   url.strip()]
        lines: list[str] = []
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace") as child:
            for line in child.stdout:
                lines.append(line.rstrip().rsplit("\r", 1)[-1])
                yield "\n".join(lines[-_LOG_LINES:])
        engine.refresh()
        ending = tr("run.ui_download_done") if child.returncode == 0 else ""
        yield "\n".join([*lines[-_LOG_LINES:], ending]).strip()

    def generate(title, vae, prompt, negative, sampler, schedule, steps, cfg, width, height, seed,
                 batch_size, batch_count, clip_skip, enable_hr, hr_upscaler, hr_scale, hr_steps,
                 denoising):
        try:
            request = parse_txt2img({
                "prompt": prompt, "negative_prompt": negative, "sampler_name": sampler,
                "scheduler": schedule, "steps": steps, "cfg_scale": cfg, "width": width,
                "height": height, "seed": seed, "batch_size": batch_size, "n_iter": batch_count,
                "enable_hr": enable_hr, "hr_upscaler": hr_upscaler, "hr_scale": hr_scale,
                "hr_second_pass_steps": hr_steps, "denoising_strength": denoising,
                "override_settings": {"sd_model_checkpoint": title, "sd_vae": vae,
                                      "CLIP_stop_at_last_layers": clip_skip}},
                engine.current_options())
        except WebuiError as err:
            yield None, "", tr("run.ui_error", message=str(err))
            return
        yield from stream(engine, tr, lambda: engine.txt2img(request, save=True), request.steps,
                          request.n_iter)

    def png_info(path: str | None):
        if not path:
            return "", {}
        text = read_parameters(Path(path).read_bytes())
        return text or tr("run.ui_no_infotext"), parse_infotext(text) if text else {}

    def paste(fields: dict | None):
        """The txt2img fields filled from an infotext's fields, as A1111's paste does."""
        return tuple(pasted_value(fields or {}, key, convert) for key, convert in PASTE_FIELDS)

    current = engine.selected()
    sampler_names = [s.name for s in samplers.SAMPLERS]
    schedule_labels = [s.label for s in samplers.SCHEDULES]
    with gr.Blocks(title=tr("run.ui_title"), analytics_enabled=False) as blocks:
        gr.Markdown(f"## {tr('run.ui_title')}")
        with gr.Row():
            model = gr.Dropdown(titles(), value=current.title if current else None,
                                label=tr("run.ui_model"), scale=4, elem_id="model")
            vae = gr.Dropdown(vae_names(), value=VAE_AUTOMATIC, label=tr("run.ui_vae"), scale=2)
            refresh_button = gr.Button(tr("run.ui_refresh"), scale=1)
        empty = gr.Markdown(tr("run.ui_no_models", folder=str(engine.paths.checkpoints)),
                            visible=not engine.checkpoints)
        with gr.Accordion(tr("run.ui_download_title"), open=not engine.checkpoints,
                          elem_id="download"):
            url = gr.Textbox(label=tr("run.ui_download_label"), placeholder="https://civitai.com/models/…")
            download_button = gr.Button(tr("run.ui_download"))
            download_log = gr.Textbox(label=tr("run.ui_download_log"), lines=4)
        # "Send to extras" puts the image here; the Extras tab (id TOP_EXTRAS) shows it.
        extras_inbox = gr.State(None)
        top_tabs = gr.Tabs()
        top_tabs.__enter__()
        with gr.Tab(tr("run.ui_tab_txt2img"), id="txt2img"):
            with gr.Row():
                with gr.Column(scale=3):
                    prompt = gr.Textbox(label=tr("run.ui_prompt"), lines=3, elem_id="prompt")
                    negative = gr.Textbox(label=tr("run.ui_negative"), lines=2)
                    ui_extras.styles_row(engine, tr, prompt, negative)
                    ui_extras.networks_panel(engine, tr, blocks, prompt, model)
                    with gr.Row():
                        sampler = gr.Dropdown(sampler_names, value="DPM++ 2M", label=tr("run.ui_sampler"))
                        schedule = gr.Dropdown(schedule_labels, value="Automatic",
                                               label=tr("run.ui_schedule"))
                    steps = gr.Slider(*LIMITS["steps"], value=20, step=1, label=tr("run.ui_steps"),
                                      elem_id="steps")
                    cfg = gr.Slider(1, LIMITS["cfg_scale"][1], value=7, step=0.5, label=tr("run.ui_cfg"))
                    with gr.Row():
                        width = gr.Slider(*LIMITS["width"], value=512, step=8, label=tr("run.ui_width"),
                                          elem_id="width")
                        height = gr.Slider(*LIMITS["height"], value=512, step=8, label=tr("run.ui_height"),
                                           elem_id="height")
                    with gr.Row():
                        seed = gr.Number(value=-1, precision=0, label=tr("run.ui_seed"))
                        batch_size = gr.Slider(*LIMITS["batch_size"], value=1, step=1,
                                               label=tr("run.ui_batch_size"))
                        batch_count = gr.Slider(1, 16, value=1, step=1, label=tr("run.ui_batch_count"))
                        clip_skip = gr.Slider(*LIMITS["clip_skip"], value=1, step=1,
                                              label=tr("run.ui_clip_skip"))
                    with gr.Accordion(tr("run.ui_hires"), open=False):
                        with gr.Row():
                            enable_hr = gr.Checkbox(False, label=tr("run.ui_hires_enable"))
                            hr_upscaler = gr.Dropdown(hires_upscalers(), value="Latent",
                                                      label=tr("run.ui_hires_upscaler"),
                                                      elem_id="hr_upscaler")
                        with gr.Row():
                            hr_scale = gr.Slider(*LIMITS["hr_scale"], value=2, step=0.05,
                                                 label=tr("run.ui_hires_scale"))
                            hr_steps = gr.Slider(*LIMITS["hr_second_pass_steps"], value=0, step=1,
                                                 label=tr("run.ui_hires_steps"))
                            denoising = gr.Slider(*LIMITS["denoising_strength"], value=0.7, step=0.01,
                                                  label=tr("run.ui_denoising"))
                with gr.Column(scale=2):
                    with gr.Row():
                        go = gr.Button(tr("run.ui_generate"), variant="primary", elem_id="generate")
                        stop = gr.Button(tr("run.ui_interrupt"), variant="stop")
                        skip = gr.Button(tr("run.ui_skip"))
                    status = gr.Markdown(elem_id="status")
                    gallery = gr.Gallery(label=tr("run.ui_gallery"), elem_id="gallery", format="png")
                    gallery_pick = gr.State(0)
                    txt2img_send = gr.Column()
                    info = gr.Textbox(label=tr("run.ui_infotext"), lines=4, interactive=False)
        with gr.Tab(tr("run.ui_tab_img2img"), id=TOP_IMG2IMG):
            img2img_tab = build_tab(engine, tr, model, vae)
        ui_extras.extras_tab(engine, tr, blocks, extras_inbox)
        with gr.Tab(tr("run.ui_tab_pnginfo"), id="pnginfo"):
            with gr.Row():
                with gr.Column():
                    upload = gr.Image(type="filepath", label=tr("run.ui_png_upload"), format="png",
                                      elem_id="pnginfo_image")
                    send_buttons(img2img_tab, top_tabs, extras_inbox, tr, upload)
                with gr.Column():
                    png_text = gr.Textbox(label=tr("run.ui_infotext"), lines=6)
                    png_fields = gr.JSON(label=tr("run.ui_png_fields"))

        # A checkpoint or upscaler copied in while the server ran shows up when the page is (re)loaded.
        refresh_button.click(refresh, outputs=[model, vae, empty, hr_upscaler], api_name=False)
        blocks.load(refresh, outputs=[model, vae, empty, hr_upscaler], api_name=False)
        model.change(switch, inputs=model, outputs=status, api_name=False)
        download_button.click(download, inputs=url, outputs=download_log, api_name="download_model")
        go.click(generate, inputs=[model, vae, prompt, negative, sampler, schedule, steps, cfg, width,
                                   height, seed, batch_size, batch_count, clip_skip, enable_hr,
                                   hr_upscaler, hr_scale, hr_steps, denoising],
                 outputs=[gallery, info, status], api_name="txt2img")
        stop.click(engine.interrupt, api_name=False)
        skip.click(engine.skip, api_name=False)
        top_tabs.__exit__()
        with txt2img_send:
            send_buttons(img2img_tab, top_tabs, extras_inbox, tr, gallery, gallery_pick)
        gallery.select(lambda event: event.index, None, gallery_pick, api_name=False)
        pasted = [prompt, negative, steps, sampler, cfg, seed, width, height]
        upload.change(png_info, inputs=upload, outputs=[png_text, png_fields], api_name="png_info") \
            .then(paste, inputs=png_fields, outputs=pasted, api_name=False)
    return blocks
