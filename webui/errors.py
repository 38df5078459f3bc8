"""webui's exceptions; the tree is in the package docstring."""

from __future__ import annotations

from sdsetup.errors import SdsetupError


class WebuiError(SdsetupError):
    """An expected failure inside the UI process, rendered from the message catalogue."""


class CheckpointError(WebuiError):
    """A checkpoint cannot be loaded: unreadable, an unsupported family, or not found."""


class RequestError(WebuiError):
    """A request field has an invalid value; the API answers 422 naming ``field``."""

    def __init__(self, field: str, key: str = "run.bad_field", **params) -> None:
        self.field = field
        super().__init__(key, field=field, **params)
