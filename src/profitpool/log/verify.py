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
equals the recomputed one. The first mismatch is reported as a
:class:`Divergence` (block, entry, field, what differs); later ones would
only be consequences of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from ..chain.block import GENESIS_HASH, BlockHeader
from ..chain.canonical import entry_bytes
from ..chain.digest import Holdings, state_digest, touched_members
from ..chain.merkle import leaf_hash
from ..chain.note import NoteError, Verifier, open_checkpoint
from ..chain.tiles import TileWriter
from ..engine import Command, Effect, Ledger
from ..gcpause import paused_gc
from ..store.repository import LogStore, StoredBlock
from ..times import format_time
from .genesis import GenesisError, genesis_ledger
from .keys import verify_block
from .replay import ReplayError, apply_command, read_command


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

    @property
    def ok(self) -> bool:
        return self.divergence is None


class _Diverged(Exception):
    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence


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
    try:
        with paused_gc():
            roots = _verify(store, trusted, report)
        _check_checkpoints(checkpoints, roots, report)
    except _Diverged as stop:
        report.divergence = stop.divergence
    return report


def _check_checkpoints(notes: Sequence[str], roots: dict[int, bytes], report: Report) -> None:
    verifier = Verifier.parse(report.key)
    for number, note in enumerate(notes, 1):
        where = f"checkpoint {number}"
        try:
            checkpoint = open_checkpoint(note, verifier, origin=report.origin)
        except NoteError as error:
            raise _Diverged(Divergence(None, None, where, f"does not verify: {error}")) from None
        if checkpoint.size > report.entries:
            raise _Diverged(Divergence(None, None, where, (
                f"is signed for {checkpoint.size:,} entries but the log holds only "
                f"{report.entries:,}: the log was cut back"
            )))
        if checkpoint.size == 0:
            continue
        root = roots.get(checkpoint.size)
        if root is None:
            raise _Diverged(Divergence(None, None, where, (
                f"names tree size {checkpoint.size:,}, which ends no block of this log"
            )))
        if root != checkpoint.root:
            raise _Diverged(Divergence(None, None, where, (
                f"the log's root at {checkpoint.size:,} entries is not the signed one: "
                "the history before it was rewritten"
            )))


def _verify(store: LogStore, trusted: Verifier | None, report: Report) -> dict[int, bytes]:
    meta = store.meta()
    try:
        stored_key = Verifier.parse(meta["verifier_key"])
        origin = meta["origin"]
    except (KeyError, NoteError) as error:
        raise _Diverged(Divergence(None, None, "meta", f"no valid public key: {error}")) from None
    verifier = stored_key
    if trusted is not None:
        if trusted.key_string() != stored_key.key_string():
            report.notes.append(
                f"the database names the key {stored_key.key_string()}, not the trusted one"
            )
        verifier = trusted
    report.key = verifier.key_string()
    report.origin = origin
    roots: dict[int, bytes] = {}

    try:
        ledger = genesis_ledger(meta)
    except GenesisError as error:
        raise _Diverged(Divergence(None, None, "meta", str(error))) from None
    holdings = Holdings()
    tree = TileWriter()
    tile_hashes: dict[tuple[int, int], bytes] = {}
    prev_hash = GENESIS_HASH
    entries = store.iter_entries()
    for expected_height, block in enumerate(store.iter_blocks(), 1):
        header = block.header
        _check_linkage(header, expected_height, prev_hash, tree.size)
        touched: set[str] = set()
        last_at = None
        for offset in range(header.count):
            index = header.first_index + offset
            data = _next_entry(entries, index, header.height)
            command, effects = _replay(ledger, index, header.height, data)
            touched |= touched_members(effects)
            tree.append(leaf_hash(data))
            last_at = command.at
        holdings.update(ledger, touched)
        _check_block(block, verifier, origin, tree.root(), tree.size,
                     state_digest(ledger, holdings), last_at)
        for key, tile in tree.take_dirty().items():
            tile_hashes[key] = hashlib.sha256(tile).digest()
        prev_hash = header.hash()
        report.blocks += 1
        report.entries = tree.size
        report.root = header.root
        report.state_digest = header.state_digest
        roots[header.tree_size] = header.root
    for index, _ in entries:
        raise _Diverged(Divergence(None, index, "entries", "entry outside any block"))
    _check_tiles(store, tile_hashes)
    return roots


