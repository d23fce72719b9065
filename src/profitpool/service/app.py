"""The FastAPI application: wiring, lifespan, the request bodies, the error handlers.

:func:`create_app` builds the API; the log is opened (restart checks
included) when the app starts and closed, with its last block stored, when it
stops. The pages are a layer above (web/): ``profitpool.web.create_app`` is
this app with the pages beside the API, the one ``profitpool serve`` runs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, event

from .. import __version__
from ..anchor.publisher import AnchorLoop
from ..bootstrap import open_writer
from ..disclosure.job import DisclosureJob
from ..events.schema import add_event_docs
from ..events.worker import EventsWorker
from ..log.datakey import DataKey
from ..log.reader import ReadError
from ..log.writer import LogWriter
from ..members.directory import Directory
from ..store.apikeys import KeyStore
from ..store.database import StoreError, connect, require_schema
from ..store.repository import LogStore
from ..witness.collector import CosignLoop, WitnessEndpoint
from .auth import Authenticator, RateLimiter
from .body import RequestBody
from .deps import Context
from .docs import add_docs
from .errors import error_response, install
from .health import DatabaseHealth
from .logs import configure_logging
from .lookups import Lookups
from .readmodel import ReadModel
from .reads import LogReads
from .responses import Json
from .routes import ROUTERS
from .security import SecuredFastAPI
from .sequencer import Sequencer, system_clock
from .settings import Settings
from .workers import (
    CatchUp,
    HubAddress,
    JobStatuses,
    RemoteEvents,
    RemoteJob,
    RemoteSequencer,
    WriterLink,
)

log = logging.getLogger("profitpool.service")

DESCRIPTION = """\
profitpool runs a consumption-appreciation (消费增值) points program whose every
change is an entry of a signed, Merkle-hashed, publicly verifiable log.

* Keys: `Authorization: Bearer pp_…`, by role (admin, auditor, merchant,
  member, lender); merchant, member and lender keys act only for their party.
* Money and points are decimal strings. Errors are `{"error": code, "message": text}`
  with the codes of docs/rules.md section 8.
* Writes are answered once their block is durable; a retry with the same
  order id or `Idempotency-Key` gets the first answer, marked as a replay.
* The log is also served as C2SP tlog-tiles: `/checkpoint`, `/tile/…`.
* Events: `/v1/events` is the feed; `/v1/webhooks` registers endpoints that
  receive each event signed (Standard Webhooks). Every event's body is
  documented under "Webhooks" below.

