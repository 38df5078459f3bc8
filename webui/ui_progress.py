"""A generation run from the page: the engine works in a thread while the page shows its progress.

Both the txt2img and the img2img tabs stream ``(gallery, infotext, status)`` through
:func:`stream`, so the polling, the live preview and the error message are written once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import gradio as gr

from webui.engine import Engine, Result
from webui.errors import WebuiError

POLL_SECONDS = 0.25


def stream(engine: Engine, tr: Callable[..., str], call: Callable[[], Result], steps: int,
           batches: int) -> Iterator[tuple]:
    """Run ``call`` (an engine generation) and yield the page's three outputs until it ends."""
    outcome: dict = {}

    def work():
        try:
            outcome["result"] = call()
        except WebuiError as err:
            outcome["error"] = str(err)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    while worker.is_alive():
        s = engine.state
        preview = engine.preview()
        yield ([preview] if preview is not None else gr.skip(), gr.skip(),
               tr("run.ui_progress", step=s.sampling_step, steps=s.sampling_steps or steps,
                  image=s.job_no + 1, images=batches))
        time.sleep(POLL_SECONDS)
    if "error" in outcome:
        yield None, "", tr("run.ui_error", message=outcome["error"])
        return
    result = outcome["result"]
    yield (list(result.images), "\n\n".join(result.infotexts),
           tr("run.ui_done", count=len(result.images),
              folder=str(result.saved[0].parent) if result.saved else ""))
