"""Every event body matches the JSON Schema the OpenAPI document publishes for its type."""

from __future__ import annotations

import jsonschema
import orjson
from eventhelpers import EventLog

from profitpool.events.domain import EVENT_TYPES
from profitpool.events.schema import event_schemas
from profitpool.workload import MERCHANTS, realistic

MERCHANT = MERCHANTS[0]


def _everything(log: EventLog) -> None:
    commands, _ = realistic(3000, 7)
    log.write([{**command} for command in commands], refused_ok=True)
    log.clock = log.clock.replace(year=2030)
    log.write([
        {"op": "rules", "transfers_enabled": True, "settle_days": 0},
        {"op": "lender", "id": "bank", "name": "城商行"},
        {"op": "campaign", "id": "double", "merchant": None, "multiplier": "2",
         "start": "2030-01-01T00:00:00+08:00", "end": "2031-01-01T00:00:00+08:00"},
        {"op": "order", "id": "big", "merchant": MERCHANT, "member": "rich", "amount": "1000.00",
         "profit": "300.00"},
        {"op": "order", "id": "gone", "merchant": MERCHANT, "member": "rich", "amount": "10.00",
         "profit": "1.00"},
        {"op": "tick"},
        {"op": "pledge", "id": "pl1", "member": "rich", "lender": "bank", "points": "10",
         "loan": "1.00"},
        {"op": "release", "pledge": "pl1"},
        {"op": "pledge", "id": "pl2", "member": "rich", "lender": "bank", "points": "10",
         "loan": "1.00"},
        {"op": "seize", "pledge": "pl2"},
        {"op": "transfer", "id": "t1", "from": "rich", "to": "friend", "points": "1"},
        {"op": "custody", "id": "c1", "amount": "1.00", "reference": "statement"},
    ])


def test_every_event_matches_its_published_schema(sqlite_event_log: EventLog) -> None:
    _everything(sqlite_event_log)
    schemas = event_schemas()
    assert set(schemas) == set(EVENT_TYPES)
    seen = set()
    for event in sqlite_event_log.outbox().read(0, 1_000_000):
        body = orjson.loads(event.body)
        jsonschema.validate(body, schemas[event.type])
        seen.add(event.type)
    assert {"order.placed", "order.settled", "points.minted", "withdrawal.paid",
            "payment.made", "transfer.made", "pledge.created", "pledge.released",
            "pledge.seized", "rules.changed", "campaign.created", "custody.recorded",
            "block.committed", "burn.applied"} <= seen, sorted(set(EVENT_TYPES) - seen)


def test_a_changed_body_fails_its_schema(sqlite_event_log: EventLog) -> None:
    sqlite_event_log.write([{"op": "merchant", "id": "m1", "name": "n", "industry": "i"},
                            {"op": "order", "id": "o1", "merchant": "m1", "member": "u1",
                             "amount": "100.00", "profit": "20.00"}])
    [placed] = [e for e in sqlite_event_log.outbox().read(0, 100) if e.type == "order.placed"]
    body = orjson.loads(placed.body)
    body["data"]["amount"] = 100.0  # money is never a float
    try:
        jsonschema.validate(body, event_schemas()["order.placed"])
    except jsonschema.ValidationError:
        return
    raise AssertionError("a float amount passed the schema")
