"""How sure a median across runs is, in words: its 95% interval and when more runs are
needed (docs/simulator.md, "How sure"). One function, :func:`precision`, used by the
statements (verdicts.py) and the red lines (redlines.py) alike."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from .display import cny, count, number, pct, price, ratio, signed_pct
from .stats import MIN_RUNS, WIDE, Spread

Shown = tuple[str, str, str, Spread, Callable[[Fraction], str]]
"""(key, name in Chinese, in English, the figure's :class:`Spread`, how to write it)."""


def as_pct(value: Fraction) -> str:
    return pct(value)


def as_signed(value: Fraction) -> str:
    return signed_pct(value)


def as_number(value: Fraction) -> str:
    return number(value)


def as_price(value: Fraction) -> str:
    return price(int(value))


def as_cny(value: Fraction) -> str:
    return cny(int(value))


def as_ppm(value: Fraction) -> str:
    return pct(value / 1_000_000)


def precision(point_runs: int, shown: list[Shown]) -> tuple[str, str, dict[str, Any]]:
    """How sure the medians across runs of one statement are (docs/simulator.md, "How sure"):
    each one's 95% interval (order statistics, stats.median_interval), and a note when more
    runs are needed (stats.needs_more_runs). (Chinese, English, figures for summary.json.)

    ``point_runs`` is the point's number of runs: when it is below stats.MIN_RUNS every
    median needs more runs, and :func:`_runs_note` says so once for the point; here only
    a figure that fewer runs had (a restart some runs never saw) says it on its own."""
    figures = {key: {"runs": s.runs, "median": ratio(s.median), "low": ratio(s.low),
                     "high": ratio(s.high), "p5": ratio(s.p5), "p95": ratio(s.p95),
                     "more_runs": s.more_runs} for key, _, _, s, _ in shown}
    present = [item for item in shown if item[3].median is not None]
    if not present:
        return "", "", {}
    runs = max(item[3].runs for item in present)
    ranged = [(zh, en, write(s.low), write(s.high)) for _, zh, en, s, write in present
              if s.low is not None and s.high is not None]
    if not ranged:
        if point_runs < MIN_RUNS:  # said once, by _runs_note
            return "", "", {"intervals": figures}
        return (f"这一数字只来自 {runs} 次模拟，给不出中位数的 95% 区间（至少需要 6 次），"
                "需要更多次模拟。",
                f" Only {count(runs, 'run')} had this figure: no 95% interval of the median "
                "can be given (6 runs at least): more runs are needed.", {"intervals": figures})
    parts_zh = "，".join(f"{zh} {low}–{high}" for zh, _, low, high in ranged)
    parts_en = ", ".join(f"{en} {low}–{high}" for _, en, low, high in ranged)
    zh = f"中位数的 95% 区间：{parts_zh}。"
    en = f" 95% interval of the median: {parts_en}."
    if point_runs < MIN_RUNS:
        pass  # said once, by _runs_note
    elif runs < MIN_RUNS:
        zh += f"这一数字只来自 {runs} 次模拟（少于 {MIN_RUNS} 次），需要更多次模拟。"
        en += (f" Only {count(runs, 'run')} had this figure (fewer than {MIN_RUNS}): more "
               "runs are needed.")
    elif wide := [(zh, en) for _, zh, en, s, _ in present if s.more_runs]:
        zh += (f"{'、'.join(name for name, _ in wide)}的区间宽于其中位数的 {pct(WIDE)}，"
               "需要更多次模拟。")
        en += (f" The interval of {', '.join(name for _, name in wide)} is wider than "
               f"{pct(WIDE)} of its median: more runs are needed.")
    return zh, en, {"intervals": figures}
