"""docs/rules.md section 10: what the pool paid is owed until a payout reaches the bank."""

from __future__ import annotations

import pytest

from profitpool.chain.canonical import effect_json, entry_bytes
from profitpool.engine import Ledger, execute, parse_command
from profitpool.log.verify import check_entry
from programs import Program


def paid_out() -> Program:
    """Three members, a withdrawal (u1 is paid 2.57), a payment (m1 is paid 1.65) and a seizure
    (lender b1 is paid 2.00, u3 3.28)."""
    p = Program()
    p.merchant("m1")
    p.merchant("m2")
    p.lender("b1")
    p.order("o1", "u1", "100.00", "20.00", merchant="m1")
    p.order("o2", "u2", "200.00", "50.00", merchant="m2")
    p.order("o3", "u3", "100.00", "20.00", merchant="m1")
    p.run("withdraw", id="w1", member="u1", points="10")
    p.run("pay", id="p1", member="u2", merchant="m1", points="5")
    p.run("pledge", id="pl1", member="u3", lender="b1", points="20", loan="2.00")
    p.run("seize", pledge="pl1")
    return p


def cash(p: Program, party: str) -> tuple[str, str]:
    kind, party_id = party.split(":")
    row = p.summary()[f"{kind}s"][party_id]
    return row["owed"], row["in_flight"]


def test_what_the_pool_pays_is_owed_and_every_existing_figure_stays() -> None:
    p = paid_out()
    s = p.summary()
    paid = s["totals"]
    assert (paid["paid_merchants"], paid["paid_lenders"]) == ("1.65", "2.00")
    assert cash(p, "member:u1") == ("2.57", "0.00")
    assert cash(p, "member:u3") == (s["members"]["u3"]["paid"], "0.00")
    assert cash(p, "merchant:m1") == (s["merchants"]["m1"]["received"], "0.00")
    assert s["lenders"]["b1"] == {"received": "2.00", "owed": "2.00", "in_flight": "0.00"}
    owed = p.ledger.paid_members + p.ledger.paid_merchants + p.ledger.paid_lenders
    assert paid["owed"] == f"{owed // 100}.{owed % 100:02d}"
    assert (paid["in_flight"], paid["settled"]) == ("0.00", "0.00")


def test_a_payout_moves_owed_to_in_flight_then_settled_and_leaves_the_pool_alone() -> None:
    p = paid_out()
    pool = p.pool()
    (sent,) = p.run("payout", id="po1", party="member:u1", amount="2.00", destination="dst_a")
    assert effect_json(sent) == {
        "type": "payout_sent", "payout": "po1", "member": "u1", "merchant": None,
        "lender": None, "amount": "2.00", "destination": "dst_a", "owed": "0.57"}
    assert cash(p, "member:u1") == ("0.57", "2.00")
    (settled,) = p.run("payout_settled", payout="po1", reference="BANK-778")
    assert (settled.amount, settled.reference) == (200, "BANK-778")
    assert cash(p, "member:u1") == ("0.57", "0.00")
    totals = p.summary()["totals"]
    assert (totals["in_flight"], totals["settled"]) == ("0.00", "2.00")
    assert p.pool() == pool
    assert p.member("u1")["paid"] == "2.57"  # paid keeps meaning all the pool paid them


def test_a_returned_payout_is_owed_again_never_back_in_the_pool() -> None:
    p = paid_out()
    pool, supply = p.pool(), p.summary()["supply"]
    p.run("payout", id="po1", party="merchant:m1", amount="1.65", destination="dst_m")
    assert cash(p, "merchant:m1") == ("0.00", "1.65")
    (returned,) = p.run("payout_returned", payout="po1", reason="AC04 closed account")
    assert (returned.amount, returned.owed, returned.reason) == (165, 165,
                                                                  "AC04 closed account")
    assert cash(p, "merchant:m1") == ("1.65", "0.00")
    assert (p.pool(), p.summary()["supply"]) == (pool, supply)
    # and it can be sent again, to a corrected account
    p.run("payout", id="po2", party="merchant:m1", amount="1.65", destination="dst_m2")
    p.run("payout_settled", payout="po2")
    assert p.summary()["totals"]["settled"] == "1.65"


def test_a_lender_is_paid_out_like_anyone_else() -> None:
    p = paid_out()
    (sent,) = p.run("payout", id="po1", party="lender:b1", amount="2.00", destination="dst_b")
    assert (sent.member, sent.merchant, sent.lender, sent.owed) == (None, None, "b1", 0)
    assert p.summary()["lenders"]["b1"] == {"received": "2.00", "owed": "0.00",
                                            "in_flight": "2.00"}


