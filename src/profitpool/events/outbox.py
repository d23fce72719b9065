"""The outbox: domain events stored in the same transaction as what they tell of.

The writer inserts a block's events in the block's own transaction
(:meth:`Outbox.insert`, called by ``LogStore.append_block``); the anchoring
code inserts ``checkpoint.anchored`` with the anchor's row. So an event exists
exactly when what it tells of is durable: none for a block that failed to
store, none lost by a crash after the commit.

Consumers (webhooks, the NATS stream, ``events tail``) read in ``seq`` order
after a cursor of their own. ``seq`` order is commit order: on PostgreSQL
every inserting transaction first takes one advisory lock, held to its commit,
so a later ``seq`` can never become visible before an earlier one (a consumer
past it would miss it); SQLite has one writer at a time anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import orjson
from sqlalchemy import Engine, func, or_, select

from ..store.database import driver_insert
from ..store.schema import entries, events
from .domain import ADMIN, PUBLIC, Event, OutboxRow, effect_body

OUTBOX_LOCK: Final = 0x7070_6576  # "ppev"


class Outbox:
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
             owner: str = ADMIN, until: int | None = None) -> list[Event]:
        """Up to ``limit`` events with ``after < seq (<= until)``, in order, bodies built.

        ``types`` keeps only those exact types; ``owner`` (a party, or ``admin``)
        keeps only what that owner may hear (domain.visible_to).
        """
        query = select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit)
        if until is not None:
            query = query.where(events.c.seq <= until)
        if types is not None:
            query = query.where(events.c.type.in_(list(types)))
        if owner != ADMIN:
            query = query.where(or_(events.c.parties == PUBLIC,
                                    events.c.parties.contains(f" {owner} ", autoescape=True)))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
            wanted = sorted({row.log_index for row in rows if row.body is None})
            stored: dict[int, dict[str, Any]] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                for index, data in connection.execute(
                        select(entries.c.idx, entries.c.data).where(entries.c.idx.in_(chunk))):
                    stored[int(index)] = orjson.loads(data)
        result = []
        for row in rows:
            if row.body is not None:
                body = bytes(row.body)
            else:
                body = effect_body(row.id, row.type, row.time_us, row.log_index, row.position,
                                   row.block, row.tree_size, stored[row.log_index])
            result.append(Event(int(row.seq), row.id, row.type, int(row.time_us), row.parties,
                                body))
        return result
