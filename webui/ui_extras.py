"""The page's parts for the Extras tab, prompt styles and the extra-networks browser.

Each function adds its components inside the ``gr.Blocks`` being built by :func:`webui.ui.build`
and wires its own events; the engine does the work, as for the API.
"""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr
from PIL import Image, UnidentifiedImageError

from webui import extras, networks
from webui.catalog import CHECKPOINT_SUFFIXES, find_checkpoint
from webui.engine import EMBEDDING_SUFFIXES, LORA_SUFFIXES, Engine
from webui.errors import WebuiError
from webui.styles import Style, apply_styles
from webui.ui_img2img import TOP_EXTRAS
from webui.upscaling import spandrel_missing

Tr = Callable[..., str]
THUMB = 192
SCALE_BY, SCALE_TO = extras.SCALE_BY, extras.SCALE_TO


def styles_row(engine: Engine, tr: Tr, prompt: gr.Textbox, negative: gr.Textbox) -> None:
    """Pick styles and merge them into the prompt boxes; save the prompt boxes as a style."""
    def names() -> list[str]:
        return list(engine.styles.styles())

    with gr.Row():
        picked = gr.Dropdown(names(), multiselect=True, label=tr("run.ui_styles"), scale=4,
                             elem_id="styles")
        apply = gr.Button(tr("run.ui_style_apply"), scale=1, elem_id="styles_apply")
    with gr.Row():
        name = gr.Textbox(label=tr("run.ui_style_name"), scale=4, elem_id="style_name")
        save = gr.Button(tr("run.ui_style_save"), scale=1, elem_id="style_save")
    note = gr.Markdown(elem_id="style_note")

    def merge(text: str, negative_text: str, chosen: list[str] | None):
        return apply_styles(text or "", negative_text or "", chosen or [], engine.styles.styles())

    def keep(style_name: str, text: str, negative_text: str):
        style_name = (style_name or "").strip()
        if not style_name:
            return gr.update(), tr("run.ui_style_no_name")
        try:
            engine.styles.save(Style(style_name, text or "", negative_text or ""))
        except OSError as err:
            return gr.update(), tr("run.ui_error", message=str(err))
        return gr.update(choices=names()), tr("run.ui_style_saved", name=style_name)

    apply.click(merge, inputs=[prompt, negative, picked], outputs=[prompt, negative], api_name=False)
    save.click(keep, inputs=[name, prompt, negative], outputs=[picked, note], api_name="save_style")


def _thumbnail(card: networks.Card) -> Image.Image:
    if card.preview is not None:
        try:
            with Image.open(card.preview) as image:
                image.thumbnail((THUMB, THUMB))
                return image.convert("RGB")
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
            pass
    return Image.new("RGB", (THUMB, THUMB), (96, 96, 110))


def networks_panel(engine: Engine, tr: Tr, blocks: gr.Blocks, prompt: gr.Textbox,
                   model: gr.Dropdown) -> None:
    """Cards for checkpoints, LoRAs and embeddings; a click adds a LoRA or embedding to the prompt
    and selects a checkpoint."""
    folders = {"checkpoint": (engine.paths.checkpoints, CHECKPOINT_SUFFIXES),
               "lora": (engine.paths.loras, LORA_SUFFIXES),
               "embedding": (engine.paths.embeddings, EMBEDDING_SUFFIXES)}
    labels = {"checkpoint": "run.ui_networks_checkpoints", "lora": "run.ui_networks_lora",
              "embedding": "run.ui_networks_embeddings"}
    with gr.Accordion(tr("run.ui_networks"), open=False, elem_id="networks"):
        with gr.Row():
            kind = gr.Radio([(tr(labels[k]), k) for k in networks.KINDS], value="lora",
                            show_label=False, scale=2, elem_id="networks_kind")
            search = gr.Textbox(label=tr("run.ui_networks_search"), scale=2, elem_id="networks_search")
        gr.Markdown(tr("run.ui_networks_hint"))
        gallery = gr.Gallery(show_label=False, columns=6, height=260, allow_preview=False,
                             elem_id="networks_cards")
        empty = gr.Markdown(tr("run.ui_networks_empty"), visible=False)
        shown = gr.State([])

    def show(chosen: str, query: str):
        folder, suffixes = folders.get(chosen, folders["lora"])
        found = networks.matching(networks.scan(chosen, folder, suffixes), query or "")
        return ([(_thumbnail(c), c.caption) for c in found], [c.name for c in found],
                gr.update(visible=not found))

    def pick(chosen: str, names: list[str], text: str, evt: gr.SelectData):
        if not isinstance(evt.index, int) or not 0 <= evt.index < len(names):
            return gr.update(), gr.update()
        name = names[evt.index]
        if chosen == "checkpoint":
            found = find_checkpoint(engine.checkpoints, name)
            return gr.update(), gr.update(value=found.title) if found else gr.update()
        card = networks.Card(chosen, name, engine.paths.loras)
        return networks.add_to_prompt(text or "", networks.prompt_text(card)), gr.update()

    for trigger in (kind.change, search.change, blocks.load):
        trigger(show, inputs=[kind, search], outputs=[gallery, shown, empty], api_name=False)
    gallery.select(pick, inputs=[kind, shown, prompt], outputs=[prompt, model], api_name=False)


