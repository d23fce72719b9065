"""One simulated run: the real engine, the same figures as `apply`, honest bookkeeping."""

from __future__ import annotations

import dataclasses

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from simhelpers import SMALL, moves, small

from profitpool.batch import apply_lines
from profitpool.chain.canonical import command_json
from profitpool.engine.commands import Burn, PlaceOrder, Withdraw
from profitpool.engine.view import dump_state
from profitpool.money import points_for_shares, price_micro
from profitpool.sim.model import month_of, month_start, simulate_run
from profitpool.sim.scenario import parse_scenario


def _recorded(scenario, variant: str, seed: int):
    commands: list = []
    result = simulate_run(scenario, variant, seed, record=commands.append)
    return result, commands


@pytest.mark.parametrize("scenario", [small(), moves()], ids=["small", "moves"])
def test_each_simulated_month_equals_apply_on_the_same_commands(scenario) -> None:
    for variant in ("origin", "vendor"):
        result, commands = _recorded(scenario, variant, 7)
        lines = [orjson.dumps(command_json(command)) for command in commands]
        for month in range(1, scenario.months + 1):
            end = month_start(*month_of(scenario.start, month + 1))
            prefix = [line for line, command in zip(lines, commands, strict=True)
                      if command.at < end]
            ledger = apply_lines(prefix).ledger
            row = {name: column[month - 1] for name, column in result.monthly.items()}
            assert row["pool_fen"] == ledger.pool
            assert row["supply_points"] == points_for_shares(ledger.total_shares, ledger.index)
            assert row["price_micro"] == price_micro(ledger.pool, ledger.total_shares,
                                                     ledger.index)
            assert row["members"] == len(ledger.members)
        replayed = apply_lines(lines)
        assert result.final["pool_fen"] == replayed.ledger.pool
        assert result.final["exits"] == replayed.ledger.exits
        assert result.final["paid_members_fen"] == replayed.ledger.paid_members
        assert result.final["paid_lenders_fen"] == replayed.ledger.paid_lenders
        # the whole state, byte for byte, through the JSON lines and straight through
        direct, _ = _recorded(scenario, variant, 7)
        assert direct == result


def test_a_seed_gives_one_result_and_another_seed_another() -> None:
    scenario = small()
    first = simulate_run(scenario, "origin", 3)
    again = simulate_run(scenario, "origin", 3)
    other = simulate_run(scenario, "origin", 4)
    assert first == again
    assert first.monthly["amount_fen"] != other.monthly["amount_fen"]


def test_the_commands_follow_the_scenario() -> None:
    scenario = small()
    result, commands = _recorded(scenario, "origin", 5)
    orders = [command for command in commands if type(command) is PlaceOrder]
    assert [command.at for command in commands] == sorted(command.at for command in commands)
    starts = [month_start(*month_of(scenario.start, month)) for month in (1, 2, 3, 4, 5)]
    burns = [command for command in commands if type(command) is Burn]
    assert [burn.period for burn in burns] == [(2026, 1), (2026, 2), (2026, 3)]
    assert [burn.at for burn in burns] == starts[1:4]
    assert result.monthly["burned"] == [0, 1, 1, 1]
    for order in orders:
        month = next(number for number in (1, 2, 3, 4) if order.at < starts[number])
        if order.campaign is not None:
            assert order.merchant == "cafe" and month in (2, 3)
        assert 0 <= order.profit <= order.amount
    cafe_in_campaign = [order for order in orders if order.merchant == "cafe"
                        and starts[1] <= order.at < starts[3]]
    named = sum(order.campaign == "double" for order in cafe_in_campaign)
    assert 0.3 < named / len(cafe_in_campaign) < 0.7  # share_of_orders = 0.5
    # no one arrives once the shock's arrivals factor is 0
    assert result.monthly["arrivals"][2:] == [0, 0]
    assert result.monthly["arrivals"][:2] == [40, 48]
    # the bank run: withdrawals crowd the first three days of month 4
    withdrawals = [command for command in commands if type(command) is Withdraw
                   and command.at >= starts[3]]
    early = sum(command.at < starts[3] + 3 * 86_400_000_000 for command in withdrawals)
    assert early > len(withdrawals) / 2


def test_the_daily_cap_refuses_a_bank_run() -> None:
    capped = small(SMALL.replace("daily_withdraw_cap_rate = 0.2",
                                 "daily_withdraw_cap_rate = 0.001"))
    result = simulate_run(capped, "vendor", 2)
    assert result.monthly["withdrawals_refused_cap"][3] > 0
    uncapped = small(SMALL.replace("daily_withdraw_cap_rate = 0.2\n", ""))
    assert sum(simulate_run(uncapped, "vendor", 2).monthly["withdrawals_refused_cap"]) == 0


