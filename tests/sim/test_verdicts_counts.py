"""Issue 20, items 3, 5 and 6: refusals by cause month by month, events inside a month,
and "funded by later members" member by member.

Recording is checked against the engine itself: the run's commands are replayed one
by one through :func:`profitpool.engine.execute` and the ledger read after each. The
statements are checked on small runs built by hand, whose answers are known.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from simhelpers import small
from test_report import MONTHS, ORIGIN, ORIGIN_RULES, make_run, said, simulation

from profitpool.engine import execute
from profitpool.engine.cashable import cashable_of
from profitpool.engine.commands import PlaceOrder, Withdraw
from profitpool.engine.state import Ledger
from profitpool.errors import Rejected
from profitpool.sim.cohorts import funding_split
from profitpool.sim.funding import NOT_JOINED, FundingBook
from profitpool.sim.model import _Run, month_of, month_start, simulate_run
from profitpool.sim.report_charts import refusal_charts
from profitpool.sim.results import MemberFunding, RunResult
from profitpool.sim.scenario import Scenario, parse_scenario
from profitpool.sim.verdicts import verdicts

NOBODY_GAINS = """
months = 4
[arrivals]
pattern = "plateau"
level = 60
[[merchants]]
id = "shop"
margin = 0.2
order_value = 100.0
[rules]
withdraw_payout_rate = 0.5
[behaviour]
withdraw_probability = 0.3
"""
"""Identical orders, withdrawals paying half the value: nobody gets back what they put in."""

GATED = NOBODY_GAINS.replace("withdraw_payout_rate = 0.5", "withdraw_min_gain = 0").replace(
    "months = 4", "months = 5")
"""The origin document's fixed mint with burns and a gain gate of 0."""

EMPTIES = """
months = 3
[arrivals]
pattern = "table"
per_month = [4, 1, 0]
[purchases]
orders_per_member_month = 0.3
[[merchants]]
id = "shop"
margin = 0.2
order_value = { dist = "uniform", low = 0.01, high = 100.0 }
[rules]
mint_mode = "at_price"
initial_price = "50"
pay_rate = "0.9"
[behaviour]
pay_probability = 1.0
pay_share = 1.0
"""
"""A few members who spend every point at once: the pool empties inside months, and at
50 CNY a point small orders mint nothing."""


def scenario(text: str) -> Scenario:
    return parse_scenario(text, "test.toml", "test")


def replayed(scenario: Scenario, variant: str | None, seed: int) -> tuple[RunResult, Any]:
    """A run, and what the engine's ledger says month by month when its commands are
    given to the engine one at a time."""
    commands: list[Any] = []
    result = simulate_run(scenario, variant, seed, record=commands.append)
    months = scenario.months
    bounds = [month_start(*month_of(scenario.start, month + 2)) for month in range(months)]
    seen: dict[str, Any] = {"zero": [0] * months, "emptied": [0] * months,
                            "left": [0] * months, "taken": [0] * months, "refusals": {}}
    ledger, left_over = Ledger(), 0
    for command in commands:
        month = next(index for index, end in enumerate(bounds) if command.at < end)
        shares_before, next_lot = ledger.total_shares, ledger.next_lot_id
        try:
            execute(ledger, command)
        except Rejected as refusal:
            if isinstance(command, Withdraw):
                cause = refusal.code
                if cause == "insufficient_points":
                    held = cashable_of(ledger, command.member, command.at).held
                    cause += f"/{held[0].reason}"
                counts = seen["refusals"].setdefault(cause, [0] * months)
                counts[month] += 1
            continue
        if isinstance(command, PlaceOrder) and ledger.next_lot_id == next_lot:
            seen["zero"][month] += 1
        if shares_before and not ledger.total_shares:
            seen["emptied"][month] += 1
            seen["left"][month] += ledger.pool
            left_over = ledger.pool
        if not shares_before and ledger.total_shares and left_over:
            seen["taken"][month] += left_over
            left_over = 0
    return result, seen


# item 6: funded by later members, member by member -------------------------------------

