"""Webhooks: every event an endpoint may hear arrives once, in order, signed; bad
receivers are retried, logged and in the end disabled, without losing anything.

The dispatcher runs pass by pass (``step``) against real HTTP receivers on
127.0.0.1 (tests/events/receivers.py); a fake clock stands in for days of
backoff, so nothing here sleeps for a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from eventhelpers import EventLog, shop
from receivers import HUGE_BYTES, Listener, RawReceiver, Receiver, free_port
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from profitpool.events.domain import ENDPOINT_DISABLED, Event, matches, visible_to
from profitpool.events.endpoints import Endpoint, EndpointError, EndpointStore, UrlPolicy
from profitpool.events.options import EventsOptions
from profitpool.events.signing import new_secret
from profitpool.events.webhooks import PRUNE_EVERY_US, WebhookDispatcher, epoch_us
from profitpool.store.schema import webhook_deliveries
from profitpool.times import format_time

LOCAL = UrlPolicy(private_targets=True)
"""The receivers here are on 127.0.0.1: the operator's setting allows them."""
SECOND = 1_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR


class Clock:
    """A clock that moves only when told (it starts at the real now, so signatures verify)."""

    def __init__(self) -> None:
        self.now_us = epoch_us()

    def __call__(self) -> int:
        return self.now_us


@contextlib.asynccontextmanager
async def dispatching(engine: Engine, clock: Callable[[], int] = epoch_us,
                      **options: Any) -> AsyncIterator[WebhookDispatcher]:
    dispatcher = WebhookDispatcher(
        engine, EventsOptions(**{"poll_s": 0.01, "timeout_s": 5.0, "policy": LOCAL, **options}),
        clock=clock)
    try:
        yield dispatcher
    finally:
        await dispatcher.close()


async def run_pass(dispatcher: WebhookDispatcher) -> int:
    """Make every attempt due now and record it; returns how many were made."""
    made = await dispatcher.step()
    while dispatcher.in_flight:
        made += await dispatcher.step()
    return made


async def deliver_until(dispatcher: WebhookDispatcher, clock: Clock, done: Callable[[], bool],
                        passes: int = 100) -> None:
    """Run passes, moving the clock to the next retry when nothing is due, until ``done()``."""
    for _ in range(passes):
        if done():
            return
        if await run_pass(dispatcher) == 0:
            waiting = [endpoint.next_attempt_us for endpoint in dispatcher.store.list()
                       if endpoint.enabled and endpoint.next_attempt_us is not None]
            clock.now_us = max(clock.now_us, min(waiting, default=clock.now_us))
    assert done()


def history(store: EndpointStore, endpoint_id: str) -> list[dict[str, Any]]:
    """The delivery log, oldest attempt first."""
    return list(reversed(store.deliveries(endpoint_id, limit=10_000)))


def unfiltered(log: EventLog) -> list[Event]:
    """The events an endpoint without a filter hears (all but the opt-in block events)."""
    return [event for event in log.outbox().read(0, 100_000) if matches(event.type, ())]


def heard(events: list[Event], owner: str, types: tuple[str, ...] = ()) -> list[str]:
    return [event.id for event in events
            if visible_to(event.parties, owner) and matches(event.type, types)]


# delivery, order and retries -----------------------------------------------------------

