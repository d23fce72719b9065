"""Reading the log for people and tools: blocks, entries, inclusion and consistency proofs.

Proofs are computed from the stored tiles (O(log n) tile reads, cached), for
any tree size up to the newest block's: a partial tile that has since grown
still holds every complete subtree the smaller tree had.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from typing import Any

import orjson

from ..chain import merkle
from ..chain.merkle import leaf_hash
from ..chain.tiles import FULL_TILE_BYTES, subtree_from_tiles
from ..errors import ProfitpoolError
from ..store.repository import LogStore, StoredBlock
from ..times import format_time


class ReadError(ProfitpoolError):
    """What was asked for is not in the log."""


class LogReader:
    def __init__(self, store: LogStore, tile_cache: int = 4096) -> None:
        self.store = store
        self._tile_cache = tile_cache
        self._full_tiles: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._subtree = subtree_from_tiles(self._tile)

    def _tile(self, level: int, index: int) -> bytes:
        """A stored tile. Full tiles are cached (they never change); partial ones are
        read again each time, since a live log widens them."""
        with self._lock:
            tile = self._full_tiles.get((level, index))
            if tile is not None:
                self._full_tiles.move_to_end((level, index))
                return tile
        tile = self.store.tile(level, index)
        if tile is None:
            raise ReadError(f"tile {level}/{index} is not stored")
        if len(tile) == FULL_TILE_BYTES:
            with self._lock:
                self._full_tiles[(level, index)] = tile
                if len(self._full_tiles) > self._tile_cache:
                    self._full_tiles.popitem(last=False)
        return tile

    def size(self) -> int:
        last = self.store.last_block()
        return 0 if last is None else last.header.tree_size

    def _size(self, size: int | None) -> int:
        newest = self.size()
        if size is None:
            return newest
        if not 0 < size <= newest:
            raise ReadError(f"tree size {size} is not between 1 and {newest}")
        return size

    def block_json(self, height: int | None = None) -> dict[str, Any]:
        block = self.store.last_block() if height is None else self.store.block(height)
        if block is None:
            raise ReadError("the log has no blocks yet" if height is None else
                            f"there is no block {height}")
        return block_json(block)

    def entry_json(self, index: int) -> dict[str, Any]:
        data = self.store.entry(index)
        if data is None:
            raise ReadError(f"there is no entry {index}")
        return {"index": index, "leaf_hash": leaf_hash(data).hex(), "entry": orjson.loads(data)}

    def root(self, size: int) -> bytes:
        return merkle.tree_root(size, self._subtree)

    def inclusion(self, index: int, size: int | None = None) -> dict[str, Any]:
        """Proof that entry ``index`` is in the tree of ``size`` (default: the newest)."""
        tree_size = self._size(size)
        if not 0 <= index < tree_size:
            raise ReadError(f"entry {index} is not in a tree of size {tree_size}")
        data = self.store.entry(index)
        if data is None:
            raise ReadError(f"there is no entry {index}")
        return {
            "index": index, "tree_size": tree_size, "leaf_hash": leaf_hash(data).hex(),
            "proof": [node.hex() for node in merkle.inclusion_proof(index, tree_size,
                                                                    self._subtree)],
            "root": self.root(tree_size).hex(),
        }

    def consistency_hashes(self, old_size: int, new_size: int) -> list[bytes]:
        """The RFC 9162 consistency proof from ``old_size`` to ``new_size``, as hashes."""
        return merkle.consistency_proof(old_size, new_size, self._subtree)

    def consistency(self, old_size: int, new_size: int | None = None) -> dict[str, Any]:
        """Proof that the tree of ``old_size`` is a prefix of the tree of ``new_size``."""
        size = self._size(new_size)
        if not 0 < old_size <= size:
            raise ReadError(f"old size {old_size} is not between 1 and {size}")
        return {
            "old_size": old_size, "new_size": size,
            "old_root": self.root(old_size).hex(), "new_root": self.root(size).hex(),
            "proof": [node.hex() for node in merkle.consistency_proof(old_size, size,
                                                                      self._subtree)],
        }


def block_json(block: StoredBlock) -> dict[str, Any]:
    header = block.header
    return {
        "height": header.height,
        "prev_hash": header.prev_hash.hex(),
        "time": format_time(header.time),
        "first_index": header.first_index,
        "count": header.count,
        "tree_size": header.tree_size,
        "root": header.root.hex(),
        "state_digest": header.state_digest.hex(),
        "hash": header.hash().hex(),
        "signature": base64.b64encode(block.signature).decode(),
        "checkpoint": block.checkpoint,
    }
