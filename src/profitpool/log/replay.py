"""Replaying a log: its stored entries applied again, in index order, with the one engine.

Everything that rebuilds a ledger from the log goes through :class:`Replay`: a
writer's restart (from the newest verified snapshot), ``profitpool verify`` and
the monthly report (both from genesis, :func:`from_genesis`). A replay reads
each entry's command, executes it and hands on what the engine computed; it
never re-encodes the entry, so it costs what the engine costs. What the engine
computed is compared with what was stored by the caller that needs it:
``verify`` seals each block again (seal.py) and compares every byte; a restart
hashes the stored bytes into the Merkle tree and compares the root and the
state digest with the last signed block's.

A replay stops with a :class:`ReplayError` at an entry that is missing (the
next stored index is another), whose command cannot be read, that the engine
rejects, or that the engine takes as an idempotent retry (never an entry).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, NamedTuple

import orjson

from ..chain.note import Verifier
from ..engine import Command, Effect, Ledger, execute, parse_command
from ..errors import ProfitpoolError, Rejected
from ..store.repository import StoredSnapshot
from . import snapshot
from .genesis import genesis_ledger


class Start(NamedTuple):
    """Where a replay starts: a ledger and the entries it already holds."""

    ledger: Ledger
    """The ledger before the first entry to replay (it is changed by the replay)."""
    tree_size: int
    """The entries the ledger holds already: the index of the first one to replay."""


def from_genesis(meta: Mapping[str, str]) -> Start:
    """The start of the log described by ``meta`` (its format and genesis rules).

    Raises:
        GenesisError: the log's recorded start cannot be read.
    """
    return Start(genesis_ledger(meta), 0)


def from_snapshot(stored: StoredSnapshot, verifier: Verifier) -> Start:
    """The ledger of a signed snapshot (data only), verified before it is read.

    Raises:
        SnapshotError: not signed with the log's key; UnreadableSnapshot: signed
            but written by another version.
    """
    return Start(snapshot.load(stored, verifier), stored.tree_size)


class Replayed(NamedTuple):
    """One stored entry, applied again."""

    log_index: int
    """The entry's log index."""
    data: bytes
    """The entry's stored bytes."""
    command: Command
    """The command the stored entry holds, as parsed."""
    effects: list[Effect]
    """The effects the engine computed for it now (not the stored ones)."""


_replayed: Final[Any] = tuple.__new__
"""Builds a :class:`Replayed` without the NamedTuple constructor's Python-level call."""


class ReplayError(ProfitpoolError):
    """A stored entry cannot be replayed."""

    def __init__(self, index: int, field: str, message: str, reason: str) -> None:
        super().__init__(f"entry {index}: {field}: {message}")
        self.index = index
        """The log index of the entry (the missing one, for a missing entry)."""
        self.field = field
        """``entries`` (missing) or ``command`` (unreadable, rejected, a retry)."""
        self.message = message
        """What is wrong, as ``verify`` reports it."""
        self.reason = reason
        """What is wrong in a few words, as a restart reports it."""

    @property
    def missing(self) -> bool:
        return self.field == "entries"


_HEAD: Final = b'{"command":'
_EFFECTS: Final = b',"effects":['


def command_part(data: bytes) -> bytes:
    """The bytes of the command object of a canonical entry, without parsing the effects.

    In canonical JSON every '"' inside a string is escaped, so the first
    ``,"effects":[`` is the one after the command. Anything else (not
    canonical, not an entry) is parsed whole, and fails there or on the
    byte comparison.
    """
    end = data.find(_EFFECTS)
    if data.startswith(_HEAD) and end > 0:
        return data[len(_HEAD):end]
    return orjson.dumps(orjson.loads(data)["command"])


def read_command(index: int, data: bytes) -> Command:
    """The command of the stored entry ``index``.

    Raises:
        ReplayError: the entry or its command cannot be read.
    """
    try:
        return parse_command(orjson.loads(command_part(data)))
    except (ValueError, KeyError, TypeError, Rejected) as error:  # Rejected: not a command
        raise ReplayError(index, "command", f"cannot be read: {error}", str(error)) from None


def apply_command(ledger: Ledger, index: int, command: Command) -> list[Effect]:
    """Execute the command of entry ``index`` on ``ledger``; its effects.

    Raises:
        ReplayError: the engine rejects it (the ledger is unchanged), or takes it
            as an idempotent retry.
    """
    try:
        applied = execute(ledger, command)
    except Rejected as error:
        raise ReplayError(index, "command", f"rejected on replay ({error.code}: "
                          f"{error.message})", str(error)) from None
    if applied.replay:
        message = "an idempotent retry, which is never an entry"
        raise ReplayError(index, "command", message, message)
    return applied.effects


class Replay:
    """The stored entries from a start, each applied to the start's ledger in index order.

    Iterating gives each entry as :class:`Replayed`, after it was applied.
    :meth:`until` stops before an entry at or after a time, :meth:`take` after
    a number of entries; either can be followed by more of the same replay.

    Raises (while iterating):
        ReplayError: an entry is missing or cannot be replayed; the ledger holds
            every entry before it.
    """

    def __init__(self, start: Start, entries: Iterable[tuple[int, bytes]]) -> None:
        self.ledger = start.ledger
        self.next_index = start.tree_size
        """The index of the next entry to apply: one past the last one applied."""
        self._entries = iter(entries)
        self._held: tuple[int, bytes, Command] | None = None
        """An entry read but not applied (:meth:`until` stopped before it)."""

    def __iter__(self) -> Iterator[Replayed]:
        return self._apply(None, None)

    def until(self, at: int | None) -> Iterator[Replayed]:
        """Apply the entries whose command is before ``at`` (epoch microseconds; all of
        them with None). The first at or after it is read, not applied: it is next."""
        return self._apply(at, None)

    def take(self, count: int) -> Iterator[Replayed]:
        """Apply the next ``count`` entries.

        Raises:
            ReplayError: also when the log ends before ``count`` entries.
        """
        end = self.next_index + count
        yield from self._apply(None, end)
        if self.next_index < end:
            raise ReplayError(self.next_index, "entries", "missing (the log ends early)",
                              "missing")

    def _apply(self, at: int | None, end: int | None) -> Iterator[Replayed]:
        """Apply entries while their command is before ``at`` and their index before ``end``.

        This is the hot loop of every restart and verification: it reads no
        entry beyond ``end`` and builds each :class:`Replayed` without the
        NamedTuple constructor's Python-level call.
        """
        if self.next_index == end:
            return
        ledger = self.ledger
        for index, data, command in self._commands():
            if at is not None and command.at >= at:
                self._held = (index, data, command)
                return
            effects = apply_command(ledger, index, command)
            self.next_index = index + 1
            yield _replayed(Replayed, (index, data, command, effects))
            if self.next_index == end:
                return

    def _commands(self) -> Iterator[tuple[int, bytes, Command]]:
        """The next entries with their commands read: first the one read but not applied
        by the last call, if any, then the stored ones, each checked to follow on."""
        held, self._held = self._held, None
        if held is not None:
            yield held
        for index, data in self._entries:
            if index != self.next_index:
                raise ReplayError(self.next_index, "entries",
                                  f"missing (the next stored entry is {index})", "missing")
            yield index, data, read_command(index, data)

    def next_stored(self) -> int | None:
        """The index of the first stored entry not applied yet (None: there is none)."""
        if self._held is not None:
            return self._held[0]
        found = next(self._entries, None)
        if found is None:
            return None
        self._entries = itertools.chain([found], self._entries)
        return found[0]
