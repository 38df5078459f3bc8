"""Fixtures of the models tests: the Civitai look-alike (API + separate storage) and the env that
points ``sdsetup models`` at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.models.civitai_lookalike import CivitaiLookalike, HfLookalike


@pytest.fixture
def civitai() -> Iterator[CivitaiLookalike]:
    with CivitaiLookalike() as server:
        yield server


@pytest.fixture
def hub(civitai: CivitaiLookalike) -> Iterator[HfLookalike]:
    with HfLookalike(civitai.storage) as server:
        yield server


@pytest.fixture
def civitai_env(civitai: CivitaiLookalike) -> dict[str, str | None]:
    """``run_cli`` env: the API is the look-alike, the token comes from CIVITAI_TOKEN."""
    return {"SDSETUP_CIVITAI_URL": civitai.base, "CIVITAI_TOKEN": civitai.token,
            "CIVITAI_API_TOKEN": None, "CIVITAI_API_KEY": None, "HF_ENDPOINT": None,
            "SDSETUP_HF_ENDPOINT": None, "SDSETUP_MIRROR": None}
