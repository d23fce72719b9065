"""The report's figures, computed from a :class:`~profitpool.sim.results.Simulation`.

Pure functions, no I/O: the verdicts, the red lines, the charts and summary.json
all read the same :class:`PointAnalysis`, so a number in a sentence and the bar
drawn for it cannot disagree. Money and points stay integers (fen, point units,
millionths of a CNY); percentiles of integer columns are rounded half up to an
integer of the same unit. Ratios (shares, returns, drawdowns' fractions) are
exact :class:`~fractions.Fraction` values, or floats for compound monthly
rates: they are report statistics shown to people, never balances.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .cohorts import CohortOutcome, FundingSplit, cohort_outcomes, funding_split
from .counts import Counts, count_events
from .funding import later_share
from .outcomes import MemberOutcomeFigures, TimeToExit, member_outcomes, time_to_exit
from .results import MOVE_COLUMNS, RunResult, Simulation, point_label
from .stats import Spread, median, percentile_int, share, spread

QUANTILES: tuple[int, ...] = (5, 25, 50, 75, 95)
"""The percentile bands drawn and reported: p5, p25, p50 (median), p75, p95."""

PAYOUTS = "payouts_fen"
"""Derived column: paid_withdrawals_fen + paid_exits_fen + paid_merchants_fen."""

BAND_COLUMNS: tuple[str, ...] = (
    "price_micro", "value_micro", "pool_fen", "supply_points", PAYOUTS, "exits",
    "paid_withdrawals_fen", "paid_exits_fen", "paid_merchants_fen",
    "holdings_value_fen", "promised_fen", "withdrawals_refused_cap",
)
"""Columns whose per-month percentile bands the analysis keeps."""

PPM = 1_000_000


def column(run: RunResult, name: str) -> list[int]:
    """One monthly column of a run, including the derived :data:`PAYOUTS`."""
    if name == PAYOUTS:
        monthly = run.monthly
        return [w + e + m for w, e, m in zip(monthly["paid_withdrawals_fen"],
                                             monthly["paid_exits_fen"],
                                             monthly["paid_merchants_fen"], strict=True)]
    return list(run.monthly[name])


def months_fell(prices: Sequence[int], first: int = 1,
                restarts: Sequence[int] = ()) -> tuple[int, int]:
    """(months the price rose, months it fell) from month index ``first`` on.

    A month counts only when it and the month before both have a price (> 0):
    a price of 0 means no points are left, not a price of zero. A month in which
    every point was gone (``restarts[i] > 0``: the ``pool_emptied`` column), so that
    the price started again, is no rise or fall either: the report names it apart.
    """
    rose = fell = 0
    for index in range(max(1, first), len(prices)):
        before, now = prices[index - 1], prices[index]
        if index < len(restarts) and restarts[index]:
            continue
        if before > 0 and now > 0:
            rose += now > before
            fell += now < before
    return rose, fell


def since_restart(values: Sequence[int],
                  emptied: Sequence[int]) -> tuple[Fraction, int, int] | None:
    """The change since the last time every point was gone: (last / first - 1, the month
    it was gone in (1-based), months between), from the first month end with a value > 0
    from that month on to the last month end; None when the pool never emptied, or no
    point is held at the end."""
    gone = [index for index, times in enumerate(emptied) if times]
    if not gone or not values or values[-1] <= 0:
        return None
    first = next(index for index in range(gone[-1], len(values)) if values[index] > 0)
    last = len(values) - 1
    return Fraction(values[last], values[first]) - 1, gone[-1] + 1, last - first


def max_drawdown_ppm(values: Sequence[int], restarts: Sequence[int] = ()) -> int:
    """The largest peak-to-trough fall, in parts per million of the peak (months of 0 skipped).

    ``restarts[i] > 0`` (the ``pool_emptied`` column) means every point was gone during
    month i and the price starts again (docs/rules.md section 2): the peak before it is
    forgotten, so a restart at 1.00 is not counted as a fall (the report names it apart).
    """
    peak = worst = 0
    for index, value in enumerate(values):
        if index < len(restarts) and restarts[index]:
            peak = 0
        if value <= 0:
            continue
        if value > peak:
            peak = value
        else:
            worst = max(worst, (peak - value) * PPM // peak)
    return worst


def monthly_trend(values: Sequence[int]) -> float | None:
    """Compound average monthly change between the first and last month with a value > 0."""
    present = [index for index, value in enumerate(values) if value > 0]
    if len(present) < 2 or present[0] == present[-1]:
        return None
    first, last = present[0], present[-1]
    ratio: float = (values[last] / values[first]) ** (1 / (last - first))
    return ratio - 1


def cumulative_change(values: Sequence[int]) -> tuple[Fraction, int] | None:
    """(last / first - 1, months between) over the first and last month with a value > 0."""
    present = [index for index, value in enumerate(values) if value > 0]
    if len(present) < 2:
        return None
    first, last = present[0], present[-1]
    return Fraction(values[last], values[first]) - 1, last - first


def fall_from_peak(values: Sequence[int]) -> Fraction:
    """How far the last value is below the highest (0 when it is the highest, 1 when 0)."""
    peak = max(values, default=0)
    return Fraction(peak - values[-1], peak) if peak > 0 else Fraction(0)


def closest_exit(prices: Sequence[int],
                 exit_prices: Sequence[int]) -> tuple[Fraction, int, int] | None:
    """The month end at which the nearest live lot came closest to its exit.

    Returns (price / the price that lot needs, that price, the price needed),
    from the ``exit_price_micro`` column; None when no month had a live lot.
    Burns raise the price and the price a lot needs by the same factor, so the
    ratio is what a burn cannot change.
    """
    best: tuple[Fraction, int, int] | None = None
    for now, needed in zip(prices, exit_prices, strict=True):
        if now > 0 and needed > 0 and (best is None or Fraction(now, needed) > best[0]):
            best = (Fraction(now, needed), now, needed)
    return best


@dataclass(frozen=True)
class RunFigures:
    """What one run says on its own; the point's figures are distributions of these."""

    run: int
    seed: int
    months_price_fell: int
    price_drawdown_ppm: int
    value_drawdown_ppm: int
    lots_minted: int
    lots_exited: int
    exit_share: Fraction | None
    later_share: Fraction | None
    """What members received paid with later members' money, over all they received
    (member by member: :func:`~profitpool.sim.funding.later_share`)."""
    price_trend: float | None
    value_trend: float | None
    final_value_micro: int
    short_months: int
    """Month ends at which the pool was below the sum of holdings' values."""
    promised_cover_final: Fraction | None
    promised_cover_min: Fraction | None
    invariants_ok: bool
    price_change: Fraction | None = None
    """Cumulative: the last month end's price over the first's, minus 1."""
    value_change: Fraction | None = None
    change_months: int = 0
    """Months between the first and the last month end with a price."""
    price_moves: int = 0
    """Accepted commands that changed the displayed price (moves to or from 0 aside)."""
    price_falls: int = 0
    pool_emptied: int = 0
    """Times every point was gone (the price then starts again with the next lot)."""
    since_restart: tuple[Fraction, int, int] | None = None
    """(:func:`since_restart`) of the price: the change since the pool last emptied."""
    pool_fall: Fraction = Fraction(0)
    """How far the last month end's pool is below the highest month end's."""
    closest_exit: tuple[Fraction, int, int] | None = None
    """(:func:`closest_exit`): how near the nearest lot came to its exit price."""
    final_pool_fen: int = 0
    """The last month end's pool, holdings' value and advertised exit values."""
    final_holdings_fen: int = 0
    final_promised_fen: int = 0


