"""What the simulator takes in: swept margins and order values, members who respond to the
price, transfers and pledges (docs/simulator.md), each checked on a run whose answer is known."""

from __future__ import annotations

import pytest
from simhelpers import moves

from profitpool.engine import execute
from profitpool.engine.commands import PlaceOrder, Pledge, Seize, Transfer, Withdraw
from profitpool.engine.state import Ledger
from profitpool.errors import Rejected
from profitpool.money import points_for_shares, shares_for_points
from profitpool.sim.model import simulate_run
from profitpool.sim.montecarlo import execute_tasks, parse_sweep, plan, simulate
from profitpool.sim.report import write_report
from profitpool.sim.results import point_label
from profitpool.sim.scenario import ScenarioError, parse_scenario, with_override
from profitpool.sim.verdicts import verdicts

SHOP = """
title = "one shop"
months = {months}
burn = false

[arrivals]
pattern = "table"
per_month = {arrivals}

[purchases]
orders_per_member_month = 0

[[merchants]]
id = "shop"
margin = 0.2
order_value = 100
"""
"""Every member buys exactly once, in their first month (a Poisson mean of 0 still gives a new
member their first order): 100 CNY with 20 CNY of profit, 6 CNY into the pool (30%)."""


def shop(months: int = 1, arrivals: str = "[3]", extra: str = "") -> object:
    return parse_scenario(SHOP.format(months=months, arrivals=arrivals) + extra, "shop.toml",
                          "shop")


def _run(scenario, seed: int = 1):
    commands: list = []
    return simulate_run(scenario, None, seed, record=commands.append), commands


# sweeps over margin and order value --------------------------------------------------------


def test_a_swept_margin_changes_the_injected_money_exactly() -> None:
    tasks = plan(shop(), [parse_sweep("margin_factor=0.5,1,2")], runs=1, seed=1)
    results = execute_tasks(tasks, workers=1)
    # 3 orders of 100 CNY; margins 0.1, 0.2, 0.4: profit 10, 20, 40 CNY, 30% of it injected
    assert [result.monthly["profit_fen"] for result in results] == [[3000], [6000], [12000]]
    assert [result.monthly["injected_fen"] for result in results] == [[900], [1800], [3600]]
    assert [point_label(result.point) for result in results] == [
        "base · margin_factor=0.5", "base · margin_factor=1", "base · margin_factor=2"]
    simulation = simulate(shop(), tasks, results, ["margin_factor"])
    assert {verdict.point for verdict in verdicts(simulation)} == {
        "base · margin_factor=0.5", "base · margin_factor=1", "base · margin_factor=2"}


def test_order_values_and_one_merchant_are_swept_too() -> None:
    tasks = plan(shop(), [parse_sweep("order_value_factor=2")],
                 runs=1, seed=1, zipped=[parse_sweep("merchants.shop.margin=0.5")])
    (result,) = execute_tasks(tasks, workers=1)
    # order_value_factor first (200 CNY), then the shop's margin set to 0.5: 100 CNY profit
    assert result.monthly["amount_fen"] == [60000]
    assert result.monthly["injected_fen"] == [9000]
    assert point_label(result.point) == "base · order_value_factor=2 · merchants.shop.margin=0.5"


def test_a_factor_scales_every_parameter_of_a_distribution_but_its_spread() -> None:
    scenario = parse_scenario(SHOP.format(months=1, arrivals="[1]").replace(
        "margin = 0.2", 'margin = { dist = "uniform", low = 0.1, high = 0.3 }').replace(
        "order_value = 100", 'order_value = { dist = "lognormal", median = 80.0, sigma = 0.5 }'),
        "s.toml", "s")
    halved = with_override(scenario, "margin_factor", 0.5)
    assert halved.merchants[0].margin.params == (0.05, 0.15)
    doubled = with_override(scenario, "order_value_factor", 2)
    # the max a lognormal omits is 100 x its median: it follows the median
    assert doubled.merchants[0].order_value.params == (160.0, 0.5, 16000.0)
    assert scenario.merchants[0].margin.params == (0.1, 0.3)  # the original is untouched