def test_a_receiver_failing_its_first_deliveries_gets_every_event_once_in_order(
        event_log: EventLog) -> None:
    event_log.write(shop(merchants=1, orders_each=2))
    events = unfiltered(event_log)
    store = EndpointStore(event_log.engine)
    clock = Clock()

    async def scenario() -> tuple[list[str], Endpoint]:
        async with Receiver([500, 500, 500]) as receiver, dispatching(
                event_log.engine, clock) as dispatcher:
            endpoint, _ = store.create("admin", receiver.url, policy=LOCAL, after=0)
            await deliver_until(dispatcher, clock, lambda: len(receiver.accepted) == len(events))
            await run_pass(dispatcher)
            return receiver.ids(), endpoint

    ids, endpoint = asyncio.run(scenario())
    assert ids == [event.id for event in events]
    log = history(store, endpoint.id)
    first = events[0]
    assert [(row["seq"], row["event_id"], row["attempt"], row["outcome"], row["http_status"])
            for row in log[:4]] == [
        (first.seq, first.id, 1, "failed", 500), (first.seq, first.id, 2, "failed", 500),
        (first.seq, first.id, 3, "failed", 500), (first.seq, first.id, 4, "delivered", 200)]
    assert log[0]["detail"] == "HTTP 500: answer 500 from the receiver"
    assert [(row["seq"], row["attempt"], row["outcome"]) for row in log[4:]] == [
        (event.seq, 1, "delivered") for event in events[1:]]
    assert len({row["attempt_us"] for row in log}) == len(log)
    after = store.require(endpoint.id)
    assert (after.cursor, after.attempts, after.failing_since_us, after.next_attempt_us) == (
        event_log.outbox().last_seq(), 0, None, None)  # past the block event too


