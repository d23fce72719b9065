"""Orders: settlement, refund window, campaigns, idempotency, both mint modes."""

from __future__ import annotations

import pytest

from profitpool.engine import dump_state, parse_command, preview_order
from profitpool.errors import Rejected
from programs import Program, effect_names, scenario


def test_order_settles_at_once_injecting_thirty_percent_of_profit(program: Program) -> None:
    effects = program.order("o1", "u1", "100.00", "20.00")
    assert effect_names(effects) == ["MemberJoined", "OrderPlaced", "OrderSettled", "PointsMinted"]
    settled = effects[2]
    assert settled.injection == 600 and settled.pool_after == 600
    assert program.member("u1")["points"] == "21.0000"
    assert program.summary()["merchants"]["m1"]["contributed"] == "6.00"


def test_injection_rounds_half_up_to_the_fen(program: Program) -> None:
    # 0.05 x 0.30 = 0.015 -> 0.02 ; 0.01 x 0.30 = 0.003 -> 0.00
    program.order("o1", "u1", "1.00", "0.05")
    assert program.pool() == "0.02"
    program.order("o2", "u1", "1.00", "0.01")
    assert program.pool() == "0.02"


def test_points_are_truncated_to_four_decimals(program: Program) -> None:
    # 0.33 x 0.21 = 0.0693 exactly; with multiplier 1.5 -> 0.10395 -> 0.1039
    program.run("campaign", id="c1", merchant=None, multiplier="1.5",
                start="2026-01-01T00:00:00+08:00", end="2026-02-01T00:00:00+08:00")
    effects = program.order("o1", "u1", "0.33", "0.00", campaign="c1")
    assert effects[-1].points == 1039


def test_order_too_small_for_a_point_injects_but_mints_no_lot(program: Program) -> None:
    effects = program.order("o1", "u1", "0.01", "0.01")
    # 0.01 x 0.21 = 0.0021 points -> a lot of 21 point units; 0.0004 would be nothing:
    assert effects[-1].points == 21
    program.run("rules", points_per_yuan="0.0001")
    effects = program.order("o2", "u1", "0.01", "0.01")
    assert "PointsMinted" not in effect_names(effects)
    assert program.ledger.live_lots == 1


def test_order_above_max_order_amount_is_rejected(program: Program) -> None:
    program.order("o1", "u1", "10000000.00", "0.00")
    program.reject("invalid_amount", "order", id="o2", merchant="m1", member="u1",
                   amount="10000000.01", profit="0.00")
    program.run("rules", max_order_amount="50.00")
    program.reject("invalid_amount", "order", id="o3", merchant="m1", member="u1",
                   amount="50.01", profit="0.00")


def test_pending_order_settles_when_its_window_closes_and_not_before() -> None:
    p = Program(settle_days=7)
    p.merchant("m1")
    effects = p.order("o1", "u1", "100.00", "20.00")
    assert effect_names(effects) == ["MemberJoined", "OrderPlaced"]
    assert p.pool() == "0.00" and p.member("u1")["points"] == "0.0000"
    p.advance(days=7, minutes=-1)
    assert p.run("tick") == []
    p.advance(minutes=1)
    effects = p.run("tick")
    assert effect_names(effects) == ["OrderSettled", "PointsMinted"]
    assert p.pool() == "6.00" and p.member("u1")["points"] == "21.0000"


def test_refund_only_while_pending() -> None:
    p = Program(settle_days=3)
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "20.00")
    p.order("o2", "u1", "50.00", "10.00")
    p.run("refund", order="o1")
    p.reject("not_pending", "refund", order="o1")
    p.reject("unknown_order", "refund", order="o9")
    p.advance(days=3)
    p.reject("not_pending", "refund", order="o2")  # its window closed at this moment
    p.run("tick")
    s = p.summary()
    assert s["pool"] == "3.00"  # only o2 settled
    assert s["members"]["u1"]["points"] == "10.5000"


