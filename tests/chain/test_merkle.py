"""RFC 9162 Merkle hashing, proofs and the Frontier, against the RFC 6962 vectors.

The vectors are written out below so each test reads plainly;
``test_embedded_vectors_are_the_published_ones`` checks them against
``tests/vectors/rfc6962.json``, the published vector file kept byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from profitpool.chain.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

VECTOR_FILE = Path(__file__).resolve().parents[1] / "vectors" / "rfc6962.json"

VECTORS: dict[str, Any] = {
    "leaves_hex": ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                   "606162636465666768696a6b6c6d6e6f"],
    "roots_by_size": [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ],
    "inclusion": [
        {"index": 0, "size": 8, "proof": [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]},
        {"index": 5, "size": 8, "proof": [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]},
        {"index": 2, "size": 3, "proof": [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]},
        {"index": 1, "size": 5, "proof": [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]},
    ],
    "consistency": [
        {"first": 1, "second": 8, "proof": [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]},
        {"first": 6, "second": 8, "proof": [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]},
    ],
}
LEAVES = [leaf_hash(bytes.fromhex(leaf)) for leaf in VECTORS["leaves_hex"]]


class CountingSubtrees:
    """A dict-backed SubtreeHash over a list of leaf hashes that counts its calls."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.table: dict[tuple[int, int], bytes] = {}
        layer = list(leaf_hashes)
        height = 0
        while layer:
            for index, subtree_hash in enumerate(layer):
                self.table[(height, index)] = subtree_hash
            layer = [node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer) - 1, 2)]
            height += 1
        self.calls = 0

    def __call__(self, height: int, index: int) -> bytes:
        self.calls += 1
        return self.table[(height, index)]


def _hex(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def _flip(proof: Sequence[bytes], position: int) -> list[bytes]:
    tampered = list(proof)
    tampered[position] = bytes([tampered[position][0] ^ 1]) + tampered[position][1:]
    return tampered


def _leaves(count: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(f"leaf {salt} {i}".encode()) for i in range(count)]


# --- vectors ---------------------------------------------------------------------------------

def test_embedded_vectors_are_the_published_ones() -> None:
    published = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
    for key, value in VECTORS.items():
        assert published[key] == value, key


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == VECTORS["roots_by_size"][0]
    assert root_of([]) == EMPTY_ROOT
    assert tree_root(0, CountingSubtrees([])) == EMPTY_ROOT
    assert Frontier().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(len(VECTORS["roots_by_size"])))
def test_every_vector_root_from_leaves_subtrees_and_frontier(size: int) -> None:
    expected = VECTORS["roots_by_size"][size]
    frontier = Frontier()
    for leaf in LEAVES[:size]:
        frontier.append(leaf)
    assert root_of(LEAVES[:size]).hex() == expected
    assert tree_root(size, CountingSubtrees(LEAVES[:size])).hex() == expected
    assert frontier.root().hex() == expected


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['index']}-{c['size']}")
def test_every_inclusion_vector_is_generated_and_verifies(case: dict[str, Any]) -> None:
    index, size = case["index"], case["size"]
    get = CountingSubtrees(LEAVES[:size])
    proof = inclusion_proof(index, size, get)
    assert _hex(proof) == case["proof"]
    root = bytes.fromhex(VECTORS["roots_by_size"][size])
    assert verify_inclusion(LEAVES[index], index, size, proof, root)


@pytest.mark.parametrize(
    "case", VECTORS["consistency"], ids=lambda c: f"{c['first']}-{c['second']}"
)
def test_every_consistency_vector_is_generated_and_verifies(case: dict[str, Any]) -> None:
    old_size, new_size = case["first"], case["second"]
    proof = consistency_proof(old_size, new_size, CountingSubtrees(LEAVES[:new_size]))
    assert _hex(proof) == case["proof"]
    old_root = bytes.fromhex(VECTORS["roots_by_size"][old_size])
    new_root = bytes.fromhex(VECTORS["roots_by_size"][new_size])
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)


# --- tampering and bad input ----------------------------------------------------------------

