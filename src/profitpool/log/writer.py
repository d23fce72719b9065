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
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from ..chain.block import BlockHeader
from ..chain.note import Checkpoint, Signer, Verifier, sign_checkpoint
from ..chain.tiles import TileWriter
from ..engine import Admit, Applied, Command, Effect, Ledger, execute, parse_command
from ..engine.effects import parties
from ..errors import ProfitpoolError
from ..gcpause import paused_gc
from ..store.database import StoreError, connect, require_schema
from ..store.members import LinkRow
from ..store.outbox import OutboxRow
from ..store.repository import BlockExtras, BlockStats, IdempotentAnswer, LogStore, StoredBlock
from . import snapshot
from .keys import OperatorKeyError, load_key, sign_block
from .restart import LogError as LogError
from .restart import restore
from .seal import PendingBlock, seal
from .sizes import DEFAULT_BLOCK_SIZE as DEFAULT_BLOCK_SIZE
from .sizes import DEFAULT_SNAPSHOT_EVERY as DEFAULT_SNAPSHOT_EVERY

log = logging.getLogger("profitpool.log")

CLOSE_SNAPSHOT_AFTER = 10_000

class LinkListener(Protocol):
    """Who keeps the member links a writer stores with its blocks (members/directory.py)."""

    def settled(self, links: Sequence[LinkRow]) -> None: ...

    def dropped(self, links: Sequence[LinkRow]) -> None: ...


