"""Member by member: who ended under water, what each arrival month got back, and how long
lots waited to exit.

Medians across runs say what a typical run did; they hide how members fared
inside a run. Here every member of every run of a point is one observation
(pooled over runs): the share of members under water at the end
(:func:`~profitpool.sim.funding.under_water`, the one definition), and for each
arrival month the p5/p25/p50/p75/p95 of what members got back over what they
put in. Lots, likewise, are pooled: the months from a lot's mint to its exit,
with the lots that never exited counted as never (docs/simulator.md,
"Per-member outcomes").

Integers throughout: a member's return is in parts per million (rounded down),
so "under water" is exactly a return below 1,000,000 ppm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .funding import under_water
from .results import RunResult
from .stats import percentile_int

PPM = 1_000_000
QUANTILES: tuple[int, ...] = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class ReturnBand:
    """One arrival month, every member of it in every run: (cash + goods received + holding
    at the final price) ÷ what their own orders put into the pool, in ppm."""

    month: int
    members: int
    """Members who joined that month and put something into the pool (all runs)."""
    under_water: int
    """Of them, members under water at the end."""
    ppm: dict[int, int] = field(default_factory=dict)
    """Percentile (5, 25, 50, 75, 95) -> return in parts per million (1,000,000: got back
    exactly what they put in)."""


@dataclass(frozen=True)
class MemberOutcomeFigures:
    """Every member of a point's runs, pooled."""

    runs: int = 0
    """Runs that recorded per-member outcomes (hand-built runs may not)."""
    members: int = 0
    """Members who joined, all those runs."""
    under_water: int = 0
    """Members under water at the end (:func:`~profitpool.sim.funding.under_water`)."""
    no_contribution: int = 0
    """Members whose orders put nothing into the pool (no return to take; never under
    water: they got back at least nothing)."""
    bands: list[ReturnBand] = field(default_factory=list)
    """By arrival month, months without a contributing member left out."""


def member_outcomes(runs: Sequence[RunResult]) -> MemberOutcomeFigures:
    """Pool the per-member outcomes of the runs that recorded them."""
    recorded = [run.members for run in runs if run.members is not None]
    if not recorded:
        return MemberOutcomeFigures()
    arrival = np.concatenate([np.frombuffer(m.arrival, dtype=np.uint16).astype(np.int64)
                              for m in recorded])
    put_in = np.concatenate([np.frombuffer(m.contributed_fen, dtype=np.int64)
                             for m in recorded])
    back = np.concatenate([np.frombuffer(m.back_fen, dtype=np.int64) for m in recorded])
    sunk = np.fromiter(map(under_water, back.tolist(), put_in.tolist()), dtype=bool,
                       count=len(back))
    paid_in = put_in > 0
    returns = np.zeros(len(back), dtype=np.int64)
    returns[paid_in] = back[paid_in] * PPM // put_in[paid_in]
    bands = []
    for month in np.unique(arrival[paid_in]).tolist():
        chosen = paid_in & (arrival == month)
        values = returns[chosen].tolist()
        bands.append(ReturnBand(month=month, members=len(values),
                                under_water=int(np.count_nonzero(sunk[chosen])),
                                ppm={q: percentile_int(values, q) for q in QUANTILES}))
    return MemberOutcomeFigures(
        runs=len(recorded), members=len(back), under_water=int(np.count_nonzero(sunk)),
        no_contribution=int(np.count_nonzero(~paid_in)), bands=bands)


NEVER = -1
"""A percentile of the time to exit that falls among lots that never exited."""


@dataclass(frozen=True)
class TimeToExit:
    """Months from a lot's mint month to its exit month, every lot of every run; a lot that
    did not exit by the run's end (still held, or withdrawn or spent first) counts as never.
    Percentiles by nearest rank: the ceil(q% x lots)-th smallest, :data:`NEVER` when that
    lot never exited."""

    lots: int = 0
    exited: int = 0
    median: int | None = None
    """None when no lot was minted; :data:`NEVER` when half the lots or more never exited."""
    p90: int | None = None

    @property
    def never(self) -> int:
        """Lots that never exited."""
        return self.lots - self.exited


def nearest_rank(histogram: Sequence[int], lots: int, q: int) -> int | None:
    """The q-th percentile (nearest rank) of ``lots`` values: ``histogram[k]`` of them are
    k, the rest never (:data:`NEVER`). None without lots."""
    if lots <= 0:
        return None
    rank = max(1, -(-q * lots // 100))
    seen = 0
    for months, count in enumerate(histogram):
        seen += count
        if rank <= seen:
            return months
    return NEVER


def time_to_exit(histogram: Sequence[int], lots: int) -> TimeToExit:
    """:class:`TimeToExit` from the exit histogram (all runs) and the lots minted."""
    return TimeToExit(lots=lots, exited=sum(histogram), median=nearest_rank(histogram, lots, 50),
                      p90=nearest_rank(histogram, lots, 90))
