"""What the witness remembers: per log, the latest checkpoint it cosigned.

The whole safety of a witness is here. It cosigns a checkpoint only if the
checkpoint extends, by a verified consistency proof, the one it cosigned
last for the same log; so it never cosigns two views of a log that disagree
(a fork), nor goes back to a smaller tree. The check and the update run in
one SQLite ``BEGIN IMMEDIATE`` transaction, which takes the write lock
before the read: two submissions cannot both pass the check against the same
old size and then overwrite each other (the race tlog-witness describes, which
would roll the record back).

It also keeps refused submissions that carried a valid log signature: a
signed checkpoint the witness could not accept may be evidence that the log
misbehaved (a split view). Anyone can replay a public signed checkpoint with
a made-up old size or proof, so a note is kept once (its first refusal), and
only the log can add rows, by signing new checkpoints; past MAX_REFUSALS_KEPT
the oldest rows go first.

The exception tree (the server maps each refusal to an HTTP status)::

    ProfitpoolError
     ├── WitnessStateError             the file cannot be opened or is not a witness state
     └── Refusal                       .http_status
           ├── OldSizeMismatch  409    .stored_size: the old size is not the one cosigned
           ├── RootMismatch     409    same size as cosigned, another root (a fork)
           └── InconsistentProof 422   the proof does not link the cosigned tree to the new one
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Final

from ..chain import merkle
from ..chain.note import Checkpoint
from ..errors import ProfitpoolError

MAX_REFUSALS_KEPT: Final = 10_000
BUSY_TIMEOUT_SECONDS: Final = 30.0
_SCHEMA_VERSION: Final = 1

# Tree sizes go up to 2^64 - 1, past SQLite's signed 64-bit INTEGER: they are
# stored as decimal TEXT and compared in Python only.
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS cosigned (
    origin TEXT PRIMARY KEY,
    tree_size TEXT NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    updated_at_seconds INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refusals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    note_sha256 BLOB NOT NULL UNIQUE,
    received_at_seconds INTEGER NOT NULL,
    origin TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    old_size TEXT NOT NULL,
    proof TEXT NOT NULL,
    note TEXT NOT NULL
);
"""


class WitnessStateError(ProfitpoolError):
    """The state file cannot be opened or is not a witness state."""


class Refusal(ProfitpoolError):
    """A signed checkpoint the witness will not cosign."""

    http_status: ClassVar[int] = 400


class OldSizeMismatch(Refusal):
    """The submission's old size is not the size the witness cosigned last."""

    http_status = 409

    def __init__(self, origin: str, old_size: int, stored_size: int) -> None:
        super().__init__(f"old size {old_size} is not {stored_size}, the size of the latest "
                         f"checkpoint cosigned for {origin}")
        self.stored_size = stored_size


class RootMismatch(Refusal):
    """A checkpoint of the cosigned size with another root: the log forked."""

    http_status = 409


class InconsistentProof(Refusal):
    """The consistency proof does not link the cosigned tree to the submitted one."""

    http_status = 422


@dataclass(frozen=True)
class Cosigned:
    """The latest checkpoint cosigned for one log."""

    origin: str
    tree_size: int
    root: bytes
    note: str
    """The checkpoint note as the log submitted it (its signatures, not the witness's)."""
    updated_at_seconds: int


@dataclass(frozen=True)
class RefusedSubmission:
    """A submission with a valid log signature that the witness refused."""

    received_at_seconds: int
    origin: str
    http_status: int
    reason: str
    old_size: int
    proof: tuple[bytes, ...]
    note: str


