"""The C2SP tlog-tiles layout of the log's Merkle tree (https://c2sp.org/tlog-tiles).

A tile at level ``L``, index ``N`` holds up to 256 consecutive hashes, each
the root of a complete subtree of ``256**L`` leaves: level 0 holds leaf
hashes, level 1 the roots of full level-0 tiles, and so on. The rightmost
tile of each level may be *partial* (1..255 hashes). Tiles only ever grow at
the end, so a stored partial tile is a prefix of its later, wider versions.

This module names tiles (``tile/<L>/<N>[.p/<W>]``, ``tile/entries/<N>[.p/<W>]``),
encodes entry bundles, lists the tiles of a tree size, builds tiles as leaves
are appended (:class:`TileWriter`) and answers :mod:`.merkle`'s subtree
queries from stored tiles (:func:`subtree_from_tiles`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Final

from .merkle import HASH_BYTES, Frontier, SubtreeHash, node_hash

TILE_HEIGHT: Final = 8
"""Tree levels spanned by one tile."""

TILE_WIDTH: Final = 1 << TILE_HEIGHT
"""Hashes in a full tile (256)."""

FULL_TILE_BYTES: Final = TILE_WIDTH * HASH_BYTES
"""Bytes in a full tile (8192)."""

MAX_LEVEL: Final = 63
"""Highest tile level the spec allows in a path."""

MAX_ENTRY_BYTES: Final = 0xFFFF
"""Longest entry an entry bundle can hold (uint16 length prefix)."""

TileGetter = Callable[[int, int], bytes]
"""``get_tile(level, index)``: the stored bytes of that tile, possibly partial."""

TileCoord = tuple[int, int, int]
"""Where a tile is: ``(level, index in that level, width in hashes)``."""

# Loose shapes only (ASCII digits); canonical form is checked by re-encoding.
_INDEX = r"((?:x[0-9]{3}/)*[0-9]{3})"
_WIDTH = r"(?:\.p/([0-9]+))?"
_TILE_PATH = re.compile(rf"tile/([0-9]+)/{_INDEX}{_WIDTH}")
_ENTRIES_PATH = re.compile(rf"tile/entries/{_INDEX}{_WIDTH}")


def _encode_index(index: int) -> str:
    """The spec's index element: 3-digit groups, all but the last prefixed with ``x``."""
    encoded = f"{index % 1000:03d}"
    index //= 1000
    while index:
        encoded = f"x{index % 1000:03d}/{encoded}"
        index //= 1000
    return encoded


def _suffix(index: int, width: int) -> str:
    if index < 0:
        raise ValueError(f"tile index must not be negative, got {index}")
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width must be 1..{TILE_WIDTH}, got {width}")
    partial = f".p/{width}" if width < TILE_WIDTH else ""
    return _encode_index(index) + partial


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """The path of a Merkle tree tile, e.g. ``tile/0/x001/x234/067`` or ``tile/1/001.p/17``.

    Raises:
        ValueError: for a level outside 0..63, a negative index or a width outside 1..256.
    """
    if not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"tile level must be 0..{MAX_LEVEL}, got {level}")
    return f"tile/{level}/{_suffix(index, width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """The path of an entry bundle, e.g. ``tile/entries/273.p/112``.

    Raises:
        ValueError: for a negative index or a width outside 1..256.
    """
    return f"tile/entries/{_suffix(index, width)}"


def _parse_index_and_width(index_text: str, width_text: str | None) -> tuple[int, int]:
    index = int(index_text.replace("x", "").replace("/", ""))
    width = TILE_WIDTH if width_text is None else int(width_text)
    return index, width


def parse_tile_path(path: str) -> TileCoord:
    """The ``(level, index, width)`` of a canonical tile path (the inverse of :func:`tile_path`).

    Raises:
        ValueError: for anything :func:`tile_path` would not have produced (leading
            zeros, ``x000`` groups, ``.p/256``, level 64, a trailing slash, ...).
    """
    match = _TILE_PATH.fullmatch(path)
    if match is None:
        raise ValueError(f"not a tile path: {path!r}")
    level = int(match[1])
    index, width = _parse_index_and_width(match[2], match[3])
    # The encoding is canonical iff it round-trips; this settles every corner at once.
    if level > MAX_LEVEL or not 1 <= width <= TILE_WIDTH or tile_path(level, index, width) != path:
        raise ValueError(f"not a canonical tile path: {path!r}")
    return level, index, width


def parse_entries_path(path: str) -> tuple[int, int]:
    """The ``(index, width)`` of a canonical entry bundle path.

    Raises:
        ValueError: for anything :func:`entries_path` would not have produced.
    """
    match = _ENTRIES_PATH.fullmatch(path)
    if match is None:
        raise ValueError(f"not an entry bundle path: {path!r}")
    index, width = _parse_index_and_width(match[1], match[2])
    if not 1 <= width <= TILE_WIDTH or entries_path(index, width) != path:
        raise ValueError(f"not a canonical entry bundle path: {path!r}")
    return index, width


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Entries as one bundle: big-endian uint16 length, then the entry, repeated.

    Raises:
        ValueError: if an entry is longer than 65535 bytes.
    """
    parts: list[bytes] = []
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise ValueError(f"an entry bundle holds entries of at most {MAX_ENTRY_BYTES} "
                             f"bytes, got {len(entry)}")
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    return b"".join(parts)