def test_a_payout_beyond_ones_own_is_funded_by_those_not_yet_repaid_pro_rata() -> None:
    book = FundingBook()
    # joined in this order: X (member 1), A (member 0), Y (member 2)
    joined = [1, 0, 2]
    book.close_month([100, 200, 0], [0, 0, 0], joined)
    assert book.result(3) == MemberFunding(3, 0, 300, 0, 0, 0, 0)
    # A gets 160 back for 100 put in: 60 beyond. X has 200 and Y 100 not yet returned;
    # Y joined after A, so 100 / 300 of the 60 came from a later member
    book.close_month([100, 200, 100], [160, 0, 0], joined)
    assert book.result(3) == MemberFunding(3, 1, 400, 160, 60, 20, 40)
    # A buys again and puts 30 in: 30 beyond is left, both parts halve
    book.close_month([130, 200, 100], [160, 0, 0], joined)
    assert book.result(3) == MemberFunding(3, 1, 430, 160, 30, 10, 20)
    # had A joined last, all of it would have come from earlier members
    last = FundingBook()
    last.close_month([100, 200, 100], [160, 0, 0], [2, 0, 1])
    assert last.result(3).from_later_fen == 0 and last.result(3).from_earlier_fen == 60
    # a member who has not joined is never "later" than anyone
    assert NOT_JOINED > 10**12


def test_funded_by_later_members_is_0_when_nobody_gets_back_more_than_they_put_in() -> None:
    run = simulate_run(scenario(NOBODY_GAINS), None, 1)
    assert sum(run.monthly["paid_withdrawals_fen"]) > 0
    funding = run.member_funding
    assert funding.received_fen == sum(run.monthly["paid_withdrawals_fen"])
    assert (funding.gainers, funding.beyond_own_fen, funding.from_later_fen) == (0, 0, 0)
    # the pool's mix by arrival month says a third came from later cohorts all the same
    assert funding_split(run.cohorts).later_fen > 0
    sim = replace(simulation(), points=[dict(ORIGIN)], runs=[replace(run, point=dict(ORIGIN))],
                  collapse_month=None, bank_run_month=None)
    funded = said(verdicts(sim), "origin", "funded_later")
    assert funded.figures["from_later_fen"] == 0 and funded.figures["later_share"] == 0.0
    assert funded.en.startswith("No member got back more (cash, and goods paid with points) "
                                "than their own orders put into the pool (the single run, "
                                "240 members), so no payout was paid with other members' "
                                "money: the part funded by later members is 0.")
    assert funded.zh.startswith("没有一位会员拿回的钱") and "为 0。" in funded.zh


class _OneMonth(list[int]):
    """Every member counted as having arrived in month 1: the arrivals grouped otherwise."""

    def append(self, month: int) -> None:
        super().append(0)


def test_funded_by_later_members_is_the_same_however_arrivals_are_grouped() -> None:
    plan = small()
    by_month = simulate_run(plan, "vendor", 3)
    state = _Run(plan, "vendor", 3, None)
    state.cohort = _OneMonth()
    state.setup()
    for number in range(1, plan.months + 1):
        state.run_month(number)
    grouped = state.result(0, 3, {"variant": "vendor"})
    assert grouped.monthly == by_month.monthly          # the same orders and payouts
    assert by_month.member_funding.from_later_fen > 0
    assert grouped.member_funding == by_month.member_funding
    # while the pool-mix figure by cohort swings with the grouping
    assert funding_split(grouped.cohorts).later_fen == 0
    assert funding_split(by_month.cohorts).later_fen > 0


def test_the_funded_statement_says_who_gained_and_whose_money_paid() -> None:
    gains = MemberFunding(members=10, gainers=2, contributed_fen=10_000, received_fen=8_000,
                          beyond_own_fen=2_000, from_later_fen=1_500, from_earlier_fen=500)
    runs = [replace(run, member_funding=gains) if run.point == ORIGIN else run
            for run in simulation().runs]
    funded = said(verdicts(simulation(runs=runs)), "origin", "funded_later")
    # 4 runs added up: 8 gainers of 40 members, 80.00 CNY beyond of 320.00 received
    assert funded.en.startswith(
        "8 members (20.0% of members) got back more than their own orders put into the pool: "
        "80.00 CNY beyond their own, 25.0% of everything members received (320.00 CNY). That "
        "part can only come from other members' contributions: 60.00 CNY (18.7% of everything "
        "received) from members who joined after them")
    assert "20.00 CNY from members who joined before them" in funded.en
    assert funded.zh.startswith("8 位会员（占会员的 20.0%）拿回的钱超过了其本人订单注入"
                                "收益池的金额")
    assert "60.00 元（全部领取额的 18.7%）来自在他们之后加入" in funded.zh
    assert funded.figures["later_of_beyond_share"] == 0.75


# item 3: locked withdrawals ------------------------------------------------------------

