"""Payout destinations: where the program pays a party through the bank, sealed.

``payout_destinations`` holds one row per destination: an opaque id (what a
payout names), the party it belongs to, the bank details sealed with the data
key (cash/destinations.py seals and opens them; this module never sees them in
clear), a status and its reason. The rows are outside the log and never enter
a public copy (store/public.py). Erasing a member deletes theirs; on SQLite
with ``secure_delete`` and a truncated write-ahead log, as member links are
(store/members.py).

Bulk reads (a payment file of a million payouts) are in the driver's own terms,
as ``MemberStore.find``'s are (SQLAlchemy's per-row processing would cost more
than the query). Asked for a quarter of the table or more, they read the whole
table once (:data:`SCAN_SHARE`): ids are random, so their rows lie anywhere and
a million looked up one by one cost 6 s on PostgreSQL where one pass costs 1 s.
Fewer are looked up by id, one statement per :data:`BULK_IDS` of them in
order (a B-tree read in order costs a third less), PostgreSQL's as one array
parameter (``= ANY(%s)``, :data:`BULK_IDS_POSTGRESQL` at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, NamedTuple

from sqlalchemy import Connection, Engine, delete, func, select, update

from .database import driver_insert, driver_marker
from .schema import payout_destinations

BULK_IDS: Final = 500
"""Ids asked for in one SQLite statement (below 999, the oldest SQLite's limit on
parameters)."""
BULK_IDS_POSTGRESQL: Final = 10_000
"""Ids asked for in one PostgreSQL statement, as one array."""
SCAN_SHARE: Final = 4
"""Ids asked for in bulk that are at least 1/SCAN_SHARE of the table's rows are found by
reading the whole table once."""
STREAM_ROWS: Final = 10_000
"""Rows a whole-table read holds in memory at a time (a server-side cursor)."""
PARTIES_IN_QUERY: Final = 10_000
"""Above this many parties asked for, :meth:`DestinationStore.verified` reads every
verified row once and keeps those asked for: one scan beats thousands of lookups."""


class DestinationRow(NamedTuple):
    """One destination, as stored (``sealed`` still sealed)."""

    id: str
    party: str
    sealed: bytes
    status: str
    reason: str
    created_us: int
    updated_us: int


class DestinationStore:
    """The SQL of ``payout_destinations``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._marker = driver_marker(engine)
        self._postgresql = engine.dialect.name == "postgresql"
        self._insert = driver_insert(engine, "payout_destinations", DestinationRow._fields)

    def insert_many(self, rows: Sequence[DestinationRow]) -> None:
        """Store rows in one transaction (one destination, or an operator's import)."""
        with self.engine.begin() as connection:
            for start in range(0, len(rows), 10_000):
                connection.exec_driver_sql(self._insert,
                                           [tuple(row) for row in rows[start:start + 10_000]])

    def get(self, destination_id: str) -> DestinationRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(payout_destinations).where(
                payout_destinations.c.id == destination_id)).one_or_none()
        return None if row is None else _row(row)

    def set_status(self, destination_id: str, status: str, reason: str, updated_us: int,
                   allowed_from: Iterable[str]) -> bool:
        """Set the status if the row's current one is in ``allowed_from`` (one conditional
        statement, so two operators cannot both move the same destination); whether it was."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(payout_destinations)
                .where(payout_destinations.c.id == destination_id,
                       payout_destinations.c.status.in_(list(allowed_from)))
                .values(status=status, reason=reason, updated_us=updated_us)).rowcount
        return bool(changed)

    def summaries(self, party: str | None = None, status: str | None = None
                  ) -> list[DestinationRow]:
        """The rows of ``party`` (and ``status``), oldest first, with ``sealed`` left empty:
        listing needs no key and reads no bank details."""
        columns = [column for column in payout_destinations.c if column.name != "sealed"]
        query = select(*columns).order_by(payout_destinations.c.created_us,
                                          payout_destinations.c.id)
        if party is not None:
            query = query.where(payout_destinations.c.party == party)
        if status is not None:
            query = query.where(payout_destinations.c.status == status)
        with self.engine.connect() as connection:
            return [DestinationRow(row.id, row.party, b"", row.status, row.reason,
                                   row.created_us, row.updated_us)
                    for row in connection.execute(query)]

    def verified(self, parties: Iterable[str] | None = None) -> dict[str, str]:
        """{party: its newest verified destination} (newest by ``created_us``, then id),
        for ``parties`` or every party; nothing is opened."""
        wanted = None if parties is None else set(parties)
        statement = ("SELECT party, created_us, id FROM payout_destinations "
                     "WHERE status = 'verified'")
        newest: dict[str, tuple[int, str]] = {}
        with self.engine.connect() as connection:
            if wanted is None or len(wanted) > PARTIES_IN_QUERY:
                batches: Iterable[Any] = [connection.execution_options(
                    yield_per=STREAM_ROWS).exec_driver_sql(statement)]
            else:
                batches = self._among(connection, f"{statement} AND", "party", wanted)
            for rows in batches:
                for party, created_us, destination_id in rows:
                    if wanted is not None and party not in wanted:
                        continue
                    found = newest.get(party)
                    if found is None or (created_us, destination_id) > found:
                        newest[party] = (created_us, destination_id)
        return {party: destination_id for party, (_, destination_id) in newest.items()}

    def sealed_many(self, ids: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        """{id: (party, sealed)} of those of ``ids`` that are stored."""
        wanted = set(ids)
        found: dict[str, tuple[str, bytes]] = {}
        if not wanted:
            return found
        statement = "SELECT id, party, sealed FROM payout_destinations"
        with self.engine.connect() as connection:
            total = connection.execute(
                select(func.count()).select_from(payout_destinations)).scalar_one()
            batches: Iterable[Any]
            if len(wanted) * SCAN_SHARE >= total:
                batches = [connection.execution_options(
                    yield_per=STREAM_ROWS).exec_driver_sql(statement)]
            else:
                batches = self._among(connection, f"{statement} WHERE", "id", wanted)
            for rows in batches:
                for destination_id, party, sealed in rows:
                    if destination_id in wanted:
                        found[destination_id] = (party, bytes(sealed))
        return found

    def _among(self, connection: Connection, statement: str, column: str,
               values: set[str]) -> Iterator[Any]:
        """The rows of ``statement`` (ending in WHERE or AND) whose ``column`` is one of
        ``values``, one statement per batch of them, in order."""
        ordered = sorted(values)
        if self._postgresql:
            for start in range(0, len(ordered), BULK_IDS_POSTGRESQL):
                yield connection.exec_driver_sql(
                    f"{statement} {column} = ANY(%s)",
                    (ordered[start:start + BULK_IDS_POSTGRESQL],))
            return
        for start in range(0, len(ordered), BULK_IDS):
            chunk = ordered[start:start + BULK_IDS]
            yield connection.exec_driver_sql(
                f"{statement} {column} IN ({', '.join([self._marker] * len(chunk))})",
                tuple(chunk))

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(
                select(func.count()).select_from(payout_destinations)).scalar_one())

    # erasure ---------------------------------------------------------------
    def delete_party(self, connection: Connection, party: str) -> int:
        """Delete every destination of ``party`` in the caller's transaction; how many.
        On SQLite the deleted bytes are overwritten (``secure_delete``)."""
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA secure_delete = ON")
        return int(connection.execute(delete(payout_destinations).where(
            payout_destinations.c.party == party)).rowcount)

    def forget_party(self, party: str) -> int:
        """:meth:`delete_party` in a transaction of its own; on SQLite the write-ahead log
        is then folded into the file and emptied, so no copy of the rows stays in it."""
        with self.engine.begin() as connection:
            gone = self.delete_party(connection, party)
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return gone


def _row(row: Any) -> DestinationRow:
    return DestinationRow(row.id, row.party, bytes(row.sealed), row.status, row.reason,
                          row.created_us, row.updated_us)