@dataclass(frozen=True)
class AfterShock:
    """How the runs behaved from a shock month on (new consumption stops or a bank run)."""

    month: int
    rose_median: Fraction
    fell_median: Fraction
    runs_fell: int
    """Runs in which the price fell at least once from ``month`` on."""
    price_before: int
    price_end: int
    value_before: int
    value_end: int
    pool_before: int
    pool_end: int
    """Medians of the month before ``month`` and of the last month."""
    spreads: dict[str, Spread] = field(default_factory=dict)
    """"rose", "fell", "price_end", "value_end", "pool_end": each median's
    :class:`~profitpool.sim.stats.Spread` across runs."""


@dataclass(frozen=True)
class BankRun:
    """Withdrawals refused by the daily cap, in the bank-run month and over the whole run."""

    month: int | None
    refused_median: int
    refused_total: int
    accepted_median: int
    refused_all_months_total: int


@dataclass(frozen=True)
class PointAnalysis:
    """Every figure of one point (variant x sweep values), over all its runs."""

    label: str
    point: dict[str, Any]
    rules: dict[str, Any]
    runs: int
    months: int
    advertised_multiple: str
    exit_basis: str
    bands: dict[str, dict[int, list[int]]]
    """Column -> percentile (5, 25, 50, 75, 95) -> one integer per month."""
    per_run: list[RunFigures]
    lots_minted: int
    lots_exited: int
    runs_with_exit: int
    exit_histogram: list[int]
    """Lots (all runs) that exited k months after their mint month, k = index."""
    median_exit_months: Fraction | None
    burns: int
    """Burns that ran, summed over runs."""
    cohorts: list[CohortOutcome]
    funding: FundingSplit
    pool_remainder: list[tuple[int, int, int]]
    """(month, runs, median pool_fen) where no point was left but the pool held money."""
    after_collapse: AfterShock | None
    bank_run: BankRun
    withdrawals: tuple[int, int, int]
    """Withdrawal attempts over all runs: (paid, refused by the daily cap, refused because
    no lot was eligible yet: held fewer than min_hold_days, or, when a gain gate is set,
    its value per share below (1 + withdraw_min_gain) x its value at mint)."""
    holders: int = 0
    """Members still holding points at the end, all runs."""
    holders_under_water: int = 0
    """Of those, members whose holding plus what they received is below their contribution."""
    exits_paid_fen: int = 0
    exits_promised_fen: int = 0
    """Advertised exit values of the lots that exited (all runs)."""
    exits_contributed_fen: int = 0
    """What the orders behind the exited lots put into the pool (all runs, pro rata)."""
    injected_fen: int = 0
    amount_fen: int = 0
    """Money spent and put into the pool over all runs (for the price new orders pull to)."""
    outcomes: MemberOutcomeFigures = field(default_factory=MemberOutcomeFigures)
    """Every member of every run, pooled: under water, returns by arrival month (outcomes.py)."""
    time_to_exit: TimeToExit = field(default_factory=TimeToExit)
    """Months from mint to exit, every lot, never-exited lots counted as never."""
    first_remainder: Spread | None = None
    """The pool left in the first month of :attr:`pool_remainder`, across the runs that had
    it, with the median's interval."""
    month_ends: dict[str, list[Spread]] = field(default_factory=dict)
    """Price and value per point at each month end across runs, with the median's interval
    (stats.spread), for statements that cite one month's median."""
    counts: Counts = field(default_factory=Counts)
    """Events inside the months (refusals by cause, emptied pools, orders minting no
    points) and who was paid beyond their own money, member by member (counts.py)."""
    moves: dict[str, int] = field(default_factory=dict)
    """Transfers, pledges, releases and seizures, accepted and refused, and what seizures
    paid: each column of results.MOVE_COLUMNS added over all runs (absent: not recorded)."""

    @property
    def exit_share(self) -> Fraction | None:
        """All runs' exited lots over all runs' minted lots."""
        return share(self.lots_exited, self.lots_minted)

    def median_of(self, name: str) -> Fraction | None:
        """The median across runs of one :class:`RunFigures` field (None values skipped)."""
        return median(value for figures in self.per_run
                      if (value := getattr(figures, name)) is not None)

    def runs_where(self, name: str) -> int:
        """Runs whose :class:`RunFigures` field ``name`` is truthy (e.g. months_price_fell)."""
        return sum(1 for figures in self.per_run if getattr(figures, name))


