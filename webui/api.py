"""The A1111 HTTP API under ``/sdapi/v1`` (a1111-compat.md §2–§7), served beside the UI.

Endpoints are sync functions, so FastAPI runs them in its thread pool: a txt2img holds the
engine's queue lock while ``progress`` and ``interrupt`` keep answering, as in A1111.
"""

from __future__ import annotations

import binascii
import json
import os
import secrets
import time
from typing import Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from webui import samplers
from webui.engine import Engine
from webui.errors import RequestError, WebuiError
from webui.infotext import parse_infotext
from webui.outputs import b64_png, decode_image_field, read_parameters
from webui.params import echo_parameters, parse_txt2img

LATENT_UPSCALE_MODES = ("Latent", "Latent (antialiased)", "Latent (bicubic)",
                        "Latent (bicubic antialiased)", "Latent (nearest)", "Latent (nearest-exact)")


def parse_credentials(spec: str | None) -> dict[str, str]:
    """``user:pass[,user2:pass2]`` as A1111's ``--api-auth`` takes it."""
    pairs = [item.split(":", 1) for item in (spec or "").split(",") if ":" in item]
    return {user.strip(): password for user, password in pairs}


def _basic_auth(credentials: dict[str, str]):
    security = HTTPBasic(auto_error=False)

    def check(given: HTTPBasicCredentials | None = Depends(security)) -> None:
        if given is not None and given.username in credentials and secrets.compare_digest(
                credentials[given.username], given.password):
            return
        raise HTTPException(401, "Incorrect username or password",
                            headers={"WWW-Authenticate": "Basic"})

    return check


def _error(status: int, exc: Exception, body: Any = None, field: str | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={
        "error": type(exc).__name__, "detail": str(exc), "body": body,
        "errors": field or str(exc)})


def _memory() -> dict:
    ram: dict[str, int] = {}
    if hasattr(os, "sysconf"):
        page = os.sysconf("SC_PAGE_SIZE")
        total, free = page * os.sysconf("SC_PHYS_PAGES"), page * os.sysconf("SC_AVPHYS_PAGES")
        ram = {"free": free, "used": total - free, "total": total}
    import torch

    if not torch.cuda.is_available():
        return {"ram": ram, "cuda": {"error": "unavailable"}}
    free, total = torch.cuda.mem_get_info()
    return {"ram": ram, "cuda": {"system": {"free": free, "used": total - free, "total": total},
                                 "active": {"current": torch.cuda.memory_allocated(),
                                            "peak": torch.cuda.max_memory_allocated()}}}


def install(app: FastAPI, engine: Engine, api_auth: str | None) -> None:
    """Add the ``/sdapi/v1`` routes and A1111's error and timing conventions to ``app``."""
    credentials = parse_credentials(api_auth)
    deps = [Depends(_basic_auth(credentials))] if credentials else []
    router = APIRouter(prefix="/sdapi/v1", dependencies=deps)

    @app.middleware("http")
    async def process_time(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["X-Process-Time"] = f"{time.perf_counter() - started:.4f}"
        return response

    @app.exception_handler(RequestError)
    async def bad_request(request: Request, exc: RequestError):
        return _error(422, exc, field=exc.field)

    @app.exception_handler(WebuiError)
    async def failed(request: Request, exc: WebuiError):
        return _error(500, exc)

    @router.post("/txt2img")
    def txt2img(body: Any = Body(default=None)):
        request = parse_txt2img(body, engine.clip_skip)
        result = engine.txt2img(request, save=request.save_images)
        images = [b64_png(img, text) for img, text in zip(result.images, result.infotexts)]
        return {"images": images if request.send_images else [],
                "parameters": echo_parameters(body), "info": json.dumps(result.info, default=lambda o: None)}

    @router.get("/progress")
    def progress(skip_current_image: bool = False):
        return engine.progress(with_image=not skip_current_image)

    @router.post("/interrupt")
    def interrupt():
        engine.interrupt()
        return {}

    @router.post("/skip")
    def skip():
        engine.interrupt()
        return None

    @router.get("/options")
    def get_options():
        current = engine.selected()
        return {"sd_model_checkpoint": current.title if current else None,
                "sd_checkpoint_hash": current.sha256 if current else None,
                "CLIP_stop_at_last_layers": engine.clip_skip, "sd_vae": engine.vae_option,
                "samples_format": "png", "samples_save": True,
                "outdir_samples": "", "outdir_txt2img_samples": str(engine.paths.outputs / "txt2img-images")}

    @router.post("/options")
    def set_options(body: Any = Body(default=None)):
        if not isinstance(body, dict):
            raise RequestError("body", "run.bad_object")
        if "CLIP_stop_at_last_layers" in body:
            engine.clip_skip = parse_txt2img({"override_settings": {
                "CLIP_stop_at_last_layers": body["CLIP_stop_at_last_layers"]}}).clip_skip
        if body.get("sd_vae"):
            engine.set_vae_option(str(body["sd_vae"]))
        wanted = body.get("sd_model_checkpoint")
        if wanted and (engine.current is None or wanted != engine.current.title):
            engine.select(str(wanted))
        return None

    @router.get("/sd-models")
    def sd_models():
        return [ck.api() for ck in engine.checkpoints]

    @router.post("/refresh-checkpoints")
    def refresh_checkpoints():
        engine.refresh()
        return None

    @router.get("/samplers")
    def list_samplers():
        return samplers.api_samplers()

    @router.get("/schedulers")
    def list_schedulers():
        return samplers.api_schedulers()

    @router.get("/loras")
    def loras():
        return [{"name": p.stem, "alias": p.stem, "path": str(p), "metadata": {}} for p in engine.loras()]

    @router.post("/refresh-loras")
    def refresh_loras():
        return None

    @router.get("/embeddings")
    def embeddings():
        def describe(table):
            return {name: {"step": None, "sd_checkpoint": None, "sd_checkpoint_name": None,
                           "shape": None, "vectors": None} for name in table}
        return {"loaded": describe(engine.embeddings), "skipped": describe(engine.skipped_embeddings)}

    @router.post("/png-info")
    def png_info(body: Any = Body(default=None)):
        image = body.get("image") if isinstance(body, dict) else None
        if not isinstance(image, str) or not image:
            raise RequestError("image", "run.bad_image")
        try:
            text = read_parameters(decode_image_field(image))
        except (binascii.Error, OSError, ValueError):
            raise RequestError("image", "run.bad_image") from None
        return {"info": text, "items": {"parameters": text} if text else {},
                "parameters": parse_infotext(text) if text else {}}

    @router.get("/scripts")
    def scripts():
        return {"txt2img": [], "img2img": []}

    @router.get("/memory")
    def memory():
        return _memory()

    @router.get("/sd-vae")
    def sd_vae():
        return [{"model_name": p.stem, "filename": str(p)} for p in engine.vaes()]

    @router.get("/upscalers")
    def upscalers():
        return [{"name": "None", "model_name": None, "model_path": None, "model_url": None, "scale": 4}]

    @router.get("/latent-upscale-modes")
    def latent_upscale_modes():
        return [{"name": name} for name in LATENT_UPSCALE_MODES]

    app.include_router(router)

