"""The proof of liabilities: building the tree, members' proofs, and what makes them fail."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json

import pytest
from polhelpers import PERIOD, SECRET, holdings, tree_of

from profitpool.disclosure import pol
from profitpool.disclosure.pol import MemberProof, PartProof, PolError, ProofStep

GOLDEN_MEMBERS = [("u1", "alice", 12345), ("u2", "bob", 0), ("u3", "carol", 999)]
GOLDEN_ROOT = "2556950b5630201b47b7d7878830c52037d14ede8338779212bea96c70844a8e"
"""The root of GOLDEN_MEMBERS in 2026-01 with the secret 00 01 .. 1f (docs' test vector)."""


def test_every_member_s_proof_verifies_and_gives_their_value() -> None:
    members = holdings(57)
    tree = pol.build(PERIOD, SECRET, members)
    assert tree.leaf_count == 2 * 57
    assert tree.total_fen == sum(value for _, _, value in members)
    for member_id, pseudonym, value in members:
        proof = pol.member_proof(tree, member_id)
        assert proof.pseudonym == pseudonym and proof.period == PERIOD
        assert pol.verify_proof(proof, tree.root, tree.total_fen) == value
        assert proof.value_fen == value


def test_the_root_and_total_are_the_documented_bytes_of_a_three_member_tree() -> None:
    def u64(value: int) -> bytes:
        return value.to_bytes(8, "big")

    leaves = []
    for member_id, pseudonym, value in GOLDEN_MEMBERS:
        salt = hmac.new(SECRET, b"pol-salt-v1\n2026-01\n" + member_id.encode(),
                        hashlib.sha256).digest()
        draw = hmac.new(SECRET, b"pol-split-v1\n2026-01\n" + member_id.encode(),
                        hashlib.sha256).digest()
        part0 = int.from_bytes(draw, "big") % (value + 1)
        for part, part_value in enumerate((part0, value - part0)):
            data = (b"\x00pol-leaf-v1" + b"\x07" + b"2026-01" + bytes([len(pseudonym)])
                    + pseudonym.encode() + salt + bytes([part]) + u64(part_value))
            leaves.append((hashlib.sha256(data).digest(), part_value))
    leaves.sort()

    def node(left: tuple[bytes, int], right: tuple[bytes, int]) -> tuple[bytes, int]:
        data = b"\x01pol-node-v1" + left[0] + u64(left[1]) + right[0] + u64(right[1])
        return hashlib.sha256(data).digest(), left[1] + right[1]

    # Six leaves, RFC 6962 shape: the left subtree holds 4, the right 2.
    root = node(node(node(leaves[0], leaves[1]), node(leaves[2], leaves[3])),
                node(leaves[4], leaves[5]))
    tree = pol.build(PERIOD, SECRET, GOLDEN_MEMBERS)
    assert (tree.root, tree.total_fen, tree.leaf_count) == (root[0], 13344, 6)
    assert tree.root.hex() == GOLDEN_ROOT
    assert tree.levels[0] == b"".join(hash_ + u64(value) for hash_, value in leaves)


def test_leaf_and_node_hashes_follow_the_documented_layout() -> None:
    salt = bytes(32)
    assert pol.leaf_hash("2026-01", "p", salt, 1, 5) == hashlib.sha256(
        b"\x00pol-leaf-v1\x072026-01\x01p" + salt + b"\x01" + (5).to_bytes(8, "big")).digest()
    left, right = b"L" * 32, b"R" * 32
    assert pol.node_hash(left, 1, right, 2) == hashlib.sha256(
        b"\x01pol-node-v1" + left + (1).to_bytes(8, "big") + right + (2).to_bytes(8, "big")
    ).digest()


def test_an_odd_level_promotes_its_last_node_as_rfc_6962_splits() -> None:
    # Six leaves split 4 + 2: leaf 4 climbs past leaf 5, then meets the left four.
    assert pol.path_sides(4, 6) == ["right", "left"]
    assert pol.path_sides(1, 6) == ["left", "right", "right"]
    assert pol.path_sides(2, 3) == ["left"]  # promoted once, then the left sibling
    assert pol.path_sides(0, 1) == []
    with pytest.raises(PolError, match="not in a tree of 6 leaves"):
        pol.path_sides(6, 6)


def test_the_empty_tree_has_the_documented_root_and_no_rows() -> None:
    tree = pol.build(PERIOD, SECRET, [])
    assert tree.root == hashlib.sha256(b"\x02pol-empty-v1").digest() == pol.EMPTY_ROOT
    assert (tree.total_fen, tree.leaf_count) == (0, 0)
    assert list(pol.tree_rows(tree)) == [] and pol.leaf_positions(tree) == {}
    with pytest.raises(PolError, match="not in the tree"):
        pol.member_proof(tree, "u1")


def test_one_member_s_tree_is_their_two_parts() -> None:
    tree = pol.build(PERIOD, SECRET, [("u1", "p1", 700)])
    proof = pol.member_proof(tree, "u1")
    assert tree.leaf_count == 2 and tree.total_fen == 700
    assert sorted(part.position for part in proof.parts) == [0, 1]
    assert pol.verify_proof(proof, tree.root, 700) == 700


def test_members_holding_nothing_are_in_the_tree_with_two_zero_parts() -> None:
    tree = pol.build(PERIOD, SECRET, [("u1", "p1", 0), ("u2", "p2", 0), ("u3", "p3", 5)])
    assert tree.total_fen == 5
    for member_id, value in (("u1", 0), ("u2", 0), ("u3", 5)):
        proof = pol.member_proof(tree, member_id)
        assert pol.verify_proof(proof, tree.root, 5) == value
    assert [part.value_fen for part in pol.member_proof(tree, "u1").parts] == [0, 0]


def test_the_split_is_deterministic_and_adds_up() -> None:
    for value in (0, 1, 2, 999, 2**63 - 1):
        part0, part1 = pol.split_value(SECRET, PERIOD, "u1", value)
        assert 0 <= part0 <= value and part0 + part1 == value
        assert pol.split_value(SECRET, PERIOD, "u1", value) == (part0, part1)
    assert pol.member_salt(SECRET, PERIOD, "u1") != pol.member_salt(SECRET, "2026-02", "u1")


@pytest.mark.parametrize(("members", "message"), [
    ([("u1", "p1", -1)], "outside"),
    ([("u1", "p1", 2**63)], "outside"),
    ([("u1", "p1", 1.5)], "not an integer"),
    ([("u1", "p1", True)], "not an integer"),
    ([("u1", "p1", 1), ("u1", "p2", 1)], "given twice"),
    ([("u1", "p1", 1), ("u2", "p1", 1)], "given twice"),
    ([("u1", "", 1)], "1 to 255 bytes"),
    ([("u1", "x" * 256, 1)], "1 to 255 bytes"),
    ([("u1", "p1", 2**62), ("u2", "p2", 2**62)], "reaches 2\\^63"),
])
def test_build_refuses_what_cannot_be_committed(members: list[tuple[str, str, int]],
                                                message: str) -> None:
    with pytest.raises(PolError, match=message):
        pol.build(PERIOD, SECRET, members)


def test_build_refuses_a_bad_period_or_secret() -> None:
    with pytest.raises(PolError, match="YYYY-MM"):
        pol.build("2026-13", SECRET, [])
    with pytest.raises(PolError, match="32 bytes"):
        pol.build(PERIOD, b"short", [])


# --- what makes a proof fail ---------------------------------------------------------------


@pytest.fixture(scope="module")
def tree() -> pol.PolTree:
    return tree_of(24)


@pytest.fixture
def proof(tree: pol.PolTree) -> MemberProof:
    """A member with two non-zero parts."""
    for member_id in tree.member_ids:
        made = pol.member_proof(tree, member_id)
        if all(part.value_fen > 0 for part in made.parts):
            return made
    raise AssertionError("no member with two non-zero parts")


def _with_part(proof: MemberProof, number: int, **changes: object) -> MemberProof:
    parts = list(proof.parts)
    parts[number] = dataclasses.replace(parts[number], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(proof, parts=tuple(parts))


def _with_step(proof: MemberProof, number: int, step: int, **changes: object) -> MemberProof:
    path = list(proof.parts[number].path)
    path[step] = dataclasses.replace(path[step], **changes)  # type: ignore[arg-type]
    return _with_part(proof, number, path=tuple(path))


def test_a_changed_value_fails(proof: MemberProof) -> None:
    changed = _with_part(proof, 0, value_fen=proof.parts[0].value_fen + 1)
    with pytest.raises(PolError, match="the two parts lead to different roots"):
        pol.verify_proof(changed)
    # Moving a fen from one part to the other keeps the value but not the leaves.
    moved = _with_part(changed, 1, value_fen=proof.parts[1].value_fen - 1)
    with pytest.raises(PolError, match="different roots"):
        pol.verify_proof(moved)


def test_a_changed_value_with_a_matching_total_still_fails(proof: MemberProof) -> None:
    inflated = _with_part(proof, 1, value_fen=proof.parts[1].value_fen + 100)
    inflated = dataclasses.replace(inflated, total_fen=proof.total_fen + 100)
    with pytest.raises(PolError, match="different roots"):
        pol.verify_proof(inflated)


def test_a_changed_salt_pseudonym_or_period_fails(proof: MemberProof) -> None:
    for changed in (dataclasses.replace(proof, salt="00" * 32),
                    dataclasses.replace(proof, pseudonym="somebody-else"),
                    dataclasses.replace(proof, period="2026-02")):
        # Both leaves change: the paths part ways, or end together at another root.
        with pytest.raises(PolError, match="different roots|the recomputed root .* differs"):
            pol.verify_proof(changed)


def test_parts_in_the_wrong_order_fail(proof: MemberProof) -> None:
    swapped = dataclasses.replace(proof, parts=(proof.parts[1], proof.parts[0]))
    with pytest.raises(PolError, match="different roots|the recomputed root .* differs"):
        pol.verify_proof(swapped)


def test_a_swapped_side_fails(proof: MemberProof) -> None:
    side = proof.parts[0].path[0].side
    flipped = _with_step(proof, 0, 0, side="left" if side == "right" else "right")
    with pytest.raises(PolError, match="step 1 of part 0 puts the sibling on the"):
        pol.verify_proof(flipped)


def test_a_negative_sibling_sum_fails(proof: MemberProof) -> None:
    with pytest.raises(PolError, match="step 2 of part 1: the sibling sum -5 fen is negative"):
        pol.verify_proof(_with_step(proof, 1, 1, sibling_sum_fen=-5))


def test_an_overflowing_sum_fails(proof: MemberProof) -> None:
    for sibling_sum in (2**63 - 1, 2**63, 2**64 + 3):
        with pytest.raises(PolError, match="step 1 of part 0: a sum reaches 2\\^63"):
            pol.verify_proof(_with_step(proof, 0, 0, sibling_sum_fen=sibling_sum))


def test_a_value_outside_the_range_fails(proof: MemberProof) -> None:
    for value in (-1, 2**63):
        with pytest.raises(PolError, match="part 0's value .* outside"):
            pol.verify_proof(_with_part(proof, 0, value_fen=value))


def test_a_changed_sibling_hash_fails(proof: MemberProof) -> None:
    with pytest.raises(PolError, match="different roots"):
        pol.verify_proof(_with_step(proof, 0, 0, sibling_hash="ab" * 32))
    with pytest.raises(PolError, match="not 64 lowercase hex digits"):
        pol.verify_proof(_with_step(proof, 0, 0, sibling_hash="AB" * 32))


def test_a_position_that_does_not_fit_fails(proof: MemberProof) -> None:
    with pytest.raises(PolError, match="is not in a tree of 48 leaves"):
        pol.verify_proof(_with_part(proof, 0, position=48))
    with pytest.raises(PolError, match="both parts claim position"):
        pol.verify_proof(_with_part(proof, 0, position=proof.parts[1].position))
    short = _with_part(proof, 1, path=proof.parts[1].path[:-1])
    with pytest.raises(PolError, match="part 1's path has .* steps, but position .* needs"):
        pol.verify_proof(short)
    fewer_leaves = dataclasses.replace(proof, leaf_count=1)
    with pytest.raises(PolError, match="leaf count 1"):
        pol.verify_proof(fewer_leaves)


def test_another_position_with_a_consistent_shape_still_fails(proof: MemberProof) -> None:
    """Claiming the neighbour's position flips the first side: the side check stops it."""
    position = proof.parts[0].position
    moved = _with_part(proof, 0, position=position ^ 1)
    with pytest.raises(PolError, match="puts the sibling on the|both parts claim"):
        pol.verify_proof(moved)


def test_a_wrong_claimed_root_or_total_fails(proof: MemberProof) -> None:
    with pytest.raises(PolError, match="the recomputed root .* differs"):
        pol.verify_proof(dataclasses.replace(proof, root="00" * 32))
    with pytest.raises(PolError, match="the recomputed total .* differs"):
        pol.verify_proof(dataclasses.replace(proof, total_fen=proof.total_fen + 1))


def test_a_wrong_expected_root_or_total_fails(tree: pol.PolTree, proof: MemberProof) -> None:
    assert pol.verify_proof(proof, tree.root, tree.total_fen) == proof.value_fen
    with pytest.raises(PolError, match="is not the expected"):
        pol.verify_proof(proof, expected_root=bytes(32))
    with pytest.raises(PolError, match="the total .* is not the expected"):
        pol.verify_proof(proof, expected_total=tree.total_fen - 1)


def test_a_proof_of_another_month_s_tree_fails_against_this_month_s_root(
        tree: pol.PolTree) -> None:
    other = pol.build("2026-02", SECRET, holdings(24))
    with pytest.raises(PolError, match="is not the expected"):
        pol.verify_proof(pol.member_proof(other, "u3"), tree.root)


# --- JSON ----------------------------------------------------------------------------------


def test_the_proof_json_round_trips(tree: pol.PolTree) -> None:
    for member_id in tree.member_ids:
        proof = pol.member_proof(tree, member_id)
        text = proof.to_json()
        assert MemberProof.from_json(text) == proof
        assert MemberProof.from_json(text.encode()).to_json() == text


def test_the_proof_json_has_the_documented_shape() -> None:
    tree = pol.build(PERIOD, SECRET, GOLDEN_MEMBERS)
    document = json.loads(pol.member_proof(tree, "u1").to_json())
    assert list(document) == ["format", "period", "pseudonym", "salt", "root", "total_fen",
                              "leaf_count", "parts"]
    assert document["format"] == "profitpool-pol-proof-v1"
    assert document["root"] == GOLDEN_ROOT and document["total_fen"] == "13344"
    assert document["leaf_count"] == 6
    part = document["parts"][0]
    assert list(part) == ["value_fen", "position", "path"]
    assert list(part["path"][0]) == ["side", "hash", "sum_fen"]
    assert sum(int(part["value_fen"]) for part in document["parts"]) == 12345


def test_a_negative_sum_parses_so_that_verify_can_name_it(proof: MemberProof) -> None:
    document = json.loads(proof.to_json())
    document["parts"][0]["path"][0]["sum_fen"] = "-1"
    parsed = MemberProof.from_json(json.dumps(document))
    assert parsed.parts[0].path[0].sibling_sum_fen == -1
    with pytest.raises(PolError, match="negative"):
        pol.verify_proof(parsed)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("salt"), "lacks \\['salt'\\]"),
    (lambda d: d.update(extra=1), "unknown fields \\['extra'\\]"),
    (lambda d: d.update(format="v0"), "format"),
    (lambda d: d.update(total_fen=13344), "total_fen must be a string of decimal digits"),
    (lambda d: d.update(total_fen="1.5"), "total_fen must be a string of decimal digits"),
    (lambda d: d.update(leaf_count="6"), "leaf_count must be an integer"),
    (lambda d: d.update(parts=d["parts"][:1]), "list of two parts"),
    (lambda d: d["parts"][0].update(position=1.0), "position must be an integer"),
    (lambda d: d["parts"][0]["path"][0].update(side="up"), "side must be"),
    (lambda d: d["parts"][1].update(path={}), "path must be a list"),
])
def test_malformed_proof_json_is_refused(change: object, message: str) -> None:
    tree = pol.build(PERIOD, SECRET, GOLDEN_MEMBERS)
    document = json.loads(pol.member_proof(tree, "u1").to_json())
    change(document)  # type: ignore[operator]
    with pytest.raises(PolError, match=message):
        MemberProof.from_json(json.dumps(document))


def test_text_that_is_not_json_is_refused() -> None:
    for text in ("{", b"\xff\xfe\x00", "[]"):
        with pytest.raises(PolError, match="not JSON|not a JSON object"):
            MemberProof.from_json(text)


def test_a_proof_built_by_hand_needs_both_parts() -> None:
    step = ProofStep("right", "00" * 32, 0)
    lonely = MemberProof(PERIOD, "p", "00" * 32, (PartProof(0, 0, (step,)),), "00" * 32, 0, 2)
    with pytest.raises(PolError, match="two parts"):
        pol.verify_proof(lonely)
