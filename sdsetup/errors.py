"""The root of sdsetup's exception tree.

Every expected failure is an :class:`SdsetupError` (or a subclass defined next to the code that
raises it). The CLI renders it in one place as ``error: …`` / ``hint: …`` and exits 1; a
:class:`UsageError` exits 2. Anything else that escapes is a bug and keeps its traceback.

Messages are catalogue keys, never literal text, so every error exists in every language::

    SdsetupError
    ├── UsageError            bad command line or argument value (exit 2)
    └── (domain errors)       e.g. download.DownloadError, mirrors.MirrorConfigError, …
"""

from __future__ import annotations

from typing import Any


class SdsetupError(Exception):
    """An expected failure: a message key, an optional hint key, and their parameters."""

    exit_code = 1

    def __init__(self, key: str, hint: str | None = None, **params: Any) -> None:
        self.key = key
        self.hint = hint
        self.params = params
        super().__init__(key)

    def __str__(self) -> str:  # lets logs and tests read the rendered English text
        from sdsetup.i18n import t

        return t(self.key, **self.params)


class UsageError(SdsetupError):
    """The command line or an argument value is wrong (exit status 2)."""

    exit_code = 2
