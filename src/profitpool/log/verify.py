"""``profitpool verify``: replay the whole log with the one engine and check every byte.

For each block, in height order, and each of its entries, in index order:

* the entry decodes, its command parses, and executing it on the ledger
  replayed so far is accepted (not rejected, not a no-op retry);
* the entry's bytes equal the canonical encoding of that command and the
  effects the engine computed now (so every amount, every payout and every
  lot split is recomputed, not trusted);
* the block's index range follows the previous block, its ``prev_hash`` is the
  previous header's hash, its time is its last entry's, its tree size and
  Merkle root are recomputed from the entries, its state digest from the
  replayed ledger;
* the header signature and the C2SP checkpoint verify with the log's key;

and at the end: no entry lies beyond the last block, and every stored tile
equals the recomputed one.

How: the entries are replayed by :class:`~profitpool.log.replay.Replay` and
each block is sealed again by :func:`~profitpool.log.seal.seal`, the code the
writer sealed it with; every field of the stored header is compared with the
sealed one. Each check is one function in a registry (:data:`LINK_CHECKS`,
:data:`BLOCK_CHECKS`, :data:`LOG_CHECKS`) that returns the divergences it sees,
as data (beancount's validation passes); the runner, :func:`verify_log`, stops
at the first one, a :class:`Divergence` (block, entry, field, what differs):
later ones would only be consequences of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeVar

import orjson

from ..chain.block import BlockHeader
from ..chain.canonical import entry_bytes
from ..chain.note import NoteError, Verifier, open_checkpoint
from ..engine import Command, Effect, Ledger
from ..gcpause import paused_gc
from ..store.repository import LogStore, StoredBlock
from ..times import format_time
from .genesis import GenesisError
from .keys import verify_block
from .replay import Replay, ReplayError, Start, apply_command, from_genesis, read_command
from .seal import After, PendingBlock, SealedBlock, Tip, seal


class Divergence(NamedTuple):
    """Where the stored log and its replay disagree."""

    block: int | None
    entry: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = []
        if self.block is not None:
            where.append(f"block {self.block}")
        if self.entry is not None:
            where.append(f"entry {self.entry}")
        return f"{', '.join(where) or 'log'}: {self.field}: {self.message}"


@dataclass
class Report:
    """The outcome of a verification."""

    blocks: int = 0
    entries: int = 0
    root: bytes = b""
    state_digest: bytes = b""
    divergence: Divergence | None = None
    key: str = ""
    origin: str = ""
    notes: list[str] = field(default_factory=list)
    segment_cpu: list[float] = field(default_factory=list)
    """With ``--jobs``/``--cluster``: the CPU seconds of each segment's process, in log
    order (what the benchmark reports; empty in one process)."""

    @property
    def ok(self) -> bool:
        return self.divergence is None


# What the checks look at -----------------------------------------------------------


class Placed(NamedTuple):
    """A stored block in its place in the log, and the key it must be signed with."""

    block: StoredBlock
    """The block as stored."""
    after: After
    """The log as the blocks before it left it."""
    verifier: Verifier
    """The key the log is verified with."""
    origin: str
    """The log's origin (the first line of its checkpoints)."""


class BlockReplay(NamedTuple):
    """A block's entries replayed, and the block sealed again from them."""

    placed: Placed
    """The stored block, in its place."""
    differs: tuple[int, bytes, bytes] | None
    """The first entry whose stored bytes are not what the engine gives now: (index,
    stored, replayed); the replay stopped after it (then ``sealed`` is None)."""
    stopped: ReplayError | None
    """The entry of the block that did not replay (then ``sealed`` is None)."""
    sealed: SealedBlock | None
    """The block as its replayed entries seal it."""


class LogEnd(NamedTuple):
    """The log after its last block, and what its blocks gave."""

    store: LogStore
    """The log's tables (for the stored tiles)."""
    next_stored: int | None
    """The index of the first stored entry after the last block (None: there is none)."""
    tile_hashes: dict[tuple[int, int], bytes]
    """SHA-256 of each tile as the entries give it, {(level, index): digest}."""
    roots: dict[int, bytes]
    """The Merkle root at the end of each block, {tree size: root}."""
    entries: int
    """The entries in the log's blocks."""
    verifier: Verifier
    """The key the log is verified with."""
    origin: str
    """The log's origin."""
    checkpoints: Sequence[str]
    """Signed checkpoint notes seen earlier, which the log must still contain."""


Subject = TypeVar("Subject")
Check = Callable[[Subject], Iterable[Divergence]]
"""One check: the divergences it sees in its subject, in the order they occur."""