def parse_entry_bundle(bundle: bytes) -> list[bytes]:
    """The entries of a bundle made by :func:`entry_bundle`.

    Raises:
        ValueError: if the bundle ends inside a length prefix or an entry.
    """
    entries: list[bytes] = []
    position = 0
    while position < len(bundle):
        if position + 2 > len(bundle):
            raise ValueError(f"entry bundle truncated in a length prefix at byte {position}")
        entry_end = position + 2 + int.from_bytes(bundle[position:position + 2], "big")
        if entry_end > len(bundle):
            raise ValueError(f"entry bundle truncated in the entry at byte {position}")
        entries.append(bundle[position + 2:entry_end])
        position = entry_end
    return entries


def tiles_for_size(size: int) -> list[TileCoord]:
    """Every tile of the tree of ``size`` leaves: full tiles, then the partial one, per level.

    Raises:
        ValueError: if ``size`` is negative.
    """
    if size < 0:
        raise ValueError(f"tree size must not be negative, got {size}")
    coords: list[TileCoord] = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        hashes_at_level = size >> (TILE_HEIGHT * level)
        full_tiles, width = divmod(hashes_at_level, TILE_WIDTH)
        coords.extend((level, index, TILE_WIDTH) for index in range(full_tiles))
        if width:
            coords.append((level, full_tiles, width))
        level += 1
    return coords