def linkage_problem(
    header: BlockHeader, height: int, prev_hash: bytes, size: int
) -> tuple[str, str] | None:
    """(field, what is wrong) if ``header`` does not follow the blocks before it."""
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


def signature_problem(
    block: StoredBlock, verifier: Verifier, origin: str
) -> tuple[str, str] | None:
    """(field, what is wrong) if the block's signature or checkpoint does not verify."""
    header = block.header
    if not verify_block(verifier, header.canonical(), block.signature):
        return "signature", "does not verify with the log's key"
    try:
        checkpoint = open_checkpoint(block.checkpoint, verifier, origin=origin)
    except NoteError as error:
        return "checkpoint", f"does not verify: {error}"
    if (checkpoint.size, checkpoint.root) != (header.tree_size, header.root):
        return "checkpoint", "names another tree size or root than the header"
    return None


def _check_linkage(header: BlockHeader, height: int, prev_hash: bytes, size: int) -> None:
    problem = linkage_problem(header, height, prev_hash, size)
    if problem is not None:
        raise _Diverged(Divergence(header.height, None, *problem))


def _next_entry(entries: Iterator[tuple[int, bytes]], index: int, height: int) -> bytes:
    found = next(entries, None)
    if found is None:
        raise _Diverged(Divergence(height, index, "entries", "missing (the log ends early)"))
    stored_index, data = found
    if stored_index != index:
        raise _Diverged(Divergence(
            height, index, "entries", f"missing (the next stored entry is {stored_index})"
        ))
    return data


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
    replayed = entry_bytes(command, effects)
    if replayed != data:
        try:
            stored = orjson.loads(data)
        except ValueError as error:
            raise EntryMismatch("bytes", f"not JSON: {error}") from None
        raise EntryMismatch(*_first_difference(stored, orjson.loads(replayed)))
    return command, effects


def _replay(ledger: Ledger, index: int, height: int, data: bytes) -> tuple[Command, list[Effect]]:
    try:
        return check_entry(ledger, data)
    except EntryMismatch as mismatch:
        raise _Diverged(Divergence(height, index, mismatch.field, mismatch.message)) from None


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


def _check_block(
    block: StoredBlock, verifier: Verifier, origin: str, root: bytes, size: int,
    digest: bytes, last_at: int | None,
) -> None:
    header = block.header

    def diverge(name: str, message: str) -> None:
        raise _Diverged(Divergence(header.height, None, name, message))

    if header.tree_size != size:
        diverge("tree_size", f"is {header.tree_size}, the entries make {size}")
    if header.root != root:
        diverge("root", f"is {header.root.hex()}, the entries give {root.hex()}")
    if last_at is not None and header.time != last_at:
        diverge("time", f"is {format_time(header.time)}, its last entry is at "
                f"{format_time(last_at)}")
    if header.state_digest != digest:
        diverge("state_digest", "does not match the replayed ledger")
    problem = signature_problem(block, verifier, origin)
    if problem is not None:
        diverge(*problem)


def _check_tiles(store: LogStore, expected: dict[tuple[int, int], bytes]) -> None:
    seen = set()
    for level, index, data in store.iter_tiles():
        key = (level, index)
        if expected.get(key) != hashlib.sha256(data).digest():
            raise _Diverged(Divergence(None, None, f"tile {level}/{index}",
                                       "differs from the tile the entries give"))
        seen.add(key)
    for level, index in sorted(set(expected) - seen):
        raise _Diverged(Divergence(None, None, f"tile {level}/{index}", "missing"))
