"""The A1111 HTTP API under ``/sdapi/v1`` (a1111-compat.md §2–§7), served beside the UI.

Endpoints are sync functions, so FastAPI runs them in its thread pool: a txt2img holds the
engine's queue lock while ``progress`` and ``interrupt`` keep answering, as in A1111.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from sdsetup.errors import SdsetupError
from sdsetup.i18n import t
from webui import api_extras, api_routes, samplers
from webui.engine import Engine
from webui.errors import RequestError
from webui.img2img_params import echo_img2img, parse_img2img
from webui.outputs import b64_image
from webui.params import check_unicode, echo_parameters, parse_txt2img

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
    detail = str(exc)
    if getattr(exc, "hint", None):  # e.g. where to put a checkpoint: the client shows ``detail``
        detail += f" ({t('core.hint_prefix')} {t(exc.hint, **exc.params)})"
    return JSONResponse(status_code=status, content={
        "error": type(exc).__name__, "detail": detail, "body": body,
        "errors": field or str(exc)})


def install(app: FastAPI, engine: Engine, api_auth: str | None,
            flags: Mapping[str, Any] | None = None) -> None:
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

    @app.exception_handler(SdsetupError)  # WebuiError, and sdsetup's own (a corrupt header)
    async def failed(request: Request, exc: SdsetupError):
        return _error(getattr(exc, "status", 500), exc)

    def reply(result, request, parameters: dict) -> dict:
        fmt = request.settings["samples_format"]
        images = [b64_image(img, text, fmt) for img, text in zip(result.images, result.infotexts)]
        return {"images": images if request.send_images else [], "parameters": parameters,
                "info": json.dumps(result.info, default=lambda o: None)}

    @router.post("/txt2img")
    def txt2img(body: Any = Body(default=None)):
        request = parse_txt2img(body, engine.current_options())
        result = engine.txt2img(request, save=request.save_images)
        return reply(result, request, echo_parameters(body))

    @router.post("/img2img")
    def img2img(body: Any = Body(default=None)):
        job = parse_img2img(body, engine.current_options())
        result = engine.img2img(job, save=job.base.save_images)
        return reply(result, job.base, echo_img2img(body, bool(body.get("include_init_images"))))

    @router.get("/progress")
    def progress(skip_current_image: bool = False):
        return engine.progress(with_image=not skip_current_image)

    @router.post("/interrupt")
    def interrupt():
        engine.interrupt()
        return {}

    @router.post("/skip")
    def skip():
        engine.skip()
        return None

    @router.get("/options")
    def get_options():
        engine.rescan()
        return engine.current_options()

    @router.post("/options")
    def set_options(body: Any = Body(default=None)):
        if not isinstance(body, dict):
            raise RequestError("body", "run.bad_object")
        check_unicode(body)
        live = ("sd_model_checkpoint", "sd_checkpoint_hash", "CLIP_stop_at_last_layers", "sd_vae",
                "outdir_txt2img_samples")
        engine.settings.update({k: v for k, v in body.items() if k not in live})
        if "CLIP_stop_at_last_layers" in body:
            engine.clip_skip = parse_txt2img({"override_settings": {
                "CLIP_stop_at_last_layers": body["CLIP_stop_at_last_layers"]}}).clip_skip
        if body.get("sd_vae"):
            if not isinstance(body["sd_vae"], str):
                raise RequestError("sd_vae", "run.bad_string")
            engine.set_vae_option(body["sd_vae"])
        wanted = body.get("sd_model_checkpoint")
        if wanted is not None and not isinstance(wanted, str):
            raise RequestError("sd_model_checkpoint", "run.bad_string")
        if wanted and (engine.current is None or wanted != engine.current.title):
            engine.select(wanted)
        return None

    @router.get("/sd-models")
    def sd_models():
        engine.rescan()
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

    @router.get("/sd-vae")
    def sd_vae():
        return [{"model_name": p.stem, "filename": str(p)} for p in engine.vaes()]

    @router.get("/latent-upscale-modes")
    def latent_upscale_modes():
        return [{"name": name} for name in LATENT_UPSCALE_MODES]

    api_routes.add_routes(router, engine, flags or {})
    api_extras.install(router, engine)
    app.include_router(router)
    _install_docs(app, deps)


def _install_docs(app: FastAPI, deps: list) -> None:
    """``/openapi.json`` and ``/docs``, behind ``--api-auth`` like the routes they describe."""

    @app.get("/openapi.json", include_in_schema=False, dependencies=deps)
    def openapi():
        return app.openapi()

    @app.get("/docs", include_in_schema=False, dependencies=deps)
    def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API")