def test_each_refused_withdrawal_is_recorded_with_its_cause_month_by_month() -> None:
    run, seen = replayed(scenario(GATED), None, 1)
    assert run.withdraw_refusals == seen["refusals"]
    # a gate of 0 locks more every month as burns dilute V per share
    below = run.withdraw_refusals["insufficient_points/below_gain"]
    assert below == [1, 4, 38, 60, 69] and run.monthly["withdrawals"] == [10, 16, 5, 0, 0]
    for index in range(5):
        assert sum(counts[index] for counts in run.withdraw_refusals.values()) == (
            run.monthly["withdrawals_refused_cap"][index]
            + run.monthly["withdrawals_refused_other"][index])
    # the small scenario's bank run meets the daily cap: recorded under the engine's code
    capped, seen = replayed(small(), "origin", 1)
    assert capped.withdraw_refusals == seen["refusals"] == {"daily_cap_reached": [0, 0, 0, 1]}


def gated_runs() -> list[RunResult]:
    """Origin runs (burns every month from month 2) under a gain gate of 0: attempts and
    refusals chosen by hand. Per run, month by month: 10 attempts in each of months 1-5."""
    runs = []
    for run in range(4):
        result = make_run(ORIGIN, run, {**ORIGIN_RULES, "withdraw_min_gain": "0"},
                          burned=[0, 1, 1, 1, 1, 1],
                          value_micro=[300_000, 297_000, 294_000, 291_000, 288_000, 285_000],
                          withdrawals=[9, 8, 5, 2, 0, 0],
                          withdrawals_refused_cap=[0, 0, 0, 0, 1, 0],
                          withdrawals_refused_other=[1, 2, 5, 8, 9, 0])
        result.withdraw_refusals = {
            "insufficient_points/below_gain": [0, 2, 5, 8, 9, 0],
            "insufficient_points/too_young": [1, 0, 0, 0, 0, 0],
            "daily_cap_reached": [0, 0, 0, 0, 1, 0]}
        runs.append(result)
    return runs


def test_a_gain_gate_says_the_share_refused_each_month_and_why() -> None:
    sim = replace(simulation(), points=[dict(ORIGIN)], runs=gated_runs(), bank_run_month=None,
                  collapse_month=None)
    locked = said(verdicts(sim), "origin", "locked")
    assert locked.figures["share_by_month"] == [0.1, 0.2, 0.5, 0.8, 1.0, None]
    assert locked.figures["refused_by_cause"] == {
        "daily_cap_reached": 4, "insufficient_points/below_gain": 96,
        "insufficient_points/too_young": 4}
    assert locked.en.startswith(
        "With a gain gate (a lot may go only once the value per share V is (1 + 0) times its V "
        "at mint), 52.0% of 200 withdrawal attempts were refused (all runs). Month by month "
        "(see the chart): 10.0% in month 1, 100.0% in month 5, highest 100.0% in month 5. "
        "92.3% of the refusals were the oldest lot's V below the gate. Why: under the fixed "
        "mint each yuan spent mints the same points, and shares = points ÷ index; every burn "
        "lowers the index, so later orders mint more shares per yuan and V per share drifts "
        "below older lots' V at mint")
    assert locked.en.endswith("went from 0.300000 CNY at the end of month 1 to 0.285000 CNY "
                              "at the end of month 6 (median across runs).")
    assert "第 1 个月 10.0%，第 5 个月 100.0%，最高为第 5 个月的 100.0%。" in locked.zh
    assert "每次销毁都使指数下降" in locked.zh
    tried = said(verdicts(sim), "origin", "withdrawals")
    assert tried.en.endswith("Of the refusals with no lot eligible, 96.0% had the oldest lot's "
                             "value per share below the gain gate and 4.0% had it held fewer "
                             "than 0 days.")
    # no gate, no statement; at_price mints never dilute V: no burn sentence
    assert not [v for v in verdicts(simulation()) if v.key == "locked"]
    at_price = [replace(run, rules={**run.rules, "mint_mode": "at_price"}) for run in sim.runs]
    plain = said(verdicts(replace(sim, runs=at_price)), "origin", "locked")
    assert "Why:" not in plain.en and "Meanwhile the value per point" in plain.en
    # 20 runs: the two month-end medians come with their intervals
    twenty = [replace(run, run=index) for index, run in enumerate(sim.runs * 5)]
    sure = said(verdicts(replace(sim, runs=twenty)), "origin", "locked")
    assert sure.en.endswith("at the end of month 6 (median across runs). 95% interval of the "
                            "median: end of month 1 0.300000–0.300000, end of month 6 "
                            "0.285000–0.285000.")
    assert sure.zh.endswith("中位数的 95% 区间：第 1 个月末 0.300000–0.300000，第 6 个月末 "
                            "0.285000–0.285000。")


