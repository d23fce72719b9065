"""Withdrawals (eligibility, daily cap) and paying with points at a merchant."""

from __future__ import annotations

from profitpool.engine import Ledger, parse_command, plan_withdrawal
from programs import Program


def two_members(**rules: object) -> Program:
    p = Program(**rules)
    p.merchant("m1")
    p.merchant("m2")
    p.order("o1", "u1", "100.00", "20.00", merchant="m1")
    p.order("o2", "u2", "200.00", "50.00", merchant="m2")
    return p


def test_withdraw_leaves_twenty_percent_in_pool() -> None:
    p = two_members()
    (effect,) = p.run("withdraw", id="w1", member="u1", points="21")
    assert effect.value == 700 and effect.paid == 560
    assert p.pool() == "15.40"
    assert p.member("u1") == {"points": "0.0000", "value": "0.00", "paid": "5.60", "owed": "5.60",
                              "in_flight": "0.00"}
    # the 1.40 left behind now belongs to u2: 14.00 + 1.40
    assert p.member("u2")["value"] == "15.40"


def test_withdraw_all_takes_every_eligible_point() -> None:
    p = two_members(withdraw_min_gain="0")  # V at mint: lot 1 0.2857, lot 2 0.3333 per share
    p.order("o3", "u1", "100.00", "50.00")  # lot 3: V at mint 36/84 = 0.4286
    p.order("o4", "u4", "100.00", "0.00")  # V falls to 36/105 = 0.3429
    (effect,) = p.run("withdraw", id="w1", member="u1", points="all")
    assert [part.lot for part in effect.parts] == [1]  # lot 3 is below its V at mint
    assert p.member("u1")["points"] == "21.0000"


def test_without_a_gain_gate_withdraw_all_takes_every_lot() -> None:
    p = two_members()  # the default: withdraw_min_gain none
    p.order("o3", "u1", "100.00", "50.00")
    p.order("o4", "u4", "100.00", "0.00")  # V below lot 3's V at mint: no matter
    (effect,) = p.run("withdraw", id="w1", member="u1", points="all")
    assert [part.lot for part in effect.parts] == [1, 3]
    assert p.member("u1")["points"] == "0.0000"


def test_a_gain_of_zero_locks_a_lot_below_its_value_at_mint() -> None:
    p = two_members(withdraw_min_gain="0")
    # u2's lot was minted at V = 21/63; an order without profit dilutes V
    p.order("o3", "u3", "100.00", "0.00")
    err = p.reject("insufficient_points", "withdraw", id="w1", member="u2", points="1")
    assert "0.0000 eligible points" in err.message and "42.0000 held" in err.message
    p.order("o4", "u3", "100.00", "100.00")  # profit lifts V back above
    p.run("withdraw", id="w1", member="u2", points="1")


def test_by_default_a_member_cashes_out_whenever_they_choose() -> None:
    p = two_members()
    p.order("o3", "u3", "100.00", "0.00")  # V below u2's V at mint
    (effect,) = p.run("withdraw", id="w1", member="u2", points="1")
    assert effect.paid > 0


def test_a_gain_gate_can_be_turned_off_again() -> None:
    p = two_members(withdraw_min_gain="0")
    p.order("o3", "u3", "100.00", "0.00")
    p.reject("insufficient_points", "withdraw", id="w1", member="u2", points="1")
    (change,) = p.run("rules", withdraw_min_gain="none")
    assert change.changes == (("withdraw_min_gain", None),)
    p.run("withdraw", id="w1", member="u2", points="1")


def test_the_gain_gate_is_off_in_the_default_rules() -> None:
    assert Ledger().rules.withdraw_min_gain is None
    assert Ledger().rules.to_json()["withdraw_min_gain"] is None


def test_gain_threshold_is_relative_to_value_at_mint() -> None:
    p = Program(withdraw_min_gain="0.5")
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "20.00")  # V at mint = 6.00/21
    p.order("o2", "u2", "100.00", "20.00")  # V unchanged
    p.reject("insufficient_points", "withdraw", id="w1", member="u1", points="1")
    p.run("rules", points_per_yuan="0")
    p.order("o3", "u3", "100.00", "60.00")  # pool 12 -> 30: V x 2.5 >= 1.5 x V at mint
    p.run("withdraw", id="w1", member="u1", points="1")


def test_lot_is_withdrawable_only_after_min_hold_days() -> None:
    p = Program(min_hold_days=30)
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "20.00")
    p.advance(days=29, hours=23)
    p.reject("insufficient_points", "withdraw", id="w1", member="u1", points="1")
    p.advance(hours=1)
    p.run("withdraw", id="w1", member="u1", points="1")


