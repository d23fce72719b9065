"""The webhook tables: ``webhook_endpoints`` and ``webhook_deliveries`` (the delivery log).

What the rows mean, and every check on what goes into them, is events/
(endpoints.py registers and changes endpoints, webhooks.py delivers); this
module only reads and writes them. :meth:`WebhookStore.record` is the
dispatcher's one transaction per pass: each endpoint's new state, the attempts
it made and any ``endpoint.disabled`` event (into the outbox, store/outbox.py).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import orjson
from sqlalchemy import ColumnElement, Engine, bindparam, delete, select, update

from .database import driver_insert
from .outbox import OutboxRow, OutboxStore
from .schema import webhook_deliveries, webhook_endpoints


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One webhook endpoint as stored (events/endpoints.py says what each field means)."""

    id: str
    owner: str
    url: str
    secret: str
    types: tuple[str, ...]
    description: str
    enabled: bool
    disabled_reason: str | None
    cursor: int
    replay_next: int | None
    replay_end: int | None
    failing_since_us: int | None
    attempts: int
    next_attempt_us: int | None
    created_us: int

    def public(self) -> dict[str, Any]:
        """What the API shows (never the secret)."""
        return {
            "id": self.id, "owner": self.owner, "url": self.url, "types": list(self.types),
            "description": self.description, "enabled": self.enabled,
            "disabled_reason": self.disabled_reason, "cursor": self.cursor,
            "replaying": None if self.replay_next is None else
            {"next": self.replay_next, "end": self.replay_end},
            "failing_since_us": self.failing_since_us, "attempts": self.attempts,
            "next_attempt_us": self.next_attempt_us, "created_us": self.created_us,
        }


class DeliveryRow(NamedTuple):
    """One attempt as the delivery log stores it (``webhook_deliveries``, in column order)."""

    endpoint: str
    attempt_us: int
    seq: int
    event_id: str
    attempt: int
    outcome: str
    http_status: int | None
    detail: str
    duration_ms: int


class DeliveryState(NamedTuple):
    """Where an endpoint's deliveries stand: what a pass writes back for it."""

    cursor: int
    attempts: int
    failing_since_us: int | None
    next_attempt_us: int | None


Replay = tuple[int | None, int | None]
"""An endpoint's replay pointer and end (both None: no replay)."""


@dataclass(frozen=True, slots=True)
class EndpointProgress:
    """One endpoint's part of a pass's transaction."""

    endpoint: str
    state: DeliveryState
    replay: tuple[Replay, Replay] | None
    """(as stored when the lane began, as it is now): written only if the first still
    stands (the owner may have asked for another replay meanwhile)."""
    rows: list[DeliveryRow]
    disable: tuple[str, OutboxRow] | None
    """The reason and the ``endpoint.disabled`` event, when the endpoint is switched off."""