def first_divergence(checks: Iterable[Check[Subject]], subject: Subject) -> Divergence | None:
    """The first divergence the checks see, in their order (None: all pass)."""
    for check in checks:
        for divergence in check(subject):
            return divergence
    return None


# Checks of a block header in its place ---------------------------------------------


def check_follows(placed: Placed) -> Iterator[Divergence]:
    """The header follows the blocks before it: height, prev_hash, index range."""
    header, (height, prev_hash, size) = placed.block.header, placed.after
    problem = _linkage(header, height + 1, prev_hash, size)
    if problem is not None:
        yield Divergence(header.height, None, *problem)


def _linkage(header: BlockHeader, height: int, prev_hash: bytes,
             size: int) -> tuple[str, str] | None:
    if header.height != height:
        return "height", f"expected block {height}, found block {header.height}"
    if header.prev_hash != prev_hash:
        return "prev_hash", "does not match the previous block's header hash"
    if header.first_index != size:
        return "first_index", f"is {header.first_index}, the log so far has {size} entries"
    if header.count < 1:
        return "count", "a block holds at least one entry"
    if header.tree_size != header.first_index + header.count:
        total = header.first_index + header.count
        return "tree_size", f"is {header.tree_size}, first_index + count is {total}"
    return None


def check_signed(placed: Placed) -> Iterator[Divergence]:
    """The header's signature and its checkpoint verify with the log's key."""
    block = placed.block
    header = block.header
    if not verify_block(placed.verifier, header.canonical(), block.signature):
        yield Divergence(header.height, None, "signature", "does not verify with the log's key")
        return
    try:
        checkpoint = open_checkpoint(block.checkpoint, placed.verifier, origin=placed.origin)
    except NoteError as error:
        yield Divergence(header.height, None, "checkpoint", f"does not verify: {error}")
        return
    if (checkpoint.size, checkpoint.root) != (header.tree_size, header.root):
        yield Divergence(header.height, None, "checkpoint",
                         "names another tree size or root than the header")


LINK_CHECKS: Final[tuple[Check[Placed], ...]] = (check_follows,)
"""What is checked before a block's entries are read: the header says which they are."""
HEADER_CHECKS: Final[tuple[Check[Placed], ...]] = (*LINK_CHECKS, check_signed)
"""What a header alone shows; a restart checks every header so before it replays."""


# Checks of a replayed block --------------------------------------------------------


def check_entry_bytes(block: BlockReplay) -> Iterator[Divergence]:
    """Each stored entry is the canonical encoding of its command and the effects now."""
    if block.differs is not None:
        index, stored, replayed = block.differs
        yield Divergence(block.placed.block.header.height, index,
                         *entry_difference(stored, replayed))


def check_replay(block: BlockReplay) -> Iterator[Divergence]:
    """Every entry of the block is stored and replays (accepted, not a retry)."""
    stopped = block.stopped
    if stopped is not None:
        yield Divergence(block.placed.block.header.height, stopped.index, stopped.field,
                         stopped.message)


def check_header(block: BlockReplay) -> Iterator[Divergence]:
    """Every field of the stored header is the one sealing the entries again gives."""
    if block.sealed is None:
        return
    stored, sealed = block.placed.block.header, block.sealed.header
    for name, describe in HEADER_FIELDS:
        if getattr(stored, name) != getattr(sealed, name):
            yield Divergence(stored.height, None, name, describe(stored, sealed))


HEADER_FIELDS: Final[tuple[tuple[str, Callable[[BlockHeader, BlockHeader], str]], ...]] = (
    ("height", lambda stored, sealed: f"expected block {sealed.height}, "
     f"found block {stored.height}"),
    ("prev_hash", lambda stored, sealed: "does not match the previous block's header hash"),
    ("first_index", lambda stored, sealed: f"is {stored.first_index}, the log so far has "
     f"{sealed.first_index} entries"),
    ("count", lambda stored, sealed: f"is {stored.count}, the block's entries are "
     f"{sealed.count}"),
    ("tree_size", lambda stored, sealed: f"is {stored.tree_size}, the entries make "
     f"{sealed.tree_size}"),
    ("root", lambda stored, sealed: f"is {stored.root.hex()}, the entries give "
     f"{sealed.root.hex()}"),
    ("time", lambda stored, sealed: f"is {format_time(stored.time)}, its last entry is at "
     f"{format_time(sealed.time)}"),
    ("state_digest", lambda stored, sealed: "does not match the replayed ledger"),
)
"""Each field of a block header, in the order they are compared, and what a difference says.
(The first four cannot differ once :func:`check_follows` passed; they are compared anyway.)"""


