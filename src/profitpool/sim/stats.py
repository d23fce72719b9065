"""Exact order statistics and ratios for the simulator's report.

Percentiles interpolate linearly between order statistics (numpy's default
method) in exact arithmetic, so the same runs always give the same bytes; a
percentile of integers (fen, point units) is rounded half up to an integer of
the same unit, so money stays integer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction


def percentile(values: Iterable[Fraction | int | float], q: int) -> Fraction:
    """The ``q``-th percentile (0..100), linear between order statistics, exact."""
    ordered = sorted(Fraction(value) for value in values)
    if not ordered:
        raise ValueError("percentile of no values")
    position = Fraction((len(ordered) - 1) * q, 100)
    low = int(position)
    if low + 1 >= len(ordered):
        return ordered[low]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)


def percentile_int(values: Sequence[int], q: int) -> int:
    """:func:`percentile` of integers, rounded half up to an integer (fen stay fen)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    low, remainder = divmod((len(ordered) - 1) * q, 100)
    if remainder == 0:
        return ordered[low]
    scaled = ordered[low] * 100 + (ordered[low + 1] - ordered[low]) * remainder
    return (scaled + 50) // 100


def median(values: Iterable[Fraction | int | float]) -> Fraction | None:
    """The median, or None when there is nothing to take it of."""
    collected = list(values)
    return percentile(collected, 50) if collected else None


def share(numerator: int, denominator: int) -> Fraction | None:
    """``numerator / denominator`` exactly, or None for x/0."""
    return Fraction(numerator, denominator) if denominator else None