def run_figures(run: RunResult) -> RunFigures:
    """The single-run statistics of :class:`RunFigures`."""
    monthly = run.monthly
    prices, values = monthly["price_micro"], monthly["value_micro"]
    minted, exited = sum(monthly["lots_minted"]), sum(monthly["exits"])
    covers = [Fraction(pool, promised)
              for pool, promised in zip(monthly["pool_fen"], monthly["promised_fen"], strict=True)
              if promised > 0]
    final_cover = (share(monthly["pool_fen"][-1], monthly["promised_fen"][-1])
                   if monthly["promised_fen"] else None)
    restarts = monthly["pool_emptied"]
    price_change, value_change = cumulative_change(prices), cumulative_change(values)
    return RunFigures(
        run=run.run, seed=run.seed,
        months_price_fell=months_fell(prices, 1, restarts)[1],
        price_drawdown_ppm=max_drawdown_ppm(prices, restarts),
        value_drawdown_ppm=max_drawdown_ppm(values, restarts),
        lots_minted=minted, lots_exited=exited, exit_share=share(exited, minted),
        later_share=later_share(run.member_funding),
        price_trend=monthly_trend(prices), value_trend=monthly_trend(values),
        final_value_micro=values[-1] if values else 0,
        short_months=sum(1 for pool, held in zip(monthly["pool_fen"],
                                                 monthly["holdings_value_fen"], strict=True)
                         if pool < held),
        promised_cover_final=final_cover,
        promised_cover_min=min(covers) if covers else None,
        invariants_ok=run.invariants_ok,
        price_change=price_change[0] if price_change else None,
        value_change=value_change[0] if value_change else None,
        change_months=price_change[1] if price_change else 0,
        price_moves=sum(monthly["price_moves"]), price_falls=sum(monthly["price_falls"]),
        pool_emptied=sum(restarts), since_restart=since_restart(prices, restarts),
        pool_fall=fall_from_peak(monthly["pool_fen"]),
        closest_exit=closest_exit(prices, monthly["exit_price_micro"]),
        final_pool_fen=monthly["pool_fen"][-1] if prices else 0,
        final_holdings_fen=monthly["holdings_value_fen"][-1] if prices else 0,
        final_promised_fen=monthly["promised_fen"][-1] if prices else 0,
    )


