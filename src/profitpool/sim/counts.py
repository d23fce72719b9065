"""What happened inside the months of a point's runs, counted: refusals, empty pools,
orders that minted nothing, and who was paid beyond their own money.

Month-end figures miss what happens between two month ends: a pool whose last
points leave mid-month and fill again before the month ends, an order too small
to mint a single point at a high price, a withdrawal refused because a gate
keeps every lot. The runs record each as it happens (per month, in
:attr:`~profitpool.sim.results.RunResult.monthly` and ``withdraw_refusals``);
this module adds them up over a point's runs for the verdicts and the charts.
Integers only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .funding import add_funding
from .results import MemberFunding, RunResult
from .stats import Spread, percentile_int, spread

CAP = "daily_cap_reached"
NOT_ELIGIBLE = "insufficient_points"
BELOW_GAIN = f"{NOT_ELIGIBLE}/below_gain"
TOO_YOUNG = f"{NOT_ELIGIBLE}/too_young"


def refusals_by_cause(run: RunResult, months: int) -> dict[str, list[int]]:
    """A run's refused withdrawal attempts by cause, one count per month.

    A run recorded without causes (older results, hand-built runs) gives its two
    monthly columns: refused by the daily cap, and refused with nothing eligible.
    """
    if run.withdraw_refusals:
        return {cause: list(counts[:months]) for cause, counts in run.withdraw_refusals.items()}
    monthly = run.monthly
    found = {CAP: list(monthly["withdrawals_refused_cap"][:months]),
             NOT_ELIGIBLE: list(monthly["withdrawals_refused_other"][:months])}
    return {cause: counts for cause, counts in found.items() if any(counts)}


@dataclass(frozen=True)
class BankRunCounts:
    """Withdrawal attempts in the bank-run month, refusals of every cause counted."""

    month: int
    refused_median: int
    refused_total: int
    refused_by_cause: dict[str, int]
    """All runs, by cause (see :attr:`Counts.refused`)."""
    paid_median: int
    attempts_total: int
    refused_spread: Spread | None = None
    """Refusals across runs: the median's interval (stats.spread)."""
    paid_spread: Spread | None = None


@dataclass(frozen=True)
class Counts:
    """One point's events, every run added up (lists: one figure per month)."""

    months: int = 0
    attempts: list[int] = field(default_factory=list)
    """Withdrawal attempts (paid and refused): a member holding points asked for them."""
    refused: dict[str, list[int]] = field(default_factory=dict)
    """Refused attempts by cause (causes sorted): the engine's error code, with no lot
    eligible split by the gate that kept the member's oldest lot."""
    emptied: list[int] = field(default_factory=list)
    """Times the last points left the pool, inside the month."""
    emptied_runs: list[int] = field(default_factory=list)
    """Runs in which that happened at least once in the month."""
    runs_emptied: int = 0
    """Runs in which that happened at least once."""
    left_fen: list[int] = field(default_factory=list)
    """What the pool held at those moments, summed."""
    taken_fen: list[int] = field(default_factory=list)
    """What the first lot minted after such a moment took over, summed."""
    settled: list[int] = field(default_factory=list)
    """Orders that settled."""
    zero_points: list[int] = field(default_factory=list)
    """Of them, orders that minted no points."""
    zero_points_runs: int = 0
    """Runs with at least one order that minted no points."""
    funding: MemberFunding = field(default_factory=MemberFunding)
    runs_with_gainers: int = 0
    """Runs in which at least one member received more than they contributed."""
    bank_run: BankRunCounts | None = None

    def refused_in(self, month_index: int) -> int:
        """Every refusal in one month (0-based), whatever its cause."""
        return sum(counts[month_index] for counts in self.refused.values())

    def refused_total(self, *causes: str) -> int:
        """Refusals over all months of the given causes (a prefix matches: every cause
        ``insufficient_points/...`` counts under ``insufficient_points``), or of all."""
        return sum(sum(counts) for cause, counts in self.refused.items()
                   if not causes or any(cause == c or cause.startswith(c + "/")
                                        for c in causes))


def _sum(runs: Sequence[RunResult], name: str, months: int) -> list[int]:
    return [sum(run.monthly[name][index] for run in runs) for index in range(months)]


def _bank_run(runs: Sequence[RunResult], month: int, months: int,
              by_run: list[dict[str, list[int]]]) -> BankRunCounts | None:
    if not 1 <= month <= months:
        return None
    index = month - 1
    refused = [sum(counts[index] for counts in causes.values()) for causes in by_run]
    paid = [run.monthly["withdrawals"][index] for run in runs]
    by_cause: dict[str, int] = {}
    for causes in by_run:
        for cause, counts in causes.items():
            if counts[index]:
                by_cause[cause] = by_cause.get(cause, 0) + counts[index]
    return BankRunCounts(month, percentile_int(refused, 50), sum(refused),
                         dict(sorted(by_cause.items())), percentile_int(paid, 50),
                         sum(refused) + sum(paid), spread(refused), spread(paid))


def count_events(runs: Sequence[RunResult], months: int,
                 bank_run_month: int | None = None) -> Counts:
    """The events of a point's runs over their first ``months`` months."""
    by_run = [refusals_by_cause(run, months) for run in runs]
    refused: dict[str, list[int]] = {}
    for causes in by_run:
        for cause, counts in causes.items():
            total = refused.setdefault(cause, [0] * months)
            for index, value in enumerate(counts):
                total[index] += value
    refused = dict(sorted(refused.items()))
    paid = _sum(runs, "withdrawals", months)
    attempts = [paid[index] + sum(counts[index] for counts in refused.values())
                for index in range(months)]
    return Counts(
        months=months, attempts=attempts, refused=refused,
        emptied=_sum(runs, "pool_emptied", months),
        emptied_runs=[sum(1 for run in runs if run.monthly["pool_emptied"][index])
                      for index in range(months)],
        runs_emptied=sum(1 for run in runs if any(run.monthly["pool_emptied"][:months])),
        left_fen=_sum(runs, "pool_left_fen", months),
        taken_fen=_sum(runs, "pool_taken_fen", months),
        settled=_sum(runs, "orders_settled", months),
        zero_points=_sum(runs, "orders_zero_points", months),
        zero_points_runs=sum(1 for run in runs if any(run.monthly["orders_zero_points"][:months])),
        funding=add_funding([run.member_funding for run in runs]),
        runs_with_gainers=sum(1 for run in runs if run.member_funding.gainers),
        bank_run=(_bank_run(runs, bank_run_month, months, by_run)
                  if bank_run_month is not None else None),
    )
