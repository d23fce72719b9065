"""Restarting a writer: the ledger and the log's tip rebuilt from the log, and checked.

Opening a log for writing rebuilds the ledger and checks it before anything
is appended (a writer never extends a log it cannot verify):

1. every block header: heights, ``prev_hash`` links, index ranges, signature
   and checkpoint (verify.py's :data:`~profitpool.log.verify.HEADER_CHECKS`);
2. the newest signed snapshot (verified before it is unpickled), then the
   entries after it, replayed with the engine (replay.py, without re-encoding
   them); the stored entries are hashed again as they are replayed and, with
   the stored tiles for the part before the snapshot, must give the last
   block's root, so that root covers every byte the ledger was rebuilt from;
3. no entry and no leaf hash is stored beyond the last block;
4. the rebuilt ledger's state digest equals the last block's.

Each failure is a :class:`LogError`, one line ending in "run `profitpool verify`".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from ..chain.block import BlockHeader
from ..chain.digest import Holdings, state_digest
from ..chain.merkle import leaf_hash
from ..chain.note import Verifier
from ..chain.tiles import TILE_WIDTH, TileWriter
from ..engine import Ledger
from ..errors import ProfitpoolError
from ..store.repository import LogStore, StoredBlock
from .replay import Replay, ReplayError, from_genesis, from_snapshot
from .seal import GENESIS, After, Tip
from .snapshot import UnreadableSnapshot
from .verify import HEADER_CHECKS, Placed, first_divergence


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
            origin: str) -> Restored:
    """Rebuild and check the ledger and the tip of the log in ``store``.

    Raises:
        LogError: the stored log does not verify (run ``profitpool verify``).
        SnapshotError: the newest snapshot is not signed by the log's key.
        GenesisError: the log's recorded start cannot be read.
    """
    last = check_headers(store, verifier, origin)
    start = from_genesis(meta)
    if last is None:
        return Restored(start.ledger, Tip(), 0)
    header = last.header
    stored = store.latest_snapshot()
    if stored is not None and stored.tree_size <= header.tree_size:
        try:
            start = from_snapshot(stored, verifier)
        except UnreadableSnapshot:
            pass  # written by another version: replay from genesis instead
    try:
        tree = TileWriter.restore(start.tree_size,
                                  lambda level, index: _stored_tile(store, level, index))
    except ValueError as error:
        raise LogError(f"{error}: run `profitpool verify`") from None
    leaves: list[bytes] = []
    try:
        for step in Replay(start, store.iter_entries(start.tree_size, header.tree_size)):
            leaves.append(leaf_hash(step.data))
    except ReplayError as error:
        if error.missing:
            raise LogError(f"entry {error.index} is missing: run `profitpool verify`") from None
        raise LogError(f"entry {error.index} cannot be replayed ({error.reason}): "
                       "run `profitpool verify`") from None
    tree.extend(leaves)
    tree.take_dirty()  # stored already
    if tree.size != header.tree_size or tree.root() != header.root:
        raise LogError(
            f"the stored entries and tiles do not give block {header.height}'s root: "
            "run `profitpool verify`"
        )
    _check_nothing_beyond(store, header)
    ledger = start.ledger
    holdings = Holdings.of(ledger)
    if state_digest(ledger, holdings) != header.state_digest:
        raise LogError(
            f"the ledger rebuilt from the log does not match block {header.height}'s "
            "state digest: run `profitpool verify`"
        )
    return Restored(ledger, Tip(header.height, header.hash(), tree, holdings), start.tree_size)


def check_headers(store: LogStore, verifier: Verifier, origin: str) -> StoredBlock | None:
    """Check every block header's linkage, signature and checkpoint; the last block.

    Cheap (two signature checks per block of up to a writer's ``block_size``
    entries), so a writer never extends a log whose headers were edited anywhere.

    Raises:
        LogError: naming the first header that does not verify.
    """
    after: After = GENESIS
    last = None
    for block in store.iter_blocks():
        found = first_divergence(HEADER_CHECKS, Placed(block, after, verifier, origin))
        if found is not None:
            raise LogError(f"block {after.height + 1}: {found.field} {found.message}: "
                           "run `profitpool verify`")
        header = block.header
        after, last = After(header.height, header.hash(), header.tree_size), block
    return last


def _check_nothing_beyond(store: LogStore, header: BlockHeader) -> None:
    """No entry and no leaf hash lies beyond the last block (a block cut away)."""
    size = header.tree_size
    if store.entry_end() > size:
        raise LogError(f"entries are stored beyond block {header.height} "
                       f"(which ends at {size}): run `profitpool verify`")
    tile_index, width = divmod(size, TILE_WIDTH)
    expected = {tile_index: width} if width else {}
    if store.tile_widths(0, tile_index) != expected:
        raise LogError(f"leaf hashes are stored beyond block {header.height} "
                       f"(which ends at {size}): run `profitpool verify`")


def _stored_tile(store: LogStore, level: int, index: int) -> bytes:
    tile = store.tile(level, index)
    if tile is None:
        raise LogError(f"tile {level}/{index} is missing: run `profitpool verify`")
    return tile