def test_settlement_uses_rules_in_force_when_it_happens_and_keeps_the_due_time() -> None:
    p = Program(settle_days=2)
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "20.00")
    p.run("rules", pool_share_of_profit="0.5", settle_days=0)
    p.order("o2", "u2", "100.00", "20.00")  # settles at once under the new rules
    assert p.pool() == "10.00"
    p.advance(days=2)
    p.run("tick")
    assert p.pool() == "20.00"


def test_orders_due_together_settle_by_window_then_order() -> None:
    p = Program(settle_days=5)
    p.merchant("m1")
    p.order("old", "u1", "100.00", "20.00")
    p.run("rules", settle_days=1)
    p.order("young", "u2", "100.00", "20.00")
    p.advance(days=6)
    effects = p.run("tick")
    settled = [e.order for e in effects if type(e).__name__ == "OrderSettled"]
    assert settled == ["young", "old"]


def test_settlement_result_does_not_depend_on_how_time_is_cut() -> None:
    text_one_tick = """
    {"op":"rules","settle_days":5,"at":"2026-01-01T00:00:00+08:00"}
    {"op":"merchant","id":"m1","at":"2026-01-01T00:00:00+08:00"}
    {"op":"order","id":"a","merchant":"m1","member":"u1","amount":"100.00","profit":"30.00","at":"2026-01-01T00:00:00+08:00"}
    {"op":"rules","settle_days":1,"at":"2026-01-01T00:00:00+08:00"}
    {"op":"order","id":"b","merchant":"m1","member":"u2","amount":"300.00","profit":"10.00","at":"2026-01-01T00:00:00+08:00"}
    {"op":"tick","at":"2026-01-09T00:00:00+08:00"}
    """
    split = text_one_tick.replace(
        '{"op":"tick","at":"2026-01-09T00:00:00+08:00"}',
        '{"op":"tick","at":"2026-01-03T00:00:00+08:00"}\n'
        '{"op":"tick","at":"2026-01-09T00:00:00+08:00"}',
    )
    one, _ = scenario(text_one_tick)
    two, _ = scenario(split)
    assert dump_state(one.ledger) == dump_state(two.ledger)


def test_campaign_multiplies_points_only_where_and_when_it_applies(program: Program) -> None:
    program.merchant("m2")
    program.run("campaign", id="double", merchant="m1", multiplier="2",
                start="2026-01-01T09:00:00+08:00", end="2026-01-02T00:00:00+08:00")
    effects = program.order("o1", "u1", "100.00", "20.00", campaign="double")
    assert effects[-1].points == 42 * 10_000
    program.reject("campaign_not_applicable", "order", id="o2", merchant="m2", member="u1",
                   amount="100.00", profit="20.00", campaign="double")
    program.reject("unknown_campaign", "order", id="o2", merchant="m1", member="u1",
                   amount="100.00", profit="20.00", campaign="triple")
    program.at("2026-01-02T00:00:00+08:00")  # end is exclusive
    program.reject("campaign_not_applicable", "order", id="o2", merchant="m1", member="u1",
                   amount="100.00", profit="20.00", campaign="double")
    program.reject("unknown_merchant", "campaign", id="c2", merchant="m9", multiplier="2",
                   start="2026-01-01T00:00:00+08:00", end="2026-02-01T00:00:00+08:00")


def test_retry_with_same_body_is_a_no_op_and_another_body_conflicts(program: Program) -> None:
    program.order("o1", "u1", "100.00", "20.00")
    before = dump_state(program.ledger)
    applied = program.raw(program.command(
        "order", id="o1", merchant="m1", member="u1", amount="100.00", profit="20.00",
        at="2025-01-01T00:00:00+08:00"))  # at aside: an old retry is still a retry
    assert applied.replay and applied.effects == []
    assert dump_state(program.ledger) == before
    # "100" is the same amount as "100.00": the same body
    assert program.raw(program.command(
        "order", id="o1", merchant="m1", member="u1", amount="100", profit="20.00")).replay
    program.reject("conflict", "order", id="o1", merchant="m1", member="u1",
                   amount="100.01", profit="20.00")
    program.reject("conflict", "merchant", id="m1", name="another")
    program.run("merchant", id="m1")  # same body: fine


