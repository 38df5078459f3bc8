"""The A1111 1.10 routes beyond generation: listings, model management, image info, and the
routes this engine answers without carrying them out.

Each answers with A1111's response model (``modules/api/models.py``): an empty list where there
is nothing of the kind, and 501 with a reason where A1111 would train (or interrogate with
DeepDanbooru, whose network is A1111's own code).
``server-kill``/``-restart``/``-stop`` exist only with ``--api-server-stop``, as in A1111.
"""

from __future__ import annotations

import binascii
import os
import signal
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import PlainTextResponse
from PIL import Image

from webui import memory
from webui.engine import Engine
from webui.errors import NotServedError, RequestError
from webui.extras import decode_image
from webui.network_info import describe_embedding, lora_item
from webui.outputs import decode_image_field
from webui.pnginfo import a1111_parameters, read_image_info

STOP_DELAY = 0.2  # seconds: time for the answer to leave before the process goes


def cmd_flags(flags: Mapping[str, Any], engine: Engine) -> dict[str, Any]:
    """A1111's ``FlagsModel`` keys for what this server was started with.

    Credentials are never echoed: an auth option that is set reads ``"***"``.
    """
    paths = engine.paths
    models = paths.checkpoints.parent
    return {
        "api": True, "nowebui": bool(flags.get("nowebui")), "listen": bool(flags.get("listen")),
        "port": flags.get("port"), "server_name": flags.get("host"),
        "api_auth": "***" if flags.get("api_auth") else None,
        "gradio_auth": "***" if flags.get("gradio_auth") else None,
        "api_server_stop": bool(flags.get("api_server_stop")), "api_log": False,
        "medvram": engine.options.medvram, "lowvram": engine.options.lowvram,
        "disable_safe_unpickle": engine.options.allow_ckpt,
        "models_dir": str(models), "ckpt_dir": str(paths.checkpoints), "vae_dir": str(paths.vaes),
        "lora_dir": str(paths.loras), "embeddings_dir": str(paths.embeddings),
        "hypernetwork_dir": str(models / "hypernetworks"),
        "esrgan_models_path": str(models / "ESRGAN"),
        "realesrgan_models_path": str(models / "RealESRGAN"),
        "gfpgan_models_path": str(models / "GFPGAN"),
        "codeformer_models_path": str(models / "Codeformer"), "clip_models_path": str(models / "CLIP"),
        "skip_torch_cuda_test": False, "no_half": False, "no_half_vae": False,
        "xformers": False, "no_download_sd_model": True,
    }


def _image_field(body: Any) -> bytes:
    image = body.get("image") if isinstance(body, Mapping) else None
    if not isinstance(image, str) or not image.strip():
        raise RequestError("image", "run.bad_image")
    try:
        return decode_image_field(image.strip())
    except (binascii.Error, ValueError):
        raise RequestError("image", "run.bad_image") from None


def _not_trained(route: str):
    def endpoint(body: Any = Body(default=None)):
        raise NotServedError("run.not_trained", route=route)
    return endpoint


def _later(action, *args) -> None:
    threading.Timer(STOP_DELAY, action, args).start()


def add_routes(router: APIRouter, engine: Engine, flags: Mapping[str, Any]) -> None:
    """Add the routes to ``router`` (which carries the API's auth and prefix)."""

    @router.get("/cmd-flags")
    def get_cmd_flags():
        return cmd_flags(flags, engine)

    @router.post("/unload-checkpoint")
    def unload_checkpoint():
        engine.unload()
        return {}

    @router.post("/reload-checkpoint")
    def reload_checkpoint():
        engine.reload()
        return {}

    @router.post("/refresh-vae")
    def refresh_vae():
        return None  # the VAE list is read from the folder on every request

    @router.post("/refresh-embeddings")
    def refresh_embeddings():
        engine.refresh_embeddings()
        return None

    @router.get("/embeddings")
    def embeddings():
        def describe(table: Mapping[str, Path]) -> dict:
            found = {name: describe_embedding(path) for name, path in table.items()}
            return {name: item for name, item in found.items() if item is not None}
        return {"loaded": describe(engine.embeddings), "skipped": describe(engine.skipped_embeddings)}

    @router.get("/loras")
    def loras():
        return [lora_item(path) for path in engine.loras()]

    @router.post("/refresh-loras")
    def refresh_loras():
        return None  # LoRAs are listed from the folder on every request

    @router.get("/hypernetworks")
    def hypernetworks():
        return []  # diffusers has no hypernetworks: none can be used here

    @router.get("/scripts")
    def scripts():
        return {"txt2img": [], "img2img": []}

    @router.get("/script-info")
    def script_info():
        return []

    @router.get("/extensions")
    def extensions():
        return []

    @router.get("/memory")
    def get_memory():
        return memory.memory()

    @router.post("/png-info")
    def png_info(body: Any = Body(default=None)):
        try:
            text, items = read_image_info(_image_field(body))
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
            raise RequestError("image", "run.bad_image") from None  # what Pillow raises for hostile images
        return {"info": text, "items": items, "parameters": a1111_parameters(text)}

    @router.post("/interrogate")
    def interrogate(body: Any = Body(default=None)):
        if not isinstance(body, Mapping):
            raise RequestError("body", "run.bad_object")
        image = decode_image("image", body.get("image"))
        model = body.get("model") or "clip"
        if not isinstance(model, str):
            raise RequestError("model", "run.bad_string")
        return {"caption": engine.interrogate(image, model)}

    for route in ("create/embedding", "create/hypernetwork", "train/embedding",
                  "train/hypernetwork"):
        router.add_api_route(f"/{route}", _not_trained(route), methods=["POST"])

    if not flags.get("api_server_stop"):
        return

    @router.post("/server-kill")
    def server_kill():
        _later(os._exit, 0)  # as A1111: at once, without shutting down
        return None

    @router.post("/server-restart")
    def server_restart():
        raise NotServedError("run.no_restart")

    @router.post("/server-stop")
    def server_stop():
        _later(os.kill, os.getpid(), signal.SIGTERM)  # uvicorn shuts down cleanly on SIGTERM
        return PlainTextResponse("Stopping.")
