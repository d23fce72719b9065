"""The NATS stream: every event once, in seq order, across restarts, crashes and outages.

These run against a real NATS server with JetStream (``PROFITPOOL_TEST_NATS``);
each test gets a stream and subject prefix of its own, deleted afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import nats.errors
import nats.js.errors
import pytest
from eventhelpers import EventLog, shop
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from profitpool.events.domain import Event
from profitpool.events.options import EventsOptions
from profitpool.events.stream import AckInbox, StreamPublisher, cursor_key
from profitpool.store.repository import LogStore

NATS_ENV = "PROFITPOOL_TEST_NATS"
UNREACHABLE = "nats://127.0.0.1:1"


@pytest.fixture
def stream_options() -> Iterator[EventsOptions]:
    """Options for a stream of this test's own (small batches: several per test)."""
    url = os.environ.get(NATS_ENV)
    if not url:
        pytest.skip(f"{NATS_ENV} is not set: the stream tests need a NATS server with "
                    "JetStream (.ci/run sets it)")
    tag = uuid.uuid4().hex[:12]
    options = EventsOptions(nats_url=url, stream=f"TEST_{tag.upper()}",
                            subject_prefix=f"test{tag}", batch=7, poll_s=0.01, timeout_s=5.0)
    yield options
    asyncio.run(_delete_stream(url, options.stream))