def _bands(runs: Sequence[RunResult], months: int) -> dict[str, dict[int, list[int]]]:
    bands: dict[str, dict[int, list[int]]] = {}
    for name in BAND_COLUMNS:
        series = [column(run, name) for run in runs]
        by_month = [[values[month] for values in series] for month in range(months)]
        bands[name] = {q: [percentile_int(values, q) for values in by_month] for q in QUANTILES}
    return bands


def _histogram(runs: Sequence[RunResult]) -> list[int]:
    width = max((len(run.exit_months) for run in runs), default=0)
    counts = [sum(run.exit_months[k] for run in runs if k < len(run.exit_months))
              for k in range(width)]
    while counts and counts[-1] == 0:
        counts.pop()
    return counts


def histogram_median(counts: Sequence[int]) -> Fraction | None:
    """The median of the values k, each occurring ``counts[k]`` times (as if listed out)."""
    total = sum(counts)
    if total == 0:
        return None

    def nth(position: int) -> int:
        seen = 0
        for k, count in enumerate(counts):
            seen += count
            if position < seen:
                return k
        raise AssertionError("position beyond the counts")

    return Fraction(nth((total - 1) // 2) + nth(total // 2), 2)


def after_shock(runs: Sequence[RunResult], month: int, months: int) -> AfterShock | None:
    """Price, value and pool from ``month`` (1-based) to ``months``, or None when out of range."""
    if not 2 <= month <= months:
        return None
    first = month - 1  # index of the shock month; index first - 1 is the month before it
    moves = [months_fell(run.monthly["price_micro"][:months], first) for run in runs]

    def at(name: str, index: int) -> int:
        return percentile_int([run.monthly[name][index] for run in runs], 50)

    rose, fell = median(m[0] for m in moves), median(m[1] for m in moves)
    assert rose is not None and fell is not None
    last = months - 1
    spreads = {"rose": spread(m[0] for m in moves), "fell": spread(m[1] for m in moves),
               **{f"{name}_end": spread(run.monthly[column][last] for run in runs)
                  for name, column in (("price", "price_micro"), ("value", "value_micro"),
                                       ("pool", "pool_fen"))}}
    return AfterShock(
        month=month, rose_median=rose, fell_median=fell,
        runs_fell=sum(1 for move in moves if move[1] > 0),
        price_before=at("price_micro", first - 1), price_end=at("price_micro", months - 1),
        value_before=at("value_micro", first - 1), value_end=at("value_micro", months - 1),
        pool_before=at("pool_fen", first - 1), pool_end=at("pool_fen", months - 1),
        spreads=spreads,
    )


def bank_run(runs: Sequence[RunResult], month: int | None, months: int) -> BankRun:
    """Refusals by the daily cap in ``month`` (when the scenario has one) and overall."""
    all_months = sum(sum(run.monthly["withdrawals_refused_cap"][:months]) for run in runs)
    if month is None or not 1 <= month <= months:
        return BankRun(None, 0, 0, 0, all_months)
    refused = [run.monthly["withdrawals_refused_cap"][month - 1] for run in runs]
    accepted = [run.monthly["withdrawals"][month - 1] for run in runs]
    return BankRun(month, percentile_int(refused, 50), sum(refused),
                   percentile_int(accepted, 50), all_months)


def _remainders(runs: Sequence[RunResult], months: int) -> Iterator[tuple[int, list[int]]]:
    """(month index, the pools of the runs that ended it with no point left but money in
    the pool: docs/rules.md section 2), for each month where some run did."""
    for index in range(months):
        pools = [run.monthly["pool_fen"][index] for run in runs
                 if run.monthly["supply_points"][index] == 0 and run.monthly["pool_fen"][index] > 0]
        if pools:
            yield index, pools


def pool_remainder(runs: Sequence[RunResult], months: int) -> list[tuple[int, int, int]]:
    """Months ending with no point left but money in the pool (docs/rules.md section 2)."""
    return [(index + 1, len(pools), percentile_int(pools, 50))
            for index, pools in _remainders(runs, months)]


def first_remainder(runs: Sequence[RunResult], months: int) -> Spread | None:
    """The pools of :func:`pool_remainder`'s first month, as a :class:`Spread` (None: none)."""
    first = next(_remainders(runs, months), None)
    return spread(first[1]) if first is not None else None


def _total(runs: Sequence[RunResult], name: str, months: int) -> int:
    return sum(sum(run.monthly[name][:months]) for run in runs)


def analyse_point(sim: Simulation, point: dict[str, Any]) -> PointAnalysis | None:
    """All figures of one point, or None when the simulation holds no run of it."""
    runs = sim.runs_of(point)
    if not runs:
        return None
    label = point_label(point)
    months = min(len(run.monthly["month"]) for run in runs)
    rules = runs[0].rules
    histogram = _histogram(runs)
    advertised = sim.advertised_multiple.get(label, str(rules.get("exit_multiple", "")))
    def total(name: str) -> int:
        return _total(runs, name, months)

    return PointAnalysis(
        label=label, point=dict(point), rules=rules, runs=len(runs), months=months,
        advertised_multiple=advertised, exit_basis=str(rules.get("exit_basis", "cost")),
        bands=_bands(runs, months), per_run=[run_figures(run) for run in runs],
        month_ends={name: [spread(run.monthly[name][index] for run in runs)
                           for index in range(months)]
                    for name in ("price_micro", "value_micro")},
        lots_minted=sum(sum(run.monthly["lots_minted"]) for run in runs),
        lots_exited=sum(sum(run.monthly["exits"]) for run in runs),
        runs_with_exit=sum(1 for run in runs if sum(run.monthly["exits"]) > 0),
        exit_histogram=histogram, median_exit_months=histogram_median(histogram),
        burns=sum(sum(run.monthly["burned"]) for run in runs),
        cohorts=cohort_outcomes(runs), funding=funding_split(c for r in runs for c in r.cohorts),
        pool_remainder=pool_remainder(runs, months),
        first_remainder=first_remainder(runs, months),
        after_collapse=(after_shock(runs, sim.collapse_month, months)
                        if sim.collapse_month is not None else None),
        bank_run=bank_run(runs, sim.bank_run_month, months),
        withdrawals=(_total(runs, "withdrawals", months),
                     _total(runs, "withdrawals_refused_cap", months),
                     _total(runs, "withdrawals_refused_other", months)),
        holders=sum(c.holders for run in runs for c in run.cohorts),
        holders_under_water=sum(c.holders_under_water for run in runs for c in run.cohorts),
        exits_paid_fen=total("paid_exits_fen"), exits_promised_fen=total("exit_promised_fen"),
        exits_contributed_fen=total("exit_contributed_fen"),
        injected_fen=total("injected_fen"), amount_fen=total("amount_fen"),
        counts=count_events(runs, months, sim.bank_run_month),
        moves={name: total(name) for name in MOVE_COLUMNS
               if all(name in run.monthly for run in runs)},
        outcomes=member_outcomes(runs),
        time_to_exit=time_to_exit(histogram,
                                  sum(sum(run.monthly["lots_minted"]) for run in runs)),
    )


def analyse(sim: Simulation) -> list[PointAnalysis]:
    """Every point's analysis, in the simulation's point order (points without runs skipped)."""
    found = (analyse_point(sim, point) for point in sim.points)
    return [analysis for analysis in found if analysis is not None]
