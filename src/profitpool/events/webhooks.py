"""Webhooks: every event an endpoint may hear, POSTed to it in order, signed, retried.

One :class:`WebhookDispatcher` serves every endpoint (events/endpoints.py).
Each pass (:meth:`WebhookDispatcher.step`):

1. reloads the endpoints; a delivery in flight whose endpoint has since been
   deleted, disabled or changed stops after its current attempt;
2. for each enabled endpoint that is idle and due (no ``next_attempt_us`` in
   the future), takes the events after its cursor (or its replay pointer):
   one ``Outbox.read`` from the lowest such position, shared by all of them
   (a further read only for endpoints beyond a full batch; the last batch is
   kept for endpoints that come back for it a moment later);
3. gives each of those endpoints a *lane*: an asyncio task that goes through
   its events in ``seq`` order, one HTTP attempt at a time, passing its cursor
   over what the owner may not hear or the filter drops, and stopping at the
   first failure, so the events after it wait (head of line: a receiver never
   sees them out of order). Lanes of different endpoints run concurrently,
   and a lane outlives the pass that started it: the pass waits only until
   the first lane ends or ``poll_s`` has passed, so a hanging receiver holds
   up its own endpoint and no other;
4. records, in one transaction (``WebhookStore.record``, store/webhooks.py),
   every attempt made since the last pass (one ``webhook_deliveries`` row
   each, lanes still running included) with each endpoint's new state
   (cursor, replay pointer, failures). An endpoint gets
   no new lane until its last one has ended and been recorded, so the state
   a lane starts from is never stale.

A delivery is a POST of the event's body (bytes as stored) with the Standard
Webhooks headers (events/signing.py), no redirects followed, at most
``timeout_s`` in all, and at most ``max_response_bytes`` of the answer read.
HTTP is events/http.py's small client: the address is checked against the URL
policy for every new connection, after resolving and before connecting, so a
name re-pointed at a forbidden range is never reached; connections are kept
alive (dropped after :data:`KEEPALIVE_S` idle; a POST that meets a kept-alive
connection the receiver has just closed goes again on a new one); answers are
not decompressed. Each attempt has an outcome (events/outcomes.py): ``delivered`` (2xx),
``redirect`` (3xx; the detail names the Location), ``rejected`` (4xx),
``failed`` (5xx), ``timeout``, ``unreachable`` (refused, no route, no such
name), ``forbidden_address`` (nothing was sent) or ``error`` (anything else:
the receiver hung up without answering, a malformed answer, TLS).

A failed event is retried after ``first_retry_s``, then twice as long each
time up to ``max_retry_interval_s``. An attempt that fails when the event has
been failing for ``retry_for_s`` disables the endpoint, and in the same
transaction adds an ``endpoint.disabled`` event for the operator (parties
:data:`~.domain.OPERATOR`, so only admin endpoints hear it)::

    {"id": "ev_endpoint_<endpoint id>_<time us>", "type": "endpoint.disabled",
     "timestamp": ..., "log": {}, "data": {"endpoint": "wh_…", "owner": ...,
     "url": ..., "reason": ..., "failing_since": "<ISO time>",
     "event_id": "<the event that kept failing>"}}

(``log`` is empty: the event tells of no log entry.) Enabling the endpoint
again resumes at its cursor. Delivery is at least once: a crash between an
attempt and its record sends that event again (same ``webhook-id``).
Successful attempts older than ``keep_deliveries_s`` are pruned now and then;
failures are kept.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Engine

from ..log.datakey import DataKey
from ..members.directory import Directory
from ..store.outbox import OutboxRow
from ..store.webhooks import DeliveryRow, DeliveryState, Endpoint, EndpointProgress, WebhookStore
from ..times import format_time
from .domain import ENDPOINT_DISABLED, OPERATOR, Event, envelope, matches, visible_to
from .endpoints import EndpointStore
from .http import Poster
from .localise import localise
from .options import EventsOptions
from .outbox import Outbox
from .outcomes import DELIVERED, Attempt, answered, failure
from .signing import headers, secret_key

KEEPALIVE_S: Final = 2.0
"""Idle connections are dropped before common servers drop them (uvicorn, Node: 5 s)."""
MAX_READS: Final = 8
"""Outbox reads in one pass at most (more only when endpoints are far apart)."""
PRUNE_EVERY_US: Final = 600 * 1_000_000
MAX_BACKOFF_S: Final = 30.0
"""The longest :meth:`WebhookDispatcher.run` waits after a failed pass."""

log = logging.getLogger("profitpool.events")


def epoch_us() -> int:
    """Now, in microseconds since the epoch."""
    return time.time_ns() // 1000


@dataclass
class _Lane:
    """One endpoint's deliveries in flight: its events and its state as they go."""

    endpoint: Endpoint
    events: Sequence[Event]
    exhausted: bool
    """The read reached the end of the outbox (no event after the last one)."""
    cursor: int
    replay: tuple[int, int] | None
    stored_replay: tuple[int | None, int | None]
    attempts: int
    failing_since_us: int | None
    next_attempt_us: int | None
    rows: list[DeliveryRow] = field(default_factory=list)
    version: int = 0
    recorded_version: int = 0
    disable: tuple[str, OutboxRow] | None = None
    stop: bool = False
    task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, endpoint: Endpoint, events: Sequence[Event], exhausted: bool) -> _Lane:
        replay = (None if endpoint.replay_next is None or endpoint.replay_end is None
                  else (endpoint.replay_next, endpoint.replay_end))
        return cls(endpoint, events, exhausted, endpoint.cursor, replay,
                   (endpoint.replay_next, endpoint.replay_end), endpoint.attempts,
                   endpoint.failing_since_us, endpoint.next_attempt_us)

    def position(self) -> int:
        """The last ``seq`` this endpoint is done with (delivered or passed over)."""
        return self.replay[0] - 1 if self.replay is not None else self.cursor

    def passed(self, seq: int) -> None:
        """Event ``seq`` is done with: move past it and forget its failures."""
        if self.replay is not None:
            self.replay = None if seq >= self.replay[1] else (seq + 1, self.replay[1])
        else:
            self.cursor = seq
        self.attempts = 0
        self.failing_since_us = self.next_attempt_us = None
        self.version += 1

    def end_replay(self) -> None:
        self.replay = None
        self.version += 1

    def state(self) -> DeliveryState:
        return DeliveryState(self.cursor, self.attempts, self.failing_since_us,
                             self.next_attempt_us)


