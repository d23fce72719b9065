"""C2SP tlog-tiles: paths, entry bundles, the spec's 70,000-entry log, restore and proofs.

The vectors (checked with the Go reference code) are written out below so each
test reads plainly; ``test_embedded_vectors_are_the_published_ones`` checks them
against ``tests/vectors/tlog-tiles.json``, the published vector file kept byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from profitpool.chain.merkle import (
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_of,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from profitpool.chain.tiles import (
    FULL_TILE_BYTES,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileWriter,
    entries_path,
    entry_bundle,
    parse_entries_path,
    parse_entry_bundle,
    parse_tile_path,
    subtree_from_tiles,
    tile_path,
    tiles_for_size,
)

VECTOR_FILE = Path(__file__).resolve().parents[1] / "vectors" / "tlog-tiles.json"

LOG_SIZE = 70_000
ROOT_BASE64 = "o5IPun8jmgcam9EHIfE0Gt3vuu3ttBx+JEN6nRa98Ao="
# The spec's worked example: 273 full level-0 tiles, a level-0 partial of width 112,
# one full level-1 tile, a level-1 partial of width 17 and a level-2 partial of width 1.
TILE_PATHS = [f"tile/0/{index:03d}" for index in range(273)] + [
    "tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1",
]
ENTRY_BUNDLE_PATHS_FIRST_LAST = ["tile/entries/000", "tile/entries/001", "tile/entries/273.p/112"]
SHA256_OF_TILES = {
    "tile/0/000": "b0f6ca2ff42508faf8c6bb4ea8bb9c74243b19d4174fdc4fd17bdad9099e605e",
    "tile/0/273.p/112": "e31da4e768fc0d0f1f1f0046a1c4b68d71326b04a07951a7d3dcefef0de9b8cd",
    "tile/1/000": "44f879be76da41edaf37c0d67303fbd25f2ea44be93285b320561fbaaaaabbfa",
    "tile/1/001.p/17": "5a8eb2fe63c90ddf7fd813d165c04fa79d6eca48534b61bd312fcd2d1cf0aef3",
    "tile/2/000.p/1": "7e27fb89709243536fe26030f273fc9f7a73443f5e7ec296b3053aa520623e76",
    "tile/entries/000": "c378282cb2167eb29f7e0c483ef2ce284728c12286469737cf8c3dc71e412ff1",
    "tile/entries/273.p/112": "2ae1ce51fa31c2573335899beb5220aff9cd57b708ff07f4a04327914567f883",
}
BYTES_OF_TILES = {
    "tile/0/000": 8192, "tile/0/273.p/112": 3584, "tile/1/000": 8192, "tile/1/001.p/17": 544,
    "tile/2/000.p/1": 32, "tile/entries/000": 2706, "tile/entries/273.p/112": 1456,
}

ENTRIES = [f"entry {i}".encode() for i in range(LOG_SIZE)]
LEAF_HASHES = [leaf_hash(entry) for entry in ENTRIES]

# Sizes where roots and proofs are checked: tile edges and their neighbours, and the end.
SIZES = [1, 2, 3, 255, 256, 257, 511, 1000, 4097, 65535, 65536, 65537, 69999, 70000]

Store = dict[tuple[int, int], bytes]


@pytest.fixture(scope="module")
def store_and_roots() -> tuple[Store, dict[int, bytes]]:
    """The 70,000-entry log written in blocks of 1,000 leaves, and its root at each of SIZES."""
    writer, frontier = TileWriter(), Frontier()
    store: Store = {}
    roots: dict[int, bytes] = {}
    for start in range(0, LOG_SIZE, 1000):
        for leaf in LEAF_HASHES[start:start + 1000]:
            writer.append(leaf)
            frontier.append(leaf)
            if frontier.size in SIZES:
                roots[frontier.size] = frontier.root()
        store.update(writer.take_dirty())
    assert writer.root() == frontier.root()
    return store, roots


def _tile_getter(store: Store) -> Callable[[int, int], bytes]:
    return lambda level, index: store[(level, index)]


def _served(store: Store, path: str) -> bytes:
    """What a server returns for a path: a stored tile cut to its width, or a bundle."""
    if path.startswith("tile/entries/"):
        index, width = parse_entries_path(path)
        return entry_bundle(ENTRIES[index * TILE_WIDTH:index * TILE_WIDTH + width])
    level, index, width = parse_tile_path(path)
    return store[(level, index)][:width * 32]


def test_embedded_vectors_are_the_published_ones() -> None:
    published: dict[str, Any] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
    assert published["size"] == LOG_SIZE
    assert published["root_base64"] == ROOT_BASE64
    assert published["tile_paths"] == TILE_PATHS
    assert published["entry_bundle_paths_first_last"] == ENTRY_BUNDLE_PATHS_FIRST_LAST
    assert published["sha256_of_tiles"] == SHA256_OF_TILES
    assert published["bytes_of_tiles"] == BYTES_OF_TILES


# --- the 70,000-entry log ---------------------------------------------------------------------

def test_the_spec_log_has_the_reference_root(store_and_roots: tuple[Store, dict[int, bytes]]
                                             ) -> None:
    store, roots = store_and_roots
    assert base64.b64encode(roots[LOG_SIZE]).decode() == ROOT_BASE64
    assert tree_root(LOG_SIZE, subtree_from_tiles(_tile_getter(store))) == roots[LOG_SIZE]


def test_tiles_for_the_spec_size_are_the_worked_example() -> None:
    assert [tile_path(*coord) for coord in tiles_for_size(LOG_SIZE)] == TILE_PATHS
    assert tiles_for_size(LOG_SIZE)[-1] == (2, 0, 1)
    assert tiles_for_size(0) == []
    # The spec: size 256 is one full level-0 tile and a level-1 partial of width 1.
    assert tiles_for_size(256) == [(0, 0, 256), (1, 0, 1)]


def test_writer_stores_exactly_the_tiles_of_the_size(
    store_and_roots: tuple[Store, dict[int, bytes]]
) -> None:
    store, _ = store_and_roots
    expected = {(level, index): width for level, index, width in tiles_for_size(LOG_SIZE)}
    assert {key: len(tile) // 32 for key, tile in store.items()} == expected


def test_every_reference_tile_and_bundle_has_the_reference_hash_and_length(
    store_and_roots: tuple[Store, dict[int, bytes]]
) -> None:
    store, _ = store_and_roots
    assert SHA256_OF_TILES.keys() == BYTES_OF_TILES.keys()
    for path, digest_hex in SHA256_OF_TILES.items():
        served = _served(store, path)
        assert len(served) == BYTES_OF_TILES[path], path
        assert hashlib.sha256(served).hexdigest() == digest_hex, path


def test_entry_bundle_paths_and_round_trip() -> None:
    assert [entries_path(0), entries_path(1), entries_path(273, 112)] == \
        ENTRY_BUNDLE_PATHS_FIRST_LAST
    bundle = entry_bundle(ENTRIES[:TILE_WIDTH])
    assert bundle[:9] == b"\x00\x07entry 0"
    assert parse_entry_bundle(bundle) == ENTRIES[:TILE_WIDTH]
    assert parse_entry_bundle(entry_bundle([b"", b"x" * 0xFFFF, b""])) == [b"", b"x" * 0xFFFF, b""]
    assert parse_entry_bundle(b"") == []


def test_entry_bundles_refuse_oversize_entries_and_truncation() -> None:
    with pytest.raises(ValueError):
        entry_bundle([b"x" * 0x10000])
    for truncated in (b"\x00", b"\x00\x05abcd", entry_bundle([b"abc", b"de"])[:-1]):
        with pytest.raises(ValueError):
            parse_entry_bundle(truncated)


# --- paths ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("index", "encoded"), [
    (0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067"),
    (1_000_000, "x001/x000/000"),
])
def test_tile_index_encoding_follows_the_spec(index: int, encoded: str) -> None:
    assert tile_path(0, index) == f"tile/0/{encoded}"
    assert tile_path(3, index, 5) == f"tile/3/{encoded}.p/5"
    assert entries_path(index, 255) == f"tile/entries/{encoded}.p/255"
    assert parse_tile_path(f"tile/0/{encoded}") == (0, index, 256)
    assert parse_tile_path(f"tile/63/{encoded}.p/1") == (63, index, 1)
    assert parse_entries_path(f"tile/entries/{encoded}") == (index, 256)


def test_every_path_of_a_size_parses_back() -> None:
    for coord in tiles_for_size(LOG_SIZE):
        assert parse_tile_path(tile_path(*coord)) == coord
    for index in (*range(0, 3000, 7), 999_999, 1_000_000, 123_456_789_012):
        assert parse_entries_path(entries_path(index, 17)) == (index, 17)


@pytest.mark.parametrize("path", [
    "tile/0/00", "tile/0/0000", "tile/0/1", "tile/00/000", "tile/01/000", "tile/64/000",
    "tile/-1/000", "tile/0/-01", "tile/0/1234067", "tile/0/001/234/067", "tile/0/x001/234/067",
    "tile/0/x000/001", "tile/0/x001", "tile/0/x001/", "tile/0/000.p/0", "tile/0/000.p/256",
    "tile/0/000.p/012", "tile/0/000.p/", "tile/0/000.p", "tile/0/000.p/1000", "/tile/0/000",
    "tile/0/000/", "tile/0/000\n", " tile/0/000", "tile//000", "tile/0/X001/000",
    "tile/0/x001/x234/067.p/+5", "tile/entries/000", "tile/\u0660/000", "tile/0/\u0660\u0660\u0660",
    "tiles/0/000", "tile/0/000.p/1/",
])
def test_non_canonical_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(ValueError):
        parse_tile_path(path)


@pytest.mark.parametrize("path", [
    "tile/entries/00", "tile/entries/x000/001", "tile/entries/000.p/256", "tile/entries/000.p/0",
    "tile/entries/000.p/07", "tile/entries/000/", "tile/0/000", "tile/entries/x001",
])
def test_non_canonical_entry_bundle_paths_are_refused(path: str) -> None:
    with pytest.raises(ValueError):
        parse_entries_path(path)


@pytest.mark.parametrize(("level", "index", "width"), [
    (-1, 0, 256), (64, 0, 256), (0, -1, 256), (0, 0, 0), (0, 0, 257),
])
def test_tile_path_refuses_impossible_tiles(level: int, index: int, width: int) -> None:
    with pytest.raises(ValueError):
        tile_path(level, index, width)


# --- restore ----------------------------------------------------------------------------------

@pytest.mark.parametrize("restore_at", [0, 1, 255, 256, 257, 65535, 65536, 65537, 40_123])
def test_a_restored_writer_continues_to_the_same_root_and_tiles(
    restore_at: int, store_and_roots: tuple[Store, dict[int, bytes]]
) -> None:
    full_store, roots = store_and_roots
    first = TileWriter()
    first.extend(LEAF_HASHES[:restore_at])
    store = first.take_dirty()
    reads: list[tuple[int, int]] = []

    def read_tile(level: int, index: int) -> bytes:
        reads.append((level, index))
        return store[(level, index)]

    restored = TileWriter.restore(restore_at, read_tile)
    # One read per level at most: the right-edge partial tiles, never the whole log.
    assert len(reads) <= 3
    assert restored.size == restore_at
    assert restored.root() == first.root()
    assert restored.take_dirty() == {}
    restored.extend(LEAF_HASHES[restore_at:])
    store.update(restored.take_dirty())
    assert restored.root() == roots[LOG_SIZE]
    assert store == full_store


def test_restore_refuses_a_store_that_is_too_short() -> None:
    writer = TileWriter()
    writer.extend(LEAF_HASHES[:300])
    store = writer.take_dirty()
    with pytest.raises(ValueError):
        TileWriter.restore(301, _tile_getter(store))
    with pytest.raises(ValueError):
        TileWriter.restore(-1, _tile_getter(store))


def test_take_dirty_returns_each_changed_tile_once_at_its_current_width() -> None:
    writer = TileWriter()
    writer.extend(LEAF_HASHES[:300])
    assert {key: len(tile) for key, tile in writer.take_dirty().items()} == {
        (0, 0): FULL_TILE_BYTES, (0, 1): 44 * 32, (1, 0): 32,
    }
    writer.append(LEAF_HASHES[300])
    assert {key: len(tile) for key, tile in writer.take_dirty().items()} == {(0, 1): 45 * 32}
    assert writer.take_dirty() == {}
    with pytest.raises(ValueError):
        writer.append(b"short")


# --- proofs over stored tiles -----------------------------------------------------------------

def test_roots_and_proofs_read_from_tiles_verify(
    store_and_roots: tuple[Store, dict[int, bytes]]
) -> None:
    store, roots = store_and_roots
    # The store holds the tiles of size 70,000; every smaller tree is a prefix of it.
    get = subtree_from_tiles(_tile_getter(store))
    for size in SIZES:
        assert tree_root(size, get) == roots[size], size
        for index in {0, 1, size // 3, size // 2 + 1, size - 256, size - 2, size - 1}:
            if 0 <= index < size:
                proof = inclusion_proof(index, size, get)
                assert verify_inclusion(LEAF_HASHES[index], index, size, proof, roots[size])
        for old_size in SIZES:
            if old_size <= size:
                proof = consistency_proof(old_size, size, get)
                assert verify_consistency(old_size, size, roots[old_size], roots[size], proof)


def test_subtree_from_tiles_reads_one_tile_per_subtree(
    store_and_roots: tuple[Store, dict[int, bytes]]
) -> None:
    store, _ = store_and_roots
    reads: list[tuple[int, int]] = []

    def read_tile(level: int, index: int) -> bytes:
        reads.append((level, index))
        return store[(level, index)]

    get = subtree_from_tiles(read_tile)
    assert get(0, 69_999) == LEAF_HASHES[69_999]
    assert get(TILE_HEIGHT, 0) == store[(1, 0)][:32]
    assert get(2 * TILE_HEIGHT, 0) == store[(2, 0)]
    # Height 11 = a level-1 tile's hashes 8..15 (leaves 33 * 2048 ..), hashed up 3 levels.
    assert get(TILE_HEIGHT + 3, 33) == root_of(LEAF_HASHES[33 * 2048:34 * 2048])
    assert reads[:3] == [(0, 273), (1, 0), (2, 0)]
    with pytest.raises(ValueError):
        get(0, 70_000)  # past the end of the stored partial tile
