"""Pledges (lock, release, seize) and forced exits (docs/rules.md section 6)."""

from __future__ import annotations

from programs import Program, effect_names


def exits_of(effects: list[object]) -> list[object]:
    return [e for e in effects if type(e).__name__ == "LotExited"]


def with_lender() -> Program:
    p = Program()
    p.merchant("m1")
    p.merchant("m2")
    p.lender("b1")
    p.order("o1", "u1", "100.00", "20.00", merchant="m1")
    p.order("o2", "u2", "200.00", "50.00", merchant="m2")
    return p


def inject(p: Program, order_id: str, profit: str) -> list[object]:
    """An order that only injects (points_per_yuan 0 must be in force)."""
    return p.order(order_id, "sponsor", profit, profit)


# pledges ------------------------------------------------------------------


def test_pledge_locks_oldest_fragment_and_splits_a_partial_lot() -> None:
    p = with_lender()
    (pledged,) = p.run("pledge", id="pl1", member="u1", lender="b1", points="20", loan="2.00")
    assert [(part.lot, part.new_lot) for part in pledged.parts] == [(1, 3)]
    lots = [lot for lot in p.ledger.members["u1"].lots if lot.shares]
    assert [(lot.lot_id, lot.pledge is not None) for lot in lots] == [(1, False), (3, True)]
    # only the unpledged 1 point can be withdrawn or paid
    p.reject("insufficient_points", "withdraw", id="w1", member="u1", points="1.0001")
    p.run("withdraw", id="w1", member="u1", points="1")


def test_pledge_of_a_whole_lot_keeps_the_lot() -> None:
    p = with_lender()
    (pledged,) = p.run("pledge", id="pl1", member="u1", lender="b1", points="21", loan="2.00")
    assert [(part.lot, part.new_lot) for part in pledged.parts] == [(1, 1)]


def test_pledge_checks_lender_member_and_points() -> None:
    p = with_lender()
    p.reject("unknown_lender", "pledge", id="pl1", member="u1", lender="b9", points="1",
             loan="1.00")
    p.reject("unknown_member", "pledge", id="pl1", member="u9", lender="b1", points="1",
             loan="1.00")
    p.reject("insufficient_points", "pledge", id="pl1", member="u1", lender="b1",
             points="21.0001", loan="1.00")
    p.run("pledge", id="pl1", member="u1", lender="b1", points="1", loan="1.00")
    p.reject("conflict", "pledge", id="pl1", member="u1", lender="b1", points="2",
             loan="1.00")


def test_release_unlocks_and_closes_the_pledge() -> None:
    p = with_lender()
    p.run("pledge", id="pl1", member="u1", lender="b1", points="21", loan="2.00")
    (released,) = p.run("release", pledge="pl1")
    assert released.lots == (1,)
    p.run("withdraw", id="w1", member="u1", points="21")
    p.reject("pledge_closed", "release", pledge="pl1")
    p.reject("pledge_closed", "seize", pledge="pl1")
    p.reject("unknown_pledge", "release", pledge="pl9")
    assert p.summary()["pledges"] == {"pl1": {"status": "released", "repaid": "0.00"}}


def test_seize_pays_the_lender_first_up_to_the_loan() -> None:
    p = with_lender()
    p.run("pledge", id="pl1", member="u1", lender="b1", points="20", loan="2.00")
    (seized,) = p.run("seize", pledge="pl1")
    # 20 points x 21.00/63 = 6.66; x 0.8 = 5.33: 2.00 to b1, 3.33 to u1
    assert (seized.value, seized.paid, seized.to_lender, seized.to_member) == (666, 533, 200, 333)
    s = p.summary()
    assert s["pool"] == "15.67"
    # 1 point left, at V = 15.67 / 43 shares
    assert s["members"]["u1"] == {"points": "1.0000", "value": "0.36", "paid": "3.33",
                                  "owed": "3.33", "in_flight": "0.00"}
    assert s["totals"]["paid_lenders"] == "2.00"
    assert s["pledges"]["pl1"] == {"status": "seized", "repaid": "2.00"}
    assert p.ledger.lenders["b1"].received == 200
    p.reject("pledge_closed", "seize", pledge="pl1")


