"""The verdicts tell the whole truth (issue 20, items 1, 2, 4 and 7).

Each statement is checked against a run whose answer is known: hand-built
monthly columns for the verdicts, and commands given to the real engine for
what a run records (the price a lot needs, the price's moves inside a month,
what an exit paid against what its order put into the pool).
"""

from __future__ import annotations

from typing import Any

from profitpool.engine.commands import PlaceOrder, Withdraw
from profitpool.sim.analysis import analyse, max_drawdown_ppm, months_fell
from profitpool.sim.model import _Run, simulate_run
from profitpool.sim.report_charts import render_charts
from profitpool.sim.results import MONTHLY_COLUMNS, Cohort, RunResult, Simulation
from profitpool.sim.scenario import parse_scenario
from profitpool.sim.verdicts import Verdict, verdicts

MONTHS = 6
FIXED = {"exit_multiple": "3", "exit_basis": "cost", "exit_payout_rate": "0.80",
         "withdraw_payout_rate": "0.80", "points_per_yuan": "0.21", "mint_mode": "fixed"}
AT_PRICE = {**FIXED, "exit_multiple": "2", "exit_basis": "mint_value", "mint_mode": "at_price",
            "mint_value_rate": "0.70"}

ONE_SHOP = """
title = "one shop"
months = 3
burn = false
[arrivals]
pattern = "plateau"
level = 5
[[merchants]]
id = "shop"
margin = 0.2
order_value = 100.0
[rules]
exit_multiple = 3
[[variants]]
name = "origin"
rules = { exit_multiple = 3 }
[[variants]]
name = "vendor"
rules = { mint_mode = "at_price", exit_basis = "mint_value", exit_multiple = 2 }
"""


def run_of(variant: str, rules: dict[str, Any], cohorts: list[Cohort] | None = None,
           run: int = 0, **columns: list[int]) -> RunResult:
    monthly = {name: [0] * MONTHS for name in MONTHLY_COLUMNS}
    monthly["month"] = list(range(1, MONTHS + 1))
    monthly.update(columns)
    return RunResult(scenario="hand", point={"variant": variant}, seed=run, run=run,
                     rules=rules, monthly=monthly, cohorts=cohorts or [Cohort(month=1)],
                     exit_months=[], final={}, invariants_ok=True)


def simulation(*runs: RunResult) -> Simulation:
    points = list({run.point["variant"]: dict(run.point) for run in runs}.values())
    return Simulation(scenario="hand", title="t", description="", source="", months=MONTHS,
                      start="2026-01", points=points, swept=[], runs=list(runs))


def said(found: list[Verdict], key: str) -> Verdict:
    (verdict,) = [v for v in found if v.key == key]
    return verdict


def origin_run() -> RunResult:
    """Fixed mint: 0.06 CNY into the pool per yuan spent, 0.21 points; needs 14.285714."""
    return run_of("origin", FIXED, price_micro=[260_000, 300_000, 400_000, 500_000, 600_000,
                                                660_000],
                  value_micro=[260_000, 250_000, 240_000, 230_000, 220_000, 210_000],
                  burned=[0, 1, 1, 1, 1, 1], lots_minted=[5] * MONTHS,
                  exit_price_micro=[14_285_714] * MONTHS, amount_fen=[100_000] * MONTHS,
                  injected_fen=[6_000] * MONTHS, pool_fen=[1_000, 2_000, 3_000, 4_000, 5_000,
                                                           6_000],
                  holdings_value_fen=[900] * MONTHS, promised_fen=[50_000] * MONTHS,
                  price_moves=[10] * MONTHS, price_falls=[9] * MONTHS)


# item 1: why no lot exits -----------------------------------------------------------------

def test_no_exit_says_the_price_a_lot_needs_and_the_price_reached() -> None:
    exits = said(verdicts(simulation(origin_run())), "exits")
    assert exits.en.startswith("No lot exited (30 lots minted in all runs). This is not bad luck")
    assert ("the nearest lot needed 14.285714 CNY/point and the price was 0.660000 CNY/point "
            "(4.6% of what it needed)") in exits.en
    assert "pulling the price toward 0.285714 CNY/point" in exits.en   # 0.06 / 0.21
    assert "14.285714 元/积分" in exits.zh and "0.285714 元/积分" in exits.zh
    assert exits.figures["closest_needed_price_micro"] == 14_285_714
    assert exits.figures["pulled_price_micro"] == 285_714


