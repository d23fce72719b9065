"""A merchant's customer analytics, from its own orders only.

Refunded orders do not count. Months are Asia/Shanghai calendar months of the
order's time. Ratios are exact fractions shown as percentages with one decimal,
truncated; the average order value is truncated to the fen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from ..engine.state import REFUNDED
from ..money import format_fen, format_percent
from ..service.readmodel import OrderView
from ..times import format_period, shanghai_month

Month = tuple[int, int]


def percent(numerator: int, denominator: int) -> str:
    """``numerator / denominator`` as a percentage with one decimal, truncated ("—" for 0/0)."""
    if denominator == 0:
        return "—"
    return format_percent(Fraction(numerator, denominator))


def _months_between(first: Month, last: Month) -> int:
    return (last[0] - first[0]) * 12 + last[1] - first[1]


@dataclass(frozen=True)
class Analytics:
    orders: int
    customers: int
    amount_fen: int
    repurchase_rate: str
    """Customers with two orders or more, of all customers."""
    average_order_value: str
    cohorts: list[dict[str, object]]
    """Per month of first order: its size and the share that ordered again k months on."""
    new_vs_returning: list[dict[str, object]]
    """Per month: orders by customers new that month, and by earlier ones."""


def analyse(orders: Iterable[OrderView]) -> Analytics:
    kept = [order for order in orders if order.status != REFUNDED]
    per_member: dict[str, list[Month]] = defaultdict(list)
    amount = 0
    for order in kept:
        per_member[order.member].append(shanghai_month(order.at))
        amount += order.amount
    first_month = {member: min(months) for member, months in per_member.items()}
    cohort_size: dict[Month, int] = defaultdict(int)
    came_back: dict[Month, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for member, months in per_member.items():
        cohort = first_month[member]
        cohort_size[cohort] += 1
        for offset in {_months_between(cohort, month) for month in months} - {0}:
            came_back[cohort][offset] += 1
    last = max((month for months in per_member.values() for month in months), default=None)
    cohort_rows: list[dict[str, object]] = []
    for cohort in sorted(cohort_size):
        assert last is not None
        retained = [percent(came_back[cohort][offset], cohort_size[cohort])
                    for offset in range(1, _months_between(cohort, last) + 1)]
        cohort_rows.append({"month": format_period(cohort), "customers": cohort_size[cohort],
                            "retained": retained})
    by_month: dict[Month, list[int]] = defaultdict(lambda: [0, 0])
    for order in kept:
        month = shanghai_month(order.at)
        by_month[month][0 if first_month[order.member] == month else 1] += 1
    mix = [{"month": format_period(month), "new": new, "returning": returning,
            "new_share": percent(new, new + returning)}
           for month, (new, returning) in sorted(by_month.items())]
    repeat = sum(1 for months in per_member.values() if len(months) >= 2)
    return Analytics(
        orders=len(kept), customers=len(per_member), amount_fen=amount,
        repurchase_rate=percent(repeat, len(per_member)),
        average_order_value=format_fen(amount // len(kept)) if kept else "—",
        cohorts=cohort_rows, new_vs_returning=mix,
    )
