"""Proofs served from stored rows: the same proofs as from the tree in memory."""

from __future__ import annotations

import pytest
from polhelpers import PERIOD, SECRET, row_getter, tree_of

from profitpool.disclosure import pol
from profitpool.disclosure.pol import PolError


def test_a_proof_from_rows_equals_the_proof_from_memory_at_every_position() -> None:
    for members in range(1, 41):
        tree = tree_of(members, seed=members)
        get_row = row_getter(tree)
        for position in range(tree.leaf_count):
            assert (pol.proof_from_rows(get_row, tree.leaf_count, position)
                    == pol.leaf_proof(tree, position)), (members, position)


@pytest.mark.parametrize("members", [128, 129, 300])
def test_proofs_across_row_boundaries_equal_the_proofs_from_memory(members: int) -> None:
    tree = tree_of(members)
    get_row = row_getter(tree)
    for position in range(tree.leaf_count):
        assert (pol.proof_from_rows(get_row, tree.leaf_count, position)
                == pol.leaf_proof(tree, position)), position


def test_a_tree_of_three_tile_levels_serves_the_same_proofs() -> None:
    tree = tree_of(33_000)  # 66,000 leaves: rows of levels 0, 8 and 16
    assert {tile_level for tile_level, _, _ in pol.tree_rows(tree)} == {0, 1, 2}
    get_row = row_getter(tree)
    for position in (0, 1, 255, 256, 65_535, 65_536, 65_998, 65_999, 12_345):
        assert (pol.proof_from_rows(get_row, tree.leaf_count, position)
                == pol.leaf_proof(tree, position)), position


def test_rows_are_tiles_of_256_records_of_levels_0_8_16() -> None:
    tree = tree_of(300)  # 600 leaves: level 8 has 3 nodes, level 16 is the root
    rows = list(pol.tree_rows(tree))
    assert [(tile_level, tile_index, len(records)) for tile_level, tile_index, records in rows] \
        == [(0, 0, 256 * 40), (0, 1, 256 * 40), (0, 2, 88 * 40), (1, 0, 3 * 40)]
    assert b"".join(records for tile_level, _, records in rows if tile_level == 0) \
        == tree.levels[0]
    assert rows[-1][2] == tree.levels[8]


def test_a_one_member_tree_stores_its_two_leaves_only() -> None:
    tree = tree_of(1)
    assert list(pol.tree_rows(tree)) == [(0, 0, tree.levels[0])]


def test_a_member_s_proof_from_rows_equals_the_one_from_memory() -> None:
    tree = tree_of(150)
    get_row = row_getter(tree)
    reads: list[tuple[int, int]] = []

    def counting(tile_level: int, tile_index: int) -> bytes:
        reads.append((tile_level, tile_index))
        return get_row(tile_level, tile_index)

    for member_id, pseudonym, salt, position0, position1 in pol.member_rows(tree):
        reads.clear()
        made = pol.member_proof_from_rows(
            counting, period=PERIOD, pseudonym=pseudonym, salt=salt,
            positions=(position0, position1), leaf_count=tree.leaf_count, root=tree.root,
            total_fen=tree.total_fen)
        assert made == pol.member_proof(tree, member_id)
        assert len(reads) == len(set(reads)) <= 4  # each row read once
    assert pol.leaf_positions(tree)["u7"] == next(
        (row[3], row[4]) for row in pol.member_rows(tree) if row[0] == "u7")
    assert next(row[2] for row in pol.member_rows(tree) if row[0] == "u7") \
        == pol.member_salt(SECRET, PERIOD, "u7")


def _member_proof(tree: pol.PolTree, get_row: pol.RowGetter, *, salt: bytes | None = None,
                  total_fen: int | None = None) -> pol.MemberProof:
    member_id, pseudonym, stored_salt, position0, position1 = next(pol.member_rows(tree))
    return pol.member_proof_from_rows(
        get_row, period=PERIOD, pseudonym=pseudonym, salt=salt or stored_salt,
        positions=(position0, position1), leaf_count=tree.leaf_count, root=tree.root,
        total_fen=tree.total_fen if total_fen is None else total_fen)


def test_damaged_or_mismatched_storage_gives_no_proof() -> None:
    tree = tree_of(200)
    get_row = row_getter(tree)
    _, _, _, position0, _ = next(pol.member_rows(tree))
    tile_index = position0 // 256

    def truncated(tile_level: int, index: int) -> bytes:
        return get_row(tile_level, index)[:-40]

    def flipped(tile_level: int, index: int) -> bytes:
        records = bytearray(get_row(tile_level, index))
        if (tile_level, index) == (0, tile_index):
            records[(position0 ^ 1) % 256 * 40] ^= 1  # the sibling's hash
        return bytes(records)

    def overflowing(tile_level: int, index: int) -> bytes:
        records = bytearray(get_row(tile_level, index))
        records[32:40] = (2**63 - 1).to_bytes(8, "big")  # the first record's sum
        return bytes(records)

    with pytest.raises(PolError, match="holds .* bytes, expected .*: the stored tree is damaged"):
        _member_proof(tree, truncated)
    with pytest.raises(PolError, match="root"):
        _member_proof(tree, flipped)
    with pytest.raises(PolError, match="2\\^63"):
        _member_proof(tree, overflowing)
    with pytest.raises(PolError, match="root"):
        _member_proof(tree, get_row, salt=bytes(32))
    with pytest.raises(PolError, match="total"):
        _member_proof(tree, get_row, total_fen=tree.total_fen + 1)


def test_a_position_outside_the_tree_reads_nothing() -> None:
    def no_rows(tile_level: int, tile_index: int) -> bytes:
        raise AssertionError("read a row")

    with pytest.raises(PolError, match="not in a tree of 10 leaves"):
        pol.proof_from_rows(no_rows, 10, 10)
    assert pol.proof_from_rows(no_rows, 1, 0) == []