class UnrecordableEntry(ProfitpoolError):
    """The engine accepted a command whose entry or block cannot be written: the ledger is
    ahead of what the log can hold, and the writer must be reopened. (The command's own
    checks should have refused it: this is a bug, reported as such.)"""


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
        full_check: bool = True,
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
        # full_check: restart.restore checks every entry and tile (False: only from the
        # snapshot on, for a reopen in a process that checked the rest; restart.py).
        self.pending = PendingBlock()
        """The accepted entries not yet committed, encoded as they came."""
        self.pending_links: list[LinkRow] = []
        """The member links the pending entries need, stored with their block."""
        self.link_listener: LinkListener | None = None
        """Told when pending links were stored with their block, or dropped with it."""
        self.broken: ProfitpoolError | None = None
        self.last_data: list[bytes] = []
        """The entries of the last block stored, as stored (the service answers from them)."""
        self._snapshot_child: int | None = None
        self.snapshot_failures = 0
        """Snapshots a child process failed to store (a restart then replays more)."""
        with paused_gc():
            restored = restore(store, meta, self.verifier, self.origin, full=full_check)
        self.ledger = restored.ledger
        self.tip = restored.tip
        """The log after the last block sealed: what the next block is sealed onto."""
        self.snapshot_size = restored.snapshot_size
        """The tree size of the newest snapshot taken or restarted from."""
        last = store.last_block() if self.tip.height else None
        self.last_checkpoint: str | None = None if last is None else last.checkpoint
        """The signed checkpoint of the last block stored (None before the first)."""

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

    def submit(self, obj: object, admit: Admit | None = None,
               links: Sequence[LinkRow] = ()) -> Applied:
        """Apply one JSON command (after the caller's own check ``admit``, if any);
        accepted ones join the next block, with ``links`` (the member links the command
        needs stored with it: members/directory.py).

        Raises:
            Rejected: the command was refused; nothing changed.
            UnrecordableEntry: the engine accepted the command but its entry cannot be
                encoded; the ledger now holds a change the log cannot, so the writer
                refuses to go on (reopen it; the block's other entries were not stored).
            StoreError: an earlier block failed to commit; the writer must be reopened.
        """
        if self.broken is not None:
            raise self.broken
        command = parse_command(obj)
        applied = execute(self.ledger, command, admit)
        if not applied.replay:
            self.pending_links.extend(links)
            try:
                self.pending.add(command, applied.effects)
            except Exception as error:  # a value the checks let through and JSON cannot hold
                self.broken = UnrecordableEntry(
                    f"the entry of this {type(command).__name__} command cannot be written "
                    f"({type(error).__name__}: {error})")
                raise self.broken from error
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
            StoreError: the block was not stored (StoreUnavailable: the database could not
                be used); the ledger is now ahead of the database and the writer refuses
                to go on (reopen it).
            UnrecordableEntry: sealing the block or building its rows failed (a bug);
                likewise nothing was stored and the writer must be reopened.
        """
        if self.broken is not None:
            raise self.broken
        if not self.pending:
            return None
        height = self.tip.height + 1
        try:
            header = self._store_block(answers)
        except StoreError as error:
            self.broken = error
            raise
        except Exception as error:  # the tip may be sealed onto already: never again
            self.broken = UnrecordableEntry(
                f"block {height} could not be sealed ({type(error).__name__}: {error})")
            raise self.broken from error
        # The block is durable: what follows may fail without making it less so.
        if self.on_commit is not None:
            self.on_commit(header)
        if header.tree_size - self.snapshot_size >= self.snapshot_every:
            try:
                self.take_snapshot()
            except Exception as error:  # a snapshot only shortens a restart
                self.snapshot_failures += 1
                log.warning("the snapshot at block %d was not stored: %s", header.height,
                            error)
        return header

    def _store_block(self, answers: list[IdempotentAnswer] | None) -> BlockHeader:
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
            self.pending_links,
        )
        self.store.append_block(block, sealed.entries, sealed.tiles, extras)
        pending.clear()
        stored, self.pending_links = self.pending_links, []
        if stored and self.link_listener is not None:
            self.link_listener.settled(stored)
        self.last_data = sealed.entries
        self.last_checkpoint = block.checkpoint
        return header

    def take_snapshot(self, wait: bool = False) -> None:
        """Store a signed snapshot of the ledger at the last sealed block (unless the one
        before is still being taken and ``wait`` is False: then none).

        Pickling a large ledger takes seconds (about 2.5 us per object), so
        where the platform can fork, a child process takes and stores the
        snapshot from its copy-on-write image of the ledger while this
        process goes on; :meth:`close` waits for it. Otherwise it is taken
        here and now.
        """
        if self.pending or self.height == 0 or self.snapshot_size == self.tiles.size:
            return
        if not wait and self._snapshot_running():
            # The one before is still being taken: waiting for it stalled the writer for
            # tens of seconds on a large ledger (a million-payout run spent half its time
            # so). A snapshot only shortens a restart: the next block asks again.
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

    def _snapshot_running(self) -> bool:
        """Whether a snapshot child is still at work (one that has finished is reaped)."""
        pid = self._snapshot_child
        if pid is None:
            return False
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            return True
        self._snapshot_child = None
        if os.waitstatus_to_exitcode(status) != 0:
            self.snapshot_failures += 1
        return False

    def _reap_snapshot(self) -> None:
        """Wait for the snapshot child, if one is running; note whether it succeeded."""
        pid, self._snapshot_child = self._snapshot_child, None
        if pid is not None:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                self.snapshot_failures += 1

    def leave_snapshot(self) -> None:
        """Start the snapshot :meth:`close` leaves (if the next restart would otherwise replay
        ``CLOSE_SNAPSHOT_AFTER`` entries or more), the pending entries committed first.
        Where it is taken in a forked child, the caller may go on working until
        :meth:`close`, which waits for it (``apply --db`` reads its members' ids meanwhile).

        Raises:
            StoreError: the pending block failed to store.
        """
        self.commit()
        if self.tiles.size - self.snapshot_size >= min(CLOSE_SNAPSHOT_AFTER, self.snapshot_every):
            self.take_snapshot(wait=True)

    def discard(self) -> None:
        """Close without committing what is pending (after an error)."""
        self.pending.clear()
        dropped, self.pending_links = self.pending_links, []
        if dropped and self.link_listener is not None:
            self.link_listener.dropped(dropped)
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
                self.leave_snapshot()
        finally:
            self._reap_snapshot()
            self.store.engine.dispose()