def test_a_run_records_the_price_the_nearest_lot_needs() -> None:
    scenario = parse_scenario(ONE_SHOP, "one.toml", "one")
    origin = simulate_run(scenario, "origin", 1)
    # every order: 100.00 CNY, profit 20.00, 6.00 into the pool, 21 points
    assert origin.monthly["price_micro"] == [285_714] * 3
    assert origin.monthly["exit_price_micro"] == [14_285_714] * 3   # 3 x 100 / 21
    assert origin.monthly["exits"] == [0, 0, 0]
    vendor = simulate_run(scenario, "vendor", 1)
    exits = vendor.monthly["exits"]
    assert sum(exits) > 0
    # whole lots exit, each minted by an order that put 6.00 CNY into the pool
    assert vendor.monthly["exit_contributed_fen"] == [600 * n for n in exits]
    assert [promised > 0 for promised in vendor.monthly["exit_promised_fen"]] == [
        n > 0 for n in exits]


# item 2: cumulative figures and moves inside a month ---------------------------------------

def test_trend_leads_with_the_cumulative_change_beside_the_monthly_rate() -> None:
    burn = said(verdicts(simulation(origin_run())), "burn")
    # 660000 / 260000 - 1 = 153.8% over 5 months; value 210000 / 260000 - 1 = -19.2%
    assert burn.en.startswith("The price rose 153.8% in 5 months (")
    assert "only through burns; the value of a point fell 19.2% (" in burn.en
    assert "累计上涨 153.8%" in burn.zh and "累计下跌 19.2%" in burn.zh
    assert burn.figures["price_change"] == round(400_000 / 260_000, 6)


def test_falls_are_counted_on_every_move_of_the_price_inside_months() -> None:
    fell = said(verdicts(simulation(origin_run())), "price_fell")
    # no month end below the one before, yet 54 of 60 moves were falls: no "never fell"
    assert "did the price fall" not in fell.en and "没有一个月下跌" not in fell.zh
    assert "the displayed price moved 60 times and fell on 54 of them (90.0%; all runs)" in fell.en
    assert "其中 54 次是下跌（90.0%" in fell.zh
    bare = run_of("origin", FIXED, price_micro=[100] * MONTHS, value_micro=[100] * MONTHS)
    assert "Counted at month ends only" in said(verdicts(simulation(bare)), "price_fell").en


def test_the_run_counts_each_command_that_moved_the_price() -> None:
    scenario = parse_scenario(ONE_SHOP, "one.toml", "one")
    state = _Run(scenario, "origin", 1, None)
    state.setup()
    state.row = dict.fromkeys(MONTHLY_COLUMNS, 0)
    for member in ("u0", "u1"):
        state.add_member(member, 0)
    at = 1_767_225_600_000_000 + 86_400_000_000
    steps = [PlaceOrder("o1", "shop", "u0", 10_000, 2_000, None, at),     # 0.285714: first
             PlaceOrder("o2", "shop", "u0", 10_000, 0, None, at + 1),     # 0.142857: a fall
             PlaceOrder("o3", "shop", "u1", 10_000, 10_000, None, at + 2),  # a rise
             Withdraw("w1", "u0", None, at + 3), Withdraw("w2", "u1", None, at + 4),
             PlaceOrder("o4", "shop", "u1", 10_000, 2_000, None, at + 5)]   # a restart
    for command in steps:
        assert state.execute(command)
    row = state.row
    assert (row["price_falls"], row["pool_emptied"]) == (1, 1)   # one figure: pool_emptied
    assert row["price_moves"] == 3    # the fall, the rise, u0's withdrawal; 0 is no price


# item 4: the vendor reading without flattery -----------------------------------------------

def vendor_run(run: int = 0) -> RunResult:
    """Pool drained to 1% of its peak; 10 holders left, 7 under water; 4 lots exited."""
    holders = [Cohort(month=1, holders=10, holders_under_water=7)]
    return run_of("vendor", AT_PRICE, holders, run,
                  price_micro=[1_000_000, 1_100_000, 1_200_000, 1_300_000, 1_400_000,
                               1_500_000],
                  value_micro=[1_000_000, 1_100_000, 1_200_000, 1_300_000, 1_400_000,
                               1_500_000],
                  pool_fen=[50_000, 100_000, 80_000, 40_000, 10_000, 1_000],
                  lots_minted=[2] * MONTHS, exits=[0, 0, 2, 2, 0, 0],
                  exit_promised_fen=[0, 0, 2_400, 2_400, 0, 0],
                  paid_exits_fen=[0, 0, 1_920, 1_920, 0, 0],
                  exit_contributed_fen=[0, 0, 1_200, 1_200, 0, 0],
                  holdings_value_fen=[1_000] * MONTHS)