def check_block_signed(block: BlockReplay) -> Iterator[Divergence]:
    """The replayed block's signature and checkpoint verify (:func:`check_signed`)."""
    return check_signed(block.placed)


BLOCK_CHECKS: Final[tuple[Check[BlockReplay], ...]] = (
    check_entry_bytes, check_replay, check_header, check_block_signed)
"""What a block's replay shows, checked once :data:`LINK_CHECKS` let it be replayed."""


# Checks of the whole log -----------------------------------------------------------


def check_nothing_outside_blocks(end: LogEnd) -> Iterator[Divergence]:
    """No entry is stored beyond the last block."""
    if end.next_stored is not None:
        yield Divergence(None, end.next_stored, "entries", "entry outside any block")


def check_tiles(end: LogEnd) -> Iterator[Divergence]:
    """Every stored tile is the tile the entries give, and none is missing."""
    expected = end.tile_hashes
    seen = set()
    for level, index, data in end.store.iter_tiles():
        key = (level, index)
        if expected.get(key) != hashlib.sha256(data).digest():
            yield Divergence(None, None, f"tile {level}/{index}",
                             "differs from the tile the entries give")
        seen.add(key)
    for level, index in sorted(set(expected) - seen):
        yield Divergence(None, None, f"tile {level}/{index}", "missing")


def check_checkpoints(end: LogEnd) -> Iterator[Divergence]:
    """Each checkpoint seen earlier verifies and names a root the log still has."""
    for number, note in enumerate(end.checkpoints, 1):
        where = f"checkpoint {number}"
        try:
            checkpoint = open_checkpoint(note, end.verifier, origin=end.origin)
        except NoteError as error:
            yield Divergence(None, None, where, f"does not verify: {error}")
            continue
        if checkpoint.size > end.entries:
            yield Divergence(None, None, where, (
                f"is signed for {checkpoint.size:,} entries but the log holds only "
                f"{end.entries:,}: the log was cut back"))
            continue
        if checkpoint.size == 0:
            continue
        root = end.roots.get(checkpoint.size)
        if root is None:
            yield Divergence(None, None, where, (
                f"names tree size {checkpoint.size:,}, which ends no block of this log"))
        elif root != checkpoint.root:
            yield Divergence(None, None, where, (
                f"the log's root at {checkpoint.size:,} entries is not the signed one: "
                "the history before it was rewritten"))


LOG_CHECKS: Final[tuple[Check[LogEnd], ...]] = (
    check_nothing_outside_blocks, check_tiles, check_checkpoints)
"""What the log shows once every block verified."""


# The runner ------------------------------------------------------------------------


def verify_log(
    store: LogStore, trusted: Verifier | None = None, checkpoints: Sequence[str] = ()
) -> Report:
    """Replay and check the whole log; stop at the first divergence.

    ``trusted`` is the log's published key (default: the one stored in the
    database). ``checkpoints`` are signed checkpoint notes seen earlier (by a
    member, a witness, an anchor): the log must still contain each of them,
    which catches a log cut back to an earlier block or rewritten since.
    """
    report = Report()
    with paused_gc():
        report.divergence = _run(store, trusted, checkpoints, report)
    return report


def _run(store: LogStore, trusted: Verifier | None, checkpoints: Sequence[str],
         report: Report) -> Divergence | None:
    opened = open_log(store, trusted, report)
    if isinstance(opened, Divergence):
        return opened
    verifier, start = opened
    replay = Replay(start, store.iter_entries())
    run = BlockRun()
    found = run.blocks(store.iter_blocks(), replay, Tip(), verifier, report.origin)
    if found is not None:
        return found
    run.into(report)
    end = LogEnd(store, replay.next_stored(), run.tile_hashes, run.roots, report.entries,
                 verifier, report.origin, checkpoints)
    return first_divergence(LOG_CHECKS, end)