class WitnessState:
    """The witness's SQLite file; safe to use from many threads and processes.

    Every call opens its own connection, so no connection is shared between
    threads; SQLite's locks serialise the writers.
    """

    def __init__(self, path: Path) -> None:
        """Open (or create) the state file.

        Raises:
            WitnessStateError: it cannot be opened, or is not a witness state.
        """
        self.path = path
        with self._connect() as connection:
            try:
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                tables = {row[0] for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
            except sqlite3.Error as error:
                raise WitnessStateError(f"{path} is not a witness state: {error}") from None
            if version == _SCHEMA_VERSION:
                return
            # Never add tables to some other database given by mistake.
            if version != 0 or tables:
                raise WitnessStateError(f"{path} is not a witness state (version {version})")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
            connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS,
                                         isolation_level=None)
        except sqlite3.Error as error:
            message = f"cannot open the witness state {self.path}: {error}"
            raise WitnessStateError(message) from None
        with closing(connection):
            yield connection

    def latest(self, origin: str) -> Cosigned | None:
        """The latest checkpoint cosigned for ``origin``, or None if none was."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT origin, tree_size, root, note, updated_at_seconds FROM cosigned "
                "WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else Cosigned(row[0], int(row[1]), row[2], row[3], row[4])

    def advance(self, old_size: int, checkpoint: Checkpoint, proof: Sequence[bytes],
                note: str) -> None:
        """Record ``checkpoint`` as the latest cosigned one, if it extends the recorded one.

        The caller has verified the log's signature on ``note`` and that
        ``old_size <= checkpoint.size``. A log never seen counts as cosigned
        at size 0 (the empty tree). Check and update are one transaction.

        Raises:
            OldSizeMismatch: ``old_size`` is not the recorded size.
            RootMismatch: same size as recorded, another root.
            InconsistentProof: ``proof`` does not show the recorded tree is a prefix
                of the new one (or is not empty when ``old_size`` is 0).
        """
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                row = connection.execute("SELECT tree_size, root FROM cosigned WHERE origin = ?",
                                         (checkpoint.origin,)).fetchone()
                stored_size, stored_root = (0, merkle.EMPTY_ROOT) if row is None else (
                    int(row[0]), bytes(row[1]))
                _check_extends(checkpoint, old_size, stored_size, stored_root, proof)
                connection.execute(
                    "INSERT INTO cosigned (origin, tree_size, root, note, updated_at_seconds) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
                    "tree_size = excluded.tree_size, root = excluded.root, "
                    "note = excluded.note, updated_at_seconds = excluded.updated_at_seconds",
                    (checkpoint.origin, str(checkpoint.size), checkpoint.root, note,
                     int(time.time())))
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def record_refusal(self, origin: str, http_status: int, reason: str, old_size: int,
                       proof: Sequence[bytes], note: str) -> None:
        """Keep a refused, validly signed submission as possible evidence of misbehaviour.

        A note kept already is not kept again (see the module doc).
        """
        proof_lines = "".join(merkle_hash.hex() + "\n" for merkle_hash in proof)
        note_sha256 = hashlib.sha256(note.encode()).digest()
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            cursor = connection.execute(
                "INSERT OR IGNORE INTO refusals (note_sha256, received_at_seconds, origin, "
                "http_status, reason, old_size, proof, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (note_sha256, int(time.time()), origin, http_status, reason, str(old_size),
                 proof_lines, note))
            if cursor.rowcount:
                connection.execute("DELETE FROM refusals WHERE id <= ?",
                                   (int(cursor.lastrowid or 0) - MAX_REFUSALS_KEPT,))
            connection.execute("COMMIT")

    def refusals(self, origin: str | None = None) -> list[RefusedSubmission]:
        """The refused submissions kept, oldest first (of ``origin`` only, if given)."""
        query = ("SELECT received_at_seconds, origin, http_status, reason, old_size, proof, note "
                 "FROM refusals")
        parameters: tuple[str, ...] = ()
        if origin is not None:
            query, parameters = query + " WHERE origin = ?", (origin,)
        with self._connect() as connection:
            rows = connection.execute(query + " ORDER BY id", parameters).fetchall()
        return [RefusedSubmission(row[0], row[1], row[2], row[3], int(row[4]),
                                  tuple(bytes.fromhex(line) for line in row[5].split()), row[6])
                for row in rows]


def _check_extends(checkpoint: Checkpoint, old_size: int, stored_size: int, stored_root: bytes,
                   proof: Sequence[bytes]) -> None:
    """The tlog-witness checks, in its order, against the recorded (size, root)."""
    if old_size != stored_size:
        raise OldSizeMismatch(checkpoint.origin, old_size, stored_size)
    if old_size == checkpoint.size and checkpoint.root != stored_root:
        raise RootMismatch(f"a checkpoint of size {old_size} with another root was cosigned "
                           f"for {checkpoint.origin}: refusing a fork")
    if not merkle.verify_consistency(old_size, checkpoint.size, stored_root, checkpoint.root,
                                     proof):
        raise InconsistentProof(f"the consistency proof from size {old_size} to "
                                f"{checkpoint.size} does not verify")
