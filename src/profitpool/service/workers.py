"""``serve --workers N``: HTTP in N processes, the single writer in a process of its own.

One interpreter runs one thread of Python at a time, so a service in one process
uses one core however many the machine has: its HTTP event loop and its writer
thread take turns. With ``--workers N`` (N ≥ 2) the work is split by process:

- the **writer process** (the one ``serve`` starts) opens the log and runs the
  sequencer, the read model it publishes after each block, anchoring, witnessing,
  disclosures and the events process, exactly as one process does; it serves no
  HTTP itself. A :class:`WriterHub` listens on a Unix socket (in a private
  directory, with a random key each start) for its workers;
- **N HTTP processes** share one listening socket (the kernel hands each connection
  to one of them) and run the same FastAPI application with their own database
  pools, key caches and member directories. Each holds a copy of the read model:
  at start it receives the writer's whole state, then every block's
  :class:`~profitpool.service.readmodel.Delta`, in order (:class:`WriterLink`).
  Writes go to the writer over the socket and are answered, as in one process,
  only once their block is durable.

Reading what you wrote. The writer sends a block's delta to every worker before it
answers the writes in it, and writes the block's height into shared memory first. A
worker serves each request only once it has applied every block that height names
(:class:`CatchUp`; usually it has: the delta is a few hundred bytes on a local
socket), so a client that got an answer from one worker and asks another sees its
write, as it would with one process.

Failure. If the writer process dies, each worker answers what it was waiting for
with ``unavailable`` and exits: nothing is answered that the writer did not store,
and nothing listens on the port until ``serve`` is started again. A worker that
dies is started again by the writer process; a write it had sent is stored or not
as the writer decided, and its client, which got no answer, retries it with its
idempotency key as after any lost connection.

Rate limits are kept per worker process; each takes ``--rate``/N and ``--burst``/N
of them, so a key never gets more than ``--rate`` in all (it may get less when its
requests land unevenly). A key revoked through one worker is refused by the others
once their cache of it expires (``KEY_CACHE_SECONDS``, as for a key revoked by the CLI).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Client, Connection, Listener
from typing import Any, cast

from ..background import JobStatus
from ..members.directory import MEMBER_FIELDS, Directory
from ..store.members import LinkRow
from .readmodel import Delta, Head, ReadModel
from .sequencer import UNAVAILABLE, WRITER_GONE, Outcome, Request, Sequencer, system_clock

log = logging.getLogger("profitpool.service")

CATCH_UP_S = 5.0
"""How long a worker waits for a block the writer says it stored before it serves a
request anyway (only a writer that stopped mid-way makes it wait this long)."""


@dataclass(frozen=True)
class HubAddress:
    """Where a worker finds its writer: the socket and the key that opens it."""

    path: str
    authkey: bytes


class JobStatuses:
    """What the background jobs of the writer process report, as a worker sees them."""

    def __init__(self, anchoring: JobStatus | None, witnessing: JobStatus | None,
                 events_alive: bool | None) -> None:
        self.anchoring = anchoring
        self.witnessing = witnessing
        self.events_alive = events_alive


# the writer process --------------------------------------------------------------

RECENT_BLOCKS = 256
"""Blocks whose new links the hub remembers, to check the workers' "not linked" hints."""


