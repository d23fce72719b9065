"""A merchant's webhooks carry its own ids for the members, and no one else's
(events/localise.py); every other owner gets the body as stored."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
from eventhelpers import EventLog
from receivers import Receiver
from test_webhooks import LOCAL, dispatching, run_pass

from profitpool.bootstrap import linked_submit, open_directory
from profitpool.events.endpoints import EndpointStore
from profitpool.events.localise import localise
from profitpool.log.datakey import DataKey, data_key_path
from profitpool.members.directory import merchant_scope

P1 = "p-" + "1" * 32
P2 = "p-" + "2" * 32


def test_localise_adds_only_the_ids_asked_for_and_leaves_data_as_it_is() -> None:
    body = orjson.dumps({"data": {"from": P1, "to": P2, "points": "1"}, "id": "ev_1_0",
                         "log": {"index": 1}, "type": "transfer.made"},
                        option=orjson.OPT_SORT_KEYS)
    asked: list[list[str]] = []

    def names(found: list[str]) -> dict[str, str]:
        asked.append(found)
        return {P2: "c-2"}

    out = orjson.loads(localise(body, names))
    assert asked == [[P1, P2]]
    assert out["member_ids"] == {P2: "c-2"}
    assert out["data"] == orjson.loads(body)["data"]
    assert localise(body, lambda found: {}) is body  # nothing known: the stored bytes
    plain = b'{"data":{"merchant":"m1"},"id":"ev_2_0"}'
    assert localise(plain, names) is plain and len(asked) == 1


def test_a_merchants_webhooks_name_its_own_customers_and_no_others(
        sqlite_event_log: EventLog) -> None:
    log = sqlite_event_log
    DataKey.create(data_key_path(log.key))
    writer = log.open_writer()
    directory = open_directory(writer, log.key)
    writer.submit({"op": "merchant", "id": "m1", "at": "2026-01-01T09:00:00+08:00"})
    writer.submit({"op": "merchant", "id": "m2", "at": "2026-01-01T09:01:00+08:00"})
    for merchant, order_id, member, minute in (("m1", "o1", "c-1", 10), ("m2", "o2", "x-9", 11)):
        linked_submit(writer, directory, merchant_scope(merchant))(
            {"op": "order", "id": order_id, "merchant": merchant, "member": member,
             "amount": "100.00", "profit": "20.00", "at": f"2026-01-02T10:{minute}:00+08:00"})
    writer.commit()
    first = directory.pseudonym_of(merchant_scope("m1"), "c-1")
    second = directory.pseudonym_of(merchant_scope("m2"), "x-9")
    assert first and second and first != second
    store = EndpointStore(log.engine)
    owners = ("merchant:m1", "merchant:m2", "admin")

    async def scenario() -> list[list[bytes]]:
        async with contextlib.AsyncExitStack() as stack:
            receivers = [await stack.enter_async_context(Receiver()) for _ in owners]
            dispatcher = await stack.enter_async_context(
                dispatching(log.engine, data_key=data_key_path(log.key)))
            for receiver, owner in zip(receivers, owners, strict=True):
                store.create(owner, receiver.url, (), policy=LOCAL, after=0)
            await run_pass(dispatcher)
            return [[item.body for item in receiver.accepted] for receiver in receivers]

    m1, m2, admin = asyncio.run(scenario())
    assert m1 and m2 and admin
    named_m1 = [orjson.loads(body)["member_ids"] for body in m1 if b"member_ids" in body]
    assert named_m1 and all(ids == {first: "c-1"} for ids in named_m1)
    assert all(b"x-9" not in body for body in m1) and all(b"c-1" not in body for body in m2)
    assert any(b"x-9" in body for body in m2)
    # The admin's copies are the stored bytes: pseudonyms only.
    assert all(b"member_ids" not in body for body in admin)
    stored = {event.id: event.body for event in log.outbox().read(0, 1000)}
    assert all(body == stored[orjson.loads(body)["id"]] for body in admin)
