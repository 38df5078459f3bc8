"""Model files: fetch from Civitai, Hugging Face or any URL into the A1111 layout, list and verify.

Modules: ``refs`` (parse what the user pasted), ``civitai`` and ``hf`` (metadata and download
sources), ``placement`` (which folder, which name), ``arch`` (kind and family from tensor shapes),
``safety`` (what may land on disk), ``fetcher`` (the ``get`` pipeline), ``library`` (list and
verify), ``hashcache`` (SHA-256 remembered by path, size and mtime). The safetensors header reader
is :mod:`sdsetup.safetensors_header`, beside this package, since the web UI uses it too.

Exception tree (all message keys live in ``sdsetup/i18n/models.py``)::

    SdsetupError
    ├── safetensors_header.InvalidSafetensors   not a complete safetensors file
    └── models.errors.ModelError                 a model could not be fetched or placed
        ├── BadReference                         the reference matches no accepted form
        ├── CivitaiError                         the API answered with a refusal (401/403/404/410/429/5xx)
        └── UnsafeFile                           pickle refused, hash mismatch, name or place refused
"""
