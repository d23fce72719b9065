"""The simulator's report as an operator opens it: on a phone and a laptop, in both
languages, with every folded section open, nothing wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from simhelpers import SMALL

from browsers import WIDTHS, chromium, layout_problems, screenshot
from profitpool.cli import main


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("report")
    scenario = where / "small.toml"
    scenario.write_text(SMALL, encoding="utf-8")
    result = CliRunner().invoke(main, [
        "simulate", str(scenario), "--runs", "2", "--workers", "1",
        "--sweep", "exit_multiple=2,3", "--out", str(where / "out"), "--quiet"])
    assert result.exit_code == 0, result.output
    return where / "out" / "report.html"


def test_the_report_fits_a_phone_and_a_laptop_in_both_languages(report: Path) -> None:
    with chromium() as browser:
        for width, height in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(report.as_uri())
            # Folded sections hold the widest tables: open them all.
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            assert page.locator("details[open] table").count() > 0
            _fits(page)
            screenshot(page, f"sim-report-zh-{width}")
            page.click("#lang")
            assert page.evaluate("document.body.classList.contains('en-mode')")
            _fits(page)
            screenshot(page, f"sim-report-en-{width}")
            page.close()


_SMALL_TEXT = """() => [...document.querySelectorAll('body *')].filter((node) =>
  node.offsetParent !== null && !node.closest('svg') &&
  [...node.childNodes].some((child) => child.nodeType === 3 && child.textContent.trim()) &&
  parseFloat(getComputedStyle(node).fontSize) < 12).map((node) => node.textContent.trim())"""


def _fits(page: object) -> None:
    """Nothing past the screen's edge but inside a scrolling box (every table is one), no
    figure broken across lines, no text under 12 px outside the charts (a chart's text is
    sized in its own units and scales with it: it is checked by eye in the screenshots)."""
    found = layout_problems(page)
    assert not (found["too_wide"] or found["wide"] or found["broken"]), found
    assert page.evaluate(_SMALL_TEXT) == []  # type: ignore[attr-defined]