class WriterHub:
    """The writer process's end: takes writes from the workers, sends them the read
    model and its deltas, and answers their status questions."""

    def __init__(self, sequencer: Sequencer, read: ReadModel, height: Any,
                 statuses: Callable[[], JobStatuses], directory_path: str) -> None:
        """Listen at ``directory_path``/writer.sock (a directory only this user reads)."""
        self.sequencer = sequencer
        self.read = read
        self.height = height
        """Shared memory (``multiprocessing`` RawValue 'q'): the newest stored block."""
        self.statuses = statuses
        self.address = HubAddress(os.path.join(directory_path, "writer.sock"),
                                  secrets.token_bytes(32))
        self._listener: Listener | None = None
        self._peers: list[_Peer] = []
        self._closing = False
        self._links: list[tuple[str, bytes, str]] = []
        """Links stored since the last delta (the writer's thread)."""
        self._recent: dict[tuple[str, bytes], int] = {}
        """Link -> the block that made it, for the last :data:`RECENT_BLOCKS` blocks."""
        self._recent_blocks: deque[tuple[int, list[tuple[str, bytes]]]] = deque()
        self._complete_after = 0
        """Every link made by a block after this height is in :attr:`_recent`."""

    def start(self) -> None:
        self._listener = Listener(self.address.path, family="AF_UNIX",
                                  authkey=self.address.authkey)
        os.chmod(self.address.path, 0o600)
        directory = self.sequencer.directory
        if directory is not None:
            directory.on_settled = self._settled
        self.read.subscribe(self._publish, self._begin)
        threading.Thread(target=self._accept, name="profitpool-hub", daemon=True).start()

    def _begin(self, head: Head) -> None:
        self.height.value = self._complete_after = head.height

    def stop(self) -> None:
        self._closing = True
        if self._listener is not None:
            self._listener.close()
        for peer in list(self._peers):
            peer.close()

    # the writer's thread ---------------------------------------------------------
    def _settled(self, links: list[LinkRow]) -> None:
        self._links.extend((row.scope, row.id_hash, row.pseudonym) for row in links)

    def _publish(self, kind: str, payload: object) -> None:
        """Tell every worker what the read model was told (a delta pickled once for
        all), then the new height: the writer answers the block's writes after this."""
        links, self._links = self._links, []
        if kind == "state":  # the writer reloaded the log: the whole state again
            for peer in self._peers:
                peer.push(cast(dict[str, Any], payload))
            return
        delta = cast(Delta, payload)
        made = [(scope, id_hash) for scope, id_hash, _ in links]
        for item in made:
            self._recent[item] = delta.head.height
        self._recent_blocks.append((delta.head.height, made))
        while len(self._recent_blocks) > RECENT_BLOCKS:
            old_height, old = self._recent_blocks.popleft()
            for item in old:
                if self._recent.get(item) == old_height:
                    del self._recent[item]
            self._complete_after = old_height
        directory = self.sequencer.directory
        if delta.erased and directory is not None:  # erased through a worker
            directory.uncache(delta.erased)
        message = pickle.dumps(("delta", (delta, links)), pickle.HIGHEST_PROTOCOL)
        for peer in self._peers:
            peer.push(message)
        self.height.value = delta.head.height

    def _join(self, peer: _Peer) -> None:
        """Under the read model's publishing lock: the whole state first, then every
        delta after it, none twice, none lost. The state is a copy, pickled by the
        peer's sending thread: the writer waits only for the copy."""
        def joined(state: dict[str, Any]) -> None:
            peer.push(state)
            self._peers = [*self._peers, peer]
        self.read.locked_state(joined)

    def _leave(self, peer: _Peer) -> None:
        self._peers = [other for other in self._peers if other is not peer]

    # the peers' threads ------------------------------------------------------------
    def hint(self, absent: list[tuple[str, bytes]], as_of: int) -> None:
        """A worker read that these links are not stored, as of block ``as_of``: tell
        the writer's directory, unless a block after that made one of them."""
        directory = self.sequencer.directory
        if not absent or directory is None or as_of < self._complete_after:
            return
        recent = self._recent
        directory.absent_hint(item for item in absent if item not in recent)

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._closing:
            try:
                connection = self._listener.accept()
            except (OSError, EOFError) as error:  # closed, or a caller without the key
                if self._closing:
                    return
                log.warning("a worker could not connect to the writer: %s", error)
                continue
            _Peer(self, connection).start()