def test_signatures_verify_with_standardwebhooks_and_tampering_does_not(
        sqlite_event_log: EventLog) -> None:
    sqlite_event_log.write(shop(merchants=1, orders_each=1))
    events = unfiltered(sqlite_event_log)
    store = EndpointStore(sqlite_event_log.engine)

    async def scenario() -> tuple[list[Any], str]:
        async with Receiver() as receiver, dispatching(sqlite_event_log.engine) as dispatcher:
            _, secret = store.create("admin", receiver.url, policy=LOCAL, after=0)
            await run_pass(dispatcher)
            return receiver.accepted, secret

    accepted, secret = asyncio.run(scenario())
    assert [received.body for received in accepted] == [event.body for event in events]
    for received in accepted:
        assert Webhook(secret).verify(received.body, received.headers)["id"] == received.event_id
    received = accepted[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(received.body.replace(b'"data":{', b'"data":{"x":1,'),
                               received.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(received.body, {**received.headers, "webhook-id": "ev_other"})
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(received.body, received.headers)


def test_merchants_hear_only_their_own_events_admin_hears_all_and_filters_apply(
        event_log: EventLog) -> None:
    event_log.write(shop(merchants=2, orders_each=2))
    events = unfiltered(event_log)
    by_id = {event.id: event for event in events}
    store = EndpointStore(event_log.engine)
    owners = [("merchant:m1", ()), ("merchant:m2", ()), ("admin", ()),
              ("merchant:m1", ("order.*",))]

    async def scenario() -> list[list[str]]:
        async with contextlib.AsyncExitStack() as stack:
            receivers = [await stack.enter_async_context(Receiver()) for _ in owners]
            dispatcher = await stack.enter_async_context(dispatching(event_log.engine))
            for receiver, (owner, types) in zip(receivers, owners, strict=True):
                store.create(owner, receiver.url, types, policy=LOCAL, after=0)
            await run_pass(dispatcher)
            return [receiver.ids() for receiver in receivers]

    m1, m2, admin, m1_orders = asyncio.run(scenario())
    assert admin == [event.id for event in events]
    for ids, mine, other in ((m1, "m1", "m2"), (m2, "m2", "m1")):
        assert ids == heard(events, f"merchant:{mine}")
        for event_id in ids:
            data = orjson.loads(by_id[event_id].body)["data"]
            assert f"merchant:{other}" not in by_id[event_id].parties
            assert data.get("merchant") in (None, mine)
            assert not str(data.get("member", "")).startswith(f"u{other[1]}_")
        placed = [event_id for event_id in ids if by_id[event_id].type == "order.placed"]
        assert [orjson.loads(by_id[event_id].body)["data"]["order"] for event_id in placed] == [
            f"o{mine[1]}_0", f"o{mine[1]}_1"]
    assert m1_orders == [event_id for event_id in m1 if by_id[event_id].type.startswith("order.")]
    assert {by_id[event_id].type for event_id in m1_orders} == {"order.placed", "order.settled"}


def test_several_endpoints_get_long_runs_in_order_across_batches(event_log: EventLog) -> None:
    event_log.write(shop(merchants=2, orders_each=40))
    event_log.write(shop(merchants=0, orders_each=0) + [
        {"op": "merchant", "id": f"x{n}", "name": "x", "industry": "retail"} for n in range(150)])
    events = unfiltered(event_log)
    store = EndpointStore(event_log.engine)

    async def scenario() -> list[list[str]]:
        async with contextlib.AsyncExitStack() as stack:
            receivers = [await stack.enter_async_context(Receiver()) for _ in range(4)]
            dispatcher = await stack.enter_async_context(
                dispatching(event_log.engine, batch=100))
            for number, receiver in enumerate(receivers):
                store.create("admin" if number < 3 else "merchant:m2", receiver.url,
                             policy=LOCAL, after=0 if number else events[200].seq)
            for _ in range(200):
                if all(endpoint.cursor == event_log.outbox().last_seq()
                       for endpoint in store.list()):
                    break
                await run_pass(dispatcher)
            return [receiver.ids() for receiver in receivers]

    first, second, third, merchant = asyncio.run(scenario())
    assert len(events) > 400
    assert first == [event.id for event in events[201:]]
    assert second == third == [event.id for event in events]
    assert merchant == heard(events, "merchant:m2")


# bad receivers ---------------------------------------------------------------------------

BAD_RECEIVERS = {
    "redirect_301": (lambda: Receiver([301]), "redirect", "HTTP 301 to https://elsewhere"),
    "redirect_302": (lambda: Receiver([302]), "redirect", "HTTP 302 to https://elsewhere"),
    "not_found": (lambda: Receiver([404]), "rejected", "HTTP 404: answer 404"),
    "server_error": (lambda: Receiver([500]), "failed", "HTTP 500: answer 500"),
    "hanging": (lambda: RawReceiver("hang"), "timeout", "no answer within 0.3 s"),
    "huge_error": (lambda: RawReceiver("huge", 500), "failed",
                   "HTTP 500: a huge answer a huge answer"),
    "refused": (Receiver, "unreachable", "cannot connect to 127.0.0.1:"),
}


@pytest.mark.parametrize("kind", list(BAD_RECEIVERS))
def test_each_bad_receiver_has_its_outcome_and_loses_nothing(event_log: EventLog,
                                                             kind: str) -> None:
    event_log.write(shop(merchants=1, orders_each=1))
    events = unfiltered(event_log)
    store = EndpointStore(event_log.engine)
    clock = Clock()
    make, outcome, detail = BAD_RECEIVERS[kind]

    async def scenario() -> tuple[list[str], int]:
        async with make() as receiver, dispatching(event_log.engine, clock,
                                                   timeout_s=0.3) as dispatcher:
            url = f"http://127.0.0.1:{free_port()}/hook" if kind == "refused" else receiver.url
            endpoint, _ = store.create("admin", url, policy=LOCAL, after=0)
            assert await run_pass(dispatcher) == 1
            if kind == "refused":
                store.update(endpoint.id, url=receiver.url, policy=LOCAL)
            receiver.healthy()
            await deliver_until(dispatcher, clock, lambda: len(receiver.accepted) == len(events))
            if isinstance(receiver, RawReceiver) and kind == "huge_error":
                await asyncio.wait_for(receiver.huge_over.wait(), 30)
                return receiver.ids(), receiver.bytes_sent
            return receiver.ids(), 0

    ids, bytes_sent = asyncio.run(scenario())
    assert ids == [event.id for event in events]
    [endpoint] = store.list()
    log = history(store, endpoint.id)
    assert (log[0]["outcome"], log[0]["seq"], log[0]["attempt"]) == (outcome, events[0].seq, 1)
    assert log[0]["detail"].startswith(detail), log[0]["detail"]
    assert [row["outcome"] for row in log[1:]] == ["delivered"] * len(events)
    assert bytes_sent < HUGE_BYTES // 2


def test_a_huge_answer_is_read_only_up_to_the_limit(sqlite_event_log: EventLog) -> None:
    sqlite_event_log.write(shop(merchants=1, orders_each=1))
    events = unfiltered(sqlite_event_log)
    store = EndpointStore(sqlite_event_log.engine)

    async def scenario() -> int:
        async with RawReceiver("huge") as receiver, dispatching(
                sqlite_event_log.engine, max_response_bytes=10_000) as dispatcher:
            store.create("admin", receiver.url, policy=LOCAL, after=0)
            assert await run_pass(dispatcher) == len(events)
            await asyncio.wait_for(receiver.huge_over.wait(), 30)
            return receiver.bytes_sent

    bytes_sent = asyncio.run(scenario())
    [endpoint] = store.list()
    row, *rest = history(store, endpoint.id)
    assert (row["seq"], row["outcome"], row["http_status"]) == (events[0].seq, "delivered", 200)
    assert [later["outcome"] for later in rest] == ["delivered"] * (len(events) - 1)
    assert row["detail"].endswith("(only the first 10000 bytes of the answer were read)")
    assert len(row["detail"]) < 300
    assert bytes_sent < HUGE_BYTES // 2


def test_a_hanging_receiver_holds_up_only_its_own_endpoint(sqlite_event_log: EventLog) -> None:
    sqlite_event_log.write(shop(merchants=1, orders_each=1))
    store = EndpointStore(sqlite_event_log.engine)

    async def scenario() -> None:
        async with RawReceiver("hang") as stuck, Receiver() as healthy, dispatching(
                sqlite_event_log.engine, timeout_s=60) as dispatcher:
            hanging, _ = store.create("admin", stuck.url, policy=LOCAL, after=0)
            other, _ = store.create("admin", healthy.url, policy=LOCAL, after=0)
            for block in range(2):
                expected = [event.id for event in unfiltered(sqlite_event_log)]
                last = sqlite_event_log.outbox().last_seq()
                for _ in range(1000):
                    if store.require(other.id).cursor == last:
                        break
                    await dispatcher.step()
                assert healthy.ids() == expected
                assert stuck.hanging.is_set() and stuck.requests == 1
                assert dispatcher.in_flight == 1
                if block == 0:
                    sqlite_event_log.write(shop(merchants=0, orders_each=0))
            assert store.deliveries(hanging.id) == []
            assert store.require(hanging.id).cursor == 0

    asyncio.run(scenario())


@pytest.mark.parametrize("change", ["deleted", "disabled"])
def test_an_endpoint_deleted_or_disabled_during_an_attempt_stays_so(event_log: EventLog,
                                                                    change: str) -> None:
    event_log.write(shop(merchants=1, orders_each=1))
    store = EndpointStore(event_log.engine)

    async def scenario() -> str:
        async with RawReceiver("hang") as stuck, dispatching(event_log.engine,
                                                             timeout_s=0.3) as dispatcher:
            endpoint, _ = store.create("admin", stuck.url, policy=LOCAL, after=0)
            await dispatcher.step()
            await asyncio.wait_for(stuck.hanging.wait(), 10)
            if change == "deleted":
                store.delete(endpoint.id)
            else:
                store.update(endpoint.id, enabled=False, policy=LOCAL)
            await run_pass(dispatcher)
            assert stuck.requests == 1
            return endpoint.id

    endpoint_id = asyncio.run(scenario())
    with event_log.engine.connect() as connection:
        attempts = connection.execute(select(func.count()).select_from(webhook_deliveries).where(
            webhook_deliveries.c.endpoint == endpoint_id)).scalar()
    if change == "deleted":
        assert store.get(endpoint_id) is None
        assert attempts == 0
    else:
        endpoint = store.require(endpoint_id)
        assert (endpoint.enabled, endpoint.disabled_reason) == (False, "disabled by its owner")
        assert [row["outcome"] for row in store.deliveries(endpoint_id)] == ["timeout"]


def test_a_receiver_closing_kept_alive_connections_gets_everything_first_time(
        sqlite_event_log: EventLog) -> None:
    sqlite_event_log.write(shop(merchants=1, orders_each=3))
    events = unfiltered(sqlite_event_log)
    store = EndpointStore(sqlite_event_log.engine)

    async def scenario() -> list[str]:
        async with RawReceiver("once") as receiver, dispatching(
                sqlite_event_log.engine) as dispatcher:
            store.create("admin", receiver.url, policy=LOCAL, after=0)
            await run_pass(dispatcher)
            return receiver.ids()

    assert asyncio.run(scenario()) == [event.id for event in events]
    [endpoint] = store.list()
    assert {row["outcome"] for row in store.deliveries(endpoint.id, limit=100)} == {"delivered"}


# backoff, disabling, replay ----------------------------------------------------------------

def test_retries_wait_for_their_time_and_back_off_twice_as_long_up_to_the_cap(
        event_log: EventLog) -> None:
    event_log.write(shop(merchants=1, orders_each=1))
    events = unfiltered(event_log)
    store = EndpointStore(event_log.engine)
    clock = Clock()

    async def scenario() -> tuple[list[int], list[str]]:
        intervals = []
        async with Receiver([500] * 6) as receiver, dispatching(
                event_log.engine, clock, first_retry_s=5, max_retry_interval_s=30) as dispatcher:
            endpoint, _ = store.create("admin", receiver.url, policy=LOCAL, after=0)
            for attempt in range(1, 7):
                assert await run_pass(dispatcher) == 1
                state = store.require(endpoint.id)
                assert state.attempts == attempt
                assert state.next_attempt_us is not None
                intervals.append(state.next_attempt_us - clock.now_us)
                clock.now_us = state.next_attempt_us - 1
                assert await run_pass(dispatcher) == 0
                assert receiver.requests == attempt
                clock.now_us += 1
            await run_pass(dispatcher)
            return intervals, receiver.ids()

    intervals, ids = asyncio.run(scenario())
    assert intervals == [5 * SECOND, 10 * SECOND, 20 * SECOND, 30 * SECOND, 30 * SECOND,
                         30 * SECOND]
    assert ids == [event.id for event in events]


def test_an_endpoint_failing_for_three_days_is_disabled_and_resumes_when_enabled(
        event_log: EventLog) -> None:
    event_log.write(shop(merchants=1, orders_each=1))
    events = unfiltered(event_log)
    store = EndpointStore(event_log.engine)
    clock = Clock()
    start_us = clock.now_us
    slow_retries = {"first_retry_s": 3600, "max_retry_interval_s": 6 * 3600,
                    "retry_for_s": 3 * 86400}

    async def scenario() -> tuple[Endpoint, list[int], dict[str, list[str]]]:
        async with Receiver([500] * 1000) as failing, Receiver() as operator, \
                Receiver() as merchant, dispatching(event_log.engine, clock,
                                                    **slow_retries) as dispatcher:
            endpoint, _ = store.create("merchant:m1", failing.url, policy=LOCAL, after=0)
            store.create("admin", operator.url, policy=LOCAL, after=0)
            store.create("merchant:m1", merchant.url, policy=LOCAL, after=0)
            times = []
            while store.require(endpoint.id).enabled:
                assert len(times) < 100
                times.append(clock.now_us)
                assert await run_pass(dispatcher) >= 1
                clock.now_us = store.require(endpoint.id).next_attempt_us or clock.now_us
            disabled = store.require(endpoint.id)
            await run_pass(dispatcher)  # the operator hears of it
            failing.healthy()
            store.update(endpoint.id, enabled=True, policy=LOCAL)
            await deliver_until(dispatcher, clock,
                                lambda: len(failing.accepted) == len(merchant.accepted))
            return disabled, times, {"failing": failing.ids(), "operator": operator.ids(),
                                     "merchant": merchant.ids()}

    disabled, times, ids = asyncio.run(scenario())
    assert times[-2] - start_us < 3 * DAY <= times[-1] - start_us
    assert disabled.disabled_reason is not None
    assert disabled.disabled_reason == (
        f"disabled after failing since {format_time(times[0])}: the last attempt at event "
        f"{heard(events, 'merchant:m1')[0]} had the outcome 'failed' (HTTP 500: answer 500 "
        "from the receiver)")
    assert disabled.cursor == 0
    [notice] = [event for event in unfiltered(event_log) if event.type == ENDPOINT_DISABLED]
    assert visible_to(notice.parties, "admin")
    assert not visible_to(notice.parties, "merchant:m1")
    body = orjson.loads(notice.body)
    assert body["id"] == notice.id == f"ev_endpoint_{disabled.id}_{times[-1]}"
    assert body["data"] == {
        "endpoint": disabled.id, "owner": "merchant:m1", "url": disabled.url,
        "reason": disabled.disabled_reason, "failing_since": format_time(times[0]),
        "event_id": heard(events, "merchant:m1")[0]}
    assert ids["operator"] == [event.id for event in events] + [notice.id]
    assert ids["merchant"] == heard(events, "merchant:m1")
    assert ids["failing"] == ids["merchant"]
    assert store.require(disabled.id).enabled


def test_a_replay_sends_the_range_again_in_order_then_live_events(event_log: EventLog) -> None:
    event_log.write(shop(merchants=1, orders_each=2))
    first_block = unfiltered(event_log)
    store = EndpointStore(event_log.engine)
    clock = Clock()

    async def scenario() -> tuple[list[str], Endpoint]:
        async with Receiver() as receiver, dispatching(event_log.engine, clock) as dispatcher:
            endpoint, _ = store.create("merchant:m1", receiver.url, policy=LOCAL, after=0)
            await run_pass(dispatcher)
            store.replay(endpoint.id, first_block[3].seq, first_block[9].seq)
            event_log.write([{"op": "order", "id": "o1_9", "merchant": "m1", "member": "u1_9",
                              "amount": "100.00", "profit": "20.00"}])
            last = event_log.outbox().last_seq()
            await deliver_until(dispatcher, clock,
                                lambda: store.require(endpoint.id).cursor == last)
            return receiver.ids(), store.require(endpoint.id)

    ids, endpoint = asyncio.run(scenario())
    events = unfiltered(event_log)
    mine = heard(events, "merchant:m1")
    again = heard(first_block[3:10], "merchant:m1")
    assert again
    originals = heard(first_block, "merchant:m1")
    assert ids == originals + again + mine[len(originals):]
    assert len(mine) > len(originals)
    assert (endpoint.replay_next, endpoint.replay_end, endpoint.cursor) == (
        None, None, event_log.outbox().last_seq())


def test_retries_are_pruned_only_when_they_succeeded_and_are_old(
        sqlite_event_log: EventLog) -> None:
    sqlite_event_log.write(shop(merchants=1, orders_each=1))
    store = EndpointStore(sqlite_event_log.engine)
    clock = Clock()

    async def scenario() -> tuple[list[str], list[str]]:
        async with Receiver([500]) as receiver, dispatching(
                sqlite_event_log.engine, clock, keep_deliveries_s=60) as dispatcher:
            endpoint, _ = store.create("admin", receiver.url, policy=LOCAL, after=0)
            await deliver_until(dispatcher, clock, lambda: store.require(
                endpoint.id).cursor == sqlite_event_log.outbox().last_seq())
            before = [row["outcome"] for row in history(store, endpoint.id)]
            clock.now_us += PRUNE_EVERY_US + 61 * SECOND
            await dispatcher.step()
            return before, [row["outcome"] for row in history(store, endpoint.id)]

    before, after = asyncio.run(scenario())
    assert before[0] == "failed" and set(before[1:]) == {"delivered"} and len(before) > 3
    assert after == ["failed"]


# where deliveries may go -----------------------------------------------------------------

FORBIDDEN_HOSTS = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "localhost",
                   "100.64.0.1", "192.168.1.20", "172.16.0.1", "[fe80::1]", "[fc00::1]",
                   "224.0.0.1", "0.0.0.0", "[::ffff:10.0.0.1]", "[::ffff:127.0.0.1]",
                   "[2002:7f00:1::1]", "240.0.0.1"]
"""Hosts that are (or resolve to) no public address: loopback, private, link-local (cloud
metadata), carrier-grade NAT, multicast, unspecified, reserved, and IPv6 forms of these."""


@pytest.mark.parametrize("host", FORBIDDEN_HOSTS)
def test_the_default_policy_refuses_every_address_that_is_not_public(host: str) -> None:
    with pytest.raises(EndpointError) as refused:
        UrlPolicy().check(f"http://{host}:8080/hook")
    assert refused.value.code == "invalid_url"
    assert "which is not a public address" in refused.value.message
    assert UrlPolicy(private_targets=True).check(f"http://{host}:8080/hook")


@pytest.mark.parametrize("listen_on", ["127.0.0.1", "::1"])
def test_a_stored_endpoint_on_a_private_address_is_never_connected_to(
        event_log: EventLog, listen_on: str) -> None:
    """An endpoint stored while private targets were allowed (or before this check):
    with the setting off, each attempt is refused before connecting, logged as
    forbidden_address, and says nothing of whether the port is open."""
    event_log.write(shop(merchants=1, orders_each=1))
    store = EndpointStore(event_log.engine)

    async def scenario(listener: Listener) -> list[Endpoint]:
        host = f"[{listen_on}]" if ":" in listen_on else listen_on
        names = [host, *(["localhost"] if listen_on == "127.0.0.1" else [])]
        endpoints = [store.create("admin", f"http://{name}:{listener.port}/hook",
                                  policy=LOCAL, after=0)[0] for name in names]
        endpoints.append(store.create("admin", f"http://{host}:{free_port()}/closed",
                                      policy=LOCAL, after=0)[0])
        async with dispatching(event_log.engine, policy=UrlPolicy()) as dispatcher:
            assert await run_pass(dispatcher) == len(endpoints)
        return endpoints

    with Listener(listen_on) as listener:
        endpoints = asyncio.run(scenario(listener))
        assert listener.connections == 0
    details = []
    for endpoint in endpoints:
        [row] = store.deliveries(endpoint.id)
        assert (row["outcome"], row["http_status"]) == ("forbidden_address", None)
        assert "which is not a public address" in row["detail"]
        assert "connect" not in row["detail"]
        details.append(row["detail"])
        assert store.require(endpoint.id).attempts == 1
    # An open port and a closed one read the same: the log is no port scanner.
    assert details[0] == details[-1]


def test_a_name_that_resolves_elsewhere_at_delivery_is_checked_again(
        sqlite_event_log: EventLog, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a name that resolved to a public address at registration and to
    127.0.0.1 when delivering is refused then, and nothing is connected to."""
    sqlite_event_log.write(shop(merchants=1, orders_each=1))
    store = EndpointStore(sqlite_event_log.engine)
    answers = iter(["93.184.216.34"])
    real = socket.getaddrinfo

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host != "hooks.rebind.test":
            return real(host, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, args[0]))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    async def scenario(listener: Listener) -> Endpoint:
        endpoint, _ = store.create("admin", f"http://hooks.rebind.test:{listener.port}/h",
                                   policy=UrlPolicy(), after=0)
        async with dispatching(sqlite_event_log.engine, policy=UrlPolicy()) as dispatcher:
            assert await run_pass(dispatcher) == 1
        return endpoint

    with Listener() as listener:
        endpoint = asyncio.run(scenario(listener))
        assert listener.connections == 0
    [row] = store.deliveries(endpoint.id)
    assert row["outcome"] == "forbidden_address"
    assert "hooks.rebind.test resolves to 127.0.0.1" in row["detail"]


def test_private_targets_allowed_still_never_include_the_service_itself() -> None:
    own = UrlPolicy(private_targets=True, own=frozenset({("127.0.0.1", 8123)}))
    for url in ("http://127.0.0.1:8123/x", "http://localhost:8123/x"):
        with pytest.raises(EndpointError) as refused:
            own.check(url)
        assert "this service itself" in refused.value.message
    assert own.check("http://127.0.0.1:8124/x")


@pytest.mark.parametrize(("policy", "url"), [
    (LOCAL, "ftp://example.com/hook"),
    (LOCAL, "file:///etc/passwd"),
    (LOCAL, "javascript:alert(1)"),
    (LOCAL, "http://user:secret@example.com/hook"),
    (LOCAL, "http://user@example.com/hook"),
    (UrlPolicy(), "https://no-such-host.invalid/hook"),
])
def test_url_policy_refuses(policy: UrlPolicy, url: str) -> None:
    with pytest.raises(EndpointError) as refused:
        policy.check(url)
    assert refused.value.code == "invalid_url"


@pytest.mark.parametrize(("policy", "url"), [
    (LOCAL, "http://10.0.0.1/hook"),
    (UrlPolicy(), "https://93.184.216.34/hook"),
    (UrlPolicy(), "https://[2606:2800:220:1:248:1893:25c8:1946]/hook"),
    (UrlPolicy(), "https://[::ffff:93.184.216.34]/hook"),
])
def test_url_policy_accepts(policy: UrlPolicy, url: str) -> None:
    assert policy.check(url) == url


# the loop --------------------------------------------------------------------------------

def test_run_delivers_until_stopped_and_outlives_database_errors(
        sqlite_event_log: EventLog, caplog: pytest.LogCaptureFixture) -> None:
    sqlite_event_log.write(shop(merchants=1, orders_each=2))
    events = unfiltered(sqlite_event_log)
    store = EndpointStore(sqlite_event_log.engine)

    async def scenario() -> list[str]:
        async with Receiver() as receiver, dispatching(sqlite_event_log.engine) as dispatcher:
            store.create("admin", receiver.url, policy=LOCAL, after=0)
            failures = iter(range(2))
            listing = dispatcher.store.list

            def flaky(owner: str | None = None) -> list[Endpoint]:
                if next(failures, None) is not None:
                    raise OperationalError("SELECT", {}, Exception("database is locked"))
                return listing(owner)

            dispatcher.store.list = flaky  # type: ignore[method-assign]
            stop = asyncio.Event()
            running = asyncio.create_task(dispatcher.run(stop))
            for _ in range(1000):
                if len(receiver.accepted) == len(events):
                    break
                await asyncio.sleep(0.01)
            sqlite_event_log.write(shop(merchants=0, orders_each=0))
            total = len(unfiltered(sqlite_event_log))
            for _ in range(1000):
                if len(receiver.accepted) == total:
                    break
                await asyncio.sleep(0.01)
            stop.set()
            await asyncio.wait_for(running, 10)
            assert dispatcher.status["delivered"] == total
            return receiver.ids()

    with caplog.at_level("WARNING", logger="profitpool.events"):
        ids = asyncio.run(scenario())
    assert ids == [event.id for event in unfiltered(sqlite_event_log)]
    assert len([record for record in caplog.records if "a pass failed" in record.message]) == 2