@pytest.mark.parametrize(("sweep", "key", "reason"), [
    ("margin_factor=6", "margin_factor", "merchants[0].margin.value"),
    ("margin_factor=0", "margin_factor", "above 0"),
    ("order_value_factor=-1", "order_value_factor", "above 0"),
    ("merchants.shop.margin=1.5", "merchants.shop.margin", "at most 1"),
    ("merchants.cafe.margin=0.2", "merchants.cafe.margin", "no merchant 'cafe'"),
    ("merchants.shop.weight=2", "merchants.shop.weight", "margin or order_value"),
    ("merchants.shop.order_value=cheap", "merchants.shop.order_value", "a number"),
])
def test_invalid_merchant_sweeps_name_the_key(sweep: str, key: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        plan(shop(), [parse_sweep(sweep)], runs=1, seed=1)
    assert raised.value.key == key
    assert reason in raised.value.reason


# behaviour: checked like every other key ----------------------------------------------------


@pytest.mark.parametrize(("behaviour", "key"), [
    ("withdraw_after_fall = { drop = 0, probability = 1 }", "behaviour.withdraw_after_fall.drop"),
    ("withdraw_after_fall = { drop = 0.1 }", "behaviour.withdraw_after_fall.probability"),
    ("buy_more_after_rise = { rise = 0.1, factor = -1 }", "behaviour.buy_more_after_rise.factor"),
    ("transfer_probability = 2", "behaviour.transfer_probability"),
    ("transfer_share = 0", "behaviour.transfer_share"),
    ("pledge = { probability = 0.1, months = 0 }", "behaviour.pledge.months"),
    ("pledge = { probability = 0.1, colour = 1 }", "behaviour.pledge.colour"),
    ("pledge = { probability = 0.1, loan_share = 1.5 }", "behaviour.pledge.loan_share"),
])
def test_bad_behaviour_is_refused_with_its_key(behaviour: str, key: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        shop(extra=f"\n[behaviour]\n{behaviour}\n")
    assert raised.value.key == key


def test_a_merchant_may_not_take_the_lenders_id() -> None:
    text = SHOP.format(months=1, arrivals="[1]").replace('id = "shop"', 'id = "sim-lender"')
    with pytest.raises(ScenarioError, match="behaviour.pledge: the run registers a lender"):
        parse_scenario(text + "\n[behaviour]\npledge = { probability = 0.5 }\n", "s.toml", "s")


# members who respond to the price ------------------------------------------------------------

FALL = """
[[campaigns]]
id = "quadruple"
multiplier = {multiplier}
start_month = 2
end_month = 2

[behaviour]
{behaviour}
"""


def test_members_withdraw_after_the_price_fell() -> None:
    # five members buy in month 1 and five in month 2 under 4x points: the same money, four
    # times the points, so month 2 ends 60% below month 1 (10 parts of money, 5 + 20 points)
    def run(drop: float):
        scenario = shop(3, "[5, 5, 0]", FALL.format(
            multiplier=4, behaviour=f"withdraw_after_fall = {{ drop = {drop}, probability = 1 }}"))
        return _run(scenario)

    fell, commands = run(0.6)
    price = fell.monthly["price_micro"]
    # 6 CNY per 21 points, then 60 CNY per 105 + 420 points (in millionths of a CNY)
    assert price[:2] == [6_000_000 // 21, 60_000_000 // 525]
    assert fell.monthly["withdrawals"] == [0, 0, 10]  # every holder, in the month after
    assert sum(isinstance(command, Withdraw) for command in commands) == 10
    calm, _ = run(0.61)  # a 60% fall is not a fall of 61%
    assert calm.monthly["withdrawals"] == [0, 0, 0]


def test_members_buy_more_after_the_price_rose_as_a_shock_would_make_them() -> None:
    # half points in month 2: the price rises; month 3's buyers order 3 times as often,
    # exactly what a purchase shock of 3 in month 3 does to the same seed
    base = SHOP.format(months=4, arrivals="[20, 20, 5, 0]").replace(
        "orders_per_member_month = 0", "orders_per_member_month = 1")
    rising = FALL.format(multiplier=0.5, behaviour="buy_more_after_rise = { rise = 0.1, "
                                                   "factor = 3 }")
    shocked = FALL.format(multiplier=0.5, behaviour="") + (
        "\n[[shocks]]\nfrom_month = 3\nto_month = 3\npurchase_factor = 3\n")
    quiet = FALL.format(multiplier=0.5, behaviour="")
    result = simulate_run(parse_scenario(base + rising, "a.toml", "a"), None, 4)
    assert result.monthly["price_micro"][1] > result.monthly["price_micro"][0] * 1.1
    assert result == simulate_run(parse_scenario(base + shocked, "a.toml", "a"), None, 4)
    assert result != simulate_run(parse_scenario(base + quiet, "a.toml", "a"), None, 4)
    too_high = rising.replace("rise = 0.1", "rise = 10")
    assert simulate_run(parse_scenario(base + too_high, "a.toml", "a"), None, 4) == \
        simulate_run(parse_scenario(base + quiet, "a.toml", "a"), None, 4)


# transfers and pledges --------------------------------------------------------------------


def test_each_transfer_gives_its_share_of_the_senders_free_points(tmp_path) -> None:
    enabled = "\n[rules]\ntransfers_enabled = true\n"
    scenario = shop(2, "[2, 0]", enabled + "\n[behaviour]\ntransfer_probability = 1\n"
                    "transfer_share = 0.5\n")
    result, commands = _run(scenario)
    # in month 2 both members hold points and each gives half of theirs to the other
    assert result.monthly["transfers"][1] == 2
    assert result.monthly["pool_fen"][0] == result.monthly["pool_fen"][1] == 1200
    assert result.monthly["supply_points"][0] == result.monthly["supply_points"][1]
    _check_moves(commands)

    closed = shop(2, "[2, 0]", "\n[behaviour]\ntransfer_probability = 1\n")
    refused, commands = _run(closed)
    assert refused.monthly["transfers"] == [0, 0]
    assert refused.monthly["transfers_refused"][1] == 2  # the rules do not allow them
    tasks = plan(closed, [], runs=1, seed=1)
    simulation = simulate(closed, tasks, execute_tasks(tasks, workers=1), [])
    (said,) = [verdict for verdict in verdicts(simulation) if verdict.key == "transfers"]
    total = sum(refused.monthly["transfers_refused"])  # month 1's depend on who bought first
    assert said.figures["transfers_refused"] == total
    assert "规则未允许转赠" in said.zh and "do not allow transfers" in said.en
    html = write_report(simulation, tmp_path)["report.html"].read_text(encoding="utf-8")
    assert f"会员之间转赠积分 0 次获准，{total} 次被拒绝（全部模拟合计；规则未允许转赠）。" in html
    assert f"Members gave points to other members 0 times; {total} transfers were refused" in html


@pytest.mark.parametrize("seize", [0, 1])
def test_pledges_end_released_or_seized_and_seizures_repay_the_loans(seize: int) -> None:
    scenario = shop(3, "[4, 0, 0]", "\n[behaviour]\npledge = { probability = 1, share = 0.5, "
                    f"loan_share = 0.5, months = 1, seize_probability = {seize} }}\n")
    result, commands = _run(scenario)
    made = sum(result.monthly["pledges"][:2])  # those of month 3 end after the run
    assert result.monthly["pledges"][1] == 4  # in month 2 every member pledges half again
    ended = result.monthly["seizures" if seize else "releases"]
    assert sum(ended) == made and sum(result.monthly["releases" if seize else "seizures"]) == 0
    loans = {command.id: command.loan for command in commands if isinstance(command, Pledge)}
    seized = [command.pledge for command in commands if isinstance(command, Seize)]
    # a seizure pays 80% of the value; the loan is 50% of it at pledge and V never fell
    # (no burn, no withdrawal): the lender gets the whole loan
    assert result.final["paid_lenders_fen"] == sum(loans[pledge] for pledge in seized)
    assert (result.final["paid_lenders_fen"] > 0) == bool(seize)
    assert result.invariants_ok
    _check_moves(commands)


def _check_moves(commands: list) -> None:
    """Replay the run's commands: every transfer and pledge asked for its share of the
    member's unpledged points, and a pledge's loan is its share of their value, in fen."""
    ledger = Ledger()
    for command in commands:
        if isinstance(command, Transfer | Pledge):
            member = ledger.members[command.sender if isinstance(command, Transfer)
                                    else command.member]
            free = sum(lot.shares for lot in member.lots if lot.shares and lot.pledge is None)
            assert command.points == points_for_shares(free, ledger.index) // 2
            if isinstance(command, Pledge):
                value = (shares_for_points(command.points, ledger.index) * ledger.pool
                         // ledger.total_shares)
                assert command.loan == value // 2
        try:
            execute(ledger, command)
        except Rejected as refusal:
            assert isinstance(command, Transfer | PlaceOrder), refusal.code


def test_the_moves_scenario_is_the_same_on_one_worker_and_on_two() -> None:
    tasks = plan(moves(), [parse_sweep("margin_factor=1,1.2")], runs=2, seed=3)
    here = execute_tasks(tasks, workers=1)
    assert execute_tasks(tasks, workers=2) == here
    for result in here:
        assert sum(result.monthly["transfers"]) > 0
        assert sum(result.monthly["pledges"]) > 0
        assert result.invariants_ok
    assert any(sum(result.monthly["seizures"]) > 0 for result in here)
    assert any(sum(result.monthly["releases"]) > 0 for result in here)