def test_tampered_or_misplaced_inclusion_proofs_fail() -> None:
    size, index = 8, 5
    root = root_of(LEAVES)
    proof = inclusion_proof(index, size, CountingSubtrees(LEAVES))
    assert verify_inclusion(LEAVES[index], index, size, proof, root)
    for position in range(len(proof)):
        assert not verify_inclusion(LEAVES[index], index, size, _flip(proof, position), root)
    assert not verify_inclusion(LEAVES[4], index, size, proof, root)  # another leaf
    for wrong_index in (4, 6, 7, 8, 9, -1, -5):
        assert not verify_inclusion(LEAVES[index], wrong_index, size, proof, root)
    for wrong_size in (0, 5, 6, 9, 16, -1):
        assert not verify_inclusion(LEAVES[index], index, wrong_size, proof, root)
    # Size 7 gives leaf 5 a path of the same shape, and proof hashes are opaque, so
    # only the root tells the sizes apart: a checkpoint signs (size, root) together.
    assert verify_inclusion(LEAVES[index], index, 7, proof, root)
    assert not verify_inclusion(LEAVES[index], index, 7, proof, root_of(LEAVES[:7]))
    assert not verify_inclusion(LEAVES[index], index, size, proof[:-1], root)
    assert not verify_inclusion(LEAVES[index], index, size, [*proof, proof[0]], root)
    assert not verify_inclusion(LEAVES[index], index, size, [], root)
    assert not verify_inclusion(LEAVES[index], index, size, proof, _flip([root], 0)[0])
    assert not verify_inclusion(LEAVES[index], index, size, [b"", b"short", b"x" * 64], root)


def test_single_leaf_tree_proves_inclusion_with_an_empty_path() -> None:
    assert inclusion_proof(0, 1, CountingSubtrees(LEAVES[:1])) == []
    assert verify_inclusion(LEAVES[0], 0, 1, [], LEAVES[0])
    assert not verify_inclusion(LEAVES[0], 0, 1, [LEAVES[1]], LEAVES[0])


def test_tampered_or_misplaced_consistency_proofs_fail() -> None:
    old_size, new_size = 6, 8
    old_root, new_root = root_of(LEAVES[:old_size]), root_of(LEAVES)
    proof = consistency_proof(old_size, new_size, CountingSubtrees(LEAVES))
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)
    for position in range(len(proof)):
        assert not verify_consistency(old_size, new_size, old_root, new_root,
                                      _flip(proof, position))
    for wrong_old in (-1, 0, 1, 2, 3, 4, 5, 7, 8, 9):
        assert not verify_consistency(wrong_old, new_size, old_root, new_root, proof)
    for wrong_new in (-1, 5, 6, 9, 16):
        assert not verify_consistency(old_size, wrong_new, old_root, new_root, proof)
    # As for inclusion, size 7 has the same proof shape: only its own root tells it apart.
    assert not verify_consistency(old_size, 7, old_root, root_of(LEAVES[:7]), proof)
    assert not verify_consistency(old_size, new_size, new_root, new_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, old_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])
    assert not verify_consistency(old_size, new_size, old_root, new_root, [*proof, proof[0]])
    assert not verify_consistency(old_size, new_size, old_root, new_root, [])


def test_consistency_edge_cases_follow_the_rfc() -> None:
    root_4, root_8 = root_of(LEAVES[:4]), root_of(LEAVES)
    # Equal sizes: only an empty proof and equal roots.
    assert verify_consistency(8, 8, root_8, root_8, [])
    assert not verify_consistency(8, 8, root_8, root_4, [])
    assert not verify_consistency(8, 8, root_8, root_8, [root_8])
    # The empty tree is a prefix of every tree, with an empty proof.
    assert verify_consistency(0, 8, EMPTY_ROOT, root_8, [])
    assert not verify_consistency(0, 8, root_4, root_8, [])
    assert not verify_consistency(0, 8, EMPTY_ROOT, root_8, [root_8])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    # A shrinking tree is never consistent.
    assert not verify_consistency(8, 4, root_8, root_4, [])
    # Old size a power of two: the old root is not sent.
    proof = consistency_proof(4, 8, CountingSubtrees(LEAVES))
    assert proof == [root_of(LEAVES[4:])]
    assert verify_consistency(4, 8, root_4, root_8, proof)


