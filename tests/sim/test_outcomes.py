"""The simulator tells the whole truth: member by member, how sure, one figure per fact.

Per-member outcomes (under water, returns by month joined, time to exit), the 95%
interval of every median across runs with its "more runs" note, the one
``pool_emptied`` figure, "funded by later members" as one definition, and the change
since the last restart: each checked on runs built by hand whose answers are known,
and on a real run through the engine where the answer is exact.
"""

from __future__ import annotations

from array import array
from fractions import Fraction
from typing import Any

from test_verdicts_truth import AT_PRICE, FIXED, MONTHS, ONE_SHOP, run_of, said, simulation

from profitpool.sim.analysis import analyse, run_figures, since_restart
from profitpool.sim.funding import later_share, under_water
from profitpool.sim.model import simulate_run
from profitpool.sim.outcomes import NEVER, member_outcomes, nearest_rank, time_to_exit
from profitpool.sim.report import summary
from profitpool.sim.report_charts import render_charts
from profitpool.sim.results import MONTHLY_COLUMNS, MemberFunding, MemberOutcomes, Simulation
from profitpool.sim.scenario import parse_scenario
from profitpool.sim.sensitivity import sensitivity
from profitpool.sim.stats import median_interval, needs_more_runs, spread
from profitpool.sim.verdicts import precision, verdicts


def members(*rows: tuple[int, int, int]) -> MemberOutcomes:
    """(arrival month, contributed fen, got back fen) per member."""
    return MemberOutcomes(array("H", [r[0] for r in rows]), array("q", [r[1] for r in rows]),
                          array("q", [r[2] for r in rows]))


def outcome_runs() -> Simulation:
    """Two runs, five members: two under water, one who put nothing in."""
    first = run_of("origin", FIXED, run=0, lots_minted=[1] * MONTHS)
    first.members = members((1, 100, 50), (1, 200, 300), (2, 100, 100), (2, 0, 10))
    second = run_of("origin", FIXED, run=1, lots_minted=[1] * MONTHS)
    second.members = members((1, 100, 80))
    return simulation(first, second)


# per-member outcomes ----------------------------------------------------------------------

def test_under_water_is_one_definition() -> None:
    assert under_water(99, 100) and not under_water(100, 100) and not under_water(10, 0)


def test_members_under_water_and_returns_by_month_joined_pooled_over_runs() -> None:
    sim = outcome_runs()
    figures = member_outcomes(sim.runs)
    assert (figures.runs, figures.members, figures.under_water, figures.no_contribution) == (
        2, 5, 2, 1)
    first, second = figures.bands
    # month 1: 50/100, 300/200, 80/100 -> 0.5, 0.8, 1.5 (linear between order statistics)
    assert (first.month, first.members, first.under_water) == (1, 3, 2)
    assert first.ppm == {5: 530_000, 25: 650_000, 50: 800_000, 75: 1_150_000, 95: 1_430_000}
    assert (second.month, second.members, second.under_water) == (2, 1, 0)   # 100 back of 100
    assert set(second.ppm.values()) == {1_000_000}
    found = verdicts(sim)
    sunk = said(found, "members_under_water")
    assert sunk.en.startswith("Of all members, holding points or not, 40.0% (2 of 5, all 2 runs) "
                              "ended under water")
    assert "1 of them put nothing into the pool" in sunk.en
    assert "有 40.0%（2 / 5 人，2 次模拟合计）期末处于亏损" in sunk.zh
    returns = said(found, "member_returns")
    assert ("the 3 who joined in month 1: median 80.0%, p25–p75 65.0%–115.0%, p5–p95 "
            "53.0%–143.0%") in returns.en
    assert "第 2 个月加入的 1 人：中位数 100.0%" in returns.zh
    assert returns.figures["by_month"][0]["p50"] == 0.8
    (analysis,) = analyse(sim)
    assert summary(sim, [analysis])["points"][0]["analysis"]["outcomes"]["under_water"] == 2


def test_the_band_chart_of_returns_by_month_joined_in_both_languages() -> None:
    (analysis,) = analyse(outcome_runs())
    (chart,) = [chart for chart in render_charts([analysis], {}) if chart.kind == "outcomes"]
    assert chart.name == "outcomes-01-origin"
    assert "拿回 ÷ 本人注入（%）" in chart.svg and "25%–75% 分位" in chart.svg
    assert "got back ÷ own contribution (%)" in chart.svg_en and "p5-p95" in chart.svg_en
    assert chart.png.startswith(b"\x89PNG") and chart.png_en.startswith(b"\x89PNG")
    # runs without per-member figures draw no such chart and say nothing about them
    (bare,) = analyse(simulation(run_of("origin", FIXED)))
    assert not [chart for chart in render_charts([bare], {}) if chart.kind == "outcomes"]
    assert not [v for v in verdicts(simulation(run_of("origin", FIXED)))
                if v.key in ("members_under_water", "member_returns")]


