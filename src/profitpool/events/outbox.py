"""The outbox: domain events stored in the same transaction as what they tell of.

The writer hands a block's events to the store with the block
(``LogStore.append_block``), and the anchoring code hands
``checkpoint.anchored`` to it with the anchor's row; both are inserted in that
transaction (store/outbox.py holds the table's SQL). So an event exists
exactly when what it tells of is durable: none for a block that failed to
store, none lost by a crash after the commit.

Consumers (webhooks, the NATS stream, ``events tail``) read in ``seq`` order
after a cursor of their own, through :class:`Outbox`, which turns the stored
rows into :class:`~.domain.Event` bodies. ``seq`` order is commit order
(store/outbox.py says how it is kept on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Engine

from ..store.outbox import OutboxStore
from .domain import ADMIN, Event, effect_body


class Outbox:
    """The events of one log's database, read in commit order."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rows = OutboxStore(engine)

    def last_seq(self) -> int:
        return self.rows.last_seq()

    def id_at(self, seq: int) -> str | None:
        """The id of the event numbered ``seq`` (None if there is none): a primary-key read."""
        return self.rows.id_at(seq)

    def read(self, after: int, limit: int = 1000, *, types: Iterable[str] | None = None,
             owner: str = ADMIN, until: int | None = None) -> list[Event]:
        """Up to ``limit`` events with ``after < seq (<= until)``, in order, bodies built.

        ``types`` keeps only those exact types; ``owner`` (a party, or ``admin``)
        keeps only what that owner may hear (domain.visible_to).
        """
        found, entries = self.rows.read(after, limit, types=types, until=until,
                                        party=None if owner == ADMIN else owner)
        decoded: dict[int, dict[str, Any]] = {
            index: orjson.loads(data) for index, data in entries.items()}
        result = []
        for seq, row in found:
            if row.body is not None:
                body = row.body
            else:
                assert row.log_index is not None and row.position is not None
                assert row.block is not None and row.tree_size is not None
                body = effect_body(row.id, row.type, row.time_us, row.log_index, row.position,
                                   row.block, row.tree_size, decoded[row.log_index])
            result.append(Event(seq, row.id, row.type, row.time_us, row.parties, body))
        return result
