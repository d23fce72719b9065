"""What a member can cash out now and why the rest cannot (engine/cashable.py), under each
gate of docs/rules.md section 4.6, checked against what a withdrawal then does: the
breakdown's points are withdrawn and pay what it said, one point unit more is refused."""

from __future__ import annotations

from profitpool.engine import Cashable, cashable_of
from profitpool.money import format_points
from profitpool.times import MICROS_PER_DAY, parse_time
from programs import Program

UNIT = 1
"""One point unit (0.0001 point)."""


def breakdown(p: Program, member: str) -> Cashable:
    """The breakdown for a withdrawal at the program's clock."""
    return cashable_of(p.ledger, member, parse_time(p.now()))


def withdraws_exactly(p: Program, member: str, refusal: str = "insufficient_points") -> None:
    """The breakdown's points can be withdrawn and pay its figure; one unit more is
    refused with ``refusal`` (and changes nothing)."""
    shown = breakdown(p, member)
    p.reject(refusal, "withdraw", id="over", member=member,
             points=format_points(shown.points + UNIT))
    if shown.points == 0:
        p.reject("insufficient_points", "withdraw", id="all", member=member, points="all")
        return
    asked = "all" if shown.capped_points == 0 else format_points(shown.points)
    withdrawal = f"w{len(p.log)}"
    (effect,) = [e for e in p.run("withdraw", id=withdrawal, member=member, points=asked)
                 if type(e).__name__ == "Withdrawn"]
    assert (effect.value, effect.paid) == (shown.value, shown.paid)
    assert effect.points == shown.points


def test_with_no_gate_everything_is_cashable_and_a_withdrawal_pays_what_it_said() -> None:
    p = Program()
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "20.00")
    shown = breakdown(p, "u1")
    assert (shown.points, shown.value, shown.paid) == (21_0000, 600, 480)
    assert shown.held == () and shown.pending == () and shown.cap_left is None
    withdraws_exactly(p, "u1")


def test_an_order_in_its_refund_window_is_pending_with_the_moment_it_settles() -> None:
    p = Program(settle_days=7)
    p.merchant("m1")
    placed = parse_time(p.now())
    p.order("o1", "u1", "100.00", "20.00")
    p.advance(hours=1)
    p.order("o2", "u1", "50.00", "10.00")
    p.advance(hours=1)
    p.order("o3", "u1", "80.00", "10.00")
    p.run("refund", order="o3")
    shown = breakdown(p, "u1")
    assert [(o.order, o.merchant, o.amount, o.settles_at) for o in shown.pending] == [
        ("o1", "m1", 100_00, placed + 7 * MICROS_PER_DAY),
        ("o2", "m1", 50_00, placed + 7 * MICROS_PER_DAY + 3600 * 1_000_000)]
    assert shown.points == 0 and shown.held == ()
    withdraws_exactly(p, "u1")
    p.advance(days=7, hours=-1.5)
    p.run("tick")  # o1 settles; o2 is half an hour away
    shown = breakdown(p, "u1")
    assert [o.order for o in shown.pending] == ["o2"] and shown.points == 21_0000
    withdraws_exactly(p, "u1")


def test_pledged_points_name_their_pledge_and_come_back_when_released() -> None:
    p = Program()
    p.merchant("m1")
    p.lender("b1")
    p.order("o1", "u1", "100.00", "20.00")
    p.run("pledge", id="pl1", member="u1", lender="b1", points="5", loan="100.00")
    shown = breakdown(p, "u1")
    [held] = shown.held
    assert (held.reason, held.pledge, held.points, held.value) == ("pledged", "pl1", 5_0000,
                                                                   142)
    assert shown.points == shown.unpledged == 16_0000
    p.reject("insufficient_points", "pay", id="over", member="u1", merchant="m1",
             points=format_points(shown.unpledged + UNIT))
    withdraws_exactly(p, "u1")
    p.run("release", pledge="pl1")
    shown = breakdown(p, "u1")
    assert shown.held == () and shown.points == 5_0000
    withdraws_exactly(p, "u1")


def test_a_lot_held_too_briefly_says_when_it_may_go_and_goes_then() -> None:
    p = Program(min_hold_days=3)
    p.merchant("m1")
    placed = parse_time(p.now())
    p.order("o1", "u1", "100.00", "20.00")
    p.advance(days=3, minutes=-1)
    [held] = breakdown(p, "u1").held
    assert (held.reason, held.free_at, held.points) == ("too_young", placed + 3 * MICROS_PER_DAY,
                                                        21_0000)
    assert breakdown(p, "u1").unpledged == 21_0000  # a payment ignores the hold period
    withdraws_exactly(p, "u1")
    p.advance(minutes=1)  # the hold ends at the order's time + 3 x 24 hours, exactly
    shown = breakdown(p, "u1")
    assert shown.held == () and shown.points == 21_0000
    withdraws_exactly(p, "u1")


