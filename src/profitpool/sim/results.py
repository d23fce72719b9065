"""What one simulated run gives back, and what a whole simulation gives back.

Everything here is plain data (ints, strings, lists, dicts), so a run can be
computed in another process or on a Dask worker and shipped back by pickle,
and so the same figures can be written as JSON, CSV and Parquet.

Units: money in fen, points in point units (1/10,000 point), the price in
millionths of a CNY per point, and ``value_micro`` (what one point minted at
launch, before any burn, is worth now) in millionths of a CNY. All integers.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

MONTHLY_COLUMNS: tuple[str, ...] = (
    "month",                # 1..months
    "arrivals",             # members who placed their first order this month
    "members",              # members so far
    "buyers",               # members who placed at least one accepted order this month
    "orders",               # accepted orders
    "orders_refused",       # orders the engine refused (e.g. above max_order_amount)
    "amount_fen",           # money spent on accepted orders
    "profit_fen",           # their real profit
    "injected_fen",         # profit shares that went into the pool (settled orders)
    "withdrawals",          # accepted withdrawals
    "withdrawals_refused_cap",   # refused with daily_cap_reached
    "withdrawals_refused_other", # refused otherwise (nothing eligible yet)
    "paid_withdrawals_fen", # paid to members by withdrawals
    "payments",             # accepted payments with points at merchants
    "paid_merchants_fen",   # paid by the pool to merchants for points spent there
    "exits",                # lots forced out
    "paid_exits_fen",       # paid by forced exits (member and lender together)
    "lots_minted",          # lots minted this month
    "burned",               # 1 if a burn ran at this month's start, else 0
    "pool_fen",             # pool at the month's end
    "supply_points",        # points in circulation at the month's end (point units)
    "price_micro",          # displayed price at the month's end (0 with no points)
    "value_micro",          # what one launch point is worth now: price x index
    "holdings_value_fen",   # sum of every member's holding value, floored per member
    "promised_fen",         # sum over live lots of their advertised exit value
    "price_moves",          # accepted commands that changed the displayed price (both > 0)
    "price_falls",          # of those, the ones after which it was lower
    "exit_price_micro",     # month end: the displayed price at which the nearest live lot
                            # would exit (0 with no live lot)
    "exit_promised_fen",    # advertised exit values of the lots forced out this month
    "exit_contributed_fen", # what the orders behind those lots put into the pool (pro rata)
    "orders_settled",       # orders that settled (put their profit share in) this month
    "orders_zero_points",   # of them, orders that minted no points (a lot too small to hold one)
    "pool_emptied",         # times the last points left during the month (no shares left):
                            # the price shows 0 and starts again with the next lot minted
    "pool_left_fen",        # what the pool still held at those moments, summed
    "pool_taken_fen",       # what the first lot minted after such a moment took over, summed
    "transfers",            # accepted transfers of points between members
    "transfers_refused",    # refused transfers (e.g. transfers_disabled)
    "pledges",              # accepted pledges of points to the run's lender
    "pledges_refused",      # refused pledges
    "releases",             # pledges the lender released
    "releases_refused",     # refused releases
    "seizures",             # pledges the lender seized
    "seizures_refused",     # refused seizures
    "paid_seizures_fen",    # paid by seizures (lender and member together)
)
"""The columns of :attr:`RunResult.monthly`, in order."""

MOVE_COLUMNS: tuple[str, ...] = (
    "transfers", "transfers_refused", "pledges", "pledges_refused", "releases",
    "releases_refused", "seizures", "seizures_refused", "paid_seizures_fen")
"""The monthly columns of points that change hands or get locked (the report adds them up)."""


@dataclass
class Cohort:
    """Members who arrived (placed their first order) in one month."""

    month: int
    members: int = 0
    spent_fen: int = 0
    """Money they spent on accepted orders."""
    contributed_fen: int = 0
    """Profit shares their own settled orders put into the pool."""
    received_cash_fen: int = 0
    """Cash paid to them: withdrawals and forced exits (their part)."""
    received_goods_fen: int = 0
    """Value of points they spent at merchants (paid by the pool to the merchant)."""
    holding_value_fen: int = 0
    """What their holdings are worth at the end (floored per member)."""
    lots_minted: int = 0
    lots_exited: int = 0
    received_beyond_own_fen: int = 0
    """Sum over members of max(0, received - own contribution): paid from others' money."""
    holders: int = 0
    """Members still holding points at the end."""
    holders_under_water: int = 0
    """Of those, members whose holding's value plus everything they received (cash and
    goods) is less than what their own orders put into the pool."""
    funded_by: list[int] = field(default_factory=list)
    """funded_by[c]: fen of this cohort's payouts drawn from cohort c+1's contributions
    (month by month, pro rata to the pool's mix of contributions; docs/simulator.md)."""