@pytest.mark.parametrize(("party", "amount", "code"), [
    ("member:u1", "2.58", "invalid_amount"),  # a fen more than owed
    ("member:u1", "0", "invalid_amount"),
    ("member:u1", "0.001", "invalid_amount"),
    ("member:u2", "0.01", "invalid_amount"),  # u2 was never paid
    ("member:nobody", "1.00", "unknown_party"),
    ("merchant:m9", "1.00", "unknown_party"),
    ("lender:m1", "1.00", "unknown_party"),  # m1 is a merchant, not a lender
    ("bank:b1", "1.00", "unknown_party"),
    ("u1", "1.00", "unknown_party"),
    ("member:", "1.00", "invalid_id"),
])
def test_a_bad_payout_is_refused_and_changes_nothing(party: str, amount: str,
                                                      code: str) -> None:
    p = paid_out()
    p.reject(code, "payout", id="po1", party=party, amount=amount, destination="dst_a")


def test_a_payout_needs_an_opaque_destination() -> None:
    p = paid_out()
    p.reject("invalid_command", "payout", id="po1", party="member:u1", amount="1.00")
    p.reject("invalid_id", "payout", id="po1", party="member:u1", amount="1.00",
             destination="6222 0210 0112 3456 789")


def test_payouts_add_up_to_what_is_owed_and_no_further() -> None:
    p = paid_out()
    p.run("payout", id="po1", party="member:u1", amount="2.00", destination="dst_a")
    p.reject("invalid_amount", "payout", id="po2", party="member:u1", amount="0.58",
             destination="dst_a")
    p.run("payout", id="po2", party="member:u1", amount="0.57", destination="dst_a")
    assert cash(p, "member:u1") == ("0.00", "2.57")


def test_a_payout_closes_once() -> None:
    p = paid_out()
    p.run("payout", id="po1", party="member:u1", amount="1.00", destination="dst_a")
    p.run("payout", id="po2", party="member:u1", amount="1.00", destination="dst_a")
    p.run("payout_settled", payout="po1", reference="R1")
    p.run("payout_returned", payout="po2", reason="AC04")
    for payout in ("po1", "po2"):
        p.reject("payout_closed", "payout_settled", payout=payout, reference="R1")
        p.reject("payout_closed", "payout_returned", payout=payout, reason="AC04")
    p.reject("unknown_payout", "payout_settled", payout="po9")
    p.reject("unknown_payout", "payout_returned", payout="po9", reason="AC04")
    p.reject("invalid_command", "payout_returned", payout="po1", reason=" ")
    p.reject("invalid_command", "payout_returned", payout="po1")


def test_payout_ids_are_idempotent() -> None:
    p = paid_out()
    p.run("payout", id="po1", party="member:u1", amount="1.00", destination="dst_a")
    before = p.summary()
    p.advance(hours=1)
    assert p.run("payout", id="po1", party="member:u1", amount="1.00",
                 destination="dst_a") == []
    assert p.summary() == before
    p.reject("conflict", "payout", id="po1", party="member:u1", amount="1.01",
             destination="dst_a")


def test_a_member_owed_money_cannot_be_erased_until_it_reached_their_bank() -> None:
    p = paid_out()
    p.run("withdraw", id="w2", member="u1", points="all")
    owed = cash(p, "member:u1")[0]
    refusal = p.reject("cannot_erase", "erase", member="u1")
    assert f"{owed} CNY owed" in refusal.message
    p.run("payout", id="po1", party="member:u1", amount=owed, destination="dst_a")
    refusal = p.reject("cannot_erase", "erase", member="u1")
    assert "on its way to their bank" in refusal.message
    p.run("payout_settled", payout="po1")
    p.run("erase", member="u1")
    p.reject("unknown_party", "payout", id="po2", party="member:u1", amount="0.01",
             destination="dst_a")


def test_payout_entries_replay_as_the_verifier_replays_them() -> None:
    p = paid_out()
    p.run("payout", id="po1", party="member:u1", amount="2.00", destination="dst_a")
    p.run("payout", id="po2", party="merchant:m1", amount="1.65", destination="dst_m")
    p.run("payout_settled", payout="po1", reference="R1")
    p.run("payout_returned", payout="po2", reason="AC04", reference="R2")
    replayed, writer = Ledger(), Ledger()
    for command in p.log:
        parsed = parse_command(command)
        applied = execute(writer, parsed)
        if not applied.replay:
            check_entry(replayed, entry_bytes(parsed, applied.effects))
    assert replayed.in_flight == 0 and replayed.settled == 200
    assert replayed.payouts["po2"].status == "returned"
