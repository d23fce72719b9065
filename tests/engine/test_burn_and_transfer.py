"""The monthly burn (O(1), values unchanged) and transfers between members."""

from __future__ import annotations

from profitpool.engine.state import Member
from programs import Program


def test_burn_touches_no_holding_only_the_index(program: Program) -> None:
    for number in range(50):
        program.order(f"o{number}", f"u{number % 7}", "100.00", "20.00")
    lots_before = [(lot.lot_id, lot.shares) for member in program.ledger.members.values()
                   for lot in member.lots]
    member_shares = {m: member.shares for m, member in program.ledger.members.items()}
    values = {m: row["value"] for m, row in program.summary()["members"].items()}
    program.at("2026-02-01T00:00:00+08:00")
    (burned,) = program.run("burn", period="2026-01")
    assert burned.index_after == burned.index_before * 99 // 100
    assert [(lot.lot_id, lot.shares) for member in program.ledger.members.values()
            for lot in member.lots] == lots_before
    assert {m: member.shares for m, member in program.ledger.members.items()} == member_shares
    s = program.summary()
    assert {m: row["value"] for m, row in s["members"].items()} == values
    assert s["supply"] == "1039.5000"  # 1050 x 0.99


def test_burn_cannot_loop_over_holdings(program: Program, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A burn must not touch members: make touching one fail loudly."""
    program.order("o1", "u1", "100.00", "20.00")

    def forbidden(self: Member, name: str) -> object:
        raise AssertionError(f"burn read member.{name}")

    monkeypatch.setattr(Member, "__getattribute__", forbidden)
    program.at("2026-02-01T00:00:00+08:00")
    program.run("burn", period="2026-01")
    monkeypatch.undo()
    assert program.member("u1")["points"] == "20.7900"


def test_burn_raises_price_but_never_triggers_an_exit() -> None:
    p = Program(exit_multiple="1.1")
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "100.00")
    p.order("o2", "u2", "100.00", "100.00")
    price_before = p.summary()["price"]
    p.at("2026-02-01T00:00:00+08:00")
    effects = p.run("burn", period="2026-01")
    assert [type(e).__name__ for e in effects] == ["Burned"]
    assert p.summary()["price"] > price_before
    assert p.summary()["exits"] == 0


def test_burn_once_per_period_and_not_before_the_period_starts(program: Program) -> None:
    program.at("2026-01-31T23:59:59+08:00")
    program.reject("invalid_period", "burn", period="2026-02")
    program.run("burn", period="2026-01")  # the current month may be burned
    program.at("2026-02-01T00:00:00+08:00")  # Shanghai midnight: February has started
    program.run("burn", period="2026-02")
    program.reject("already_burned", "burn", period="2026-02")
    program.run("burn", period="2025-12")  # a missed month can be caught up once


def test_burn_rate_zero_keeps_the_index(program: Program) -> None:
    program.run("rules", burn_rate="0")
    (burned,) = program.run("burn", period="2026-01")
    assert burned.index_after == burned.index_before


def test_transfers_are_off_by_default(program: Program) -> None:
    program.order("o1", "u1", "100.00", "20.00")
    program.reject("transfers_disabled", "transfer", id="t1", from_="u1", to="u2", points="1")


def test_transfer_moves_fragments_with_cost_age_and_trigger() -> None:
    p = Program(transfers_enabled=True)
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "20.00")
    p.advance(days=1)
    p.order("o2", "u1", "100.00", "20.00")
    p.advance(days=1)
    p.order("o3", "u2", "100.00", "20.00")  # u2's own, younger lot
    (joined, moved) = p.run("transfer", id="t1", from_="u1", to="u3", points="30")
    assert type(joined).__name__ == "MemberJoined"
    assert [(part.lot, part.new_lot, part.cost) for part in moved.parts] == [
        (1, 4, 10000), (2, 5, 4285)]
    ledger = p.ledger
    original = {lot.lot_id: lot for m in ledger.members.values() for lot in m.lots}
    for part in moved.parts:
        source, fragment = original[part.lot], original[part.new_lot]
        assert fragment.member.member_id == "u3"
        assert (fragment.order_at, fragment.trigger, fragment.origin) == (
            source.order_at, source.trigger, source.origin)
    assert p.member("u1")["points"] == "12.0000"
    assert p.member("u3")["points"] == "30.0000"
    assert p.summary()["pool"] == "18.00"  # a transfer moves no money
    # the receiver's lots keep their age: a second transfer to u2 sorts before u2's lot
    p.run("transfer", id="t2", from_="u3", to="u2", points="1")
    assert [lot.order_id for lot in ledger.members["u2"].lots if lot.shares] == ["o1", "o3"]


def test_transfer_needs_unpledged_points_and_a_known_sender() -> None:
    p = Program(transfers_enabled=True)
    p.merchant("m1")
    p.lender("b1")
    p.order("o1", "u1", "100.00", "20.00")
    p.run("pledge", id="pl1", member="u1", lender="b1", points="20", loan="1.00")
    p.reject("insufficient_points", "transfer", id="t1", from_="u1", to="u2", points="2")
    p.reject("unknown_member", "transfer", id="t1", from_="u9", to="u2", points="1")
    p.run("transfer", id="t1", from_="u1", to="u2", points="1")
    p.reject("conflict", "transfer", id="t1", from_="u1", to="u2", points="0.5")