class OwnServer:
    """A NATS server of this test's own, to kill mid-batch and start again on the same store."""

    def __init__(self, program: str, store: Path) -> None:
        self.program, self.store = program, store
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.program, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd",
             str(self.store)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError(f"{self.program} did not listen on {self.port} within 10 s")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_server(stream_options: EventsOptions, tmp_path: Path) -> Iterator[OwnServer]:
    program = shutil.which("nats-server") or shutil.which("nats-server", path="/usr/sbin")
    if program is None:
        pytest.skip("nats-server is not installed: this test starts and kills its own")
    server = OwnServer(program, tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.kill()


async def _delete_stream(url: str, stream: str) -> None:
    async with jetstream(url) as js:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(stream)


@contextlib.asynccontextmanager
async def jetstream(url: str) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(url, allow_reconnect=False)
    try:
        yield client.jetstream()
    finally:
        await client.close()


async def publish_all(publisher: StreamPublisher) -> int:
    """Step until the outbox is drained; every step must have worked."""
    total = 0
    while published := await publisher.step():
        total += published
    assert publisher.status["last_error"] is None, publisher.status
    return total


async def read(subscription: JetStreamContext.PullSubscription, count: int) -> list[Msg]:
    """Exactly ``count`` messages, acknowledged, in the order the consumer delivers them."""
    messages: list[Msg] = []
    while len(messages) < count:
        batch = await subscription.fetch(min(count - len(messages), 50), timeout=2)
        for message in batch:
            await message.ack()
        messages.extend(batch)
    return messages


async def nothing_more(subscription: JetStreamContext.PullSubscription) -> bool:
    try:
        await subscription.fetch(1, timeout=0.3)
    except nats.errors.TimeoutError:
        return True
    return False


def all_events(log: EventLog) -> list[Event]:
    return log.outbox().read(0, 100_000)


def stored_cursor(log: EventLog, options: EventsOptions) -> int:
    return int(LogStore(log.engine).meta().get(cursor_key(options.stream), "0"))


def summary(messages: list[Msg]) -> list[tuple[str, str, str, str, bytes]]:
    headers: list[dict[str, Any]] = [message.headers or {} for message in messages]
    return [(message.subject, header["Nats-Msg-Id"], header["Profitpool-Seq"],
             header["Profitpool-Type"], message.data)
            for message, header in zip(messages, headers, strict=True)]


def expected(events: list[Event], prefix: str) -> list[tuple[str, str, str, str, bytes]]:
    return [(f"{prefix}.{event.type}", event.id, str(event.seq), event.type, event.body)
            for event in events]


def test_every_outbox_event_arrives_once_in_seq_order_with_body_and_headers(
        event_log: EventLog, stream_options: EventsOptions) -> None:
    event_log.write(shop(merchants=2, orders_each=3))
    event_log.write([{"op": "withdraw", "id": "w1", "member": "u1_0", "points": "1"}])
    events = all_events(event_log)

    async def scenario() -> list[Msg]:
        publisher = StreamPublisher(event_log.engine, stream_options)
        try:
            assert await publish_all(publisher) == len(events)
        finally:
            await publisher.close()
        assert publisher.status["cursor"] == events[-1].seq
        async with jetstream(stream_options.nats_url or "") as js:
            info = await js.stream_info(stream_options.stream)
            assert info.state.messages == len(events)
            assert info.config.subjects == [f"{stream_options.subject_prefix}.>"]
            subscription = await js.pull_subscribe(
                f"{stream_options.subject_prefix}.>", stream=stream_options.stream)
            messages = await read(subscription, len(events))
            assert await nothing_more(subscription)
            await subscription.unsubscribe()
        return messages

    messages = asyncio.run(scenario())
    assert summary(messages) == expected(events, stream_options.subject_prefix)
    assert stored_cursor(event_log, stream_options) == events[-1].seq


def test_a_durable_consumer_sees_every_event_once_after_a_crash_and_restart(
        event_log: EventLog, stream_options: EventsOptions) -> None:
    # A window far shorter than the outage: de-duplication alone could not save us.
    options = dataclasses.replace(stream_options, duplicate_window_s=0.5)
    prefix = options.subject_prefix
    event_log.write(shop(merchants=2, orders_each=2))
    first = all_events(event_log)

    async def before_the_crash() -> list[Msg]:
        stop = asyncio.Event()
        publisher = StreamPublisher(event_log.engine, options)
        running = asyncio.create_task(publisher.run(stop))
        while publisher.status["cursor"] < first[-1].seq:
            await asyncio.sleep(0.01)
        stop.set()
        await running
        assert publisher.status["connected"] is False
        async with jetstream(options.nats_url or "") as js:
            subscription = await js.pull_subscribe(f"{prefix}.>", durable="reader",
                                                   stream=options.stream)
            return await read(subscription, 5)

    seen = asyncio.run(before_the_crash())
    # The crash: the stream has every event, the stored cursor lags far behind.
    LogStore(event_log.engine).set_meta({cursor_key(options.stream): str(first[1].seq)})
    event_log.write([{"op": "withdraw", "id": "w1", "member": "u1_0", "points": "1"}])
    event_log.write([{"op": "order", "id": "late", "merchant": "m1", "member": "u9",
                      "amount": "50.00", "profit": "10.00"}])
    events = all_events(event_log)

    async def after_the_restart() -> tuple[int, list[Msg]]:
        await asyncio.sleep(0.6)  # past the duplicate window
        publisher = StreamPublisher(event_log.engine, options)
        try:
            published = await publish_all(publisher)
        finally:
            await publisher.close()
        async with jetstream(options.nats_url or "") as js:
            info = await js.stream_info(options.stream)
            assert info.state.messages == len(events)
            subscription = await js.pull_subscribe(f"{prefix}.>", durable="reader",
                                                   stream=options.stream)
            rest = await read(subscription, len(events) - len(seen))
            assert await nothing_more(subscription)
            await subscription.unsubscribe()
        return published, rest

    published, rest = asyncio.run(after_the_restart())
    assert published == len(events) - len(first)  # nothing sent again
    assert summary(seen) == expected(events[:5], prefix)  # the consumer goes on after the 5th
    assert summary(seen + rest) == expected(events, prefix)
    assert stored_cursor(event_log, options) == events[-1].seq


def test_a_new_consumer_replays_the_stream_from_the_start(
        event_log: EventLog, stream_options: EventsOptions) -> None:
    prefix = stream_options.subject_prefix
    event_log.write(shop(merchants=1, orders_each=2))

    async def scenario() -> list[Msg]:
        publisher = StreamPublisher(event_log.engine, stream_options)
        try:
            await publish_all(publisher)
            async with jetstream(stream_options.nats_url or "") as js:
                early = await js.pull_subscribe(f"{prefix}.>", durable="early",
                                                stream=stream_options.stream)
                await read(early, len(all_events(event_log)))
                event_log.write([{"op": "withdraw", "id": "w1", "member": "u1_0",
                                  "points": "1"}])
                await publish_all(publisher)
                late = await js.pull_subscribe(
                    f"{prefix}.>", durable="late", stream=stream_options.stream,
                    config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
                replayed = await read(late, len(all_events(event_log)))
                assert await nothing_more(late)
                for subscription in (early, late):
                    await subscription.unsubscribe()
        finally:
            await publisher.close()
        return replayed

    replayed = asyncio.run(scenario())
    assert summary(replayed) == expected(all_events(event_log), prefix)


def test_an_unreachable_server_raises_nothing_loses_nothing_and_says_why(
        event_log: EventLog, stream_options: EventsOptions) -> None:
    event_log.write(shop(merchants=1, orders_each=2))
    events = all_events(event_log)
    down = dataclasses.replace(stream_options, nats_url=UNREACHABLE)

    async def outage() -> StreamPublisher:
        publisher = StreamPublisher(event_log.engine, down)
        assert await publisher.step() == 0
        stop = asyncio.Event()
        running = asyncio.create_task(publisher.run(stop))
        while publisher.status["failures"] < 2:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(running, 2)  # the backoff gives way to stop at once
        return publisher

    publisher = asyncio.run(outage())
    status = publisher.status
    assert status["last_error"].startswith(f"{UNREACHABLE} is unreachable: ")
    assert "\n" not in status["last_error"]
    assert status["connected"] is False
    assert status["published"] == 0 and status["cursor"] == 0
    assert stored_cursor(event_log, stream_options) == 0

    async def back() -> int:
        publisher = StreamPublisher(event_log.engine, stream_options)
        try:
            return await publish_all(publisher)
        finally:
            await publisher.close()

    assert asyncio.run(back()) == len(events)
    assert stored_cursor(event_log, stream_options) == events[-1].seq


def test_a_message_lost_on_the_way_is_sent_again_not_skipped(
        sqlite_event_log: EventLog, stream_options: EventsOptions,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite_event_log.write(shop(merchants=2, orders_each=2))
    events = all_events(sqlite_event_log)
    send = AckInbox.publish
    sent = 0

    async def lose_the_third(self: AckInbox, subject: str, body: bytes,
                             headers: dict[str, str], token: str) -> asyncio.Future[Any]:
        nonlocal sent
        sent += 1
        if sent != 3:
            return await send(self, subject, body, headers, token)
        lost: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        lost.set_exception(nats.errors.TimeoutError())
        return lost

    monkeypatch.setattr(AckInbox, "publish", lose_the_third)

    async def scenario() -> tuple[str, list[Msg]]:
        publisher = StreamPublisher(sqlite_event_log.engine, stream_options)
        try:
            assert await publisher.step() == 2  # the 4th to 7th may not follow a gap
            failure = publisher.status["last_error"]
            assert publisher.status["cursor"] == events[1].seq
            assert stored_cursor(sqlite_event_log, stream_options) == events[1].seq
            await publish_all(publisher)
        finally:
            await publisher.close()
        async with jetstream(stream_options.nats_url or "") as js:
            subscription = await js.pull_subscribe(f"{stream_options.subject_prefix}.>",
                                                   stream=stream_options.stream)
            messages = await read(subscription, len(events))
            assert await nothing_more(subscription)
            await subscription.unsubscribe()
        return failure, messages

    failure, messages = asyncio.run(scenario())
    assert failure == f"{stream_options.nats_url} did not answer within 5 s"
    assert summary(messages) == expected(events, stream_options.subject_prefix)


def test_a_server_killed_mid_batch_loses_nothing_and_repeats_nothing(
        sqlite_event_log: EventLog, stream_options: EventsOptions, own_server: OwnServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    options = dataclasses.replace(stream_options, nats_url=own_server.url)
    sqlite_event_log.write(shop(merchants=2, orders_each=3))
    events = all_events(sqlite_event_log)
    send = AckInbox.publish
    sent = 0

    async def kill_after_the_tenth(self: AckInbox, subject: str, body: bytes,
                                   headers: dict[str, str], token: str) -> asyncio.Future[Any]:
        nonlocal sent
        sent += 1
        if sent == 11:
            await self.client.flush()
            own_server.kill()
        return await send(self, subject, body, headers, token)

    async def scenario() -> tuple[str, list[Msg]]:
        publisher = StreamPublisher(sqlite_event_log.engine, options)
        try:
            with monkeypatch.context() as patch:
                patch.setattr(AckInbox, "publish", kill_after_the_tenth)
                while publisher.status["failures"] == 0:
                    await publisher.step()
            failure = publisher.status["last_error"]
            assert await publisher.step() == 0  # still down: it waits
            own_server.start()
            await publish_all(publisher)
        finally:
            await publisher.close()
        async with jetstream(own_server.url) as js:
            subscription = await js.pull_subscribe(f"{options.subject_prefix}.>",
                                                   stream=options.stream)
            messages = await read(subscription, len(events))
            assert await nothing_more(subscription)
            await subscription.unsubscribe()
        return failure, messages

    failure, messages = asyncio.run(scenario())
    assert failure in (f"the connection to {own_server.url} was lost",
                       f"publishing to {own_server.url} failed: nats: connection closed")
    assert summary(messages) == expected(events, options.subject_prefix)


def test_a_second_publisher_running_at_the_same_time_sends_nothing_twice(
        sqlite_event_log: EventLog, stream_options: EventsOptions) -> None:
    prefix = stream_options.subject_prefix

    async def scenario() -> list[Msg]:
        publishers = [StreamPublisher(sqlite_event_log.engine, stream_options),
                      StreamPublisher(sqlite_event_log.engine, stream_options)]
        try:
            for publisher in publishers:  # both connected: both see the stream empty
                assert await publisher.step() == 0
            sqlite_event_log.write(shop(merchants=2, orders_each=4))
            last = sqlite_event_log.outbox().last_seq()
            while any(publisher.status["cursor"] < last for publisher in publishers):
                for publisher in publishers:
                    await publisher.step()
                    assert publisher.status["last_error"] is None
        finally:
            for publisher in publishers:
                await publisher.close()
        assert sum(publisher.status["published"] for publisher in publishers) == last
        async with jetstream(stream_options.nats_url or "") as js:
            subscription = await js.pull_subscribe(f"{prefix}.>", stream=stream_options.stream)
            messages = await read(subscription, last)
            assert await nothing_more(subscription)
            await subscription.unsubscribe()
        return messages

    messages = asyncio.run(scenario())
    assert summary(messages) == expected(all_events(sqlite_event_log), prefix)


def test_a_stream_that_takes_other_subjects_is_refused_in_one_sentence(
        sqlite_event_log: EventLog, stream_options: EventsOptions) -> None:
    sqlite_event_log.write(shop(merchants=1, orders_each=1))

    async def scenario() -> dict[str, Any]:
        async with jetstream(stream_options.nats_url or "") as js:
            await js.add_stream(name=stream_options.stream, subjects=["elsewhere.>"])
        publisher = StreamPublisher(sqlite_event_log.engine, stream_options)
        try:
            assert await publisher.step() == 0
        finally:
            await publisher.close()
        return publisher.status

    status = asyncio.run(scenario())
    assert status["last_error"] == (
        f"the stream {stream_options.stream} on {stream_options.nats_url} takes elsewhere.>, "
        f"not {stream_options.subject_prefix}.>: delete it or set another stream name")
    assert stored_cursor(sqlite_event_log, stream_options) == 0


def test_a_stream_that_ends_with_another_logs_event_is_refused(
        sqlite_event_log: EventLog, stream_options: EventsOptions) -> None:
    sqlite_event_log.write(shop(merchants=1, orders_each=1))

    async def scenario() -> dict[str, Any]:
        async with jetstream(stream_options.nats_url or "") as js:
            await js.add_stream(name=stream_options.stream,
                                subjects=[f"{stream_options.subject_prefix}.>"])
            await js.publish(f"{stream_options.subject_prefix}.order.placed", b"{}", headers={
                "Nats-Msg-Id": "ev_999_0", "Profitpool-Seq": "999",
                "Profitpool-Type": "order.placed"})
        publisher = StreamPublisher(sqlite_event_log.engine, stream_options)
        try:
            assert await publisher.step() == 0
        finally:
            await publisher.close()
        return publisher.status

    status = asyncio.run(scenario())
    assert status["last_error"] == (
        f"the stream {stream_options.stream} ends with event ev_999_0 at seq 999, which this "
        "log does not hold: give each log its own stream")