def test_seize_of_a_loan_larger_than_the_points_pays_the_member_nothing() -> None:
    p = with_lender()
    p.run("pledge", id="pl1", member="u1", lender="b1", points="20", loan="1000.00")
    (seized,) = p.run("seize", pledge="pl1")
    assert (seized.to_lender, seized.to_member) == (533, 0)


# forced exits -------------------------------------------------------------


def test_lot_exits_exactly_when_its_value_reaches_three_times_cost(program: Program) -> None:
    program.order("o1", "u1", "100.00", "20.00")  # pool 6.00
    program.run("rules", points_per_yuan="0")
    assert exits_of(inject(program, "o2", "979.97")) == []  # pool 299.99 < 300.00
    (exited,) = exits_of(inject(program, "o3", "0.04"))  # +0.01: pool 300.00 = 3 x 100.00
    assert (exited.lot, exited.value, exited.paid) == (1, 30000, 24000)
    s = program.summary()
    assert s["members"]["u1"] == {"points": "0.0000", "value": "0.00", "paid": "240.00",
                                  "owed": "240.00", "in_flight": "0.00"}
    assert s["pool"] == "60.00" and s["exits"] == 1


def test_cascade_exits_smallest_trigger_first_and_stops_when_v_is_below() -> None:
    p = Program()
    p.merchant("m1")
    for number in (1, 2, 3):
        p.run("campaign", id=f"x{number}", merchant=None, multiplier=str(number),
              start="2026-01-01T00:00:00+08:00", end="2027-01-01T00:00:00+08:00")
        p.order(f"o{number}", f"u{number}", "100.00", "0.00", campaign=f"x{number}")
    p.run("rules", points_per_yuan="0")
    effects = inject(p, "big", "3333.33")  # pool 1000.00, 126 shares
    exited = exits_of(effects)
    # u3's lot (63 shares, trigger 4.76/share) first, at V 7.94: worth 500, paid 400;
    # then u2's (42 shares, trigger 7.14) at V 9.52: worth 400, paid 320;
    # u1's (21 shares, trigger 14.29) stays: V is now 13.33.
    assert [(e.member, e.value, e.paid) for e in exited] == [
        ("u3", 50000, 40000), ("u2", 40000, 32000)]
    assert exited[0].pool_after == 60000 and exited[1].pool_after == 28000
    assert p.member("u1")["value"] == "280.00"


def test_exits_with_equal_triggers_go_oldest_first() -> None:
    p = Program(transfers_enabled=True)
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "0.00")  # lot 1
    p.order("o2", "u2", "100.00", "0.00")  # lot 2, same trigger
    p.run("transfer", id="t1", from_="u1", to="u3", points="21")  # lot 3, age of lot 1
    p.run("rules", points_per_yuan="0")
    exited = exits_of(inject(p, "big", "10000.00"))
    assert [(e.lot, e.member) for e in exited] == [(3, "u3"), (2, "u2")]
    assert exited[0].paid < exited[1].paid  # the second exits at a higher V


def test_lot_keeps_the_exit_multiple_in_force_when_it_was_minted(program: Program) -> None:
    program.order("o1", "u1", "100.00", "0.00")  # exits at 3x
    program.run("rules", exit_multiple="1.5")
    program.order("o2", "u2", "100.00", "0.00")  # exits at 1.5x
    program.run("rules", points_per_yuan="0")
    # 42 shares; u2 exits when V >= 1.5 x 100/21, i.e. pool >= 300.00
    (exited,) = exits_of(inject(program, "o3", "1000.00"))
    assert exited.member == "u2"
    assert program.ledger.members["u1"].lots[0].exit_multiple == (3, 1)


