"""Restarting a writer: the ledger and the log's tip rebuilt from the log, and checked.

Opening a log for writing rebuilds the ledger and checks the log's signed
structure before anything is appended (a writer never extends a log that
``profitpool verify`` would refuse in what its signatures cover):

1. every block header: heights, ``prev_hash`` links, index ranges, signature
   and checkpoint (verify.py's :data:`~profitpool.log.verify.HEADER_CHECKS`);
2. every stored entry, from the first, is hashed into a Merkle tree built
   afresh (never read from the stored tiles), and at the end of each block
   the tree's root must be the root that block's signed header names: an
   entry changed, moved or deleted anywhere, before the newest snapshot too,
   is refused;
3. every stored tile must be the tile those entries give (verify.py's
   :func:`~profitpool.log.verify.check_tiles`), and no entry is stored
   beyond the last block;
4. the newest signed snapshot (data only; its signature verified before it is
   read) must name a block boundary and hold the state that block's signed state digest names;
   the entries after it are replayed with the engine (replay.py);
5. the rebuilt ledger's state digest equals the last block's.

What a restart does not do is replay the entries *before* the snapshot: that
would make every restart as long as a full ``profitpool verify``, which is
what snapshots exist to avoid. So a restart trusts that the operator's own
signed blocks followed the rules up to the snapshot (their bytes, order and
state digests are checked, their arithmetic is not); only a block signed
with the operator's key could break that, and ``verify`` replays every one.

A writer that reopens in the same process after a block failed to store
(:func:`restore` with ``full=False``) checks only from its snapshot on, as
steps 1, 4 and 5 with the stored tiles for the part before it: it checked
the rest when it started and wrote everything since itself.

Each failure is a :class:`LogError`, one line ending in "run `profitpool verify`".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from ..chain.block import BlockHeader
from ..chain.digest import Holdings, state_digest, touched_members
from ..chain.merkle import leaf_hash
from ..chain.note import Verifier
from ..chain.tiles import TILE_WIDTH, TileWriter
from ..engine import Ledger
from ..errors import ProfitpoolError
from ..store.repository import LogStore
from .replay import Replay, ReplayError, Start, from_genesis, from_snapshot
from .seal import GENESIS, After, Tip
from .snapshot import UnreadableSnapshot
from .verify import HEADER_CHECKS, LogEnd, Placed, check_tiles, first_divergence

_VERIFY = "run `profitpool verify`"


class LogError(ProfitpoolError):
    """The log cannot be extended: its stored state does not verify."""


class Restored(NamedTuple):
    """What a writer goes on from."""

    ledger: Ledger
    """The ledger after the last block."""
    tip: Tip
    """The log after the last block: its height, hash, tree and holdings."""
    snapshot_size: int
    """The tree size of the snapshot the ledger was rebuilt from (0: from genesis)."""


def restore(store: LogStore, meta: Mapping[str, str], verifier: Verifier,
            origin: str, *, full: bool = True) -> Restored:
    """Rebuild and check the ledger and the tip of the log in ``store``.

    ``full`` False skips steps 2 and 3 of the module docstring for the entries
    before the snapshot (a reopen in the process that checked them).

    Raises:
        LogError: the stored log does not verify (run ``profitpool verify``).
        SnapshotError: the newest snapshot is not signed by the log's key.
        GenesisError: the log's recorded start cannot be read.
    """
    headers = check_headers(store, verifier, origin)
    start = from_genesis(meta)
    if not headers:
        _check_nothing_beyond(store, None)
        return Restored(start.ledger, Tip(), 0)
    last = headers[-1]
    start = _snapshot_start(store, verifier, headers, start)
    if full:
        tree, leaves = TileWriter(), _BlockRoots(headers)
        entries = _hashed_prefix(store, start.tree_size, last.tree_size, tree, leaves)
    else:
        tree, leaves = _stored_tree(store, start.tree_size), None
        entries = store.iter_entries(start.tree_size, last.tree_size)
    ledger = start.ledger
    holdings = Holdings.of(ledger)
    if start.tree_size and start.tree_size < last.tree_size:
        snapshot_header = headers[_height_at(headers, start.tree_size) - 1]
        if state_digest(ledger, holdings) != snapshot_header.state_digest:
            raise LogError(f"the snapshot at block {snapshot_header.height} does not hold the "
                           "state that block's signed state digest names: " + _VERIFY)
    touched: set[str] = set()
    try:
        for step in Replay(start, entries):
            tree.append(leaf_hash(step.data))
            touched |= touched_members(step.effects)
            if leaves is not None:
                leaves.reached(tree)
    except ReplayError as error:
        if error.missing:
            raise LogError(f"entry {error.index} is missing: {_VERIFY}") from None
        raise LogError(f"entry {error.index} cannot be replayed ({error.reason}): "
                       f"{_VERIFY}") from None
    if tree.size != last.tree_size or tree.root() != last.root:
        raise LogError(
            f"the stored entries and tiles do not give block {last.height}'s root: {_VERIFY}")
    _check_nothing_beyond(store, last)
    if leaves is not None:
        leaves.check_tiles(store, tree, verifier, origin)
    else:
        tree.take_dirty()  # stored already
    holdings.update(ledger, touched)
    if state_digest(ledger, holdings) != last.state_digest:
        raise LogError(
            f"the ledger rebuilt from the log does not match block {last.height}'s "
            f"state digest: {_VERIFY}"
        )
    return Restored(ledger, Tip(last.height, last.hash(), tree, holdings), start.tree_size)


def check_headers(store: LogStore, verifier: Verifier, origin: str) -> list[BlockHeader]:
    """Check every block header's linkage, signature and checkpoint; every header, in order.

    Cheap (two signature checks per block of up to a writer's ``block_size``
    entries), so a writer never extends a log whose headers were edited anywhere.

    Raises:
        LogError: naming the first header that does not verify.
    """
    after: After = GENESIS
    headers: list[BlockHeader] = []
    for block in store.iter_blocks():
        found = first_divergence(HEADER_CHECKS, Placed(block, after, verifier, origin))
        if found is not None:
            raise LogError(f"block {after.height + 1}: {found.field} {found.message}: "
                           + _VERIFY)
        header = block.header
        after = After(header.height, header.hash(), header.tree_size)
        headers.append(header)
    return headers


def _snapshot_start(store: LogStore, verifier: Verifier, headers: list[BlockHeader],
                    genesis: Start) -> Start:
    """The newest signed snapshot within the log as a start, else genesis.

    Raises:
        LogError: the snapshot names a place that is no block's end.
        SnapshotError: it is not signed with the log's key.
    """
    stored = store.latest_snapshot()
    if stored is None or stored.tree_size > headers[-1].tree_size:
        return genesis
    try:
        start = from_snapshot(stored, verifier)  # its signature covers its height and size
    except UnreadableSnapshot:
        return genesis  # written by another version: replay from genesis instead
    height = stored.height
    if not 0 < height <= len(headers) or headers[height - 1].tree_size != stored.tree_size:
        raise LogError(f"the snapshot at block {height} names {stored.tree_size:,} entries, "
                       "which ends no block of this log: " + _VERIFY)
    return start


def _height_at(headers: list[BlockHeader], tree_size: int) -> int:
    """The height of the block that ends at ``tree_size`` (a snapshot's)."""
    return next(header.height for header in headers if header.tree_size == tree_size)


class _BlockRoots:
    """Each block's signed root, checked as the tree built afresh reaches its end; the
    SHA-256 of every tile the tree made, for :func:`~.verify.check_tiles`."""

    def __init__(self, headers: list[BlockHeader]) -> None:
        self._ends: Iterator[BlockHeader] = iter(headers)
        self._next: BlockHeader | None = next(self._ends, None)
        self.tile_hashes: dict[tuple[int, int], bytes] = {}

    def reached(self, tree: TileWriter) -> None:
        """Call after each leaf: at a block's end, compare the root with the signed one."""
        header = self._next
        if header is None or tree.size != header.tree_size:
            return
        if tree.root() != header.root:
            raise LogError(
                f"the stored entries do not give block {header.height}'s signed root: an "
                f"entry of the first {header.tree_size:,} was changed, moved or deleted: "
                + _VERIFY)
        for key, tile in tree.take_dirty().items():
            self.tile_hashes[key] = hashlib.sha256(tile).digest()
        self._next = next(self._ends, None)

    def check_tiles(self, store: LogStore, tree: TileWriter, verifier: Verifier,
                    origin: str) -> None:
        """Every stored tile is the one the entries give, and none is missing.

        Raises:
            LogError: naming the first tile that differs.
        """
        end = LogEnd(store, None, self.tile_hashes, {}, tree.size, verifier, origin, ())
        found = first_divergence((check_tiles,), end)
        if found is not None:
            raise LogError(f"{found.field} {found.message}: {_VERIFY}")


def _hashed_prefix(store: LogStore, start: int, stop: int, tree: TileWriter,
                   roots: _BlockRoots) -> Iterator[tuple[int, bytes]]:
    """The stored entries from ``start`` to ``stop``, after hashing every entry before
    ``start`` into ``tree`` (each block's root checked on the way).

    Raises:
        LogError: an entry before ``start`` is missing, or a block's root differs.
    """
    entries = store.iter_entries(0, stop)
    if start == 0:
        return entries
    for index, data in entries:
        if index != tree.size:
            raise LogError(f"entry {tree.size} is missing: {_VERIFY}")
        tree.append(leaf_hash(data))
        roots.reached(tree)
        if tree.size == start:
            break
    if tree.size != start:
        raise LogError(f"entry {tree.size} is missing: {_VERIFY}")
    return entries


def _stored_tree(store: LogStore, size: int) -> TileWriter:
    """The tree of the first ``size`` entries, continued from the stored tiles.

    Raises:
        LogError: a tile it needs is missing or too short.
    """
    try:
        return TileWriter.restore(size, lambda level, index: _stored_tile(store, level, index))
    except ValueError as error:
        raise LogError(f"{error}: {_VERIFY}") from None


def _check_nothing_beyond(store: LogStore, header: BlockHeader | None) -> None:
    """No entry and no leaf hash lies beyond the last block (a block cut away)."""
    size = 0 if header is None else header.tree_size
    where = ("before the first block" if header is None
             else f"beyond block {header.height} (which ends at {size})")
    if store.entry_end() > size:
        raise LogError(f"entries are stored {where}: {_VERIFY}")
    tile_index, width = divmod(size, TILE_WIDTH)
    expected = {tile_index: width} if width else {}
    if store.tile_widths(0, tile_index) != expected:
        raise LogError(f"leaf hashes are stored {where}: {_VERIFY}")


def _stored_tile(store: LogStore, level: int, index: int) -> bytes:
    tile = store.tile(level, index)
    if tile is None:
        raise LogError(f"tile {level}/{index} is missing: {_VERIFY}")
    return tile