class _Peer:
    """One worker's connection, on the writer's side: a thread reads its requests, a
    thread sends what is queued for it (so a slow worker never holds up the writer)."""

    def __init__(self, hub: WriterHub, connection: Connection) -> None:
        self.hub = hub
        self.connection = connection
        self._outbox: queue.SimpleQueue[bytes | dict[str, Any] | None] = queue.SimpleQueue()
        """Pickled messages, and the whole state (a dict) when the worker joins."""

    def start(self) -> None:
        self.hub._join(self)
        threading.Thread(target=self._send, name="profitpool-hub-send", daemon=True).start()
        threading.Thread(target=self._receive, name="profitpool-hub-recv",
                         daemon=True).start()

    def push(self, message: bytes | dict[str, Any]) -> None:
        self._outbox.put(message)

    def tell(self, kind: str, payload: object) -> None:
        self.push(pickle.dumps((kind, payload), pickle.HIGHEST_PROTOCOL))

    def close(self) -> None:
        self._outbox.put(None)

    def _send(self) -> None:
        while (message := self._outbox.get()) is not None:
            if isinstance(message, dict):
                message = pickle.dumps(("state", message), pickle.HIGHEST_PROTOCOL)
            try:
                self.connection.send_bytes(message)
            except OSError:
                break
        self.hub._leave(self)
        self.connection.close()

    def _receive(self) -> None:
        try:
            while True:
                message = self.connection.recv()
                kind = message[0]
                if kind == "write":
                    _, number, commands, keys, detail, preview, scope, absent, as_of = message
                    self.hub.hint(absent, as_of)
                    self.hub.sequencer.put(Request(commands, keys, self._deliverer(number),
                                                   detail, preview, scope))
                elif kind == "status":
                    self.tell("status", (message[1], self.hub.statuses()))
        except (EOFError, OSError):
            pass
        finally:
            self.hub._leave(self)
            self.close()

    def _deliverer(self, number: int) -> Callable[[list[Outcome]], None]:
        def deliver(outcomes: list[Outcome]) -> None:
            self.tell("answer", (number, outcomes))
        return deliver


# a worker process ------------------------------------------------------------

