"""A real browser for the page tests: headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Set SDSETUP_SCREENSHOTS to a folder to keep the page screenshots for a human look.
SCREENSHOTS = Path(os.environ.get("SDSETUP_SCREENSHOTS", "/nonexistent"))
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]

needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason="no chromium binary: apt-get install chromium")


@contextmanager
def open_page(**options) -> Iterator[tuple]:
    """A new page (``options`` as Playwright's ``new_page``) and the list of every URL it asks
    for, so that a test can check that nothing comes from outside hosts."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page(**options)
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            yield page, requested
        finally:
            browser.close()
