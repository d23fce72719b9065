"""Sealing: a block's entries, and the log they extend, made into the block's header.

:func:`seal` is the one place that turns the entries of a block (each command
the engine accepted, with its effects) into what the log commits to:

1. each entry's canonical bytes (chain/canonical.py; :class:`PendingBlock`
   encodes each entry as it is added) and its leaf hash;
2. the Merkle tree extended with those leaves, and its new root;
3. the holdings of the members the effects touched, re-hashed, and the state
   digest of the ledger after the block (chain/digest.py);
4. the unsigned :class:`~profitpool.chain.block.BlockHeader` binding them to
   the previous block.

The writer adds each entry it applies to a :class:`PendingBlock`, seals it,
then signs the header and stores the block; ``verify`` adds each entry it
replays to one, compares the bytes with the stored entries, seals it and
compares every field of the stored header with the sealed one. The code that
builds a block is the code that checks it, as execution-specs'
``state_transition`` recomputes every root with the code that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..chain.block import GENESIS_HASH, BlockHeader
from ..chain.canonical import entry_bytes
from ..chain.digest import Holdings, state_digest, touched_members
from ..chain.merkle import leaf_hash
from ..chain.tiles import TileWriter
from ..engine import Command, Effect, Ledger

Entry = tuple[Command, list[Effect]]
"""One accepted command and the effects the engine computed for it."""


class After(NamedTuple):
    """Where the next block must start: the log as its last block left it."""

    height: int
    """The last block's height (0 before the first block)."""
    prev_hash: bytes
    """The last block's header hash (32 zero bytes before the first block)."""
    tree_size: int
    """The entries in the log: the next block's first index."""


GENESIS: After = After(0, GENESIS_HASH, 0)
"""Where a log's first block starts."""


@dataclass(slots=True)
class Tip:
    """The running state the next block is sealed onto: the log after its last block."""

    height: int = 0
    """The last block's height (0 before the first block)."""
    prev_hash: bytes = GENESIS_HASH
    """The last block's header hash."""
    tree: TileWriter = field(default_factory=TileWriter)
    """The Merkle tree of every entry so far, as C2SP tiles."""
    holdings: Holdings = field(default_factory=Holdings)
    """The AdHash of every member's holding after the last block."""

    def after(self) -> After:
        """Where the next block must start."""
        return After(self.height, self.prev_hash, self.tree.size)


class PendingBlock:
    """The entries of the block being built, each encoded as it is added.

    Encoding an entry, and noting the members it touched, right after the
    engine computed it, while its objects are fresh in the CPU's caches, was
    measured cheaper than doing so for the whole block when it is sealed. A
    verifier keeps no entry objects (``keep_entries`` False), so that their
    memory is reused at once: keeping a block's worth made ``verify`` about
    5% slower, measured.
    """

    __slots__ = ("entries", "data", "touched", "time")

    def __init__(self, *, keep_entries: bool = True) -> None:
        self.entries: list[Entry] | None = [] if keep_entries else None
        """Each accepted command with its effects, in index order (None: not kept)."""
        self.data: list[bytes] = []
        """The canonical bytes of each entry (chain/canonical.py), in index order."""
        self.touched: set[str] = set()
        """The members whose holdings the entries' effects may have changed."""
        self.time = 0
        """The ``at`` of the last entry (epoch microseconds)."""

    def add(self, command: Command, effects: list[Effect]) -> bytes:
        """Add the next entry: ``command``, already applied, and the effects it had;
        the entry's canonical bytes."""
        data = entry_bytes(command, effects)
        self.data.append(data)
        self.touched |= touched_members(effects)
        self.time = command.at
        if self.entries is not None:
            self.entries.append((command, effects))
        return data

    def clear(self) -> None:
        """Start the next block (the lists handed out so far are left as they are)."""
        if self.entries is not None:
            self.entries = []
        self.data = []
        self.touched = set()
        self.time = 0

    def __len__(self) -> int:
        return len(self.data)


class SealedBlock(NamedTuple):
    """A block as the entries and the log before it make it; not yet signed."""

    header: BlockHeader
    """The header, every field of which the entries and the tip determine."""
    entries: list[bytes]
    """The canonical bytes of each entry, in index order (what is stored)."""
    leaf_hashes: list[bytes]
    """The RFC 9162 leaf hash of each entry, in index order."""
    tiles: dict[tuple[int, int], bytes]
    """The tiles the block changed, {(level, index): hashes} (what is stored)."""


def seal(tip: Tip, ledger: Ledger, block: PendingBlock) -> SealedBlock:
    """Seal the entries of ``block``, already applied to ``ledger``, onto ``tip``.

    ``tip`` is advanced to the new block (its tree extended, its holdings
    re-hashed, its height and hash the new header's): a caller that then fails
    to store the block must not seal onto it again (the writer stops).

    Raises:
        ValueError: no entries (a block holds at least one).
    """
    data = block.data
    if not data:
        raise ValueError("a block holds at least one entry")
    leaves = [leaf_hash(item) for item in data]
    tree = tip.tree
    first_index = tree.size
    tree.extend(leaves)
    tip.holdings.update(ledger, block.touched)
    header = BlockHeader(
        height=tip.height + 1, prev_hash=tip.prev_hash, time=block.time,
        first_index=first_index, count=len(data), tree_size=tree.size, root=tree.root(),
        state_digest=state_digest(ledger, tip.holdings),
    )
    tip.height = header.height
    tip.prev_hash = header.hash()
    return SealedBlock(header, data, leaves, tree.take_dirty())