def _hash_up(tile: bytes, first: int, height: int) -> bytes:
    """Root of the complete subtree over hashes ``first .. first + 2**height - 1`` of a tile."""
    start = first * HASH_BYTES
    end = start + (HASH_BYTES << height)
    layer = [tile[at:at + HASH_BYTES] for at in range(start, end, HASH_BYTES)]
    while len(layer) > 1:
        layer = [node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
    return layer[0]


def subtree_from_tiles(get_tile: TileGetter) -> SubtreeHash:
    """A :data:`~.merkle.SubtreeHash` reading stored tiles, one tile per subtree asked for.

    Subtree (height ``h``, index ``k``) is made of ``2**(h % 8)`` adjacent hashes of
    one tile at level ``h // 8``; they are hashed up inside that tile (at most
    255 node hashes). Wrap ``get_tile`` in a cache if tiles are costly to read.
    """

    def subtree_hash(height: int, index: int) -> bytes:
        level, height_in_tile = divmod(height, TILE_HEIGHT)
        tile_index, first = divmod(index << height_in_tile, TILE_WIDTH)
        tile = get_tile(level, tile_index)
        if len(tile) < (first + (1 << height_in_tile)) * HASH_BYTES:
            raise ValueError(f"tile {tile_path(level, tile_index)} holds {len(tile)} bytes, "
                             f"too few for subtree ({height}, {index})")
        return _hash_up(tile, first, height_in_tile)

    return subtree_hash


class TileWriter:
    """Builds the tiles of a growing tree, one leaf hash at a time.

    In memory: the rightmost (unfinished) tile of each level and the tree's
    right edge, plus the tiles finished since the last :meth:`take_dirty`.
    Every merge of the right edge that completes a subtree of height ``8 * L``
    is exactly the next hash of the level-``L`` tile, so building tiles costs
    no hashing beyond maintaining the root (about one node hash per leaf).
    """

    def __init__(self) -> None:
        """An empty tree; use :meth:`restore` to continue a stored one."""
        self._size = 0
        self._edge: list[bytes] = []  # right-edge subtree hashes, as in merkle.Frontier
        self._open_tiles: list[bytearray] = []  # level -> hashes of its unfinished tile
        self._finished: dict[tuple[int, int], bytes] = {}
        self._size_at_take = 0

    @classmethod
    def restore(cls, size: int, get_tile: TileGetter) -> TileWriter:
        """Continue a tree of ``size`` leaves whose tiles are stored.

        Reads only the right-edge partial tile of each level (O(levels) reads) and
        rebuilds the right edge from them.

        Raises:
            ValueError: for a negative size or a stored tile shorter than the size implies.
        """
        if size < 0:
            raise ValueError(f"tree size must not be negative, got {size}")
        writer = cls()
        writer._size = writer._size_at_take = size
        level = 0
        while size >> (TILE_HEIGHT * level):
            tile_index, width = divmod(size >> (TILE_HEIGHT * level), TILE_WIDTH)
            tile = get_tile(level, tile_index)[:width * HASH_BYTES] if width else b""
            if len(tile) != width * HASH_BYTES:
                raise ValueError(f"stored tile {tile_path(level, tile_index)} is {len(tile)} "
                                 f"bytes, a tree of size {size} needs {width * HASH_BYTES}")
            writer._open_tiles.append(bytearray(tile))
            level += 1
        # Right edge, largest subtree first: bit 8*L + j of the size is a subtree of
        # 2**j consecutive hashes of the level-L open tile.
        for level in reversed(range(len(writer._open_tiles))):
            tile = bytes(writer._open_tiles[level])
            width, first = len(tile) // HASH_BYTES, 0
            for height_in_tile in reversed(range(TILE_HEIGHT)):
                if width >> height_in_tile & 1:
                    writer._edge.append(_hash_up(tile, first, height_in_tile))
                    first += 1 << height_in_tile
        return writer

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def root(self) -> bytes:
        """The current tree root."""
        return Frontier(self._size, self._edge).root()

    def edge_tiles(self) -> list[bytes]:
        """The unfinished tile of each level, as :meth:`restore` reads them: with the size,
        they are all a tree continues from (its right edge is computed from them)."""
        tiles = []
        level = 0
        while self._size >> (TILE_HEIGHT * level):
            width = (self._size >> (TILE_HEIGHT * level)) % TILE_WIDTH
            tile = self._open_tiles[level] if level < len(self._open_tiles) else b""
            tiles.append(bytes(tile[:width * HASH_BYTES]))
            level += 1
        return tiles

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash to the tree and its tiles.

        Raises:
            ValueError: if ``leaf_hash`` is not 32 bytes.
        """
        if len(leaf_hash) != HASH_BYTES:
            raise ValueError(f"a leaf hash is {HASH_BYTES} bytes, got {len(leaf_hash)}")
        pending = self._size
        self._size = pending + 1
        self._add_to_tile(0, leaf_hash)
        edge = self._edge
        merged, height = leaf_hash, 0
        while pending & 1:  # as in merkle.Frontier.append
            merged = node_hash(edge.pop(), merged)
            pending >>= 1
            height += 1
            if height % TILE_HEIGHT == 0:
                self._add_to_tile(height // TILE_HEIGHT, merged)
        edge.append(merged)

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append each leaf hash in order."""
        for leaf_hash in leaf_hashes:
            self.append(leaf_hash)

    def _add_to_tile(self, level: int, subtree_hash: bytes) -> None:
        if level == len(self._open_tiles):
            self._open_tiles.append(bytearray())
        tile = self._open_tiles[level]
        tile += subtree_hash
        if len(tile) == FULL_TILE_BYTES:
            # self._size already counts the leaf that completed this tile.
            finished_index = (self._size >> (TILE_HEIGHT * level)) // TILE_WIDTH - 1
            self._finished[(level, finished_index)] = bytes(tile)
            self._open_tiles[level] = bytearray()

    def take_dirty(self) -> dict[tuple[int, int], bytes]:
        """Every tile changed since the last call, ``(level, index) -> its full bytes now``.

        Partial tiles are included at their current width; storing each under
        ``(level, index)`` (overwriting) keeps a store that :meth:`restore` and
        :func:`subtree_from_tiles` can read for any size up to :attr:`size`.
        """
        dirty, self._finished = self._finished, {}
        for level, tile in enumerate(self._open_tiles):
            shift = TILE_HEIGHT * level
            if tile and self._size >> shift != self._size_at_take >> shift:
                dirty[(level, (self._size >> shift) // TILE_WIDTH)] = bytes(tile)
        self._size_at_take = self._size
        return dirty

