"""Exit triggers are exact, and lots that tie exit oldest first (docs/rules.md section 6).

A ``cost`` trigger is exit_multiple x amount x index / points, taken from the
order's amount, the points minted and the index at the mint. Under the
``fixed`` mint every lot minted at the same index has the same trigger, however
its shares were rounded, so in a cascade the oldest lot is paid first: by order
time, then by the lot minted first; a fragment split off by a transfer or a
pledge keeps the age of the lot it came from.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from profitpool.engine.effects import LotExited
from programs import Program


def after_burns(burns: int, **rules: Any) -> Program:
    """A program whose index has been burned ``burns`` times before any lot is minted."""
    p = Program(**rules)
    p.merchant("m1")
    p.lender("b1")
    p.at("2026-06-02T09:00:00+08:00")
    for month in range(1, burns + 1):
        p.run("burn", period=f"2026-{month:02d}")
    return p


def trigger(p: Program, member: str) -> Fraction:
    (lot,) = [lot for lot in p.ledger.members[member].lots if lot.shares]
    return Fraction(*lot.trigger)


def sponsor(p: Program, profit: str) -> list[Any]:
    """An order whose profit raises V and mints nothing: the lots that reached 3x exit."""
    p.run("rules", points_per_yuan="0")
    effects = p.order(f"sponsor-{profit}", "sponsor", profit, profit)
    p.run("rules", points_per_yuan="0.21")
    return effects


def exits(effects: list[Any]) -> list[tuple[str, int]]:
    return [(effect.member, effect.lot) for effect in effects if isinstance(effect, LotExited)]


def test_fixed_lots_minted_at_one_index_have_the_same_trigger_after_burns() -> None:
    p = after_burns(5)
    amounts = ["200.00", "100.00", "33.33", "77.77", "0.01", "12345.67"]
    for number, amount in enumerate(amounts):
        p.order(f"o{number}", f"u{number}", amount, "0.00")
    triggers = {trigger(p, f"u{number}") for number in range(len(amounts))}
    index = Fraction(p.ledger.index, 10**24)
    # 3 x cost / (points / index): 3 x amount / (0.21 x amount) x index, in fen per share
    assert triggers == {Fraction(3 * 100, 21) * 100 * index}


def test_tied_lots_exit_oldest_first_after_several_burns() -> None:
    p = after_burns(3)
    # Amounts whose shares round so that, were triggers taken from shares, the youngest
    # lot would look cheapest and the oldest dearest.
    p.order("o1", "u1", "100.00", "0.00")
    p.advance(minutes=1)
    p.order("o2", "u2", "33.33", "0.00")
    p.advance(minutes=1)
    p.order("o3", "u3", "50.00", "0.00")
    p.advance(minutes=1)
    effects = sponsor(p, "100000.00")
    assert exits(effects) == [("u1", 1), ("u2", 2), ("u3", 3)]


def test_a_transferred_fragment_keeps_its_lots_age_in_an_exit_tie() -> None:
    p = after_burns(2, transfers_enabled=True)
    p.order("o1", "u1", "100.00", "0.00")  # lot 1, the oldest
    p.advance(minutes=1)
    p.order("o2", "u2", "77.77", "0.00")  # lot 2 (its rounded shares would put it first)
    p.advance(minutes=1)
    p.run("transfer", id="t1", from_="u1", to="u3", points="5")  # lot 3, from lot 1
    assert trigger(p, "u3") == trigger(p, "u1") == trigger(p, "u2")
    effects = sponsor(p, "100000.00")
    # lot 1's remainder, then its fragment (same age, split later), then lot 2
    assert exits(effects) == [("u1", 1), ("u3", 3), ("u2", 2)]


def test_a_pledged_fragment_keeps_its_lots_age_and_pays_its_lender_first() -> None:
    p = after_burns(4)
    p.order("o1", "u1", "100.00", "0.00")  # lot 1
    p.advance(minutes=1)
    p.order("o2", "u2", "33.33", "0.00")  # lot 2 (its rounded shares would put it first)
    p.advance(minutes=1)
    p.run("pledge", id="pl1", member="u1", lender="b1", points="10", loan="5.00")  # lot 3
    effects = sponsor(p, "100000.00")
    assert exits(effects) == [("u1", 1), ("u1", 3), ("u2", 2)]
    pledged = [effect for effect in effects if isinstance(effect, LotExited) and effect.lot == 3]
    assert pledged[0].pledge == "pl1" and pledged[0].to_lender == 500


def test_exit_ties_go_by_order_time_before_mint_order() -> None:
    p = Program(settle_days=3)
    p.merchant("m1")
    p.order("o1", "u1", "100.00", "0.00")  # ordered first, settles in 3 days
    p.run("rules", settle_days=0)
    p.advance(days=1)
    p.order("o2", "u2", "100.00", "0.00")  # ordered later, minted first: lot 1
    p.advance(days=3)
    p.run("tick")  # o1 settles: lot 2
    lots = {member: p.ledger.members[member].lots[0].lot_id for member in ("u1", "u2")}
    assert lots == {"u1": 2, "u2": 1}
    effects = sponsor(p, "100000.00")
    assert exits(effects) == [("u1", 2), ("u2", 1)]  # the older order goes first


def test_oldest_means_the_same_for_withdrawals_of_received_fragments() -> None:
    p = after_burns(1, transfers_enabled=True)
    p.order("o1", "u1", "100.00", "20.00")  # lot 1, the oldest order
    p.advance(minutes=1)
    p.order("o2", "u2", "100.00", "20.00")  # lot 2: u2's own
    p.advance(minutes=1)
    p.run("transfer", id="t1", from_="u1", to="u2", points="5")  # lot 3: age of lot 1
    (withdrawn,) = p.run("withdraw", id="w1", member="u2", points="6")
    assert [part.lot for part in withdrawn.parts] == [3, 2]
