"""The NATS stream: every outbox event, in seq order, once, in a JetStream stream.

:class:`StreamPublisher` reads the outbox after its cursor and publishes each
event to ``<prefix>.<event type>`` of the stream ``options.stream`` (created
if missing): the canonical body unchanged, ``Nats-Msg-Id`` the event id,
``Profitpool-Seq`` and ``Profitpool-Type`` for consumers that route or resume.

Exactly once, across restarts and crashes, rests on three things:

* the stream itself says how far publishing got. The cursor in ``log_meta``
  is stored after a batch's acks, so a crash in between leaves it behind the
  stream; on every (re)connect the publisher reads the stream's last message
  and resumes after ``max(cursor, its Profitpool-Seq)``, however long ago it
  was published (the duplicate window does not matter);
* every message carries ``Nats-Expected-Last-Sequence``: the server stores it
  only if the stream's last message is the one sent before it. A batch is
  pipelined (all sent, then all acks awaited), so a message lost on the way
  (a dropped connection) would otherwise leave a gap behind later ones, and
  resuming after the last one would skip it for good; with the header,
  everything after a lost message is refused, and the next connect resumes
  right after what was stored;
* ``Nats-Msg-Id`` lets JetStream drop anything sent twice within its window.

A NATS server that is down or slow costs nothing but time: events wait in the
outbox, :attr:`StreamPublisher.status` says what is wrong in one sentence, and
:meth:`StreamPublisher.run` retries (1 s, doubling to 60 s), reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from typing import Any, Final

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import Header, PubAck, StorageType
from sqlalchemy import Engine

from ..store.repository import LogStore
from .domain import Event
from .options import EventsOptions
from .outbox import Outbox

SEQ_HEADER: Final = "Profitpool-Seq"
TYPE_HEADER: Final = "Profitpool-Type"
FIRST_RETRY_S: Final = 1.0
MAX_RETRY_S: Final = 60.0
NATS_ERRORS: Final = (nats.errors.Error, OSError, asyncio.TimeoutError)
"""What a NATS server that is down, slow or misconfigured raises (JetStream's errors too)."""

log = logging.getLogger("profitpool.events")


def cursor_key(stream: str) -> str:
    """The ``log_meta`` key of the last event seq known to be in ``stream``.

    One per stream: a new stream starts from the first event, not where another left off.
    """
    return f"events.nats.cursor.{stream}"


class StreamError(Exception):
    """The stream cannot be used as it is; the message says why, in one sentence."""


class AckInbox:
    """The acks of one connection's publishes, each matched to its message's future.

    nats-py 2.16's ``publish_async`` leaves the future of a message the server
    refuses pending forever (nats-io/nats.py#985), and the expected-sequence
    guard above is all about refusals; so the publisher sends plain messages
    with a reply subject of its own and reads the acks here.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.prefix = client.new_inbox()
        self.waiting: dict[str, asyncio.Future[PubAck]] = {}

    async def start(self) -> None:
        await self.client.subscribe(f"{self.prefix}.*", cb=self._receive)

    async def publish(self, subject: str, body: bytes, headers: dict[str, str],
                      token: str) -> asyncio.Future[PubAck]:
        """Send one message; its future is the stream's ack (or the server's refusal)."""
        ack: asyncio.Future[PubAck] = asyncio.get_running_loop().create_future()
        self.waiting[token] = ack
        await self.client.publish(subject, body, reply=f"{self.prefix}.{token}",
                                  headers=headers)
        return ack

    def lose_all(self) -> None:
        """The connection is gone: no ack will come for what is waiting."""
        for ack in self.waiting.values():
            if not ack.done():
                ack.set_exception(nats.errors.ConnectionClosedError())

    def forget(self) -> None:
        """Stop waiting: the batch is over, in one way or another."""
        for ack in self.waiting.values():
            ack.cancel()
        self.waiting.clear()

    async def _receive(self, message: Msg) -> None:
        ack = self.waiting.pop(message.subject.rpartition(".")[2], None)
        if ack is None or ack.done():
            return
        if message.headers and message.headers.get(Header.STATUS.value) == "503":
            ack.set_exception(nats.js.errors.NoStreamResponseError())
            return
        try:
            answer = json.loads(message.data)
            refusal = answer.get("error")
            if refusal is None:
                ack.set_result(PubAck.from_response(answer))
            else:
                ack.set_exception(nats.js.errors.APIError(
                    code=refusal.get("code"), err_code=refusal.get("err_code"),
                    description=refusal.get("description")))
        except (ValueError, TypeError, AttributeError) as error:
            ack.set_exception(nats.errors.Error(f"unreadable ack {message.data[:80]!r}: {error}"))


class StreamPublisher:
    """Publishes the outbox to a JetStream stream, in order, exactly once (module docstring)."""

    def __init__(self, engine: Engine, options: EventsOptions) -> None:
        if not options.nats_url:
            raise ValueError("the stream publisher needs options.nats_url")
        self.url: str = options.nats_url
        self.shown_url = without_credentials(self.url)
        """The URL as the status and the logs show it."""
        self.options = options
        self.subjects = f"{options.subject_prefix}.>"
        self.outbox = Outbox(engine)
        self.store = LogStore(engine)
        self._client: Client | None = None
        self._jetstream: JetStreamContext | None = None
        self._acks: AckInbox | None = None
        self._cursor = 0
        """The last event seq in the stream, as far as this publisher knows."""
        self._stream_last = 0
        """The stream's last message sequence: what the next message expects before it."""
        self.status: dict[str, Any] = {
            "connected": False, "cursor": self._stored_cursor(), "last_error": None,
            "failures": 0, "published": 0,
        }
        """``failures`` counts the failures since the last success (``last_error`` is its
        sentence, None when it worked); ``published`` counts the messages this publisher
        saw acknowledged."""

    # the loop ------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set; never raises, retries every failure with backoff."""
        try:
            while not stop.is_set():
                try:
                    published = await self.step()
                except Exception as error:  # the database, say: wait and retry like NATS
                    await self._fail(f"publishing to the stream failed: {describe(error)}")
                    published = 0
                failures = self.status["failures"]
                if failures:
                    wait_s = min(FIRST_RETRY_S * 2 ** (failures - 1), MAX_RETRY_S)
                else:
                    wait_s = 0.0 if published >= self.options.batch else self.options.poll_s
                if wait_s:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), wait_s)
        finally:
            await self.close()

    async def step(self) -> int:
        """Publish the events after the cursor (one batch) and store the new cursor.

        Connects first if needed (creating the stream, finding where it ends).
        NATS trouble is recorded in :attr:`status`, not raised: the events stay in
        the outbox for the next step.

        Returns:
            How many events were published (some, when the batch failed part way).
        """
        published = 0
        try:
            if self._acks is None or not self._acks.client.is_connected:
                await self._open()
            assert self._acks is not None
            events = await asyncio.to_thread(self.outbox.read, self._cursor, self.options.batch)
            if events:
                published, failure = await self._publish(self._acks, events)
                if failure is not None:
                    raise failure
        except StreamError as error:
            await self._fail(str(error))
            return published
        except NATS_ERRORS as error:
            await self._fail(self._sentence(error))
            return published
        self.status.update(last_error=None, failures=0)
        return published

    async def close(self) -> None:
        """Close the connection to NATS (again: nothing)."""
        client, self._client, self._jetstream, self._acks = self._client, None, None, None
        self.status["connected"] = False
        if client is not None:
            with contextlib.suppress(*NATS_ERRORS):
                await client.close()

    # connecting ----------------------------------------------------------
    async def _open(self) -> None:
        """Connect, make sure the stream is there, and resume where it ends."""
        await self.close()
        self._client = await self._connect()
        self._jetstream = self._client.jetstream(timeout=self.options.timeout_s)
        self._stream_last = await self._ensure_stream(self._jetstream)
        in_stream = await self._last_published(self._jetstream)
        stored = await asyncio.to_thread(self._stored_cursor)
        self._cursor = max(stored, in_stream)
        if self._cursor > stored:  # a crash came between the acks and the cursor
            await asyncio.to_thread(self._store_cursor, self._cursor)
        acks = AckInbox(self._client)
        await acks.start()
        self._acks = acks
        self.status.update(connected=True, cursor=self._cursor)
        log.info("events: streaming to %s (stream %s) after event %d",
                 self.shown_url, self.options.stream, self._cursor)

    async def _connect(self) -> Client:
        """A connection that tries once and never reconnects by itself (``run`` does)."""
        errors: list[Exception] = []

        async def remember(error: Exception) -> None:
            errors.append(error)

        client = Client()

        async def lost() -> None:
            self.status["connected"] = False
            if self._acks is not None and self._acks.client is client:
                self._acks.lose_all()

        try:
            # max_reconnect_attempts=1 with no wait: nats-py tries twice, then gives up.
            await client.connect(
                self.url, name="profitpool-events", allow_reconnect=False,
                max_reconnect_attempts=1, reconnect_time_wait=0,
                connect_timeout=math.ceil(self.options.timeout_s),
                error_cb=remember, disconnected_cb=lost, closed_cb=lost)
        except NATS_ERRORS as error:
            with contextlib.suppress(*NATS_ERRORS):
                await client.close()
            cause = errors[-1] if errors else error
            raise StreamError(f"{self.shown_url} is unreachable: {describe(cause)}") from None
        return client

    async def _ensure_stream(self, jetstream: JetStreamContext) -> int:
        """Create the stream if missing; returns its last message sequence.

        Raises:
            StreamError: a stream of that name takes other subjects.
        """
        name = self.options.stream
        try:
            info = await jetstream.stream_info(name)
        except nats.js.errors.NotFoundError:
            info = await jetstream.add_stream(
                name=name, subjects=[self.subjects], storage=StorageType.FILE,
                duplicate_window=self.options.duplicate_window_s)
            log.info("events: created the stream %s (%s) on %s", name, self.subjects,
                     self.shown_url)
        subjects = info.config.subjects or []
        if subjects != [self.subjects]:
            raise StreamError(f"the stream {name} on {self.shown_url} takes {', '.join(subjects)}, "
                              f"not {self.subjects}: delete it or set another stream name")
        return info.state.last_seq

    async def _last_published(self, jetstream: JetStreamContext) -> int:
        """The event seq of the stream's last message (0 for an empty stream).

        Raises:
            StreamError: that message is not an event of this log.
        """
        name = self.options.stream
        try:
            message = await jetstream.get_last_msg(name, self.subjects)
        except nats.js.errors.NotFoundError:
            return 0
        headers = message.headers or {}
        seq_text, event_id = headers.get(SEQ_HEADER), headers.get(Header.MSG_ID.value)
        if seq_text is None or not seq_text.isdigit() or event_id is None:
            raise StreamError(f"the last message of the stream {name} (#{message.seq}, "
                              f"{message.subject}) has no {SEQ_HEADER} or Nats-Msg-Id: only "
                              f"profitpool may publish under {self.subjects}")
        seq = int(seq_text)
        if await asyncio.to_thread(self.outbox.id_at, seq) != event_id:
            raise StreamError(f"the stream {name} ends with event {event_id} at seq {seq}, "
                              "which this log does not hold: give each log its own stream")
        return seq

    # publishing ----------------------------------------------------------
    async def _publish(self, acks: AckInbox,
                       events: list[Event]) -> tuple[int, BaseException | None]:
        """Send ``events`` pipelined, await every ack, advance and store the cursor.

        Each message may only follow the one before it (``Nats-Expected-Last-Sequence``),
        so what the stream holds is always an unbroken run of events.

        Returns:
            How many were published, and the first failed ack (None if none failed):
            the cursor covers the events acknowledged before it.

        Raises:
            nats.errors.Error, TimeoutError: sending failed, or the acks took too long.
        """
        prefix = self.options.subject_prefix
        expected = self._stream_last
        sent: list[asyncio.Future[PubAck]] = []
        try:
            # (0, for the first message of an empty stream, means "no check" to the
            # server: nothing can be missing before it anyway.)
            for offset, event in enumerate(events):
                sent.append(await acks.publish(f"{prefix}.{event.type}", event.body, {
                    Header.MSG_ID.value: event.id, SEQ_HEADER: str(event.seq),
                    TYPE_HEADER: event.type,
                    Header.EXPECTED_LAST_SEQUENCE.value: str(expected + offset),
                }, str(event.seq)))
            results = await asyncio.wait_for(asyncio.gather(*sent, return_exceptions=True),
                                             self.options.timeout_s)
        finally:
            acks.forget()
        stored, published, failure = 0, 0, None
        for result in results:
            if not isinstance(result, PubAck):
                failure = result
                break
            stored += 1
            published += not result.duplicate
            self._stream_last = max(self._stream_last, result.seq)
        if stored:
            self._cursor = events[stored - 1].seq
            self.status["published"] += published
            self.status["cursor"] = self._cursor
            await asyncio.to_thread(self._store_cursor, self._cursor)
        return published, failure

    # the cursor and the status -------------------------------------------
    def _stored_cursor(self) -> int:
        return int(self.store.meta().get(cursor_key(self.options.stream), "0"))

    def _store_cursor(self, seq: int) -> None:
        self.store.set_meta({cursor_key(self.options.stream): str(seq)})

    async def _fail(self, sentence: str) -> None:
        """Record a failure, drop the connection: the next step reconnects and resyncs."""
        self.status.update(last_error=sentence, failures=self.status["failures"] + 1)
        log.warning("events: %s (failure %d)", sentence, self.status["failures"])
        await self.close()

    def _sentence(self, error: BaseException) -> str:
        if isinstance(error, asyncio.TimeoutError):
            return f"{self.shown_url} did not answer within {self.options.timeout_s:g} s"
        if isinstance(error, nats.errors.ConnectionClosedError | nats.errors.NoServersError):
            return f"the connection to {self.shown_url} was lost"
        return f"publishing to {self.shown_url} failed: {describe(error)}"


def without_credentials(url: str) -> str:
    """``nats://host:port`` of ``nats://user:password@host:port`` (or ``nats://token@…``)."""
    scheme, separator, rest = url.partition("://")
    return f"{scheme}{separator}{rest.rpartition('@')[2]}" if separator else url


def describe(error: BaseException) -> str:
    """What went wrong, for a sentence: the API's description, else the error's own text."""
    description = getattr(error, "description", None)
    if isinstance(error, nats.js.errors.APIError) and description:
        return str(description)
    if isinstance(error, OSError) and error.strerror:  # not "[Errno 111] ..."
        return error.strerror
    return str(error).strip() or type(error).__name__