def test_proof_generators_refuse_impossible_requests() -> None:
    get = CountingSubtrees(LEAVES)
    for index, size in ((8, 8), (-1, 8), (0, 0)):
        with pytest.raises(ValueError):
            inclusion_proof(index, size, get)
    for old_size, new_size in ((9, 8), (-1, 8)):
        with pytest.raises(ValueError):
            consistency_proof(old_size, new_size, get)
    with pytest.raises(ValueError):
        tree_root(-1, get)
    assert consistency_proof(0, 8, get) == []
    assert consistency_proof(8, 8, get) == []


# --- every proof of small trees -------------------------------------------------------------

def _log2_ceil(size: int) -> int:
    return (size - 1).bit_length()


def _check_every_proof(size: int, old_sizes: Sequence[int]) -> None:
    leaves = _leaves(size, salt=size)
    roots = [root_of(leaves[:m]) for m in range(size + 1)]
    get = CountingSubtrees(leaves)
    # A proof needs at most one incomplete range of log2(n) + 1 pieces plus one
    # complete subtree per level: about 2 log2(n) + 1 calls, never n.
    call_budget = 2 * _log2_ceil(size) + 2
    for index in range(size):
        get.calls = 0
        proof = inclusion_proof(index, size, get)
        assert get.calls <= call_budget
        assert verify_inclusion(leaves[index], index, size, proof, roots[size])
    for old_size in old_sizes:
        get.calls = 0
        proof = consistency_proof(old_size, size, get)
        assert get.calls <= call_budget
        assert verify_consistency(old_size, size, roots[old_size], roots[size], proof)
    get.calls = 0
    assert tree_root(size, get) == roots[size]
    assert get.calls <= size.bit_count()


@pytest.mark.parametrize("size", range(1, 65))
def test_every_inclusion_and_consistency_proof_of_small_trees_verifies(size: int) -> None:
    _check_every_proof(size, range(size + 1))


@settings(deadline=None, max_examples=60)
@given(size=st.integers(min_value=1, max_value=300), data=st.data())
def test_random_trees_prove_inclusion_and_consistency(size: int, data: st.DataObject) -> None:
    old_sizes = data.draw(st.lists(st.integers(min_value=0, max_value=size), max_size=12))
    _check_every_proof(size, [*old_sizes, 1, size - 1, size])


@settings(deadline=None, max_examples=60)
@given(size=st.integers(min_value=1, max_value=300))
def test_frontier_root_matches_at_every_size_and_survives_a_restore(size: int) -> None:
    leaves = _leaves(size)
    frontier = Frontier()
    for count, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.size == count
        assert len(frontier.hashes) == count.bit_count()
        assert frontier.root() == root_of(leaves[:count])
    restored = Frontier(frontier.size, frontier.hashes)
    restored.append(leaf_hash(b"one more"))
    assert restored.root() == root_of([*leaves, leaf_hash(b"one more")])


def test_frontier_refuses_state_that_cannot_be_a_tree() -> None:
    with pytest.raises(ValueError):
        Frontier(3, [LEAVES[0]])
    with pytest.raises(ValueError):
        Frontier(-1, [])
    with pytest.raises(ValueError):
        Frontier(1, [b"short"])
    with pytest.raises(ValueError):
        Frontier().append(b"not 32 bytes")


@settings(deadline=None, max_examples=40)
@given(size=st.integers(min_value=2, max_value=300), data=st.data())
def test_a_proof_for_one_tree_does_not_verify_against_a_different_tree(
    size: int, data: st.DataObject
) -> None:
    leaves = _leaves(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    other = [*leaves]
    other[data.draw(st.integers(min_value=0, max_value=size - 1))] = leaf_hash(b"forged")
    proof = inclusion_proof(index, size, CountingSubtrees(other))
    assert verify_inclusion(other[index], index, size, proof, root_of(other))
    assert not verify_inclusion(other[index], index, size, proof, root_of(leaves))

