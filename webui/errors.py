"""webui's exceptions; the tree is in the package docstring."""

from __future__ import annotations

from sdsetup.errors import SdsetupError


class WebuiError(SdsetupError):
    """An expected failure inside the UI process, rendered from the message catalogue."""

    status = 500  # what the API answers with


class CheckpointError(WebuiError):
    """A checkpoint cannot be loaded: unreadable, an unsupported family, or not found."""


class MissingModelError(CheckpointError):
    """No model file of the name or kind asked for (a checkpoint, an interrogator): 404."""

    status = 404


class NotServedError(WebuiError):
    """An A1111 route this engine answers but cannot carry out (training, interrogators): 501."""

    status = 501


class RequestError(WebuiError):
    """A request field has an invalid value; the API answers 422 naming ``field``."""

    status = 422

    def __init__(self, field: str, key: str = "run.bad_field", hint: str | None = None,
                 **params) -> None:
        self.field = field
        super().__init__(key, hint=hint, field=field, **params)