def test_mint_value_basis_exits_when_v_doubles_from_mint() -> None:
    p = Program(mint_mode="at_price", exit_basis="mint_value", exit_multiple="2")
    p.merchant("m1")
    first = p.order("o1", "u1", "1000.00", "1000.00")
    v_at_mint = (first[2].pool_after, first[3].total_shares_after)
    for number in range(2, 40):
        effects = p.order(f"o{number}", f"u{number}", "1000.00", "1000.00")
        settled, minted = effects[2], effects[3]
        doubled = settled.pool_after * v_at_mint[1] >= 2 * v_at_mint[0] * minted.total_shares_after
        if doubled:
            assert 1 in [e.lot for e in exits_of(effects)]
            break
        assert 1 not in [e.lot for e in exits_of(effects)]
    else:
        raise AssertionError("lot 1 never doubled")


def test_pledged_lot_exit_pays_the_lender_first_and_closes_the_pledge() -> None:
    p = with_lender()
    p.run("pledge", id="pl1", member="u1", lender="b1", points="21", loan="50.00")
    p.run("rules", points_per_yuan="0")
    exited = exits_of(inject(p, "big", "10000.00"))
    by_lot = {e.lot: e for e in exited}
    pledged_exit = by_lot[1]
    assert pledged_exit.pledge == "pl1"
    assert pledged_exit.to_lender == 5000
    assert pledged_exit.to_member == pledged_exit.paid - 5000
    s = p.summary()
    assert s["pledges"]["pl1"] == {"status": "exited", "repaid": "50.00"}
    assert s["totals"]["paid_lenders"] == "50.00"
    p.reject("pledge_closed", "seize", pledge="pl1")


def test_cascade_through_a_pledge_of_several_lots_repays_the_loan_only_once() -> None:
    p = Program()
    p.merchant("m1")
    p.lender("b1")
    for number in range(1, 4):
        p.order(f"o{number}", "u1", "100.00", "0.00")
    p.order("o4", "u2", "100.00", "0.00")
    p.run("pledge", id="pl1", member="u1", lender="b1", points="50", loan="100.00")
    p.run("rules", points_per_yuan="0")
    effects = inject(p, "big", "10000.00")
    pledged = [e for e in exits_of(effects) if e.pledge == "pl1"]
    assert len(pledged) == 3  # lots 1, 2 and the 8-point fragment of lot 3
    assert sum(e.to_lender for e in pledged) == 10000
    assert pledged[0].paid > 10000
    assert [e.to_lender for e in pledged] == [10000, 0, 0]
    assert [e.to_member for e in pledged] == [pledged[0].paid - 10000, pledged[1].paid,
                                              pledged[2].paid]
    assert p.summary()["pledges"]["pl1"] == {"status": "exited", "repaid": "100.00"}
    assert effect_names(effects)[:3] == ["MemberJoined", "OrderPlaced", "OrderSettled"]


def test_partially_exited_pledge_stays_active_and_seizure_pays_what_is_still_owed() -> None:
    p = Program()
    p.merchant("m1")
    p.lender("b1")
    p.order("o1", "u1", "100.00", "0.00")  # trigger 14.29/share
    p.run("rules", exit_multiple="10")
    p.order("o2", "u1", "100.00", "0.00")  # trigger 47.6/share
    p.run("pledge", id="pl1", member="u1", lender="b1", points="42", loan="500.00")
    p.run("rules", points_per_yuan="0")
    (exited,) = exits_of(inject(p, "big", "2000.00"))  # pool 600: only lot 1 exits
    assert exited.lot == 1 and exited.to_lender == exited.paid
    assert p.summary()["pledges"]["pl1"]["status"] == "active"
    (seized,) = p.run("seize", pledge="pl1")
    assert seized.to_lender == 50000 - exited.paid
    assert p.summary()["pledges"]["pl1"] == {"status": "seized", "repaid": "500.00"}
