"""How the report writes numbers: the same strings in the verdicts, tables and JSON text.

Money, prices and percentages are written by profitpool.money's formatters,
the ones the pages and the disclosure use: money is CNY with 2 decimals and
thousands separators, a price has 6 decimals, a percentage 1, all truncated.
A missing ratio (0/0) is an em dash, never a made-up zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from ..money import format_cny, format_percent, format_price

DASH = "—"

cny = format_cny
"""Fen as CNY with separators: 1234560 -> '12,345.60'."""
price = format_price
"""A price (or a launch point's value) in millionths of a CNY: 349694 -> '0.349694'."""


def points(units: int) -> str:
    """Point units (1/10,000 point) as whole points with separators, truncated."""
    return f"{units // 10_000:,}"


def pct(value: Fraction | float | None) -> str:
    """A ratio as a percentage with one decimal, truncated toward zero: 1/4 -> '25.0%'."""
    if value is None:
        return DASH
    return format_percent(Fraction(value))


def pct_size(value: Fraction | float) -> str:
    """The size of a (monthly) change, without sign; '<0.1%' rather than a misleading '0.0%'."""
    size = abs(Fraction(value))
    if 0 < size < Fraction(1, 1000):
        return "<0.1%"
    return pct(size)


def signed_pct(value: Fraction | float | None) -> str:
    """A change with its sign: '+0.9%', '-0.2%'."""
    if value is None:
        return DASH
    text = pct(value)
    return text if text.startswith("-") or text == "0.0%" else "+" + text


def number(value: Fraction | int | None) -> str:
    """A median count: '3', or '2.5' for the median of an even number of runs."""
    if value is None:
        return DASH
    fraction = Fraction(value)
    if fraction.denominator == 1:
        return f"{fraction.numerator:,}"
    tenths = int(fraction * 10)
    return f"{tenths // 10:,}.{tenths % 10}"


def ranges(months: Sequence[int]) -> str:
    """Months as compact ranges: [1, 2, 3, 5] -> '1–3, 5'."""
    parts: list[str] = []
    ordered = sorted(set(months))
    index = 0
    while index < len(ordered):
        end = index
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        first, last = ordered[index], ordered[end]
        parts.append(str(first) if first == last else f"{first}–{last}")
        index = end + 1
    return ", ".join(parts)


def months_text(months: Sequence[int]) -> tuple[str, str]:
    """Months in words: ('第 1–3、5 个月', 'months 1–3, 5'), or ('第 2 个月', 'month 2')."""
    listed = ranges(months)
    single = len(set(months)) == 1
    return f"第 {listed.replace(', ', '、')} 个月", f"month{'' if single else 's'} {listed}"


def rate(text: object) -> Fraction | None:
    """A rule's decimal string ('0.80') as a fraction, or None when it is not one."""
    try:
        return Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return None


def basis(exit_basis: str) -> tuple[str, str]:
    """What an exit multiple multiplies, in Chinese and English (docs/rules.md section 3)."""
    if exit_basis == "mint_value":
        return "铸造时价值", "its value at mint"
    return "消费金额", "its cost"


def ratio(value: Fraction | float | None) -> float | None:
    """A ratio for machine-readable figures (summary.json): a float, 6 decimals, or None."""
    return None if value is None else round(float(value), 6)


def count(value: Fraction | int | None, word: str) -> str:
    """A count and its noun, singular only for exactly one: '1 month', '2.5 months'."""
    return f"{number(value)} {word}{'' if value == 1 else 's'}"


def in_runs(runs: int) -> str:
    """'in any of the 4 runs', or 'in the single run'."""
    return "in the single run" if runs == 1 else f"in any of the {runs:,} runs"


def all_runs(runs: int) -> str:
    """'all 4 runs', or 'the single run'."""
    return "the single run" if runs == 1 else f"all {runs:,} runs"