def _section_3_1(**rules: object) -> Program:
    """docs/rules.md section 3.1: a buys on 5 January, January is burned, b buys the same
    on 5 February."""
    p = Program(withdraw_min_gain="0", **rules)
    p.merchant("m1")
    p.at("2026-01-05T12:00:00+08:00")
    p.order("o1", "a", "100.00", "20.00")
    p.at("2026-02-01T00:00:00+08:00")
    p.run("burn", period="2026-01")
    p.at("2026-02-05T12:00:00+08:00")
    p.order("o2", "b", "100.00", "20.00")
    return p


def test_under_the_origin_reading_a_gate_of_zero_locks_the_older_lot_and_says_how_far() -> None:
    p = _section_3_1()
    shown = breakdown(p, "a")
    [held] = shown.held
    # a's 21 shares were worth 6.00 at the mint; V fell to 12.00 / 42.2121... shares.
    assert (held.reason, held.value, held.needed_value) == ("below_gain", 596, 600)
    assert held.points == 20_7900 and shown.points == 0
    withdraws_exactly(p, "a")
    assert breakdown(p, "b").held == ()
    withdraws_exactly(p, "b")


def test_under_the_vendors_reading_the_same_orders_leave_the_older_lot_free() -> None:
    p = _section_3_1(mint_mode="at_price", exit_basis="mint_value", exit_multiple="2")
    shown = breakdown(p, "a")
    assert shown.held == () and shown.points == 4_1580  # 4.2 points, burned by 1%
    withdraws_exactly(p, "a")


def test_a_positive_gain_gate_names_the_value_a_lot_must_reach_and_frees_it_there() -> None:
    p = Program(withdraw_min_gain="0.5")
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "20.00")  # 21 shares worth 6.00 at the mint
    p.order("o2", "u2", "100.00", "20.00")  # V unchanged: u1's lot still worth 6.00
    [held] = breakdown(p, "u1").held
    assert (held.reason, held.value, held.needed_value) == ("below_gain", 600, 900)
    withdraws_exactly(p, "u1")
    p.order("o3", "u3", "100.00", "100.00")  # pool 42.00 over 63 shares: u1's worth 14.00
    shown = breakdown(p, "u1")
    assert shown.held == () and shown.value == 1400
    withdraws_exactly(p, "u1")


def test_the_day_s_cap_leaves_out_what_it_would_pay_past_and_resets_the_next_day() -> None:
    p = Program(daily_withdraw_cap_rate="0.1")
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "20.00")
    p.order("o2", "u2", "200.00", "50.00")
    # The day's base is the pool at its first command, the rules (0.00); tomorrow's is
    # 21.00, and its cap pays 2.10.
    assert breakdown(p, "u1").cap_left == 0
    p.advance(days=1)
    shown = breakdown(p, "u1")
    assert shown.cap_left == 210 and 0 < shown.paid <= 210
    assert shown.points + shown.capped_points == 21_0000 and shown.capped_points > 0
    withdraws_exactly(p, "u1", refusal="daily_cap_reached")
    after = breakdown(p, "u1")
    assert after.cap_left == 210 - shown.paid == 0
    # What is left of the cap pays nothing: no point can turn into cash today.
    assert after.points == 0 and after.capped_points == 21_0000 - shown.points
    p.advance(days=1)  # a new day: the cap counts from the pool now
    tomorrow = breakdown(p, "u1")
    assert tomorrow.cap_left == p.ledger.pool // 10
    withdraws_exactly(p, "u1", refusal="daily_cap_reached")


def test_each_lot_is_held_by_the_first_gate_in_the_rulebook_s_order() -> None:
    p = Program(min_hold_days=30, withdraw_min_gain="0")
    p.merchant("m1")
    p.lender("b1")
    p.order("o1", "u1", "100.00", "20.00")
    p.advance(days=1)
    p.order("o2", "u1", "100.00", "20.00")
    p.order("o3", "u3", "100.00", "0.00")  # V falls below both lots' V at mint
    p.run("pledge", id="pl1", member="u1", lender="b1", points="21", loan="10.00")
    assert [(h.order, h.reason) for h in breakdown(p, "u1").held] == [
        ("o1", "pledged"), ("o2", "too_young")]
    p.advance(days=30)
    assert [(h.order, h.reason) for h in breakdown(p, "u1").held] == [
        ("o1", "pledged"), ("o2", "below_gain")]
    withdraws_exactly(p, "u1")