@dataclass
class BlockRun:
    """Blocks replayed in order from some start, and what they gave: the part of
    :func:`verify_log` that a segment of ``verify --jobs`` runs too (segments.py). Plain
    data: it travels back from the process that ran the segment."""

    blocks_seen: int = 0
    entries: int = 0
    root: bytes = b""
    state_digest: bytes = b""
    tile_hashes: dict[tuple[int, int], bytes] = field(default_factory=dict)
    roots: dict[int, bytes] = field(default_factory=dict)

    def blocks(self, blocks: Iterable[StoredBlock], replay: Replay, tip: Tip,
               verifier: Verifier, origin: str) -> Divergence | None:
        """Check each block in turn, replayed onto ``tip``; the first divergence."""
        for block in blocks:
            placed = Placed(block, tip.after(), verifier, origin)
            found = first_divergence(LINK_CHECKS, placed)
            if found is not None:
                return found
            replayed = _replay_block(replay, tip, placed)
            found = first_divergence(BLOCK_CHECKS, replayed)
            if found is not None:
                return found
            assert replayed.sealed is not None  # check_replay passed
            for key, tile in replayed.sealed.tiles.items():
                self.tile_hashes[key] = hashlib.sha256(tile).digest()
            header = block.header
            self.blocks_seen += 1
            self.entries = header.tree_size
            self.root = header.root
            self.state_digest = header.state_digest
            self.roots[header.tree_size] = header.root
        return None

    def into(self, report: Report) -> None:
        """Count these blocks in ``report``, the newest one's figures as the log's."""
        report.blocks += self.blocks_seen
        if self.blocks_seen:
            report.entries, report.root = self.entries, self.root
            report.state_digest = self.state_digest


def open_log(store: LogStore, trusted: Verifier | None,
             report: Report) -> tuple[Verifier, Start] | Divergence:
    """The key to verify with and the log's genesis, from its meta table."""
    meta = store.meta()
    try:
        stored_key = Verifier.parse(meta["verifier_key"])
        origin = meta["origin"]
    except (KeyError, NoteError) as error:
        return Divergence(None, None, "meta", f"no valid public key: {error}")
    verifier = stored_key
    if trusted is not None:
        if trusted.key_string() != stored_key.key_string():
            report.notes.append(
                f"the database names the key {stored_key.key_string()}, not the trusted one"
            )
        verifier = trusted
    report.key = verifier.key_string()
    report.origin = origin
    try:
        return verifier, from_genesis(meta)
    except GenesisError as error:
        return Divergence(None, None, "meta", str(error))


def _replay_block(replay: Replay, tip: Tip, placed: Placed) -> BlockReplay:
    """Replay the block's entries, each encoded again and compared with its stored bytes
    at once, and seal them onto ``tip``; stop at the first entry that differs or fails.

    (Comparing each entry as it is replayed, rather than keeping the block's
    stored entries for a check afterwards, was measured about 5% faster.)
    """
    block = PendingBlock(keep_entries=False)
    add = block.add
    try:
        for index, data, command, effects in replay.take(placed.block.header.count):
            again = add(command, effects)
            if again != data:
                return BlockReplay(placed, (index, data, again), None, None)
    except ReplayError as stopped:
        return BlockReplay(placed, None, stopped, None)
    return BlockReplay(placed, None, None, seal(tip, replay.ledger, block))


# One entry -------------------------------------------------------------------------


class EntryMismatch(Exception):
    """A stored entry is not what replaying its command gives."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_entry(ledger: Ledger, data: bytes) -> tuple[Command, list[Effect]]:
    """Replay one stored entry on ``ledger`` and check its bytes are what the engine gives.

    Raises:
        EntryMismatch: with the path of the first field that differs.
    """
    try:
        command = read_command(0, data)
        effects = apply_command(ledger, 0, command)
    except ReplayError as error:
        raise EntryMismatch(error.field, error.message) from None
    again = entry_bytes(command, effects)
    if again != data:
        raise EntryMismatch(*entry_difference(data, again))
    return command, effects


def entry_difference(stored: bytes, replayed: bytes) -> tuple[str, str]:
    """(field path, what differs) for the first place a stored entry and its replay differ."""
    try:
        stored_json = orjson.loads(stored)
    except ValueError as error:
        return "bytes", f"not JSON: {error}"
    return _first_difference(stored_json, orjson.loads(replayed))


def _first_difference(stored: Any, replayed: Any, path: str = "") -> tuple[str, str]:
    """(field path, what differs) for the first place two JSON values differ."""
    if isinstance(stored, dict) and isinstance(replayed, dict):
        for key in sorted(set(stored) | set(replayed)):
            if stored.get(key, ...) != replayed.get(key, ...):
                return _first_difference(stored.get(key), replayed.get(key), f"{path}.{key}")
    elif isinstance(stored, list) and isinstance(replayed, list):
        for position, (left, right) in enumerate(zip(stored, replayed, strict=False)):
            if left != right:
                return _first_difference(left, right, f"{path}[{position}]")
        if len(stored) != len(replayed):
            return path.lstrip("."), f"stored {len(stored)} items, replay gives {len(replayed)}"
    elif stored == replayed:
        return path.lstrip(".") or "bytes", "not in canonical form"
    return path.lstrip("."), f"stored {_short(stored)}, replay gives {_short(replayed)}"


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 80 else text[:77] + "..."