def extras_tab(engine: Engine, tr: Tr, blocks: gr.Blocks, inbox: gr.State) -> None:
    """A1111's Extras: one picture, two upscalers blended, scale by or to, face restoration;
    ``inbox`` holds what a "Send to Extras" button sent."""
    def names() -> list[str]:
        return [u.name for u in engine.upscalers()]

    with gr.Tab(tr("run.ui_tab_extras"), id=TOP_EXTRAS, elem_id="tab_extras"):
        missing = spandrel_missing()
        notes = [tr("run.ui_extras_models", folder=str(engine.models_dir / "ESRGAN"))]
        if missing:
            notes.append(tr("run.ui_extras_missing", reason=missing))
        gr.Markdown("\n\n".join(notes))
        with gr.Row():
            with gr.Column():
                source = gr.Image(type="pil", label=tr("run.ui_extras_image"), format="png",
                                  elem_id="extras_image")
                inbox.change(lambda image: image, inbox, source, api_name=False)
                mode = gr.Radio([(tr("run.ui_extras_scale_by"), SCALE_BY),
                                 (tr("run.ui_extras_scale_to"), SCALE_TO)], value=SCALE_BY,
                                show_label=False, elem_id="extras_mode")
                resize = gr.Slider(1, 8, value=4, step=0.05, label=tr("run.ui_extras_resize"),
                                   elem_id="extras_resize")
                with gr.Row():
                    width = gr.Slider(64, 8192, value=512, step=8, label=tr("run.ui_width"))
                    height = gr.Slider(64, 8192, value=512, step=8, label=tr("run.ui_height"))
                    crop = gr.Checkbox(True, label=tr("run.ui_extras_crop"))
                upscaler_1 = gr.Dropdown(names(), value="None", label=tr("run.ui_extras_upscaler_1"),
                                         elem_id="extras_upscaler_1")
                with gr.Row():
                    upscaler_2 = gr.Dropdown(names(), value="None",
                                             label=tr("run.ui_extras_upscaler_2"))
                    visibility = gr.Slider(0, 1, value=0, step=0.001,
                                           label=tr("run.ui_extras_upscaler_2_visibility"))
                with gr.Row():
                    gfpgan = gr.Slider(0, 1, value=0, step=0.001, label=tr("run.ui_extras_gfpgan"))
                    codeformer = gr.Slider(0, 1, value=0, step=0.001,
                                           label=tr("run.ui_extras_codeformer"))
                    weight = gr.Slider(0, 1, value=0, step=0.001,
                                       label=tr("run.ui_extras_codeformer_weight"))
            with gr.Column():
                run = gr.Button(tr("run.ui_extras_run"), variant="primary", elem_id="extras_run")
                result = gr.Image(label=tr("run.ui_extras_result"), format="png", interactive=False,
                                  elem_id="extras_result")
                info = gr.Textbox(label=tr("run.ui_extras_info"), lines=2, interactive=False,
                                  elem_id="extras_info")

    def upscale(image, chosen_mode, by, to_w, to_h, to_crop, first, second, second_visibility,
                gfpgan_visibility, codeformer_visibility, codeformer_weight):
        if image is None:
            return None, tr("run.ui_extras_no_image")
        try:
            request = extras.parse_extras({
                "resize_mode": chosen_mode, "upscaling_resize": by, "upscaling_resize_w": to_w,
                "upscaling_resize_h": to_h, "upscaling_crop": to_crop, "upscaler_1": first,
                "upscaler_2": second, "extras_upscaler_2_visibility": second_visibility,
                "gfpgan_visibility": gfpgan_visibility,
                "codeformer_visibility": codeformer_visibility,
                "codeformer_weight": codeformer_weight})
            done = engine.extras(request, [image], save=True)
        except WebuiError as err:
            return None, tr("run.ui_error", message=str(err))
        return (done[0][0], done[0][1]) if done else (None, "")

    def refresh():
        choices = names()
        return gr.update(choices=choices), gr.update(choices=choices)

    run.click(upscale, inputs=[source, mode, resize, width, height, crop, upscaler_1, upscaler_2,
                               visibility, gfpgan, codeformer, weight],
              outputs=[result, info], api_name="extras")
    blocks.load(refresh, outputs=[upscaler_1, upscaler_2], api_name=False)