def test_withdraw_takes_oldest_eligible_lot_first_and_cost_follows_shares(
    program: Program,
) -> None:
    program.order("o1", "u1", "100.00", "20.00")
    program.order("o2", "u1", "100.00", "20.00")
    (effect,) = program.run("withdraw", id="w1", member="u1", points="30")
    shares_per_point = 10**24
    assert [(part.lot, part.shares, part.cost) for part in effect.parts] == [
        (1, 21 * shares_per_point, 10000),
        (2, 9 * shares_per_point, 4285),  # 100.00 x 9/21, rounded down
    ]
    lot2 = program.ledger.members["u1"].lots[-1]
    assert lot2.cost == 10000 - 4285


def test_withdraw_more_than_held_is_insufficient(program: Program) -> None:
    program.order("o1", "u1", "100.00", "20.00")
    program.reject("insufficient_points", "withdraw", id="w1", member="u1", points="21.0001")
    program.run("withdraw", id="w1", member="u1", points="21.0000")


def test_daily_cap_counts_from_the_pool_at_the_days_start() -> None:
    p = two_members(daily_withdraw_cap_rate="0.1")  # pool at day start: 21.00 -> cap 2.10
    p.advance(days=1)  # new day: the cap is 10% of 21.00
    p.order("o3", "u3", "1000.00", "1000.00")  # pool 321.00, but the cap stays 2.10
    err = p.reject("daily_cap_reached", "withdraw", id="w1", member="u2", points="10")
    assert "cap" in err.message
    (effect,) = p.run("withdraw", id="w1", member="u2", points="2")
    assert effect.paid == 188  # 2 x 321.00/273 x 0.8
    p.reject("daily_cap_reached", "withdraw", id="w2", member="u2", points="1")  # +0.94
    p.advance(days=1)  # the new cap is 10% of 319.12
    p.run("withdraw", id="w2", member="u2", points="1")


def test_plan_withdrawal_shows_what_will_be_paid_without_changing_anything() -> None:
    p = two_members()
    command = parse_command(p.command("withdraw", id="w1", member="u1", points="10"))
    plan = plan_withdrawal(p.ledger, command)
    assert (plan.value, plan.paid) == (333, 266)
    assert p.pool() == "21.00"


def test_pay_at_merchant_pays_merchant_from_pool() -> None:
    p = two_members()
    (effect,) = p.run("pay", id="p1", member="u2", merchant="m1", points="6")
    assert (effect.value, effect.paid) == (200, 200)
    s = p.summary()
    assert s["merchants"]["m1"]["received"] == "2.00"
    assert s["totals"]["paid_merchants"] == "2.00"
    assert s["pool"] == "19.00"


def test_pay_rate_below_one_leaves_the_rest_in_the_pool() -> None:
    p = two_members(pay_rate="0.5")
    (effect,) = p.run("pay", id="p1", member="u2", merchant="m1", points="6")
    assert (effect.value, effect.paid) == (200, 100)


def test_pay_ignores_hold_days_and_gain_but_not_pledges() -> None:
    p = Program(min_hold_days=30, withdraw_min_gain="10")
    p.merchant("m1")
    p.lender("b1")
    p.order("o1", "u1", "100.00", "20.00")
    p.run("pledge", id="pl1", member="u1", lender="b1", points="20", loan="1.00")
    p.reject("insufficient_points", "pay", id="p1", member="u1", merchant="m1", points="2")
    p.run("pay", id="p1", member="u1", merchant="m1", points="1")
    p.reject("unknown_merchant", "pay", id="p2", member="u1", merchant="m9", points="1")
    p.reject("unknown_member", "pay", id="p2", member="u9", merchant="m1", points="1")


def test_withdraw_and_pay_ids_are_idempotent(program: Program) -> None:
    program.order("o1", "u1", "100.00", "20.00")
    program.run("withdraw", id="w1", member="u1", points="1")
    assert program.raw(program.command("withdraw", id="w1", member="u1", points="1")).replay
    program.reject("conflict", "withdraw", id="w1", member="u1", points="2")
    program.run("pay", id="p1", member="u1", merchant="m1", points="1")
    program.reject("conflict", "pay", id="p1", member="u1", merchant="m1", points="all")
    assert program.member("u1")["points"] == "19.0000"


def test_rejected_withdraw_undoes_the_settlements_it_ran() -> None:
    p = Program(settle_days=1)
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "20.00")
    p.advance(days=1)
    # o1 settles first (21 points), then the withdrawal of 50 fails: all undone
    p.reject("insufficient_points", "withdraw", id="w1", member="u1", points="50")
    assert isinstance(p.ledger, Ledger) and p.pool() == "0.00"
    assert p.ledger.orders["o1"].status == "pending"
    (settled, minted, withdrawn) = p.run("withdraw", id="w1", member="u1", points="21")
    assert type(withdrawn).__name__ == "Withdrawn" and withdrawn.paid == 480
