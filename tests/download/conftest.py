"""Fixtures of the download engine's tests: a loopback server, and a watcher that fails the test
if an unverified file ever shows at a final path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.download.helpers import Watcher
from tests.support.fileserver import FileServer


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as srv:
        yield srv


@pytest.fixture
def final_paths() -> Iterator[Watcher]:
    watcher = Watcher()
    yield watcher
    watcher.stop()
    assert watcher.bad == []
