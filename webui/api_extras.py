"""The A1111 routes of the Extras, the upscalers, face restorers and prompt styles (``/sdapi/v1``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from webui import extras
from webui.engine import Engine
from webui.outputs import b64_png


def _encoded(image, parameters: str, postprocessing: str) -> str:
    # As A1111: the source's own infotext stays, the Extras' goes into ``postprocessing``.
    return b64_png(image, parameters, postprocessing=postprocessing)


def install(router: APIRouter, engine: Engine) -> None:
    @router.get("/upscalers")
    def upscalers():
        return [u.api() for u in engine.upscalers()]

    @router.get("/realesrgan-models")
    def realesrgan_models():
        return [{"name": u.name, "path": str(u.path), "scale": u.scale}
                for u in engine.upscalers() if u.folder == "RealESRGAN"]

    @router.get("/face-restorers")
    def face_restorers():
        return engine.faces.api()

    @router.get("/prompt-styles")
    def prompt_styles():
        return [style.api() for style in engine.styles.styles().values()]

    @router.post("/extra-single-image")
    def extra_single_image(body: Any = Body(default=None)):
        request, image = extras.single_image(body)
        [(result, info)] = engine.extras(request, [image]) or [(image, "")]  # or: interrupted
        return {"html_info": extras.html_info(info),
                "image": _encoded(result, str(image.info.get("parameters", "")), info)}

    @router.post("/extra-batch-images")
    def extra_batch_images(body: Any = Body(default=None)):
        request, images = extras.batch_images(body)
        done = engine.extras(request, images)
        encoded = [_encoded(result, str(source.info.get("parameters", "")), info)
                   for source, (result, info) in zip(images, done)]
        return {"html_info": extras.html_info(done[-1][1] if done else ""), "images": encoded}
