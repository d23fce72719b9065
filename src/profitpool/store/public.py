"""A public copy of a log: what anyone may see, in a fresh SQLite file that ``verify`` checks.

An auditor, a regulator or any member who wants to replay the log needs its
entries, blocks and tiles, the operator's public key, and what others attested
about it; not the operator's API keys, sign-ins, webhook secrets or the
program's own secrets. :func:`export_public` writes a new SQLite database with
the project's own migrations (so it has exactly the schema ``profitpool verify``
requires), then copies into it, in batches, the tables of :data:`PUBLIC_TABLES`
and nothing of the others (:data:`LEFT_OUT` says why for each). Every row is
read in one snapshot of the source (one read transaction), so a copy made while
the service writes is a log as it stood at one moment: whole blocks, tiles as
they were, nothing stored beyond them.

Three tables are copied in part (:data:`ONLY`). ``snapshots``: only those in the
data-only format (a pickle written by an older version is left out; nobody reads it).
``log_meta``: the keys of :data:`PUBLIC_META` only, the log's origin, public key, format and genesis
rules, and where it is anchored (the program's secrets are not in ``log_meta``
since schema 0007, ``program_secrets``; the events process's status and stream
cursor are the operator's own). ``entry_parties``: the program-wide rows only
(``rules``, ``burns``, ``disclosures``), which name nobody and are what
``profitpool report verify`` finds a month's disclosure entry by; the rows by
member, merchant and lender are an index derivable from the entries.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Engine, Table, func, select, tuple_
from sqlalchemy.exc import SQLAlchemyError

from ..errors import ProfitpoolError
from .database import StoreError, connect, describe_error, migrate
from .repository import DATA_SNAPSHOT_PREFIX
from .schema import (
    anchors,
    blocks,
    cosignatures,
    disclosures,
    entries,
    entry_parties,
    log_meta,
    snapshots,
    tiles,
)

PUBLIC_TABLES: Final[tuple[Table, ...]] = (
    log_meta, entries, blocks, tiles, anchors, cosignatures, disclosures, entry_parties,
    snapshots)
"""What a public copy holds (three of them in part: :data:`ONLY`). ``disclosures`` are the
monthly reports, served to anyone at ``GET /v1/disclosures/{period}``, whose hashes the
log records. ``snapshots``: those in the data-only format, the ledger at a block's end,
which anyone can compute by replaying the entries before it; they let an auditor run
``verify --jobs``, which checks each one at its seam and never trusts it."""

PUBLIC_META: Final = ("origin", "verifier_key", "format", "genesis_rules",
                      "anchor_chain_id", "anchor_contract", "anchor_from_block")
"""The ``log_meta`` keys a copy keeps: what ``verify`` needs, and where the log is anchored."""
PROGRAM_PARTIES: Final = ("rules", "burns", "disclosures")
"""The ``entry_parties`` rows a copy keeps: entries about the whole program, not a party."""

ONLY: Final[dict[str, ColumnElement[bool]]] = {
    "log_meta": log_meta.c.key.in_(PUBLIC_META),
    "entry_parties": entry_parties.c.party.in_(PROGRAM_PARTIES),
    "snapshots": func.substr(snapshots.c.data, 1, len(DATA_SNAPSHOT_PREFIX))
    == DATA_SNAPSHOT_PREFIX,
}
"""The rows a copy keeps of the tables it copies in part."""

LEFT_OUT: Final[dict[str, str]] = {
    "api_keys": "the service's API keys (their hashes, roles and parties)",
    "sessions": "the pages' sign-ins",
    "idempotency": "the first answers to idempotent requests, by caller",
    "webhook_endpoints": "webhook URLs and the secrets that sign their deliveries",
    "webhook_deliveries": "where the operator's events went, and what receivers answered",
    "events": "the outbox: rebuilt from the entries, and who hears what",
    "program_secrets": "the pseudonym key and the proof of liabilities' secret",
    "member_links": "who each pseudonym is: the ids merchants and the operator use, "
                    "hashed and sealed",
    "member_profiles": "members' personal data, sealed",
    "payout_destinations": "the bank accounts members, merchants and lenders are paid to, "
                           "sealed",
    "pol_members": "which leaves of each month's proof of liabilities are whose, "
                   "with each member's salt",
    "pol_tiles": "every leaf of each month's proof of liabilities: both parts of every "
                 "holding, far more than one member's proof shows "
                 "(docs/proof-of-liabilities.md); the report holds the root and total",
    "block_stats": "figures per block for the charts, derivable by replay",
    "custody_accounts": "the operator's custody account number and bank",
    "payout_runs": "each payout run's pain.001 file (accounts and holders), sealed",
    "bank_imports": "which bank files the operator read back, and what they did",
    "bank_exceptions": "statement lines the operator is to look at, with the bank's "
                       "references",
    "refusals": "the service's counts of refused commands, not part of the log",
    "passkeys": "members' passkeys for the wallet (credential ids and public keys)",
    "passkey_links": "the one-time links that register passkeys (hashed) and whose they are",
    "passkey_challenges": "sign-in challenges given out and not yet answered",
}
"""Every other table, and why a public copy leaves it out (a test keeps every table of
store/schema.py in one list or the other)."""

BATCH_ROWS: Final = 1000


class ExportError(ProfitpoolError):
    """A public copy cannot be written where asked; nothing was written there."""


@dataclass(frozen=True)
class ExportSummary:
    """What a public copy holds."""

    path: Path
    rows: dict[str, int]
    """Rows copied, by table."""


def export_public(source: Engine, out: Path, batch: int = BATCH_ROWS) -> ExportSummary:
    """Write a public copy of the log in ``source`` to the new SQLite file ``out``.

    The copy is written to a temporary file beside ``out`` and renamed when it
    is complete, so ``out`` is either the whole copy or not there.

    Raises:
        ExportError: ``out`` exists already, or its folder does not.
        StoreError: the source cannot be read, or the copy cannot be written.
    """
    if out.exists():
        raise ExportError(f"{out} exists already: a public copy is written to a new file")
    if not out.parent.is_dir():
        raise ExportError(f"cannot write {out}: the folder {out.parent} does not exist")
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    _remove(partial)
    try:
        rows = _write(source, partial, batch)
        if out.exists():
            raise ExportError(f"{out} appeared while the copy was written; it is left alone")
        partial.rename(out)
    finally:
        _remove(partial)
    return ExportSummary(out, rows)


def _write(source: Engine, path: Path, batch: int) -> dict[str, int]:
    target = connect(f"sqlite:///{path}", create=True)
    try:
        migrate(target)
        copied: dict[str, int] = {}
        try:
            with _snapshot(source) as reading, target.begin() as writing:
                for table in PUBLIC_TABLES:
                    copied[table.name] = 0
                    for rows in _pages(reading, table, batch, ONLY.get(table.name)):
                        writing.execute(table.insert(), rows)
                        copied[table.name] += len(rows)
            with target.connect() as connection:  # one self-contained file, no -wal beside it
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
        except SQLAlchemyError as error:
            raise StoreError(f"cannot copy the log: {describe_error(error)}") from None
        return copied
    finally:
        target.dispose()


class _snapshot:
    """A connection on which every read sees the source as it was at the first one.

    PostgreSQL: a REPEATABLE READ, READ ONLY transaction. SQLite: an explicit
    deferred ``BEGIN``; the first read takes the snapshot, which WAL keeps while
    the service goes on writing.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None

    def __enter__(self) -> Connection:
        connection = self.engine.connect()
        self.connection = connection
        if self.engine.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        else:
            connection.exec_driver_sql("BEGIN")
        return connection

    def __exit__(self, *_: Any) -> None:
        assert self.connection is not None
        self.connection.rollback()
        self.connection.close()


def _pages(connection: Connection, table: Table, batch: int,
           only: ColumnElement[bool] | None) -> Iterator[list[dict[str, Any]]]:
    """The rows of ``table`` (those ``only`` selects) as dicts, ``batch`` at a time, by
    primary key (keyset paging)."""
    key: Sequence[Any] = list(table.primary_key.columns)
    last: tuple[Any, ...] | None = None
    while True:
        query = select(table).order_by(*key).limit(batch)
        if only is not None:
            query = query.where(only)
        if last is not None:
            query = query.where(key[0] > last[0] if len(key) == 1
                                else tuple_(*key) > tuple_(*last))
        rows = [dict(row._mapping) for row in connection.execute(query)]
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        last = tuple(rows[-1][column.name] for column in key)


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"),
                     path.with_name(path.name + "-shm"), path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)
