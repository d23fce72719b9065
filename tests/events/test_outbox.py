"""The outbox: an event for every committed effect, none for anything else."""

from __future__ import annotations

import orjson
import pytest
from eventhelpers import EventLog, shop

from profitpool.errors import Rejected
from profitpool.events.domain import EFFECT_TYPES, visible_to


def test_every_effect_of_every_entry_is_one_event_in_order(event_log: EventLog) -> None:
    event_log.write(shop(merchants=2, orders_each=2))
    event_log.write([{"op": "withdraw", "id": "w1", "member": "u1_0", "points": "1"}])
    events = event_log.outbox().read(0, 10_000)
    store = event_log.open_writer().store
    expected = []
    for index, data in store.iter_entries():
        entry = orjson.loads(data)
        for position, effect in enumerate(entry["effects"]):
            expected.append((f"ev_{index}_{position}", effect))
    effect_events = [event for event in events if event.type != "block.committed"]
    assert [event.id for event in effect_events] == [event_id for event_id, _ in expected]
    for event, (_, effect) in zip(effect_events, expected, strict=True):
        body = orjson.loads(event.body)
        assert body["data"] == effect
        assert body["log"]["index"] == int(event.id.split("_")[1])
    assert [event.seq for event in events] == sorted(event.seq for event in events)
    blocks = [event for event in events if event.type == "block.committed"]
    assert [orjson.loads(event.body)["data"]["height"] for event in blocks] == [1, 2]
    # The block event comes after the block's own events.
    assert events[-1].type == "block.committed"


def test_types_cover_every_effect() -> None:
    from profitpool.engine.effects import Effect

    assert set(EFFECT_TYPES) == set(Effect.__args__)  # type: ignore[attr-defined]
    assert len(set(EFFECT_TYPES.values())) == len(EFFECT_TYPES)


def test_a_refused_command_and_a_failed_block_leave_no_event(event_log: EventLog) -> None:
    event_log.write(shop(merchants=1, orders_each=1))
    before = event_log.outbox().read(0, 10_000)
    writer = event_log.open_writer()
    with pytest.raises(Rejected):
        writer.submit({"op": "withdraw", "id": "w9", "member": "nobody", "points": "1",
                       "at": "2026-02-01T00:00:00+08:00"})
    assert writer.commit() is None
    assert event_log.outbox().read(0, 10_000) == before


def test_merchant_sees_its_orders_and_minted_points_not_another_merchants(
        event_log: EventLog) -> None:
    event_log.write(shop(merchants=2, orders_each=2))
    mine = event_log.outbox().read(0, 10_000, owner="merchant:m1")
    assert {event.type for event in mine} >= {"order.placed", "order.settled",
                                               "points.minted", "block.committed"}
    for event in mine:
        assert "merchant:m2" not in event.parties
        assert visible_to(event.parties, "merchant:m1")
        assert "m2" not in orjson.loads(event.body)["data"].get("merchant", "m1")
    minted = [orjson.loads(e.body)["data"] for e in mine if e.type == "points.minted"]
    assert {data["member"] for data in minted} == {"u1_0", "u1_1"}


def test_body_is_rebuilt_byte_for_byte(event_log: EventLog) -> None:
    event_log.write(shop(merchants=1, orders_each=2))
    first = event_log.outbox().read(0, 10_000)
    again = event_log.outbox().read(0, 10_000)
    assert [event.body for event in first] == [event.body for event in again]
    entry = orjson.loads(event_log.open_writer().store.entry(2) or b"{}")
    [placed] = [event for event in first if event.id == "ev_2_0"]
    assert orjson.loads(placed.body)["data"] == entry["effects"][0]


def test_a_webhook_hears_block_events_only_when_its_filter_names_them() -> None:
    from profitpool.events.domain import matches

    assert not matches("block.committed", [])
    assert matches("block.committed", ["block.committed"])
    assert matches("block.committed", ["*"]) and matches("block.committed", ["block.*"])
    assert matches("order.placed", []) and matches("checkpoint.anchored", [])
    assert not matches("order.placed", ["points.*", "order.settled"])


def test_the_lender_hears_its_pledged_lot_exit_and_the_member_alone_hears_the_others(
        event_log: EventLog) -> None:
    event_log.write([
        {"op": "merchant", "id": "m1", "name": "", "industry": ""},
        {"op": "merchant", "id": "m2", "name": "", "industry": ""},
        {"op": "lender", "id": "b1", "name": ""},
        {"op": "order", "id": "o1", "merchant": "m1", "member": "u1", "amount": "100.00",
         "profit": "20.00"},
        {"op": "order", "id": "o2", "merchant": "m2", "member": "u2", "amount": "200.00",
         "profit": "50.00"},
        {"op": "pledge", "id": "pl1", "member": "u1", "lender": "b1", "points": "21",
         "loan": "50.00"},
        {"op": "rules", "points_per_yuan": "0"},
        {"op": "order", "id": "big", "merchant": "m1", "member": "sponsor",
         "amount": "10000.00", "profit": "10000.00"},
    ])
    exits = [event for event in event_log.outbox().read(0, 10_000) if event.type == "lot.exited"]
    pledged = [e for e in exits if orjson.loads(e.body)["data"]["pledge"] == "pl1"]
    others = [e for e in exits if orjson.loads(e.body)["data"]["pledge"] is None]
    assert pledged and others
    for event in pledged:
        assert visible_to(event.parties, "lender:b1") and visible_to(event.parties, "member:u1")
    for event in others:
        assert not visible_to(event.parties, "lender:b1")
        # the exit was set off by m1's order, but it is the member's, not the merchant's
        assert not visible_to(event.parties, "merchant:m1")
