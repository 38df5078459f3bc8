"""Errors of the models domain (see the package docstring for the tree)."""

from __future__ import annotations

from sdsetup.errors import SdsetupError


class ModelError(SdsetupError):
    """A model could not be fetched, checked or placed."""


class BadReference(ModelError):
    """What the user passed to ``models get`` is none of the accepted reference forms."""


class CivitaiError(ModelError):
    """The Civitai API refused or failed; the key names the status in words."""


class UnsafeFile(ModelError):
    """The file must not land: pickle without consent, wrong hash, or an unsafe name."""