profitpool states facts; it promises no return. A point's price can fall.
"""


def _anchoring(settings: Settings, store: LogStore) -> AnchorLoop | None:
    """The anchoring thread, when --anchor-rpc is set (a bad key fails the start)."""
    if settings.anchor_rpc is None:
        return None
    from ..anchor.chain import Chain, load_eth_key

    rpc, chain_id = settings.anchor_rpc, settings.anchor_chain_id
    return AnchorLoop(store, lambda: Chain.connect(rpc, chain_id),
                      load_eth_key(settings.anchor_eth_key),
                      every_blocks=settings.anchor_every_blocks,
                      every_s=settings.anchor_every_minutes * 60,
                      poll_s=settings.anchor_poll_seconds,
                      max_backoff_s=settings.anchor_max_backoff_seconds)


def _witnessing(settings: Settings, store: LogStore) -> CosignLoop | None:
    """The cosignature collection, when witnesses are configured (a bad one fails the start)."""
    if not settings.witnesses:
        return None
    endpoints = [WitnessEndpoint.parse(text) for text in settings.witnesses]
    return CosignLoop(store, endpoints, poll_s=settings.anchor_poll_seconds,
                      max_backoff_s=settings.anchor_max_backoff_seconds)


def open_log(settings: Settings, *, full: bool = True) -> LogWriter:
    """The service's writer of the log at ``settings.db``, its restart checks passed.

    Raises:
        StoreError, OperatorKeyError, LogError: with one sentence each.
    """
    return open_writer(settings.db, settings.key, fork_snapshots=True,
                       snapshot_every=settings.snapshot_every, full_check=full)


def replica_store(engine: Engine, primary: LogStore) -> LogStore:
    """The store of ``--read-db``, once it is known to be a replica of the log ``primary``
    holds: both PostgreSQL, this profitpool's schema, the same origin and key.

    Raises:
        StoreError: with one sentence saying which.
    """
    if engine.dialect.name != "postgresql" or primary.engine.dialect.name != "postgresql":
        raise StoreError("--read-db is a PostgreSQL streaming replica of --db: both must be "
                         "postgresql://…")
    require_schema(engine)
    replica = LogStore(engine)
    ours, theirs = primary.meta(), replica.meta()
    for name in ("origin", "verifier_key"):
        if ours.get(name) != theirs.get(name):
            raise StoreError(f"--read-db holds another log than --db (its {name} is "
                             f"{theirs.get(name)!r}, not {ours.get(name)!r}): it must be a "
                             "replica of --db")
    return replica


@dataclass
class WriterSide:
    """What the process that writes the log runs: its database, the sequencer and the
    read model it publishes, and the background jobs."""

    engine: Engine
    store: LogStore
    read: ReadModel
    directory: Directory
    sequencer: Sequencer
    anchoring: AnchorLoop | None
    witnessing: CosignLoop | None
    events: EventsWorker | None

    def statuses(self) -> JobStatuses:
        """What the jobs report (asked by the HTTP worker processes)."""
        return JobStatuses(None if self.anchoring is None else self.anchoring.status,
                           None if self.witnessing is None else self.witnessing.status,
                           None if self.events is None else self.events.alive)


@contextmanager
def writer_side(settings: Settings, *, clock: Callable[[], int] = system_clock,
                writer: LogWriter | None = None, health: DatabaseHealth | None = None
                ) -> Iterator[WriterSide]:
    """Open the log and run its writer and jobs; on leaving, store the last block and stop.

    Raises:
        StoreError, OperatorKeyError, LogError: the log cannot be written.
    """
    engine = connect(settings.db)
    try:
        require_schema(engine)
        store = LogStore(engine)
        read = ReadModel()
        directory = Directory(engine, DataKey.load(settings.data_key_path()))
        sequencer = Sequencer(
            lambda full: open_log(settings, full=full), read,
            max_entries=settings.block_entries, max_wait=settings.block_wait_ms / 1000,
            clock=clock, auto_burn=settings.auto_burn, health=health, writer=writer,
            directory=directory)
        anchoring = _anchoring(settings, store)
        witnessing = _witnessing(settings, store)
        sequencer.start()
        disclosing = (DisclosureJob(store, sequencer.write, clock,
                                    poll_s=settings.disclose_poll_seconds)
                      if settings.disclose else None)
        for job in (anchoring, witnessing, disclosing):
            if job is not None:
                job.start()
        events = (EventsWorker(settings.db, settings.events_options(), configure_logging)
                  if settings.webhooks or settings.events else None)
        if events is not None:
            events.start()
        try:
            yield WriterSide(engine, store, read, directory, sequencer, anchoring,
                             witnessing, events)
        finally:
            for job in (anchoring, witnessing, disclosing):
                if job is not None:
                    job.stop()
            sequencer.stop()
            if events is not None:
                events.stop()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class WorkerSpec:
    """An HTTP worker process's place (``serve --workers N``): its writer's address, the
    shared height of the newest stored block, and how many workers share the load."""

    address: HubAddress
    height: Any
    workers: int


def create_app(settings: Settings, *, clock: Callable[[], int] = system_clock,
               writer: LogWriter | None = None, worker: WorkerSpec | None = None
               ) -> FastAPI:
    """The API for the log at ``settings.db``, signed with ``settings.key`` (no pages).

    ``writer`` is the log opened already (:func:`open_log`; ``profitpool serve`` opens it
    before it says it serves, so a log it refuses is one line, not a failed start-up);
    without it the log is opened when the app starts. With ``worker`` the app is one of
    ``serve --workers N``'s HTTP processes: it writes through that writer process and
    reads a copy of its read model (workers.py).
    """
    health = DatabaseHealth()
    read_health = DatabaseHealth(name="the read replica (--read-db)")
    link_box: list[WriterLink] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with ExitStack() as stack:
            rate, burst = settings.rate, settings.burst
            if worker is None:
                side = stack.enter_context(writer_side(settings, clock=clock, writer=writer,
                                                       health=health))
                engine, store, read, directory = (side.engine, side.store, side.read,
                                                  side.directory)
                sequencer: Sequencer | RemoteSequencer = side.sequencer
                anchoring: Any = side.anchoring
                witnessing: Any = side.witnessing
                events: Any = side.events
            else:
                engine = connect(settings.db)
                stack.callback(engine.dispose)
                require_schema(engine)
                store = LogStore(engine)
                link = WriterLink(worker.address, worker.height)
                link_box.append(link)
                read = link.read
                directory = Directory(engine, DataKey.load(settings.data_key_path()))
                link.directory = directory
                sequencer = RemoteSequencer(link, clock)
                anchoring = (RemoteJob(link, "anchoring")
                             if settings.anchor_rpc is not None else None)
                witnessing = (RemoteJob(link, "witnessing", [
                    WitnessEndpoint.parse(text) for text in settings.witnesses])
                    if settings.witnesses else None)
                events = (RemoteEvents(link) if settings.webhooks or settings.events
                          else None)
                rate, burst = rate / worker.workers, max(1.0, burst / worker.workers)
            read_store = store
            if settings.read_db is not None:
                read_engine = connect(settings.read_db, read_only=True)
                stack.callback(read_engine.dispose)
                read_store = replica_store(read_engine, store)
                # After an outage the pool connects afresh: the replica answers again.
                event.listen(read_engine, "connect", lambda *_: read_health.recovered())
            meta = store.meta()
            keys = KeyStore(engine)
            app.state.context = Context(
                settings=settings, store=store,
                reads=LogReads(read_store, store, lambda: read.head), keys=keys,
                auth=Authenticator(keys, RateLimiter(rate, burst), health),
                sequencer=sequencer, read=read, directory=directory,
                lookups=Lookups(directory), origin=meta["origin"],
                verifier_key=meta["verifier_key"], anchoring=anchoring, witnessing=witnessing,
                events=events)
            log.info("serving the log %s at block %d", meta["origin"], read.head.height)
            yield

    # Security headers on every answer, and /docs served from this server (no CDN).
    app = SecuredFastAPI(title="profitpool", version=__version__, description=DESCRIPTION,
                         lifespan=lifespan, default_response_class=Json,
                         docs_url=None, redoc_url=None)
    app.state.health = health
    app.state.read_health = read_health
    install(app)

    @app.exception_handler(ReadError)
    async def missing(_request: Any, error: ReadError) -> Json:
        return error_response("not_found", str(error))

    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(RequestBody, limit=settings.max_body_bytes)
    if worker is not None:
        app.add_middleware(CatchUp, link=lambda: link_box[0] if link_box else None)
    add_event_docs(app)
    add_docs(app)
    return app