@dataclass
class MemberFunding:
    """What members received beyond their own contributions, and whose money paid it.

    Member by member, never by cohort (docs/simulator.md, "Funded by later members"):
    a member's *excess* is max(0, received - contributed), received being cash
    (withdrawals, exits) and goods (points spent at merchants), contributed the profit
    shares their own orders put into the pool. Each month, every member's increase of
    excess is attributed to the other members' unreturned contributions (contributed -
    received, where positive) at that month's end, pro rata; the part from members who
    joined (placed their first order) after the receiver is ``from_later_fen``. A
    decrease (the member's later orders put back what they had taken) scales both parts
    down. Fen, rounded down per member and month; the remainder counts as earlier.
    """

    members: int = 0
    """Members who joined."""
    gainers: int = 0
    """Members whose excess is above 0 at the end."""
    contributed_fen: int = 0
    received_fen: int = 0
    beyond_own_fen: int = 0
    """The sum of every member's excess at the end: from_later_fen + from_earlier_fen."""
    from_later_fen: int = 0
    from_earlier_fen: int = 0


@dataclass
class MemberOutcomes:
    """Each member's outcome at the run's end, one entry per member who joined, by
    arrival (compact integer arrays; docs/simulator.md, "Per-member outcomes")."""

    arrival: array[int] = field(default_factory=lambda: array("H"))
    """The month the member joined (1 = the first; at most 600, so 2 bytes each)."""
    contributed_fen: array[int] = field(default_factory=lambda: array("q"))
    """What their own settled orders put into the pool (their profit shares)."""
    back_fen: array[int] = field(default_factory=lambda: array("q"))
    """Cash and goods received, plus their holding's value at the final price (floored)."""

    def add(self, arrival: int, contributed_fen: int, back_fen: int) -> None:
        """One more member."""
        self.arrival.append(arrival)
        self.contributed_fen.append(contributed_fen)
        self.back_fen.append(back_fen)


@dataclass
class RunResult:
    """One run: a scenario point (rules and parameters) under one seed."""

    scenario: str
    """The scenario's name."""
    point: dict[str, Any]
    """What distinguishes this point: {"variant": name, "<swept key>": value, ...}."""
    seed: int
    run: int
    """Run number within its point, from 0."""
    rules: dict[str, Any]
    """The rules in force (canonical JSON of docs/rules.md section 3)."""
    monthly: dict[str, list[int]]
    """Column name (MONTHLY_COLUMNS) -> one int per month."""
    cohorts: list[Cohort]
    exit_months: list[int]
    """exit_months[k]: lots that exited k months after the month they were minted in."""
    final: dict[str, Any]
    """The engine's own final figures: docs/rules.md section 8 totals plus counts."""
    invariants_ok: bool
    """pool = injected - paid, and pool >= sum of floored holdings, at every month end."""
    withdraw_refusals: dict[str, list[int]] = field(default_factory=dict)
    """Refused withdrawal attempts by cause -> one count per month. A cause is the
    engine's error code (``daily_cap_reached``, ...); ``insufficient_points`` (no lot
    eligible) is split by the gate that kept the member's oldest lot:
    ``insufficient_points/below_gain``, ``.../too_young``, ``.../pledged``."""
    member_funding: MemberFunding = field(default_factory=MemberFunding)
    members: MemberOutcomes | None = None
    """Per-member outcomes at the end (None for runs built by hand without them)."""


@dataclass
class Simulation:
    """Every run of one ``profitpool simulate`` invocation, with what the report needs."""

    scenario: str
    """The scenario's name (file stem or bundled name)."""
    title: str
    description: str
    source: str
    """The scenario file's text, shown in the report."""
    months: int
    start: str
    """The first simulated month, 'YYYY-MM'."""
    points: list[dict[str, Any]]
    """Every point (variant x sweep values), in the order they were run."""
    swept: list[str]
    """Keys of the sweep (``--sweep``), in order; empty without a sweep."""
    runs: list[RunResult]
    """All runs of all points, ordered by point then run."""
    collapse_month: int | None = None
    """The first month of a shock that cuts purchases (new consumption stops or falls)."""
    bank_run_month: int | None = None
    """The month of the scenario's bank-run event, if any."""
    advertised_multiple: dict[str, str] = field(default_factory=dict)
    """Point label -> the exit multiple that point's rules advertise (e.g. '3')."""
    title_en: str = ""
    """The scenario's English title and description ("" when it has none)."""
    description_en: str = ""
    collapse_cause: tuple[str, str] | None = None
    """(zh, en): how new consumption stops or falls at ``collapse_month``."""
    rule_changes: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """The scenario's scheduled rule changes: (month, the rules command's body)."""

    def runs_of(self, point: dict[str, Any]) -> list[RunResult]:
        """The runs of one point, in run order."""
        return [run for run in self.runs if run.point == point]


def point_label(point: dict[str, Any]) -> str:
    """A point as short text: 'origin', 'vendor · exit_multiple=2'."""
    parts = [str(point.get("variant", "base"))]
    parts += [f"{key}={value}" for key, value in point.items() if key != "variant"]
    return " · ".join(parts)
