"""Exact order statistics and ratios for the simulator's report.

Percentiles interpolate linearly between order statistics (numpy's default
method) in exact arithmetic, so the same runs always give the same bytes; a
percentile of integers (fen, point units) is rounded half up to an integer of
the same unit, so money stays integer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import comb


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


CONFIDENCE = Fraction(95, 100)
"""The coverage of :func:`median_interval`: at least 95%."""

MIN_RUNS = 20
"""Fewer runs than this: a median across runs comes with a note that more runs are needed."""

WIDE = Fraction(1, 5)
"""An interval wider than this fraction of its median's size also asks for more runs."""


def median_interval(values: Iterable[Fraction | int | float]
                    ) -> tuple[Fraction, Fraction] | None:
    """A distribution-free interval for the median across runs: order statistics.

    With n values sorted, the k-th smallest and the k-th largest bound the true
    median with probability 1 - 2 P(Binomial(n, 1/2) < k); k is the largest
    with that at least :data:`CONFIDENCE`. Exact integers, no normal
    approximation. None when n is too small for any such k (n < 6).
    """
    ordered = sorted(Fraction(value) for value in values)
    n = len(ordered)
    tail, k, below = Fraction(0), 0, Fraction(0)
    while True:  # below = P(Binomial(n, 1/2) < k + 1)
        below = tail + Fraction(comb(n, k), 2**n)
        if k + 1 > (n + 1) // 2 or 2 * below > 1 - CONFIDENCE:
            break
        tail, k = below, k + 1
    if k == 0:
        return None
    return ordered[k - 1], ordered[n - k]


@dataclass(frozen=True)
class Spread:
    """A median across runs with its precision: the interval of :func:`median_interval`,
    the runs' own p5 and p95, and whether more runs are needed (:func:`needs_more_runs`)."""

    runs: int
    median: Fraction | None
    low: Fraction | None
    """The interval of the median (None: too few runs for one)."""
    high: Fraction | None
    p5: Fraction | None
    p95: Fraction | None
    more_runs: bool


def needs_more_runs(runs: int, middle: Fraction | None,
                    interval: tuple[Fraction, Fraction] | None) -> bool:
    """The rule (docs/simulator.md, "How sure"): fewer than :data:`MIN_RUNS` runs, no
    interval, or an interval wider than :data:`WIDE` times the median's size (any width
    at all when the median is 0)."""
    if runs < MIN_RUNS or interval is None or middle is None:
        return True
    width = interval[1] - interval[0]
    return width > WIDE * abs(middle) if middle else width > 0


def spread(values: Iterable[Fraction | int | float | None]) -> Spread:
    """:class:`Spread` of the values given (None skipped: a run without the figure)."""
    collected = [Fraction(value) for value in values if value is not None]
    if not collected:
        return Spread(0, None, None, None, None, None, True)
    middle = percentile(collected, 50)
    interval = median_interval(collected)
    low, high = interval if interval is not None else (None, None)
    return Spread(len(collected), middle, low, high, percentile(collected, 5),
                  percentile(collected, 95), needs_more_runs(len(collected), middle, interval))
