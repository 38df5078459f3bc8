"""The bundled generation UI: gradio + diffusers with an AUTOMATIC1111-compatible HTTP API.

It runs inside the managed env (torch, diffusers, gradio) and is started by ``sdsetup run`` or
``python -m webui``. Pure decisions live in modules that take and return data (``infotext``,
``prompts``, ``samplers``, ``params``, ``configs``, ``catalog``); the modules around them load
models (``loading``), run generations (``engine``), save files (``outputs``) and serve HTTP
(``api``, ``ui``, ``server``).

Exceptions (all carry a message-catalogue key, like every sdsetup error)::

    sdsetup.errors.SdsetupError
    └── webui.errors.WebuiError
        ├── CheckpointError      a checkpoint is unreadable, unsupported or missing
        └── RequestError         a request field has an invalid value (HTTP 422, names the field)
"""
