"""Debian's chromium driven by Playwright, with the flags a closed network needs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched browser; the test skips, saying why, without Playwright or chromium."""
    playwright_api = pytest.importorskip("playwright.sync_api",
                                         reason="Playwright is not installed")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Debian's chromium is not at {CHROMIUM} (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()