def test_identical_orders_give_every_member_back_exactly_what_they_put_in() -> None:
    # one shop, 100.00 CNY orders, 6.00 CNY each into the pool, no burn, no withdrawal:
    # every holding is worth exactly what its orders put in, so nobody is under water
    result = simulate_run(parse_scenario(ONE_SHOP, "one.toml", "one"), "origin", 3)
    assert result.members is not None
    assert len(result.members.arrival) == result.final["members"]
    assert sum(result.members.contributed_fen) == result.final["injected_fen"]
    assert list(result.members.back_fen) == list(result.members.contributed_fen)
    figures = member_outcomes([result])
    assert figures.under_water == 0 and figures.members == result.final["members"]
    assert [band.month for band in figures.bands] == [1, 2, 3]
    assert {value for band in figures.bands for value in band.ppm.values()} == {1_000_000}


def test_time_to_exit_counts_the_lots_that_never_exited() -> None:
    # 5 lots: 2 exited 1 month after their mint month, 1 after 2 months, 2 never
    assert nearest_rank([0, 2, 1], 5, 50) == 2 and nearest_rank([0, 2, 1], 5, 90) == NEVER
    assert nearest_rank([1, 1], 2, 50) == 0 and nearest_rank([1, 1], 2, 90) == 1
    assert nearest_rank([], 0, 50) is None
    assert time_to_exit([0, 2, 1], 5).never == 2
    run = run_of("vendor", AT_PRICE, lots_minted=[5, 0, 0, 0, 0, 0], exits=[0, 2, 1, 0, 0, 0])
    run.exit_months = [0, 2, 1]
    waited = said(verdicts(simulation(run)), "time_to_exit")
    assert ("(5 lots in all runs; a lot not exited by the end of month 6 counts as never): "
            "median 2 months, p90 never; 40.0% of lots (2) never exited") in waited.en
    assert "中位数为 2 个月，90% 分位为“未出局”；40.0% 的批次（2 批）从未出局" in waited.zh
    assert waited.figures["median_months"] == 2 and waited.figures["p90_never"] is True


# how sure: the interval of each median and "more runs" ------------------------------------

def test_the_median_interval_is_by_order_statistics() -> None:
    assert median_interval(range(1, 6)) is None              # 5 runs: no 95% interval
    assert median_interval(range(1, 7)) == (1, 6)            # 1 - 2/64 = 96.9%
    assert median_interval(range(1, 21)) == (6, 15)         # 1 - 2 x 0.0207 = 95.9%
    assert median_interval(range(1, 101)) == (40, 61)
    assert needs_more_runs(19, Fraction(1), (Fraction(1), Fraction(1)))      # too few runs
    assert not needs_more_runs(20, Fraction(1), (Fraction(9, 10), Fraction(11, 10)))
    assert needs_more_runs(20, Fraction(1), (Fraction(8, 10), Fraction(11, 10)))   # too wide
    assert not needs_more_runs(20, Fraction(0), (Fraction(0), Fraction(0)))
    assert needs_more_runs(20, Fraction(0), (Fraction(0), Fraction(1, 100)))
    assert spread([None, 3, 1, 2]).median == 2


def drawdown_runs(drops: list[int]) -> Simulation:
    """Runs whose price falls by ``drops[i]`` millionths of its peak of 1.000000."""
    return simulation(*(run_of("origin", FIXED, run=index,
                               price_micro=[1_000_000, 1_000_000 - drop] + [1_000_000] * 4,
                               value_micro=[1_000_000] * MONTHS)
                        for index, drop in enumerate(drops)))


def test_a_median_across_runs_comes_with_its_interval_or_asks_for_more_runs() -> None:
    # 4 runs: no interval; "more runs" said once for the point, not after every median
    found = verdicts(drawdown_runs([0, 10_000, 20_000, 30_000]))
    few = said(found, "drawdown")
    assert "95%" not in few.en and "more runs" not in few.en and "更多次" not in few.zh
    note = said(found, "runs")
    assert found[0] is note and note.figures == {"runs": 4, "min_runs": 20, "more_runs": True}
    assert note.en == ("Only 4 runs (fewer than 20): every median across runs below needs more "
                       "runs to be relied on; with fewer than 6 no 95% interval of a median can "
                       "be given.")
    assert note.zh == ("只模拟了 4 次（少于 20 次）：下面每个跨模拟的中位数都需要更多次模拟才可靠；"
                       "少于 6 次时给不出中位数的 95% 区间。")
    assert sum("more runs" in v.en for v in found) == 1
    # 20 runs, every one the same: a narrow interval and no note
    same = said(verdicts(drawdown_runs([50_000] * 20)), "drawdown")
    assert "95% interval of the median: price 5.0%–5.0%, value per point 0.0%–0.0%." in same.en
    assert "More runs" not in same.en and "中位数的 95% 区间：积分价格 5.0%–5.0%" in same.zh
    assert same.figures["intervals"]["price_drawdown_ppm"]["more_runs"] is False
    # 20 runs spread from 0% to 19%: median 9.5%, interval 5.0%-14.0%, wider than 20% of it
    wide = said(verdicts(drawdown_runs([10_000 * i for i in range(20)])), "drawdown")
    assert "95% interval of the median: price 5.0%–14.0%" in wide.en
    assert "The interval of price is wider than 20.0% of its median: more runs are needed." \
        in wide.en
    assert "积分价格的区间宽于其中位数的 20.0%，需要更多次模拟。" in wide.zh
    # 19 runs, however narrow: fewer than 20
    nineteen_found = verdicts(drawdown_runs([50_000] * 19))
    nineteen = said(nineteen_found, "drawdown")
    assert "95% interval of the median: price 5.0%–5.0%" in nineteen.en
    assert "more runs" not in nineteen.en
    assert said(nineteen_found, "runs").en.startswith("Only 19 runs (fewer than 20)")
    assert not [v for v in verdicts(drawdown_runs([50_000] * 20)) if v.key == "runs"]
    assert wide.figures["intervals"]["price_drawdown_ppm"] == {
        "runs": 20, "median": 95_000.0, "low": 50_000.0, "high": 140_000.0, "p5": 9_500.0,
        "p95": 180_500.0, "more_runs": True}


