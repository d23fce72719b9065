"""The log writer: the one engine, its commands sealed into signed blocks in a database.

A :class:`LogWriter` owns one ledger and one database. Each accepted command
becomes an entry (canonical bytes of the command and its effects, see
chain/canonical.py); rejected commands and idempotent retries are not
entries. Every ``block_size`` entries (and on :meth:`LogWriter.commit`) the
pending entries are sealed into a block (seal.py: entry bytes, leaf hashes,
Merkle root, state digest, header), then:

1. the header is signed, and so is a C2SP checkpoint for the new tree size;
2. who each entry concerns (histories), the pool after the block (time
   series) and the rows the ``block_events`` hook gives (the outbox of
   events/, wired by ``profitpool.bootstrap``) are noted;
3. entries, header, changed tiles and those rows are written in one transaction.

Opening a writer rebuilds the ledger and checks it (restart.py) before it will
append anything: a writer never extends a log it cannot verify.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from ..chain.block import BlockHeader
from ..chain.note import Checkpoint, Signer, Verifier, sign_checkpoint
from ..chain.tiles import TileWriter
from ..engine import Applied, Command, Effect, Ledger, execute, parse_command
from ..engine.effects import parties
from ..errors import ProfitpoolError
from ..gcpause import paused_gc
from ..store.database import StoreError, connect, require_schema
from ..store.outbox import OutboxRow
from ..store.repository import BlockExtras, BlockStats, IdempotentAnswer, LogStore, StoredBlock
from . import snapshot
from .keys import OperatorKeyError, load_key, sign_block
from .restart import LogError as LogError
from .restart import restore
from .seal import PendingBlock, seal

DEFAULT_BLOCK_SIZE = 1000
DEFAULT_SNAPSHOT_EVERY = 250_000
CLOSE_SNAPSHOT_AFTER = 10_000

BlockEvents = Callable[[int, Sequence[tuple[Command, Sequence[Effect]]], Ledger, BlockHeader],
                       list[OutboxRow]]
"""A hook giving the outbox rows of a block about to be stored, from its first index, its
(command, effects) entries, the ledger after it and its header (``events.domain.block_events``;
the log does not know what the rows mean, and stores them with the block)."""


class LogWriter:
    """Applies commands to the ledger and commits them to the log in signed blocks."""

    def __init__(
        self, store: LogStore, signer: Signer, *, block_size: int = DEFAULT_BLOCK_SIZE,
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
        on_commit: Callable[[BlockHeader], None] | None = None,
        fork_snapshots: bool | None = None, block_events: BlockEvents | None = None,
    ) -> None:
        meta = store.meta()
        self.meta = meta
        self.store = store
        self.signer = signer
        self.origin = meta["origin"]
        self.verifier = Verifier.parse(meta["verifier_key"])
        if signer.verifier.key_string() != self.verifier.key_string():
            raise OperatorKeyError(
                f"this key ({signer.verifier.key_string()}) does not sign this log "
                f"({self.verifier.key_string()})"
            )
        self.block_size = block_size
        self.snapshot_every = snapshot_every
        self.on_commit = on_commit
        self.fork_snapshots = fork_snapshots
        """Take snapshots in a forked child: None = only while this process has one
        thread; True = also with other threads (the service: the child touches only this
        writer's ledger and opens its own connections)."""
        self.block_events = block_events
        """Gives each block's outbox rows (None: the block has none)."""
        self.pending = PendingBlock()
        """The accepted entries not yet committed, encoded as they came."""
        self.broken: ProfitpoolError | None = None
        self.last_data: list[bytes] = []
        """The entries of the last block stored, as stored (the service answers from them)."""
        self._snapshot_child: int | None = None
        self.snapshot_failures = 0
        """Snapshots a child process failed to store (a restart then replays more)."""
        with paused_gc():
            restored = restore(store, meta, self.verifier, self.origin)
        self.ledger = restored.ledger
        self.tip = restored.tip
        """The log after the last block sealed: what the next block is sealed onto."""
        self.snapshot_size = restored.snapshot_size
        """The tree size of the newest snapshot taken or restarted from."""

    @classmethod
    def open(cls, url: str, key_path: Path, **options: object) -> LogWriter:
        """Open the log at ``url`` for writing with the key at ``key_path``.

        Raises:
            StoreError, OperatorKeyError, LogError: with one sentence each.
        """
        signer = load_key(key_path)
        engine = connect(url)
        try:
            require_schema(engine)
            return cls(LogStore(engine), signer, **options)  # type: ignore[arg-type]
        except BaseException:
            engine.dispose()
            raise

    @property
    def tiles(self) -> TileWriter:
        """The Merkle tree of the committed entries."""
        return self.tip.tree

    @property
    def height(self) -> int:
        """The height of the last block sealed (0 before the first)."""
        return self.tip.height

    # writing --------------------------------------------------------------
    @property
    def size(self) -> int:
        """Entries in the log, committed or pending."""
        return self.tiles.size + len(self.pending)

    def submit(self, obj: object) -> Applied:
        """Apply one JSON command; accepted ones join the next block.

        Raises:
            Rejected: the command was refused; nothing changed.
            StoreError: an earlier block failed to commit; the writer must be reopened.
        """
        if self.broken is not None:
            raise self.broken
        command = parse_command(obj)
        applied = execute(self.ledger, command)
        if not applied.replay:
            self.pending.add(command, applied.effects)
            if len(self.pending) >= self.block_size:
                self.commit()
        return applied

    def commit(self, answers: list[IdempotentAnswer] | None = None) -> BlockHeader | None:
        """Seal the pending entries into a signed block and store it (None if none).

        ``answers`` (the service's first answers to idempotent requests) are
        stored in the block's transaction, so an answer exists exactly when
        what it answers is durable.

        The block is durable when this returns. (Storing it from a second
        thread while the engine went on was tried and measured: no faster,
        since the database driver and the engine then trade the GIL.)

        Raises:
            StoreError: the block was not stored; the ledger is now ahead of
                the database and the writer refuses to go on (reopen it).
        """
        if self.broken is not None:
            raise self.broken
        if not self.pending:
            return None
        pending, ledger = self.pending, self.ledger
        entries = pending.entries
        assert entries is not None  # the writer keeps them
        first_index = self.tip.tree.size
        sealed = seal(self.tip, ledger, pending)
        header = sealed.header
        block = StoredBlock(
            header, sign_block(self.signer, header.canonical()),
            sign_checkpoint(Checkpoint(self.origin, header.tree_size, header.root), self.signer),
        )
        extras = BlockExtras(
            [(party, first_index + offset)
             for offset, (_, effects) in enumerate(entries)
             for party in parties(effects)],
            BlockStats(ledger.pool, ledger.total_shares, ledger.index, ledger.exits),
            answers or [],
            [] if self.block_events is None else
            self.block_events(first_index, entries, ledger, header),
        )
        try:
            self.store.append_block(block, sealed.entries, sealed.tiles, extras)
        except StoreError as error:
            self.broken = error
            raise
        pending.clear()
        self.last_data = sealed.entries
        if self.on_commit is not None:
            self.on_commit(header)
        if header.tree_size - self.snapshot_size >= self.snapshot_every:
            self.take_snapshot()
        return header

    def take_snapshot(self) -> None:
        """Store a signed snapshot of the ledger at the last sealed block.

        Pickling a large ledger takes seconds (about 2.5 us per object), so
        where the platform can fork, a child process takes and stores the
        snapshot from its copy-on-write image of the ledger while this
        process goes on; :meth:`close` waits for it. Otherwise it is taken
        here and now.
        """
        if self.pending or self.height == 0 or self.snapshot_size == self.tiles.size:
            return
        self._reap_snapshot()
        height, size = self.height, self.tiles.size
        fork = self.fork_snapshots
        if fork is None:
            fork = threading.active_count() == 1
        if hasattr(os, "fork") and fork:
            pid = os.fork()
            if pid == 0:  # the child: store the snapshot and leave at once
                code = 1
                try:
                    # Pickling takes a core for seconds; at the lowest priority it yields
                    # to the writer and the HTTP workers instead of stalling them.
                    with contextlib.suppress(OSError):
                        os.nice(19)
                    gc.disable()
                    self.store.engine.dispose(close=False)  # never use the parent's connections
                    self.store.put_snapshot(snapshot.take(self.ledger, height, size, self.signer))
                    code = 0
                finally:
                    os._exit(code)
            self._snapshot_child = pid
        else:
            with paused_gc():
                stored = snapshot.take(self.ledger, height, size, self.signer)
            self.store.put_snapshot(stored)
        self.snapshot_size = size

    def _reap_snapshot(self) -> None:
        """Wait for the snapshot child, if one is running; note whether it succeeded."""
        pid, self._snapshot_child = self._snapshot_child, None
        if pid is not None:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                self.snapshot_failures += 1

    def discard(self) -> None:
        """Close without committing what is pending (after an error)."""
        self.pending.clear()
        self._reap_snapshot()
        self.store.engine.dispose()

    def close(self) -> None:
        """Commit what is pending and wait until it is stored; leave a snapshot if
        the next restart would otherwise replay ``CLOSE_SNAPSHOT_AFTER`` entries or more.

        Raises:
            StoreError: a block failed to store.
        """
        try:
            if self.broken is None:
                self.commit()
                if self.tiles.size - self.snapshot_size >= min(CLOSE_SNAPSHOT_AFTER,
                                                               self.snapshot_every):
                    self.take_snapshot()
        finally:
            self._reap_snapshot()
            self.store.engine.dispose()