class WriterLink:
    """A worker's end: its copy of the read model, its writes, the writer's statuses."""

    def __init__(self, address: HubAddress, height: Any) -> None:
        self.read = ReadModel()
        self.height = height
        self.directory: Directory | None = None
        """This worker's directory: told the links each block made, and the members it
        erased (so it never shows an erased member's id)."""
        self._connection = Client(address.path, family="AF_UNIX", authkey=address.authkey)
        self._send_lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._pending: dict[int, tuple[Callable[[list[Outcome]], None], int]] = {}
        self._statuses: dict[int, tuple[threading.Event, list[JobStatuses]]] = {}
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._waiters_lock = threading.Lock()
        kind, state = pickle.loads(self._connection.recv_bytes())
        assert kind == "state"
        self.read.restore(state)
        self._thread = threading.Thread(target=self._receive, name="profitpool-link",
                                        daemon=True)
        self._thread.start()

    def _send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            self._connection.send(message)

    def put(self, request: Request) -> None:
        """Send a write to the writer, with the links this worker knows are not stored
        (as of the block its copy holds: read first, so the claim is never too new)."""
        as_of = self.read.head.height
        absent: list[tuple[str, bytes]] = []
        if self.directory is not None:
            named = [command[field] for command in request.commands
                     for field, _ in MEMBER_FIELDS.get(command.get("op", ""), ())
                     if type(command.get(field)) is str]
            if named:
                absent = self.directory.absent(request.scope, named)
        number = next(self._numbers)
        self._pending[number] = (request.deliver, len(request.commands))
        try:
            self._send(("write", number, request.commands, request.keys, request.detail,
                        request.preview, request.scope, absent, as_of))
        except OSError:
            self._pending.pop(number, None)
            request.deliver([UNAVAILABLE] * len(request.commands))

    def statuses(self, timeout: float = 5.0) -> JobStatuses | None:
        """The writer process's job statuses (None if it does not answer in time)."""
        number = next(self._numbers)
        done = threading.Event()
        box: list[JobStatuses] = []
        self._statuses[number] = (done, box)
        try:
            self._send(("status", number))
            done.wait(timeout)
        except OSError:
            pass
        self._statuses.pop(number, None)
        return box[0] if box else None

    def _receive(self) -> None:
        try:
            while True:
                kind, payload = pickle.loads(self._connection.recv_bytes())
                if kind == "delta":
                    delta, links = payload
                    directory = self.directory
                    if directory is not None:
                        if links:  # before the head moves: see put()
                            directory.learn(links)
                        if delta.erased:
                            directory.uncache(delta.erased)
                    self.read.apply(delta)
                    self._wake(delta.head.height)
                elif kind == "answer":
                    number, outcomes = payload
                    waiting = self._pending.pop(number, None)
                    if waiting is not None:
                        waiting[0](outcomes)
                elif kind == "state":  # the writer reopened the log
                    self.read.restore(payload)
                    self._wake(self.read.head.height)
                elif kind == "status":
                    number, statuses = payload
                    asked = self._statuses.get(number)
                    if asked is not None:
                        asked[1].append(statuses)
                        asked[0].set()
        except (EOFError, OSError):
            pass
        self._writer_gone()

    def _wake(self, height: int) -> None:
        if not self._waiters:
            return
        with self._waiters_lock:
            ready = [waiter for waiter in self._waiters if waiter[0] <= height]
            self._waiters = [waiter for waiter in self._waiters if waiter[0] > height]
        for _, loop, future in ready:
            loop.call_soon_threadsafe(_done, future)

    def _writer_gone(self) -> None:
        """The writer process is gone: answer what waits with ``unavailable``, and stop
        this worker (nothing may answer a write the writer did not store)."""
        log.error("the writer process is gone: this HTTP worker stops")
        pending, self._pending = self._pending, {}
        for deliver, count in pending.values():
            deliver([WRITER_GONE] * count)
        time.sleep(0.2)  # let the event loop send those answers
        os._exit(3)

    async def caught_up(self) -> None:
        """Return once this copy holds every block the writer had stored when called."""
        wanted = self.height.value
        if self.read.head.height >= wanted:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._waiters_lock:
            self._waiters.append((wanted, asyncio.get_running_loop(), future))
        if self.read.head.height >= wanted:  # applied while we queued
            self._wake(self.read.head.height)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(future, CATCH_UP_S)


def _done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class RemoteSequencer:
    """What routes use of the sequencer, in a worker: ``put`` and ``clock``."""

    def __init__(self, link: WriterLink, clock: Callable[[], int] = system_clock) -> None:
        self.link = link
        self.clock = clock

    def put(self, request: Request) -> None:
        self.link.put(request)


class RemoteJob:
    """A background job of the writer process as a worker's routes see it: its status."""

    def __init__(self, link: WriterLink, name: str, witnesses: list[Any] | None = None
                 ) -> None:
        self.link = link
        self.name = name
        self.witnesses = witnesses or []

    @property
    def status(self) -> JobStatus:
        statuses = self.link.statuses()
        found = None if statuses is None else getattr(statuses, self.name)
        return found if found is not None else JobStatus()


class RemoteEvents:
    """The events process as a worker's routes see it: whether it is alive."""

    def __init__(self, link: WriterLink) -> None:
        self.link = link

    @property
    def alive(self) -> bool:
        statuses = self.link.statuses()
        return bool(statuses is not None and statuses.events_alive)


class CatchUp:
    """ASGI middleware of a worker: serve a request only once this worker's read model
    holds every block the writer had stored when it arrived (see the module docstring)."""

    def __init__(self, app: Any, link: Callable[[], WriterLink | None]) -> None:
        self.app = app
        self.link = link

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            link = self.link()
            if link is not None:
                await link.caught_up()
        await self.app(scope, receive, send)


__all__ = ["CatchUp", "HubAddress", "JobStatuses", "RemoteEvents", "RemoteJob",
           "RemoteSequencer", "WriterHub", "WriterLink"]
