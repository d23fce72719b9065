"""Version 2 of the proof of liabilities: every party's points, owed and in flight.

The test vector is docs/proof-of-liabilities.md's; storage and proofs read from rows are
the same code as version 1's, with the three amounts stored beside the salt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest
from polhelpers import PERIOD, SECRET, row_getter

from profitpool.disclosure import pol

PARTIES = [pol.PartyLiability("member:u1", "member", "alice", 12345, 500, 100),
           pol.PartyLiability("merchant:m1", "merchant", "m1", 0, 999, 0),
           pol.PartyLiability("lender:l1", "lender", "l1", 0, 0, 250)]
V2_ROOT = "462212638c2c94f17a1dc9bc751aeb2b8fdcb02649cfe75b73ff2d6109a33655"


@pytest.fixture(scope="module")
def tree() -> pol.PolTree:
    return pol.build_v2(PERIOD, SECRET, PARTIES)


def test_the_root_and_total_are_the_documented_bytes(tree: pol.PolTree) -> None:
    assert (tree.root.hex(), tree.total_fen, tree.leaf_count) == (V2_ROOT, 14194, 6)
    assert tree.total_fen == 12345 + 500 + 100 + 999 + 250
    salt = pol.member_proof(tree, "u1").salt
    assert salt == "7447ba7b5ad7352b328cbf1153766aa5b65f0140f72783b9a8e474470759ab85"
    # the leaf layout, byte by byte: the party and its three amounts before the part
    proof = pol.member_proof(tree, "u1")
    leaf = hashlib.sha256(
        b"\x00pol-leaf-v2" + bytes([7]) + b"2026-01" + bytes([12]) + b"member:alice"
        + bytes.fromhex(salt) + (12345).to_bytes(8, "big") + (500).to_bytes(8, "big")
        + (100).to_bytes(8, "big") + b"\x00" + proof.parts[0].value_fen.to_bytes(8, "big"))
    assert leaf.digest() == pol.leaf_hash_v2(PERIOD, "member:alice", bytes.fromhex(salt),
                                             (12345, 500, 100), 0, proof.parts[0].value_fen)
    first = tree.levels[0][proof.parts[0].position * 40:][:32]
    assert first == leaf.digest()


def test_every_party_s_proof_verifies_with_its_three_amounts(tree: pol.PolTree) -> None:
    for party in PARTIES:
        proof = pol.member_proof(tree, party.key)
        assert (proof.version, proof.kind, proof.pseudonym) == (2, party.kind, party.name)
        assert (proof.points_fen, proof.owed_fen, proof.in_flight_fen) == party[3:]
        assert pol.verify_proof(proof, tree.root, 14194) == sum(party[3:])
        again = pol.MemberProof.from_json(proof.to_json())
        assert again == proof and pol.verify_proof(again) == sum(party[3:])
    assert pol.member_proof(tree, "u1") == pol.member_proof(tree, "member:u1")


def test_the_proof_json_has_the_documented_shape(tree: pol.PolTree) -> None:
    document = json.loads(pol.member_proof(tree, "merchant:m1").to_json())
    assert list(document) == ["format", "period", "party", "salt", "root", "total_fen",
                              "leaf_count", "points_fen", "owed_fen", "in_flight_fen", "parts"]
    assert (document["format"], document["party"], document["owed_fen"]) == (
        "profitpool-pol-proof-v2", "merchant:m1", "999")


def test_proofs_from_stored_rows_are_the_same(tree: pol.PolTree) -> None:
    get_row = row_getter(tree)
    rows = {row[0]: row for row in pol.member_rows(tree)}
    assert set(rows) == {"u1", "merchant:m1", "lender:l1"}
    assert rows["u1"][1] == "alice" and rows["merchant:m1"][1] == ""
    for member, pseudonym, salt, position_a, position_b in rows.values():
        assert len(salt) == 56
        party = pol.stored_party(member, pseudonym, salt)
        made = pol.member_proof_from_rows(
            get_row, period=PERIOD, pseudonym=party.name, salt=party.salt,
            positions=(position_a, position_b), leaf_count=tree.leaf_count, root=tree.root,
            total_fen=tree.total_fen, version=party.version, kind=party.kind,
            amounts=party.amounts)
        assert made == pol.member_proof(tree, member)
    with pytest.raises(pol.PolError, match="damaged"):
        pol.stored_party("u1", "alice", bytes(40))


@pytest.mark.parametrize(("change", "message"), [
    ({"owed_fen": 499}, "the parts add up to 12945 fen, but points, owed and in flight are "
                        "12944 fen"),
    ({"owed_fen": 400, "points_fen": 12445}, "lead to different roots"),
    ({"kind": "lender"}, "lead to different roots"),
    ({"pseudonym": "bob"}, "lead to different roots"),
    ({"in_flight_fen": -1}, "the party's amount in flight -1 fen is outside"),
    ({"version": 3}, "this verifier knows 1 and 2"),
    ({"kind": "bank"}, "is not one of"),
])
def test_a_changed_party_or_amount_fails(tree: pol.PolTree, change: dict[str, object],
                                         message: str) -> None:
    proof = dataclasses.replace(pol.member_proof(tree, "u1"), **change)  # type: ignore[arg-type]
    with pytest.raises(pol.PolError, match=message):
        pol.verify_proof(proof)


def test_a_version_1_reading_of_a_version_2_leaf_fails(tree: pol.PolTree) -> None:
    proof = dataclasses.replace(pol.member_proof(tree, "u1"), version=1)
    with pytest.raises(pol.PolError):
        pol.verify_proof(proof)


@pytest.mark.parametrize("party", ["alice", "bank:x", ":alice"])
def test_a_party_that_is_not_kind_colon_name_is_refused(tree: pol.PolTree, party: str) -> None:
    document = json.loads(pol.member_proof(tree, "u1").to_json())
    document["party"] = party
    with pytest.raises(pol.PolError, match="is not member:NAME"):
        pol.MemberProof.from_json(json.dumps(document))


def test_build_refuses_a_party_twice_or_an_unknown_kind() -> None:
    with pytest.raises(pol.PolError, match="given twice"):
        pol.build_v2(PERIOD, SECRET, [PARTIES[0], PARTIES[0]])
    with pytest.raises(pol.PolError, match="kind"):
        pol.build_v2(PERIOD, SECRET, [PARTIES[0]._replace(kind="bank")])
    with pytest.raises(pol.PolError, match="reach 2"):
        pol.build_v2(PERIOD, SECRET, [PARTIES[0]._replace(points_fen=2**62, owed_fen=2**62)])