def test_bookkeeping_adds_up() -> None:
    for variant in ("origin", "vendor"):
        result = simulate_run(small(), variant, 11)
        monthly, cohorts = result.monthly, result.cohorts
        assert result.invariants_ok
        assert sum(cohort.spent_fen for cohort in cohorts) == sum(monthly["amount_fen"])
        assert sum(cohort.contributed_fen for cohort in cohorts) == result.final["injected_fen"]
        assert sum(cohort.members for cohort in cohorts) == result.final["members"]
        assert (sum(cohort.received_cash_fen for cohort in cohorts)
                == result.final["paid_members_fen"])
        assert (sum(cohort.received_goods_fen for cohort in cohorts)
                == result.final["paid_merchants_fen"])
        payouts = (sum(monthly["paid_withdrawals_fen"]) + sum(monthly["paid_exits_fen"])
                   + sum(monthly["paid_merchants_fen"]))
        assert sum(sum(cohort.funded_by) for cohort in cohorts) == payouts
        assert sum(result.exit_months) == sum(monthly["exits"]) == result.final["exits"]
        assert sum(cohort.lots_exited for cohort in cohorts) == result.final["exits"]
        assert monthly["pool_fen"][-1] == result.final["pool_fen"]
        assert sum(cohort.holding_value_fen for cohort in cohorts) == \
            monthly["holdings_value_fen"][-1]
        for pool, holdings in zip(monthly["pool_fen"], monthly["holdings_value_fen"],
                                  strict=True):
            assert holdings <= pool
        assert all(len(cohort.funded_by) == 4 for cohort in cohorts)


def test_value_per_point_ignores_the_burn() -> None:
    result, commands = _recorded(small(), "origin", 5)
    # value_micro is price x index: what a launch point is worth, so a burn leaves it alone
    lines = [orjson.dumps(command_json(command)) for command in commands]
    burn_at = next(i for i, command in enumerate(commands) if type(command) is Burn)
    before = apply_lines(lines[:burn_at]).ledger
    after = apply_lines(lines[:burn_at + 1]).ledger
    assert after.index < before.index
    assert price_micro(after.pool, after.total_shares, after.index) > \
        price_micro(before.pool, before.total_shares, before.index)
    def value(ledger):
        return ledger.pool * 10_000 * 10**24 // ledger.total_shares

    assert value(before) == value(after)
    assert dump_state(after)["pool"] == dump_state(before)["pool"]


_RULES = st.fixed_dictionaries({
    "pool_share_of_profit": st.sampled_from(["0.1", "0.3", "0.5"]),
    "withdraw_payout_rate": st.sampled_from(["0.5", "0.8", "1"]),
    "exit_multiple": st.sampled_from(["1.2", "2", "3"]),
    "burn_rate": st.sampled_from(["0", "0.01", "0.2"]),
    "mint_mode": st.sampled_from(["fixed", "at_price"]),
    "exit_basis": st.sampled_from(["cost", "mint_value"]),
    "settle_days": st.sampled_from([0, 3]),
    "min_hold_days": st.sampled_from([0, 10]),
})


@settings(max_examples=12, deadline=None)
@given(rules=_RULES, seed=st.integers(0, 2**32 - 1),
       withdraw=st.sampled_from([0.0, 0.3, 1.0]), pay=st.sampled_from([0.0, 0.5]))
def test_invariants_hold_for_any_rules_and_behaviour(rules, seed, withdraw, pay) -> None:
    """docs/rules.md section 7, checked at every month end of randomly ruled programs."""
    text = SMALL.replace("[rules]\nexit_multiple = 3\ndaily_withdraw_cap_rate = 0.2",
                         "[rules]\n" + "\n".join(
                             f"{key} = {value!r}".replace("'", '"') for key, value in
                             rules.items()))
    text = text.replace("withdraw_probability = 0.2", f"withdraw_probability = {withdraw}")
    text = text.replace("pay_probability = 0.2", f"pay_probability = {pay}")
    scenario = parse_scenario(text.replace("start = 40", "start = 12"), "p.toml", "p")
    result = simulate_run(scenario, "origin", seed)
    assert result.invariants_ok
    monthly = result.monthly
    for month in range(scenario.months):
        assert monthly["pool_fen"][month] >= monthly["holdings_value_fen"][month] >= 0
    final = result.final
    assert final["pool_fen"] == final["injected_fen"] - final["paid_members_fen"] \
        - final["paid_merchants_fen"] - final["paid_lenders_fen"]
    assert dataclasses.asdict(result)  # plain data all the way down (it travels by pickle)