def test_the_refusal_chart_is_drawn_for_points_with_attempts() -> None:
    from profitpool.sim.analysis import analyse

    sim = replace(simulation(), runs=gated_runs() + simulation().runs[4:])
    charts = refusal_charts(analyse(sim))
    assert [chart.point for chart in charts] == ["origin"]   # vendor: no attempts
    assert charts[0].kind == "refusals" and "最早的批次未达增值门槛" in charts[0].svg
    assert "below the gain gate" in charts[0].svg_en
    assert charts[0].png.startswith(b"\x89PNG")


def test_the_bank_run_counts_refusals_of_every_cause() -> None:
    runs = gated_runs()   # month 5: 1 refused by the cap and 9 with nothing eligible, per run
    sim = replace(simulation(), points=[dict(ORIGIN)], runs=runs, bank_run_month=5)
    bank = said(verdicts(sim), "origin", "bank_run")
    assert bank.en == ("In month 5, the bank-run month, 10 withdrawal attempts were refused "
                       "(median across runs; 40 in all runs, 100.0% of the month's 40 attempts: "
                       "4 by the daily cap, 36 because no lot was eligible), and 0 were paid "
                       "(median).")
    assert bank.zh.startswith("第 5 个月（挤兑月）有 10 次提现尝试被拒绝")
    assert bank.figures["refused_cap_total"] == 4 and bank.figures["refused_total"] == 40
    # 20 runs: the medians come with their intervals
    twenty = [replace(run, run=index) for index, run in enumerate(runs * 5)]
    sim = replace(simulation(), points=[dict(ORIGIN)], runs=twenty, bank_run_month=5)
    bank = said(verdicts(sim), "origin", "bank_run")
    assert bank.en.endswith("were paid (median). 95% interval of the median: refused 10–10, "
                            "paid 0–0.")
    assert bank.zh.endswith("中位数的 95% 区间：被拒绝次数 10–10，获准笔数 0–0。")


# item 5: events inside a month ---------------------------------------------------------

def test_emptied_pools_and_orders_minting_nothing_are_counted_when_they_happen() -> None:
    plan = scenario(EMPTIES)
    totals = {"emptied": 0, "zero": 0}
    for seed in (1, 2, 3):
        run, seen = replayed(plan, None, seed)
        assert run.monthly["orders_zero_points"] == seen["zero"]
        assert run.monthly["pool_emptied"] == seen["emptied"]
        assert run.monthly["pool_left_fen"] == seen["left"]
        assert run.monthly["pool_taken_fen"] == seen["taken"]
        assert run.monthly["orders_settled"] == run.monthly["orders"]   # settle_days is 0
        totals["emptied"] += sum(seen["emptied"])
        totals["zero"] += sum(seen["zero"])
        if seed == 2:
            # the pool emptied in months 2 and 3, yet no month ended without points
            assert seen["emptied"] == [0, 1, 1] and seen["left"] == [0, 13, 10]
            assert all(run.monthly["supply_points"])
    assert totals == {"emptied": 2, "zero": 1}


def test_emptied_pools_and_zero_point_orders_are_stated_with_their_months() -> None:
    runs = [make_run(ORIGIN, run, ORIGIN_RULES, orders_settled=[5] * MONTHS,
                     orders_zero_points=[0, 2, 0, 0, 1, 0] if run < 2 else [0] * MONTHS,
                     pool_emptied=[0, 1, 0, 0, 0, 1] if run == 0 else [0] * MONTHS,
                     pool_left_fen=[0, 120, 0, 0, 0, 7] if run == 0 else [0] * MONTHS,
                     pool_taken_fen=[0, 120, 0, 0, 0, 0] if run == 0 else [0] * MONTHS)
            for run in range(4)]
    sim = replace(simulation(), points=[dict(ORIGIN)], runs=runs)
    found = verdicts(sim)
    emptied = said(found, "origin", "pool_emptied")
    assert emptied.en == (
        "The last points left the pool 2 times during the months (all runs; in 1 of 4 runs; "
        "in months 2, 6), while the pool still held 1.27 CNY in all at those moments. Under "
        "docs/rules.md section 2 that money stays in the pool and the next lot minted owns all "
        "of it: the first lots minted afterwards took over 1.20 CNY.")
    assert "第 2、6 个月" in emptied.zh and "1.27 元" in emptied.zh
    zero = said(found, "origin", "zero_points")
    assert zero.en.startswith("6 orders (5.0% of settled orders; in 2 of 4 runs; in months 2, "
                              "5) put money into the pool and minted no points at all")
    assert zero.zh.startswith("有 6 笔订单（占已结算订单的 5.0%；2/4 次模拟中出现；"
                              "发生在第 2、5 个月）")
    assert not [v for v in verdicts(simulation()) if v.key in ("pool_emptied", "zero_points")]