def test_merchant_and_lender_ids_share_one_namespace(program: Program) -> None:
    program.reject("duplicate_id", "lender", id="m1")
    program.lender("b1")
    program.reject("duplicate_id", "merchant", id="b1")


def test_at_price_mode_uses_initial_price_until_there_are_points() -> None:
    p = Program(mint_mode="at_price", initial_price="2.00")
    p.merchant("m1")
    effects = p.order("o1", "u1", "1000.00", "100.00")
    # injection 30.00 x 0.70 / 2.00 = 10.5 points
    assert effects[-1].points == 105_000 and effects[-1].price_micro == 2_000_000


def test_at_price_order_without_profit_mints_nothing() -> None:
    p = Program(mint_mode="at_price")
    p.merchant("m1")
    effects = p.order("o1", "u1", "1000.00", "0.00")
    assert effect_names(effects) == ["MemberJoined", "OrderPlaced", "OrderSettled"]


def test_leftover_pool_belongs_to_the_next_lot_minted(program: Program) -> None:
    program.order("o1", "u1", "100.00", "20.00")
    program.run("withdraw", id="w1", member="u1", points="all")
    s = program.summary()
    assert s["supply"] == "0.0000" and s["pool"] == "1.20" and s["price"] == "0.000000"
    program.order("o2", "u2", "10.00", "0.00")  # injects nothing, mints 2.1 points
    s = program.summary()
    assert s["members"]["u2"]["value"] == "1.20"
    assert s["price"] == "0.571428"


def test_an_order_s_preview_is_what_placing_it_does_and_changes_nothing() -> None:
    """The merchant portal's preview: the engine's checks, and the settlement the order
    would have now, in both mint modes (a campaign's multiplier included)."""
    for mode in ({}, {"mint_mode": "at_price"}):
        p = Program(**mode)
        p.merchant("m1")
        p.run("campaign", id="c1", merchant="m1", multiplier="2",
              start="2026-01-01T00:00:00+08:00", end="2026-02-01T00:00:00+08:00")
        p.order("o1", "u1", "300.00", "90.00")
        command = parse_command(p.command("order", id="o2", merchant="m1", member="u2",
                                          amount="123.45", profit="20.01", campaign="c1"))
        before = dump_state(p.ledger)
        preview = preview_order(p.ledger, command)
        assert dump_state(p.ledger) == before
        effects = p.order("o2", "u2", "123.45", "20.01", campaign="c1")
        settled, minted = effects[-2], effects[-1]
        assert (preview.injection, preview.points, preview.multiplier) == (
            settled.injection, minted.points, (2, 1))
        assert preview.settles_at == command.at  # settle_days 0: at once


def test_an_order_s_preview_refuses_what_placing_it_would_refuse() -> None:
    p = Program(settle_days=3, max_order_amount="50.00")
    p.merchant("m1")
    p.order("o1", "u1", "10.00", "1.00")
    cases = {"unknown_merchant": {"merchant": "m9"}, "invalid_amount": {"amount": "50.01"},
             "unknown_campaign": {"campaign": "c9"}, "conflict": {"id": "o1"}}
    for code, changed in cases.items():
        fields = {"id": "o2", "merchant": "m1", "member": "u2", "amount": "10.00",
                  "profit": "1.00", **changed}
        with pytest.raises(Rejected) as raised:
            preview_order(p.ledger, parse_command(p.command("order", **fields)))
        assert raised.value.code == code
    preview = preview_order(p.ledger, parse_command(p.command(
        "order", id="o2", merchant="m1", member="u2", amount="10.00", profit="1.00")))
    assert preview.settles_at - parse_command(p.command("tick")).at == 3 * 86_400_000_000
