"""One FastAPI app on one port: the A1111 API first, then the gradio page mounted at ``/``.

The API routes are added before gradio is mounted, because a gradio app mounted at ``/``
swallows every route registered after it (a1111-compat.md §1).
"""

from __future__ import annotations

import gradio as gr
import uvicorn
from fastapi import FastAPI

from webui import api, ui
from webui.api import parse_credentials
from webui.engine import Engine


def build_app(engine: Engine, lang: str, api_auth: str | None, gradio_auth: str | None,
              with_ui: bool = True) -> FastAPI:
    app = FastAPI(title="sdsetup", docs_url="/docs", redoc_url=None)
    api.install(app, engine, api_auth)
    if not with_ui:
        return app
    users = list(parse_credentials(gradio_auth).items()) or None
    return gr.mount_gradio_app(app, ui.build(engine, lang), path="/", auth=users,
                               show_error=True)


def serve(app: FastAPI, host: str, port: int) -> None:
    uvicorn.run(app, host=host, port=port, log_level="warning")