class WebhookStore:
    """The ``webhook_endpoints`` and ``webhook_deliveries`` tables of one log's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.outbox = OutboxStore(engine)
        # A row stored already is skipped: a commit that succeeded but was reported
        # failed is written again by the next pass.
        self._insert_deliveries = driver_insert(engine, "webhook_deliveries",
                                                DeliveryRow._fields, skip_existing=True)

    # endpoints -------------------------------------------------------------------
    def add(self, endpoint: Endpoint) -> None:
        with self.engine.begin() as connection:
            connection.execute(webhook_endpoints.insert().values(_columns(endpoint)))

    def get(self, endpoint_id: str) -> Endpoint | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(webhook_endpoints).where(
                webhook_endpoints.c.id == endpoint_id)).first()
        return None if row is None else _endpoint(row)

    def list(self, owner: str | None = None) -> builtins.list[Endpoint]:
        """Every endpoint (or only ``owner``'s), oldest first."""
        query = select(webhook_endpoints).order_by(webhook_endpoints.c.created_us,
                                                   webhook_endpoints.c.id)
        if owner is not None:
            query = query.where(webhook_endpoints.c.owner == owner)
        with self.engine.connect() as connection:
            return [_endpoint(row) for row in connection.execute(query)]

    def change(self, endpoint_id: str, **values: Any) -> None:
        """Set fields of an endpoint, named as :class:`Endpoint` names them."""
        with self.engine.begin() as connection:
            connection.execute(update(webhook_endpoints)
                               .where(webhook_endpoints.c.id == endpoint_id)
                               .values(_columns(values)))

    def delete(self, endpoint_id: str) -> None:
        """Remove an endpoint and its delivery log."""
        with self.engine.begin() as connection:
            connection.execute(delete(webhook_deliveries).where(
                webhook_deliveries.c.endpoint == endpoint_id))
            connection.execute(delete(webhook_endpoints).where(
                webhook_endpoints.c.id == endpoint_id))

    # the delivery log ------------------------------------------------------------
    def deliveries(self, endpoint_id: str, *, before_us: int | None = None,
                   seq: int | None = None, limit: int = 100) -> builtins.list[DeliveryRow]:
        """The delivery log of an endpoint, newest attempt first (only event ``seq`` if given)."""
        query = (select(webhook_deliveries)
                 .where(webhook_deliveries.c.endpoint == endpoint_id)
                 .order_by(webhook_deliveries.c.attempt_us.desc()).limit(limit))
        if before_us is not None:
            query = query.where(webhook_deliveries.c.attempt_us < before_us)
        if seq is not None:
            query = query.where(webhook_deliveries.c.seq == seq)
        with self.engine.connect() as connection:
            return [DeliveryRow(*(getattr(row, name) for name in DeliveryRow._fields))
                    for row in connection.execute(query)]

    def record(self, pending: Sequence[EndpointProgress]) -> tuple[set[str], set[str]]:
        """One transaction: each endpoint's state, its attempts, any ``endpoint.disabled``.

        Returns:
            The endpoints that are gone (nothing of theirs is written) and those
            whose replay was changed meanwhile by their owner (theirs stands).
        """
        gone: set[str] = set()
        conflicts: set[str] = set()
        present: set[str] = set()
        rows: builtins.list[DeliveryRow] = []
        notices: builtins.list[OutboxRow] = []
        table = webhook_endpoints
        with self.engine.begin() as connection:
            # Few statements whatever the number of endpoints: each one waits for the
            # interpreter's lock while the lanes run, so a statement per endpoint is slow.
            if pending:
                connection.execute(_SET_STATE, [
                    {"endpoint_id": item.endpoint, **item.state._asdict()} for item in pending])
                present = set(connection.execute(select(table.c.id).where(
                    table.c.id.in_([item.endpoint for item in pending]))).scalars())
            for item in pending:
                this = table.c.id == item.endpoint
                if item.endpoint not in present:
                    gone.add(item.endpoint)
                    continue
                if item.replay is not None:
                    (old_next, old_end), (new_next, new_end) = item.replay
                    if connection.execute(update(table).where(
                            this, _same(table.c.replay_next, old_next),
                            _same(table.c.replay_end, old_end)).values(
                            replay_next=new_next, replay_end=new_end)).rowcount == 0:
                        conflicts.add(item.endpoint)
                rows.extend(item.rows)
                if item.disable is not None:
                    reason, notice = item.disable
                    if connection.execute(update(table).where(this, table.c.enabled == 1).values(
                            enabled=0, disabled_reason=reason)).rowcount:
                        notices.append(notice)
            if rows:
                connection.exec_driver_sql(self._insert_deliveries, rows)
            self.outbox.insert(connection, notices)
        return gone, conflicts

    def prune(self, endpoint_ids: Iterable[str], before_us: int, outcome: str) -> None:
        """Forget the attempts with ``outcome`` made before ``before_us`` (one endpoint at a
        time, along the primary key)."""
        deliveries = webhook_deliveries.c
        with self.engine.begin() as connection:
            for endpoint_id in endpoint_ids:
                connection.execute(delete(webhook_deliveries).where(
                    deliveries.endpoint == endpoint_id, deliveries.attempt_us < before_us,
                    deliveries.outcome == outcome))


_SET_STATE: Final = update(webhook_endpoints).where(
    webhook_endpoints.c.id == bindparam("endpoint_id")).values(
    cursor=bindparam("cursor"), attempts=bindparam("attempts"),
    failing_since_us=bindparam("failing_since_us"),
    next_attempt_us=bindparam("next_attempt_us"))
"""An endpoint's delivery state, for many endpoints in one statement."""


def _columns(fields: Endpoint | dict[str, Any]) -> dict[str, Any]:
    """The column values of an endpoint's fields (``types`` as JSON, ``enabled`` 0 or 1)."""
    values = ({name: getattr(fields, name) for name in Endpoint.__slots__}
              if isinstance(fields, Endpoint) else dict(fields))
    if "types" in values:
        values["types"] = orjson.dumps(list(values["types"])).decode()
    if "enabled" in values:
        values["enabled"] = int(values["enabled"])
    return values


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id, owner=row.owner, url=row.url, secret=row.secret,
        types=tuple(orjson.loads(row.types)), description=row.description,
        enabled=bool(row.enabled), disabled_reason=row.disabled_reason, cursor=int(row.cursor),
        replay_next=row.replay_next, replay_end=row.replay_end,
        failing_since_us=row.failing_since_us, attempts=int(row.attempts),
        next_attempt_us=row.next_attempt_us, created_us=int(row.created_us))


def _same(column: ColumnElement[Any], value: int | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value
