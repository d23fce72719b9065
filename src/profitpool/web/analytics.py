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


def _month_after(month: Month, offset: int) -> Month:
    index = month[0] * 12 + month[1] - 1 + offset
    return index // 12, index % 12 + 1


def permille(numerator: int, denominator: int) -> int | None:
    """``numerator / denominator`` in tenths of a percent, truncated (None for x/0)."""
    return None if denominator == 0 else numerator * 1000 // denominator


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
    over_time: MonthlySeries
    """The same figures month by month, every month from the first order's to the last's
    (months without orders included), for the charts."""


@dataclass(frozen=True)
class MonthlySeries:
    """One value a month, for ``months`` (``YYYY-MM``, consecutive, Asia/Shanghai).

    Shares are in tenths of a percent (permille), truncated like the tables' percentages;
    None where a share has no denominator (no customers yet, a cohort of nobody, or a
    cohort whose next month has not come).
    """

    months: list[str]
    new_orders: list[int]
    returning_orders: list[int]
    average_order_fen: list[int | None]
    """Average value of the month's orders, truncated to the fen (None: no orders)."""
    repurchase_permille: list[int | None]
    """Customers with two orders or more by the month's end, of all customers by then."""
    retained_next_month_permille: list[int | None]
    """Of the customers whose first order fell in the month, those who ordered again in
    the month after."""


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
    over_time = _over_time(kept, per_member, first_month, by_month, cohort_size, came_back)
    return Analytics(
        orders=len(kept), customers=len(per_member), amount_fen=amount,
        repurchase_rate=percent(repeat, len(per_member)),
        average_order_value=format_fen(amount // len(kept)) if kept else "—",
        cohorts=cohort_rows, new_vs_returning=mix, over_time=over_time,
    )


def _over_time(kept: list[OrderView], per_member: dict[str, list[Month]],
               first_month: dict[str, Month], by_month: dict[Month, list[int]],
               cohort_size: dict[Month, int], came_back: dict[Month, dict[int, int]]
               ) -> MonthlySeries:
    if not kept:
        return MonthlySeries([], [], [], [], [], [])
    first, last = min(by_month), max(by_month)
    months = [_month_after(first, offset)
              for offset in range(_months_between(first, last) + 1)]
    amount_by_month: dict[Month, int] = defaultdict(int)
    for order in kept:
        amount_by_month[shanghai_month(order.at)] += order.amount
    # A customer repurchased by the month their second order fell in.
    second_month = {member: sorted(months)[1] for member, months in per_member.items()
                    if len(months) >= 2}
    joined = [sum(1 for month in first_month.values() if month <= end) for end in months]
    repeated = [sum(1 for month in second_month.values() if month <= end) for end in months]
    averages: list[int | None] = []
    for month in months:
        count = sum(by_month[month]) if month in by_month else 0
        averages.append(amount_by_month[month] // count if count else None)
    return MonthlySeries(
        months=[format_period(month) for month in months],
        new_orders=[by_month[month][0] if month in by_month else 0 for month in months],
        returning_orders=[by_month[month][1] if month in by_month else 0 for month in months],
        average_order_fen=averages,
        repurchase_permille=[permille(repeat, customers)
                             for repeat, customers in zip(repeated, joined, strict=True)],
        retained_next_month_permille=[
            None if month == last else permille(came_back[month].get(1, 0),
                                                cohort_size.get(month, 0))
            for month in months],
    )
