"""Who got what back, and whose money paid for it: figures by arrival cohort.

A cohort is the members who placed their first order in one month. Its
``funded_by`` row says from which cohorts' pool contributions its payouts were
drawn (pro rata to the pool's mix, month by month). The regulators' question
"are returns paid mainly from later participants' money rather than from
sales?" is answered by the part drawn from cohorts that arrived *after* the
receiver. Sums are integer fen; ratios are exact fractions for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .results import Cohort, RunResult
from .stats import Spread, median, percentile_int, share, spread


@dataclass(frozen=True)
class FundingSplit:
    """Payouts split by whose contributions funded them, relative to the receiver's cohort."""

    own_fen: int = 0
    """Drawn from the receiver's own cohort (itself and members who arrived the same month)."""
    earlier_fen: int = 0
    later_fen: int = 0
    received_fen: int = 0
    """Cash and goods received (received_cash_fen + received_goods_fen)."""
    beyond_own_fen: int = 0
    """Received beyond each member's own contribution (Cohort.received_beyond_own_fen)."""

    @property
    def total_fen(self) -> int:
        """Every payout fen attributed to some cohort's contributions."""
        return self.own_fen + self.earlier_fen + self.later_fen

    @property
    def later_share(self) -> Fraction | None:
        return share(self.later_fen, self.total_fen)

    @property
    def earlier_share(self) -> Fraction | None:
        return share(self.earlier_fen, self.total_fen)

    @property
    def own_share(self) -> Fraction | None:
        return share(self.own_fen, self.total_fen)

    @property
    def beyond_own_share(self) -> Fraction | None:
        """The part of what members received that exceeded their own contributions."""
        return share(self.beyond_own_fen, self.received_fen)


def split_of(cohort: Cohort) -> FundingSplit:
    """One cohort's funding split: funded_by[c] comes from cohort month c + 1."""
    own_index = cohort.month - 1
    own = cohort.funded_by[own_index] if 0 <= own_index < len(cohort.funded_by) else 0
    return FundingSplit(
        own_fen=own,
        earlier_fen=sum(cohort.funded_by[:max(0, own_index)]),
        later_fen=sum(cohort.funded_by[max(0, own_index + 1):]),
        received_fen=cohort.received_cash_fen + cohort.received_goods_fen,
        beyond_own_fen=cohort.received_beyond_own_fen,
    )


def funding_split(cohorts: Iterable[Cohort]) -> FundingSplit:
    """The funding splits of many cohorts (of one run or of many), added up."""
    own = earlier = later = received = beyond = 0
    for cohort in cohorts:
        split = split_of(cohort)
        own += split.own_fen
        earlier += split.earlier_fen
        later += split.later_fen
        received += split.received_fen
        beyond += split.beyond_own_fen
    return FundingSplit(own, earlier, later, received, beyond)


@dataclass(frozen=True)
class CohortOutcome:
    """One arrival month across the runs of a point: medians of returns, sums of money."""

    month: int
    runs: int
    """Runs in which members arrived that month and spent something."""
    members_median: int
    spent_median_fen: int
    return_median: Fraction
    """(cash + goods + what the holdings are still worth) / spent, median across runs."""
    cash_median: Fraction
    """Cash received / spent, median across runs."""
    spent_fen: int
    received_cash_fen: int
    received_goods_fen: int
    holding_value_fen: int
    lots_minted: int
    lots_exited: int
    funding: FundingSplit
    """Summed over runs."""
    return_spread: Spread | None = None
    """The return's median with its interval and p5/p95 across runs (stats.spread)."""
    cash_spread: Spread | None = None


def total_return(cohort: Cohort) -> Fraction:
    """What a cohort got back, counting cash, goods and remaining holdings, over what it spent."""
    back = cohort.received_cash_fen + cohort.received_goods_fen + cohort.holding_value_fen
    return Fraction(back, cohort.spent_fen)


def cohort_outcomes(runs: Sequence[RunResult]) -> list[CohortOutcome]:
    """Every arrival month that spent money in at least one run, in month order."""
    by_month: dict[int, list[Cohort]] = {}
    for run in runs:
        for cohort in run.cohorts:
            if cohort.spent_fen > 0:
                by_month.setdefault(cohort.month, []).append(cohort)
    outcomes = []
    for month in sorted(by_month):
        group = by_month[month]
        returns = median(total_return(cohort) for cohort in group)
        cash = median(Fraction(cohort.received_cash_fen, cohort.spent_fen) for cohort in group)
        assert returns is not None and cash is not None  # groups are never empty
        outcomes.append(CohortOutcome(
            month=month, runs=len(group),
            members_median=percentile_int([cohort.members for cohort in group], 50),
            spent_median_fen=percentile_int([cohort.spent_fen for cohort in group], 50),
            return_median=returns, cash_median=cash,
            spent_fen=sum(cohort.spent_fen for cohort in group),
            received_cash_fen=sum(cohort.received_cash_fen for cohort in group),
            received_goods_fen=sum(cohort.received_goods_fen for cohort in group),
            holding_value_fen=sum(cohort.holding_value_fen for cohort in group),
            lots_minted=sum(cohort.lots_minted for cohort in group),
            lots_exited=sum(cohort.lots_exited for cohort in group),
            funding=funding_split(group),
            return_spread=spread(total_return(cohort) for cohort in group),
            cash_spread=spread(Fraction(cohort.received_cash_fen, cohort.spent_fen)
                               for cohort in group),
        ))
    return outcomes


def representative(outcomes: Sequence[CohortOutcome]) -> list[CohortOutcome]:
    """The first, middle and last cohorts (each once), for the plain-word statements."""
    if not outcomes:
        return []
    picks = [outcomes[0], outcomes[len(outcomes) // 2], outcomes[-1]]
    chosen: list[CohortOutcome] = []
    for outcome in picks:
        if all(picked.month != outcome.month for picked in chosen):
            chosen.append(outcome)
    return chosen
