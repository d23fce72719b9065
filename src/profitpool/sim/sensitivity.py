"""How the outcomes move with each swept rule (``profitpool simulate --sweep``).

For one swept key, the runs are grouped by that key's value (whatever values
the other swept keys have in those points) and, separately, by variant: the
origin rules and a vendor's rules answer differently, and mixing their runs
would hide that. Each group gives the median across its runs of four
outcomes: the final value of a launch point, the share of lots that exited,
the share of what members received that was paid with later members' money
(member by member, :func:`~profitpool.sim.funding.later_share`, the figure the
verdict ``funded_later`` states), and the months the price fell.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .analysis import PointAnalysis
from .results import Simulation
from .stats import median

OUTCOMES: tuple[str, ...] = (
    "final_value_micro", "exit_share", "later_share", "months_price_fell",
)
"""The :class:`~profitpool.sim.analysis.RunFigures` fields a sweep reports, in order."""


@dataclass(frozen=True)
class SensitivityRow:
    """One (variant, value) group of one swept key."""

    variant: str
    value: str
    runs: int
    medians: dict[str, Fraction | None]
    """Outcome (:data:`OUTCOMES`) -> median across the group's runs (None: nothing to take)."""


def sensitivity(sim: Simulation, analyses: list[PointAnalysis]) -> dict[str, list[SensitivityRow]]:
    """Swept key -> rows in (variant, value) order of first appearance; {} without a sweep."""
    result: dict[str, list[SensitivityRow]] = {}
    for key in sim.swept:
        groups: dict[tuple[str, str], list[PointAnalysis]] = {}
        for analysis in analyses:
            if key not in analysis.point:
                continue
            variant = str(analysis.point.get("variant", "base"))
            groups.setdefault((variant, str(analysis.point[key])), []).append(analysis)
        rows = []
        for (variant, value), members in groups.items():
            figures = [run for analysis in members for run in analysis.per_run]
            medians = {name: median(got for run in figures
                                    if (got := getattr(run, name)) is not None)
                       for name in OUTCOMES}
            rows.append(SensitivityRow(variant, value, len(figures), medians))
        result[key] = rows
    return result
