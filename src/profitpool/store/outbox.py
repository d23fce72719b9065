"""The ``events`` table: the outbox's rows, written in the transaction of what they tell of.

The store keeps the rows and knows nothing of what an event means: events/
builds them (events/domain.py) and turns them back into bodies
(events/outbox.py). The log writer hands a block's rows to
``LogStore.append_block``, the anchoring code hands its row to
``AttestationStore.add_anchor`` and the webhook dispatcher its
``endpoint.disabled`` rows to ``WebhookStore.record``; each is inserted in
that same transaction, so a row exists exactly when what it tells of is durable.

``seq`` order is commit order: on PostgreSQL every inserting transaction
first takes one advisory lock (:data:`OUTBOX_LOCK`), held to its commit, so a
later ``seq`` can never become visible before an earlier one (a consumer past
it would miss it); SQLite has one writer at a time anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

from sqlalchemy import Engine, func, or_, select

from .database import driver_insert
from .schema import entries, events

OUTBOX_LOCK: Final = 0x7070_6576  # "ppev"
PUBLIC_PARTIES: Final = ""
"""The ``parties`` of a row about the whole program (every owner may hear it)."""


class OutboxRow(NamedTuple):
    """One event as the outbox stores it (``body`` None: rebuilt from its entry)."""

    id: str
    type: str
    time_us: int
    log_index: int | None
    position: int | None
    block: int | None
    tree_size: int | None
    parties: str
    """``" party party "``, or "" for a public event: ``LIKE '% party %'`` finds one."""
    body: bytes | None


class StoredEvent(NamedTuple):
    """An outbox row read back, with its place in commit order."""

    seq: int
    row: OutboxRow


class OutboxStore:
    """The ``events`` table of one log's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = driver_insert(engine, "events", OutboxRow._fields)
        self._postgres = engine.dialect.name == "postgresql"

    def insert(self, connection: Any, rows: Sequence[OutboxRow]) -> None:
        """Insert ``rows`` in the caller's transaction, after every earlier commit."""
        if not rows:
            return
        if self._postgres:
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({OUTBOX_LOCK})")
        connection.exec_driver_sql(self._insert, list(rows))

    def last_seq(self) -> int:
        with self.engine.connect() as connection:
            top = connection.execute(select(func.max(events.c.seq))).scalar()
        return 0 if top is None else int(top)

    def id_at(self, seq: int) -> str | None:
        """The id of the event numbered ``seq`` (None if there is none): a primary-key read."""
        with self.engine.connect() as connection:
            found = connection.execute(select(events.c.id).where(events.c.seq == seq)).scalar()
        return None if found is None else str(found)

    def read(self, after: int, limit: int = 1000, *, types: Iterable[str] | None = None,
             party: str | None = None, until: int | None = None
             ) -> tuple[list[StoredEvent], dict[int, bytes]]:
        """Up to ``limit`` rows with ``after < seq (<= until)`` in order, and the entries
        (index: canonical bytes) of those stored without a body, read in the same
        connection.

        ``types`` keeps only those exact types; ``party`` keeps only the public rows
        and those naming it (None: every row).
        """
        query = select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit)
        if until is not None:
            query = query.where(events.c.seq <= until)
        if types is not None:
            query = query.where(events.c.type.in_(list(types)))
        if party is not None:
            query = query.where(or_(events.c.parties == PUBLIC_PARTIES,
                                    events.c.parties.contains(f" {party} ", autoescape=True)))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
            wanted = sorted({row.log_index for row in rows if row.body is None})
            stored: dict[int, bytes] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                for index, data in connection.execute(
                        select(entries.c.idx, entries.c.data).where(entries.c.idx.in_(chunk))):
                    stored[int(index)] = bytes(data)
        found = [StoredEvent(int(row.seq), OutboxRow(
            row.id, row.type, int(row.time_us), row.log_index, row.position, row.block,
            row.tree_size, row.parties, None if row.body is None else bytes(row.body)))
            for row in rows]
        return found, stored