class WebhookDispatcher:
    """Delivers outbox events to the webhook endpoints (see the module docstring)."""

    def __init__(self, engine: Engine, options: EventsOptions, *,
                 clock: Callable[[], int] = epoch_us) -> None:
        self.engine = engine
        self.options = options
        self.clock = clock
        self.store = EndpointStore(engine)
        self.rows = WebhookStore(engine)
        self.outbox = Outbox(engine)
        self._lanes: dict[str, _Lane] = {}
        self._last_attempt_us: dict[str, int] = {}
        self._poster: Poster | None = None
        self._next_prune_us = 0
        self._earliest_due_us: int | None = None
        self._progressed = False
        self._totals = {"attempts": 0, "delivered": 0, "failed": 0, "disabled": 0}
        self._last_error: str | None = None
        self._endpoint_ids: list[str] = []
        self._recent: tuple[int, list[Event]] = (0, [])
        self._directory = _directory(engine, options)

    @property
    def in_flight(self) -> int:
        """Endpoints with deliveries under way or not yet recorded."""
        return len(self._lanes)

    @property
    def status(self) -> dict[str, Any]:
        """What the dispatcher is doing, for ``GET /v1/events/status``."""
        return {**self._totals, "endpoints": len(self._endpoint_ids),
                "in_flight": len(self._lanes), "last_error": self._last_error}

    # one pass ------------------------------------------------------------------
    async def step(self) -> int:
        """Start the due deliveries, wait a little for them, record what was done.

        Returns:
            The number of attempts recorded by this pass.
        """
        endpoints = await asyncio.to_thread(self.store.list)
        self._endpoint_ids = [endpoint.id for endpoint in endpoints]
        now = self.clock()
        self._stop_changed(endpoints)
        due = [endpoint for endpoint in endpoints
               if endpoint.enabled and endpoint.id not in self._lanes
               and (endpoint.next_attempt_us is None or endpoint.next_attempt_us <= now)]
        waiting = [endpoint.next_attempt_us for endpoint in endpoints
                   if endpoint.enabled and endpoint.next_attempt_us is not None
                   and endpoint.next_attempt_us > now]
        self._earliest_due_us = min(waiting, default=None)
        if due:
            for endpoint, events, exhausted in await asyncio.to_thread(self._events_for, due):
                if events or (endpoint.replay_next is not None and exhausted):
                    self._start(_Lane.of(endpoint, events, exhausted))
        running = [lane.task for lane in self._lanes.values()
                   if lane.task is not None and not lane.task.done()]
        if running:
            await asyncio.wait(running, timeout=self.options.poll_s,
                               return_when=asyncio.FIRST_COMPLETED)
        return await self._record()

    def _stop_changed(self, endpoints: list[Endpoint]) -> None:
        """Lanes of endpoints deleted, disabled or changed stop after their current attempt."""
        current = {endpoint.id: endpoint for endpoint in endpoints}
        for endpoint_id, lane in self._lanes.items():
            now = current.get(endpoint_id)
            before = lane.endpoint
            if now is None or not now.enabled or (now.url, now.secret, now.types, now.owner) != (
                    before.url, before.secret, before.types, before.owner):
                lane.stop = True

    def _events_for(self, due: list[Endpoint]) -> list[tuple[Endpoint, list[Event], bool]]:
        """The events after each due endpoint's position: one read for all, if it can be.

        The last batch read is kept: endpoints whose lanes end a little apart, at
        the same place, are served from it (a batch holds every event between
        its first and last ``seq``, since ``seq`` order is commit order).
        """
        found: list[tuple[Endpoint, list[Event], bool]] = []
        remaining = []
        after, recent = self._recent
        for endpoint in due:
            start = _start(endpoint)
            if recent and after <= start < recent[-1].seq:
                found.append((endpoint, _after(recent, start), False))
            else:
                remaining.append(endpoint)
        remaining.sort(key=_start)
        for _ in range(MAX_READS):
            if not remaining:
                break
            after = _start(remaining[0])
            events = self.outbox.read(after, self.options.batch)
            self._recent = (after, events)
            full = len(events) >= self.options.batch
            beyond = []
            for endpoint in remaining:
                start = _start(endpoint)
                if full and start >= events[-1].seq:
                    beyond.append(endpoint)
                else:
                    found.append((endpoint, _after(events, start), not full))
            remaining = beyond
        return found

    def _start(self, lane: _Lane) -> None:
        lane.task = asyncio.create_task(self._drive(lane), name=f"webhook {lane.endpoint.id}")
        self._lanes[lane.endpoint.id] = lane

    # one endpoint's deliveries -------------------------------------------------
    async def _drive(self, lane: _Lane) -> None:
        """Deliver the lane's events in order until one fails or it is told to stop."""
        endpoint = lane.endpoint
        key = secret_key(endpoint.secret)
        for event in lane.events:
            if lane.stop:
                return
            if lane.replay is not None and event.seq > lane.replay[1]:
                lane.end_replay()
            if event.seq <= lane.position():
                continue
            if not (visible_to(event.parties, endpoint.owner)
                    and matches(event.type, endpoint.types)):
                lane.passed(event.seq)
                continue
            if self._directory is not None and endpoint.owner.startswith("merchant:"):
                event = await asyncio.to_thread(self._localised, endpoint.owner, event)
            if not await self._deliver(lane, key, event):
                return
        if lane.replay is not None and lane.exhausted and not lane.stop:
            lane.end_replay()  # the range holds no further event

    def _localised(self, owner: str, event: Event) -> Event:
        """The merchant's copy of ``event``: its own ids for the members (localise.py)."""
        directory = self._directory
        assert directory is not None
        body = localise(event.body, lambda found: directory.member_ids(found, owner))
        return event if body is event.body else dataclasses.replace(event, body=body)

    async def _deliver(self, lane: _Lane, key: bytes, event: Event) -> bool:
        """Make one attempt at ``event`` and note it in the lane; whether it was delivered."""
        endpoint = lane.endpoint
        attempt_us = max(self.clock(), self._last_attempt_us.get(endpoint.id, 0) + 1)
        self._last_attempt_us[endpoint.id] = attempt_us
        result = await self.attempt(endpoint.url, key, event, attempt_us)
        lane.rows.append(DeliveryRow(endpoint.id, attempt_us, event.seq, event.id,
                                     lane.attempts + 1, result.outcome, result.http_status,
                                     result.detail, result.duration_ms))
        if result.outcome == DELIVERED:
            lane.passed(event.seq)
            return True
        self._failed(lane, event, result)
        return False

    def _failed(self, lane: _Lane, event: Event, result: Attempt) -> None:
        """Schedule the retry of a failed event, or disable an endpoint failing too long."""
        now = self.clock()
        options = self.options
        since = lane.failing_since_us
        lane.attempts += 1
        lane.version += 1
        if since is not None and now - since >= options.retry_for_s * 1_000_000:
            lane.next_attempt_us = None
            lane.disable = self._disabling(lane.endpoint, event, result, since, now)
            return
        if since is None:
            lane.failing_since_us = now
        interval_us = min(int(options.max_retry_interval_s * 1_000_000),
                          int(options.first_retry_s * 1_000_000) * 2 ** min(lane.attempts - 1, 40))
        lane.next_attempt_us = now + interval_us
        log.info("webhook %s: event %s attempt %d %s (%s); next in %.0f s", lane.endpoint.id,
                 event.id, lane.attempts, result.outcome, result.detail, interval_us / 1e6)

    def _disabling(self, endpoint: Endpoint, event: Event, result: Attempt, since_us: int,
                   now_us: int) -> tuple[str, OutboxRow]:
        """The reason an endpoint is disabled and the ``endpoint.disabled`` event telling it."""
        reason = (f"disabled after failing since {format_time(since_us)}: the last attempt "
                  f"at event {event.id} had the outcome {result.outcome!r} ({result.detail})")
        event_id = f"ev_endpoint_{endpoint.id}_{now_us}"
        body = envelope(event_id, ENDPOINT_DISABLED, now_us, {
            "endpoint": endpoint.id, "owner": endpoint.owner, "url": endpoint.url,
            "reason": reason, "failing_since": format_time(since_us), "event_id": event.id,
        }, {})
        log.warning("webhook %s: %s", endpoint.id, reason)
        return reason, OutboxRow(event_id, ENDPOINT_DISABLED, now_us, None, None, None, None,
                                 OPERATOR, body)

    # HTTP ----------------------------------------------------------------------
    async def attempt(self, url: str, key: bytes, event: Event, attempt_us: int) -> Attempt:
        """POST ``event`` to ``url`` once; never raises for anything a receiver does."""
        started = time.monotonic()
        if self._poster is None:
            self._poster = Poster(self.options.policy,
                                  max_response_bytes=self.options.max_response_bytes,
                                  keepalive_s=KEEPALIVE_S)
        signed = headers(key, event.id, attempt_us // 1_000_000, event.body)
        try:
            async with asyncio.timeout(self.options.timeout_s):
                answer = await self._poster.post(url, signed, event.body)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a receiver's behaviour must never stop the dispatcher
            return Attempt(*failure(error, self.options.timeout_s), _elapsed_ms(started))
        return answered(answer, _elapsed_ms(started))

    # recording -------------------------------------------------------------------
    async def _record(self) -> int:
        """Store every lane's new attempts and state in one transaction; returns the attempts."""
        pending: list[tuple[_Lane, EndpointProgress, int, int]] = []
        for lane in self._lanes.values():
            if lane.rows or lane.version != lane.recorded_version:
                pending.append((lane, self._pending(lane), len(lane.rows), lane.version))
        now = self.clock()
        prune_before: int | None = None
        if now >= self._next_prune_us:
            prune_before = now - int(self.options.keep_deliveries_s * 1_000_000)
        made = sum(count for _, _, count, _ in pending)
        gone: set[str] = set()
        conflicts: set[str] = set()
        if pending:
            gone, conflicts = await asyncio.to_thread(
                self.rows.record, [item for _, item, _, _ in pending])
        if prune_before is not None:
            self._next_prune_us = now + PRUNE_EVERY_US
            try:
                await asyncio.to_thread(self.rows.prune, list(self._endpoint_ids),
                                        prune_before, DELIVERED)
            except Exception as error:  # pruning can wait for its next turn
                log.warning("webhooks: could not prune the delivery log: %s", error)
        self._progressed = bool(pending)
        for lane, item, count, version in pending:
            if lane.endpoint.id not in gone:
                self._count(item)
            del lane.rows[:count]
            lane.recorded_version = version
            if item.disable is not None and lane.disable is item.disable:
                lane.disable = None
            if item.replay is not None:
                lane.stored_replay = item.replay[1]
            if lane.endpoint.id in gone or lane.endpoint.id in conflicts:
                lane.stop = True
        for endpoint_id, lane in list(self._lanes.items()):
            task = lane.task
            if task is not None and task.done() and not lane.rows and (
                    lane.version == lane.recorded_version):
                if not task.cancelled() and task.exception() is not None:
                    log.error("webhook %s: delivery failed", endpoint_id,
                              exc_info=task.exception())
                del self._lanes[endpoint_id]
        return made

    def _pending(self, lane: _Lane) -> EndpointProgress:
        replay = None
        current: tuple[int | None, int | None] = lane.replay or (None, None)
        if current != lane.stored_replay:
            replay = (lane.stored_replay, current)
        return EndpointProgress(lane.endpoint.id, lane.state(), replay, list(lane.rows),
                                lane.disable)

    def _count(self, item: EndpointProgress) -> None:
        totals = self._totals
        delivered = sum(1 for row in item.rows if row.outcome == DELIVERED)
        totals["attempts"] += len(item.rows)
        totals["delivered"] += delivered
        totals["failed"] += len(item.rows) - delivered
        totals["disabled"] += item.disable is not None

    # the loop --------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; a failed pass is logged and tried again later."""
        failures = 0
        while not stop.is_set():
            try:
                made = await self.step()
            except Exception as error:  # the database may come back; delivery goes on
                failures += 1
                delay = min(MAX_BACKOFF_S, max(self.options.poll_s, 0.05) * 2 ** min(failures, 10))
                self._last_error = f"{type(error).__name__}: {error}"
                log.warning("webhooks: a pass failed (%d in a row, next in %.1f s): %s",
                            failures, delay, self._last_error)
                await _wait(stop, delay)
                continue
            failures = 0
            self._last_error = None
            if made or self._progressed or self._lanes:
                continue  # more may be due at once; a pass with lanes waits on them itself
            await _wait(stop, self._idle_s())
        await self._finish()

    def _idle_s(self) -> float:
        """How long an idle loop sleeps: ``poll_s``, or less if a retry is due sooner."""
        delay = self.options.poll_s
        if self._earliest_due_us is not None:
            delay = min(delay, max(0.0, (self._earliest_due_us - self.clock()) / 1e6))
        return delay

    async def _finish(self) -> None:
        """Let attempts in flight end (up to ``timeout_s``) and record them."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for lane in self._lanes.values():
            lane.stop = True
        try:
            if tasks:
                await asyncio.wait(tasks, timeout=self.options.timeout_s)
            await self._record()
        except Exception as error:  # stopping must not fail; these events will go again
            log.warning("webhooks: could not record the last attempts: %s", error)

    async def close(self) -> None:
        """Cancel what is still in flight (it will be sent again) and close the session."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if any(lane.rows or lane.version != lane.recorded_version
               for lane in self._lanes.values()):
            try:
                await self._record()
            except Exception as error:  # closing must not fail; these events will go again
                log.warning("webhooks: could not record the last attempts: %s", error)
        self._lanes.clear()
        if self._poster is not None:
            poster, self._poster = self._poster, None
            await poster.close()


def _directory(engine: Engine, options: EventsOptions) -> Directory | None:
    """The member directory, to show merchants their own ids, if the data key is given."""
    if options.data_key is None:
        return None
    return Directory(engine, DataKey.load(options.data_key))


def _start(endpoint: Endpoint) -> int:
    """The seq after which an endpoint's next events are."""
    return endpoint.replay_next - 1 if endpoint.replay_next is not None else endpoint.cursor


def _after(events: list[Event], seq: int) -> list[Event]:
    """The events after ``seq`` (``events`` in ``seq`` order)."""
    return events[bisect.bisect_right(events, seq, key=lambda event: event.seq):]


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
