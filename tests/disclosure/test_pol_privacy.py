"""What a proof reveals about other members: sums of anonymous parts, not holdings.

Without the split, a leaf's sibling is another member's leaf and its sum is
that member's whole holding. With it, siblings are random parts; a sibling
equals another member's holding only when a level-1 sibling happens to hold
exactly that member's two parts (about one chance in the number of leaves per
pair). These tests show both sides, and the limit.
"""

from __future__ import annotations

import hashlib
import random

from polhelpers import PERIOD, SECRET

from profitpool.disclosure import pol


def _sibling_sums(proof: pol.MemberProof) -> set[int]:
    return {step.sibling_sum_fen for part in proof.parts for step in part.path}


def _plain_sibling_sums(values: list[int], member: int) -> set[int]:
    """The sibling sums of ``member``'s proof in a plain tree: one leaf per member,
    in the given order, RFC 6962 shape (the design without the split)."""
    sums, sides_of = list(values), member
    found: set[int] = set()
    while len(sums) > 1:
        sibling = sides_of ^ 1
        if sibling < len(sums):
            found.add(sums[sibling])
        sums = [sum(sums[start:start + 2]) for start in range(0, len(sums), 2)]
        sides_of >>= 1
    return found


def _two_member_tree(parts_paired: bool) -> pol.PolTree:
    """A tree of two members whose parts are (or are not) each other's siblings."""
    for seed in range(100):
        secret = hashlib.sha256(b"privacy %d" % seed).digest()
        tree = pol.build(PERIOD, secret, [("a", "pa", 12_345), ("b", "pb", 67_890)])
        position0, position1 = pol.leaf_positions(tree)["b"]
        if (position0 // 2 == position1 // 2) == parts_paired:
            return tree
    raise AssertionError("no such secret among 100")


def test_with_two_members_no_sibling_sum_is_the_other_s_holding_when_parts_interleave() -> None:
    assert _plain_sibling_sums([12_345, 67_890], 0) == {67_890}  # without the split
    tree = _two_member_tree(parts_paired=False)
    sums = _sibling_sums(pol.member_proof(tree, "a"))
    assert 67_890 not in sums
    assert len(sums) == 4  # a part of b, then a part of a plus a part of b, for each leaf


def test_the_limit_with_two_members_paired_parts_and_the_total_reveal_the_other() -> None:
    """With two members the total minus one's own value is the other's holding anyway;
    and when the other's two parts end up siblings, their pair's sum shows it."""
    tree = _two_member_tree(parts_paired=True)
    proof = pol.member_proof(tree, "a")
    assert 67_890 in _sibling_sums(proof)
    assert proof.total_fen - pol.verify_proof(proof) == 67_890


def test_in_a_larger_tree_proofs_rarely_show_a_whole_holding_and_never_who_holds_it() -> None:
    draw = random.Random(3)
    values = draw.sample(range(10**6, 10**9), 500)
    members = [(f"u{number}", f"p{number}", value) for number, value in enumerate(values)]
    tree = pol.build(PERIOD, SECRET, members)
    holdings = set(values)
    plain = split = 0
    for number, (member_id, _, value) in enumerate(members):
        others = holdings - {value}
        plain += bool(_plain_sibling_sums(values, number) & others)
        proof = pol.member_proof(tree, member_id)
        split += bool(_sibling_sums(proof) & others)
        # What the proof names: the member, the root; siblings are bare hashes and sums.
        text = proof.to_json()
        assert all(f'"p{other}"' not in text for other in range(500) if other != number)
    assert plain == 500
    assert split <= 10  # expected about 500 x 2 / 999 = 1 (a level-1 sibling pair)
