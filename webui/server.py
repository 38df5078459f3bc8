"""One FastAPI app on one port: the A1111 API first, then the gradio page mounted at ``/``.

The API routes are added before gradio is mounted, because a gradio app mounted at ``/``
swallows every route registered after it (a1111-compat.md §1).

Mounting skips what ``Blocks.launch()`` does for file safety, so it is done here: the page may
serve ``outputs/`` besides gradio's own upload and cache folders, and an event's file input
accepts only files uploaded through the page, never a path on the server.
"""

from __future__ import annotations

import gradio as gr
import uvicorn
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from webui import api, ui
from webui.api import parse_credentials
from webui.engine import Engine
from webui.guard import GuardMiddleware, is_loopback_name


def mark_launched(blocks: gr.Blocks) -> None:
    """What ``launch()`` sets and mounting does not: without it gradio copies any server path
    an event names into its cache and serves the copy (its path checks return early)."""
    blocks.has_launched = True
    blocks.is_running = True


def build_app(engine: Engine, lang: str, api_auth: str | None, gradio_auth: str | None,
              with_ui: bool = True, flags: Mapping[str, Any] | None = None,
              host: str = "127.0.0.1") -> FastAPI:
    """``flags``: the command line's options, for ``cmd-flags`` and ``--api-server-stop``."""
    # The schema and its docs page are served by api.install, behind --api-auth when set.
    app = FastAPI(title="sdsetup", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(GuardMiddleware, loopback_only=is_loopback_name(host))
    api.install(app, engine, api_auth, flags or {})
    if not with_ui:
        return app
    users = list(parse_credentials(gradio_auth).items()) or None
    blocks = ui.build(engine, lang)
    app = gr.mount_gradio_app(app, blocks, path="/", auth=users, show_error=False,
                              allowed_paths=[str(engine.paths.outputs)])
    mark_launched(blocks)
    return app


def serve(app: FastAPI, host: str, port: int) -> None:
    uvicorn.run(app, host=host, port=port, log_level="warning")
