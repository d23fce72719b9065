"""Debian's chromium driven by Playwright, with the flags a closed network needs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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


SCREENSHOTS = Path(os.environ.get(
    "PROFITPOOL_SCREENSHOTS", Path(__file__).resolve().parents[1] / "test-artifacts"
    / "screenshots"))
"""Where pages' screenshots go (a CI artifact; test-artifacts/ is not committed)."""

WIDTHS = ((390, 844), (1366, 900))
"""A phone and a laptop: every page is looked at in both."""


def screenshot(page: Any, name: str) -> None:
    """Keep what the page looked like, whole, as ``<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


_LAYOUT = """(scope) => {
  const root = document.querySelector(scope) || document.body;
  const width = document.documentElement.scrollWidth;
  const visible = (node) => node.offsetParent !== null || node === document.body;
  // Text a reader is given, smaller than 12 px.
  const small = [...root.querySelectorAll('*')].filter((node) =>
    visible(node) && [...node.childNodes].some((child) =>
      child.nodeType === 3 && child.textContent.trim()) &&
    parseFloat(getComputedStyle(node).fontSize) < 12).map((node) => node.textContent.trim());
  // An amount, a figure or a time laid out on more than one line was broken inside itself.
  const broken = [...root.querySelectorAll('.money, .when, .figure, .num')].filter((node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
    return tops.size > 1;
  }).map((node) => node.textContent.trim());
  // Anything whose right edge is past the screen's (inside a scrolling box is fine).
  const scrolls = (node) => {
    for (let up = node.parentElement; up; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') return true;
    }
    return false;
  };
  const wide = [...root.querySelectorAll('*')].filter((node) => visible(node) &&
    node.getBoundingClientRect().right > window.innerWidth + 1 && !scrolls(node))
    .map((node) => node.tagName + (node.id ? '#' + node.id : ''));
  return {width, small, broken, wide};
}"""


def layout_problems(page: Any, scope: str = "body") -> dict[str, Any]:
    """What is wrong with the page's layout at its viewport's width, from the layout itself
    (not by eye): the document wider than the screen, text under 12 px, an amount, figure or
    time (``.money``, ``.figure``, ``.when``, ``.num``) broken across lines, and elements
    past the screen's right edge. Empty lists and a width within the viewport when fine."""
    found: dict[str, Any] = page.evaluate(_LAYOUT, scope)
    viewport = page.viewport_size["width"]
    found["too_wide"] = found["width"] > viewport + 1
    return found


def assert_fits(page: Any, scope: str = "body") -> None:
    """Fail with what is wrong when :func:`layout_problems` finds anything."""
    found = layout_problems(page, scope)
    assert not (found["too_wide"] or found["small"] or found["broken"] or found["wide"]), (
        page.url, found)
