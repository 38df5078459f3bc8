"""The bundled generation UI: gradio + diffusers with an AUTOMATIC1111-compatible HTTP API.

It runs inside the managed env (torch, diffusers, gradio) and is started by ``sdsetup run`` or
``python -m webui``. Pure decisions live in modules that take and return data (``infotext``,
``prompts``, ``samplers``, ``params``, ``configs``, ``catalog``, ``pnginfo``, ``styles``,
``upscalers``, ``networks``, ``extras``); the modules around them load models (``loading``), run
generations (``engine``), run upscalers and face restorers (``upscaling``, ``faces``), save files
(``outputs``), describe files and memory (``network_info``, ``memory``) and serve HTTP (``api``,
``api_routes``, ``api_extras``, ``ui``, ``ui_extras``, ``server``).

Exceptions (all carry a message-catalogue key, like every sdsetup error)::

    sdsetup.errors.SdsetupError
    └── webui.errors.WebuiError
        ├── CheckpointError      a checkpoint is unreadable or unsupported (HTTP 500)
        │   └── MissingModelError  no checkpoint by that name, or none at all (HTTP 404)
        ├── NotServedError       an A1111 route this engine cannot carry out (HTTP 501)
        └── RequestError         a request field has an invalid value (HTTP 422, names the field)
"""