# one figure, one name, one definition -----------------------------------------------------

def test_the_pool_emptying_is_one_figure() -> None:
    assert "pool_emptied" in MONTHLY_COLUMNS and "price_restarts" not in MONTHLY_COLUMNS


def test_later_share_per_run_and_in_sweeps_is_the_member_by_member_figure() -> None:
    run = run_of("origin", FIXED, price_micro=[100] * MONTHS, value_micro=[100] * MONTHS)
    run.point = {"variant": "origin", "exit_multiple": "3"}
    run.member_funding = MemberFunding(members=4, gainers=1, contributed_fen=1_000,
                                       received_fen=1_000, beyond_own_fen=400,
                                       from_later_fen=250, from_earlier_fen=150)
    assert later_share(run.member_funding) == Fraction(1, 4)
    assert run_figures(run).later_share == Fraction(1, 4)
    sim = simulation(run)
    sim.swept = ["exit_multiple"]
    (row,) = sensitivity(sim, analyse(sim))["exit_multiple"]
    assert row.medians["later_share"] == Fraction(1, 4)
    funded = said(verdicts(sim), "funded_later")
    assert funded.figures["later_share"] == 0.25


# the change since the last restart --------------------------------------------------------

def restarted_run() -> Any:
    """Every point gone in month 3; the price starts again at 1.10 and ends at 1.331."""
    return run_of("vendor", AT_PRICE,
                  price_micro=[1_000_000, 2_000_000, 0, 1_100_000, 1_210_000, 1_331_000],
                  value_micro=[1_000_000, 2_000_000, 0, 1_100_000, 1_210_000, 1_331_000],
                  pool_emptied=[0, 0, 1, 0, 0, 0], pool_fen=[10, 20, 0, 11, 12, 13],
                  lots_minted=[1] * MONTHS)


def test_the_vendor_reading_states_the_change_since_the_last_restart() -> None:
    assert since_restart([1, 2, 0, 4], [0, 0, 0, 0]) is None
    assert since_restart([100, 0, 0], [0, 1, 0]) is None            # nothing held at the end
    assert since_restart([100, 200, 110, 121], [0, 0, 1, 0]) == (Fraction(1, 10), 3, 1)
    design = said(verdicts(simulation(restarted_run())), "at_price_mint")
    assert "Here the price changed +33.1% in all (median across runs)" in design.en
    assert ("In the 1 run in which every point was gone at some moment and the price started "
            "again (the last time in month 3; minting at price, the first lot after it is "
            "minted at the initial price, 1.000000 CNY/point), the price changed +21.0% since "
            "then (from the first month end with a price after it to the last, 2 months")\
        in design.en
    assert "自那以后价格累计变化 +21.0%" in design.zh and "初始价格 1.000000 元/积分" in design.zh
    assert design.figures["since_restart"]["change"] == 0.21
    trend = said(verdicts(simulation(restarted_run())), "trend")
    assert "the price changed +21.0% since then" in trend.en


def test_a_figure_fewer_runs_had_says_so_even_when_the_point_had_enough() -> None:
    """A restart only 3 of 25 runs saw: its median comes from 3 runs, and says so."""
    three = spread([1, 2, 3])
    zh, en, _ = precision(25, [("x", "甲", "x", three, str)])
    assert "Only 3 runs had this figure: no 95% interval" in en and "只来自 3 次模拟" in zh
    twelve = spread(range(12))
    zh, en, _ = precision(25, [("x", "甲", "x", twelve, str)])
    assert "Only 12 runs had this figure (fewer than 20): more runs are needed." in en
    # the same figures on a point of 12 runs: the point's own note says it, once
    assert precision(12, [("x", "甲", "x", twelve, str)])[1].count("more runs") == 0
    assert precision(3, [("x", "甲", "x", three, str)])[:2] == ("", "")
