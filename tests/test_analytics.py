"""A merchant's customer analytics, by hand on a small set of orders."""

from __future__ import annotations

from profitpool.service.readmodel import OrderView
from profitpool.times import parse_time
from profitpool.web.analytics import analyse, percent


def order(member: str, at: str, amount: int, status: str = "settled") -> OrderView:
    return OrderView(f"m1:{member}{at}", "m1", member, amount, amount // 5, None, "1",
                     parse_time(at), parse_time(at), status)


def test_repurchase_order_value_cohorts_and_new_versus_returning() -> None:
    orders = [
        order("a", "2026-01-05T10:00:00+08:00", 10_000),
        order("b", "2026-01-20T10:00:00+08:00", 20_000),
        order("a", "2026-02-03T10:00:00+08:00", 5_000),
        order("c", "2026-02-10T10:00:00+08:00", 7_000),
        order("a", "2026-03-01T00:30:00+08:00", 1_000),   # March in Shanghai
        order("c", "2026-03-02T10:00:00+08:00", 3_001),
        order("d", "2026-03-03T10:00:00+08:00", 9_999, status="refunded"),  # not counted
    ]
    result = analyse(orders)
    assert (result.orders, result.customers, result.amount_fen) == (6, 3, 46_001)
    assert result.repurchase_rate == "66.6%"          # a and c of a, b, c
    assert result.average_order_value == "76.66"      # 46,001 fen / 6, truncated
    assert result.cohorts == [
        {"month": "2026-01", "customers": 2, "retained": ["50.0%", "50.0%"]},  # a came back
        {"month": "2026-02", "customers": 1, "retained": ["100.0%"]},          # c in March
    ]
    assert result.new_vs_returning == [
        {"month": "2026-01", "new": 2, "returning": 0, "new_share": "100.0%"},
        {"month": "2026-02", "new": 1, "returning": 1, "new_share": "50.0%"},
        {"month": "2026-03", "new": 0, "returning": 2, "new_share": "0.0%"},
    ]


def test_no_orders_and_exact_truncation() -> None:
    empty = analyse([])
    assert (empty.orders, empty.repurchase_rate, empty.average_order_value) == (0, "—", "—")
    assert empty.cohorts == [] and empty.new_vs_returning == []
    assert percent(2, 3) == "66.6%" and percent(1, 8) == "12.5%" and percent(0, 5) == "0.0%"
