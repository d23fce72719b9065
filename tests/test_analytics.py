"""A merchant's customer analytics, by hand on a small set of orders."""

from __future__ import annotations

from profitpool.service.readmodel import OrderView
from profitpool.times import parse_time
from profitpool.web.analytics import analyse, percent
from profitpool.web.charts import Bars, axis_text, month_bar_chart, nice_step


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


def test_the_figures_by_month_cover_every_month_and_agree_with_the_tables() -> None:
    orders = [
        order("a", "2026-01-05T10:00:00+08:00", 10_000),
        order("b", "2026-01-20T10:00:00+08:00", 20_000),
        order("a", "2026-02-03T10:00:00+08:00", 5_000),
        order("c", "2026-04-10T10:00:00+08:00", 7_001),   # no order in March
        order("b", "2026-04-12T10:00:00+08:00", 3_000),
        order("c", "2026-04-13T10:00:00+08:00", 9_999, status="refunded"),
    ]
    result = analyse(orders)
    series = result.over_time
    assert series.months == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert series.new_orders == [2, 0, 0, 1] and series.returning_orders == [0, 1, 0, 1]
    # the tables' months are the months with orders, with the same counts
    assert [(row["month"], row["new"], row["returning"]) for row in result.new_vs_returning] \
        == [(month, new, back) for month, new, back in zip(
            series.months, series.new_orders, series.returning_orders, strict=True)
            if new + back]
    assert series.average_order_fen == [15_000, 5_000, None, 5_000]  # 10,001 / 2, truncated
    # a repurchased in February, b in April; c joined in April: 1/2, 1/2, 2/3
    assert series.repurchase_permille == [0, 500, 500, 666]
    # of January's a and b, a came back in February; nobody began in February or March;
    # April's cohort has no next month yet
    assert series.retained_next_month_permille == [500, None, None, None]
    assert analyse([]).over_time.months == []


def test_a_bar_chart_by_month_starts_at_zero_and_keeps_its_labels_apart() -> None:
    months = [f"2026-{month:02d}" for month in range(1, 13)] + ["2027-01"]
    new = list(range(1, 14))
    chart = month_bar_chart(months, [Bars("new", "#000", list(new)),
                                     Bars("returning", "#111", [None] * 13)])
    assert chart["empty"] is False
    ticks = chart["ticks"]
    assert ticks[0]["text"] == "0" and ticks[0]["y"] == chart["base"]  # type: ignore[index]
    assert ticks[-1]["text"] == "15"  # type: ignore[index]  # 13 rounded up to 3 × 5
    bars = chart["bars"]
    assert len(bars) == 13  # type: ignore[arg-type]
    heights = [bar["height"] for bar in bars]  # type: ignore[union-attr]
    assert heights == sorted(heights) and heights[-1] < chart["base"]  # type: ignore[operator]
    labels = chart["labels"]
    assert labels[-1]["text"] == "2027-01"  # type: ignore[index]  # the newest is named
    xs = [label["x"] for label in labels]  # type: ignore[union-attr]
    assert all(later - earlier >= 64 for earlier, later in zip(xs, xs[1:], strict=False))
    assert month_bar_chart([], [])["empty"] is True
    assert month_bar_chart(["2026-01"], [Bars("x", "#000", [None])])["empty"] is True
    assert axis_text(150_000, "fen", 50_000) == "¥1,500"
    assert axis_text(250, "permille", 50) == "25%" and axis_text(25, "permille", 5) == "2.5%"
    assert nice_step(13) == 5 and nice_step(1) == 1 and nice_step(4001) == 1000
    assert nice_step(1000) == 200 and nice_step(10_550) == 2500  # 100%; ¥105.50
    # 13 months leave no room for each month's total over its bar; 3 months do
    assert chart["totals"] == []
    few = month_bar_chart(["2026-01", "2026-02", "2026-03"],
                          [Bars("v", "#000", [10_550, None, 0])], unit="fen")
    assert [value["text"] for value in few["totals"]] == ["¥105.50", "¥0.00"]  # type: ignore[index]