def test_a_drained_pool_leads_before_any_rise_or_never_fell() -> None:
    found = verdicts(simulation(vendor_run()))
    trend = said(found, "trend")
    assert trend.en.startswith("First: the pool ended 99.0% below its highest month end")
    assert trend.en.index("First:") < trend.en.index("/month")
    assert trend.zh.startswith("先看这一点：收益池期末比其最高的月末少了 99.0%")
    fell = said(found, "price_fell")
    assert fell.en.startswith("First: the pool ended 99.0%")
    assert "did the price fall" not in fell.en


def test_most_remaining_members_under_water_with_the_share() -> None:
    under = said(verdicts(simulation(vendor_run())), "under_water")
    assert under.en.startswith("Most remaining members are under water: 70.0% of the members "
                               "still holding points at the end (7 of 10, all runs)")
    assert under.zh.startswith("多数期末仍持有积分的会员中，有 70.0%")
    assert under.figures == {"holders": 10, "under_water": 7, "share": 0.7}


def test_reaching_twice_the_value_at_mint_in_yuan_and_in_own_contributions() -> None:
    yuan = said(verdicts(simulation(vendor_run())), "exit_yuan")
    assert "the 4 lots that exited were advertised as worth 48.00 CNY at exit and paid 38.40 " \
           "CNY (9.60 CNY a lot on average" in yuan.en
    assert "an exit paid 1.60× the member's own contribution" in yuan.en   # 3,840 / 2,400
    assert "出局所得是它的 1.60 倍" in yuan.zh and "“达到其铸造时价值的 2 倍”换算成钱" in yuan.zh


def test_the_at_price_mint_is_said_to_raise_the_price_by_design() -> None:
    found = verdicts(simulation(vendor_run()))
    design = said(found, "at_price_mint")
    assert "the other 30.0% is never issued as points but stays in the pool, so every order " \
           "raises the price" in design.en
    assert "其余 30.0% 永远不发放积分" in design.zh and "+50.0%" in design.en
    assert not [v for v in verdicts(simulation(origin_run())) if v.key == "at_price_mint"]


def test_a_restart_after_every_point_left_is_named_not_counted_as_a_fall() -> None:
    assert max_drawdown_ppm([100, 200, 1, 2]) == 995_000
    assert months_fell([100, 200, 1, 2]) == (2, 1)
    assert months_fell([100, 200, 1, 2], 1, [0, 0, 1, 0]) == (2, 0)
    assert max_drawdown_ppm([100, 200, 1, 2], [0, 0, 1, 0]) == 0
    restarted = run_of("vendor", AT_PRICE, price_micro=[100, 200, 1, 2, 3, 4],
                       value_micro=[100, 200, 1, 2, 3, 4], pool_emptied=[0, 0, 1, 0, 0, 0],
                       pool_fen=[10, 20, 30, 40, 50, 60])
    drawdown = said(verdicts(simulation(restarted)), "drawdown")
    assert drawdown.en.startswith("Largest fall from a peak (median across runs): price 0.0%")
    assert "every point was gone 1 time in 1 of 1 runs" in drawdown.en
    assert "不算作跌幅" in drawdown.zh and drawdown.figures["pool_emptied"] == 1


# item 7: solvency stated honestly --------------------------------------------------------

def test_solvency_says_it_holds_by_construction_beside_exit_values_and_a_cash_out() -> None:
    solvency = said(verdicts(simulation(origin_run())), "solvency")
    assert "This is true by construction: a holding is valued at pool ÷ shares" in solvency.en
    assert "the pool held 60.00 CNY; the exit values members were told of add up to 500.00 " \
           "CNY" in solvency.en
    assert "they would get at least 7.20 CNY (80.0% of holdings worth 9.00 CNY" in solvency.en
    assert "这是按构造成立的" in solvency.zh and "至少可得 7.20 元" in solvency.zh
    assert solvency.figures["full_cash_out_at_least_fen"] == 720


def test_price_and_value_per_point_share_one_chart() -> None:
    (analysis,) = analyse(simulation(origin_run()))
    charts = [chart for chart in render_charts([analysis], {}) if chart.kind == "price"]
    assert len(charts) == 1
    assert "每个上线时积分的价值" in charts[0].svg and "积分价格（中位数）" in charts[0].svg
    assert "value per launch point" in charts[0].svg_en and "price (median" in charts[0].svg_en
