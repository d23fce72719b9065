"""The events process: webhooks and the NATS stream, beside the service, not inside it.

``profitpool serve`` starts one child process (:class:`EventsWorker`) that
reads the outbox from the database and runs the webhook dispatcher and, with
``--events nats://…``, the stream publisher. It shares nothing with the
sequencer but the database: a slow, hanging or dead receiver, or a NATS server
that is down, costs the sequencer nothing, not even the interpreter's lock.

Delivery is at least once: the outbox rows are durable with their block, and
each consumer's cursor is stored after it delivered. A crash between a
delivery and its cursor sends that event again (same id) on restart;
receivers de-duplicate by ``webhook-id`` (the stream does it by
``Nats-Msg-Id``).

It runs at a lower priority (``nice`` :data:`NICE`): when both compete for the
CPU, order-taking wins and events lag, durable in the outbox, until there is
time to send them.

The child stops when told (SIGTERM, :meth:`EventsWorker.stop`) and by
itself when its parent is gone (a ``kill -9`` of the service leaves no
orphan delivering on its own). Every few seconds it writes what it is doing
to ``log_meta`` (key ``events.status``), which ``GET /v1/events/status`` shows.

How the child logs is the starter's to say: the service passes its own setup
(service/logs.py, one JSON object a line), so events/ need not know the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from typing import Any, Final

import orjson

from .options import EventsOptions

STATUS_KEY: Final = "events.status"
STATUS_EVERY_S: Final = 2.0
NICE: Final = 10
"""The events process's scheduling priority below the service's."""
log = logging.getLogger("profitpool.events")


class EventsWorker:
    """The child process that sends events out (see the module docstring)."""

    def __init__(self, db_url: str, options: EventsOptions,
                 configure_logging: Callable[[], None]) -> None:
        """``configure_logging`` runs first in the child: a module-level function, since
        the child is spawned and gets it by name."""
        self.db_url = db_url
        self.options = options
        self.configure_logging = configure_logging
        self.process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.process = context.Process(target=main, args=(self.db_url, self.options,
                                                          os.getpid(), self.configure_logging),
                                       name="profitpool-events", daemon=True)
        self.process.start()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the child to finish what it is sending and leave; kill it after ``timeout``."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)  # type: ignore[arg-type]
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(5)
        process.close()


def main(db_url: str, options: EventsOptions, parent: int,
         configure_logging: Callable[[], None]) -> None:
    """The child's entry point."""
    configure_logging()
    # Order-taking comes first: under a burst the events wait, durable in the outbox,
    # and catch up; the service does not slow down to send them.
    with contextlib.suppress(OSError):
        os.nice(NICE)
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop is a dependency where it builds
        factory = None
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve(db_url, options, parent))


async def serve(db_url: str, options: EventsOptions, parent: int | None = None) -> None:
    """Run the dispatcher (and the stream) until SIGTERM or the parent's death."""
    from ..store.database import connect
    from .stream import StreamPublisher
    from .webhooks import WebhookDispatcher

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
    engine = connect(db_url)
    dispatcher = WebhookDispatcher(engine, options)
    stream = StreamPublisher(engine, options) if options.nats_url else None
    jobs = [dispatcher.run(stop)]
    if stream is not None:
        jobs.append(stream.run(stop))
    jobs.append(_watch(engine, stop, parent, dispatcher, stream))
    log.info("events: sending webhooks%s", f" and streaming to {options.nats_url}"
             if stream else "")
    try:
        await asyncio.gather(*jobs)
    finally:
        await dispatcher.close()
        if stream is not None:
            await stream.close()
        engine.dispose()


async def _watch(engine: Any, stop: asyncio.Event, parent: int | None,
                 dispatcher: Any, stream: Any) -> None:
    """Leave when the parent is gone; write the status now and then."""
    from ..store.repository import LogStore

    store = LogStore(engine)
    last = 0.0
    while not stop.is_set():
        if parent is not None and os.getppid() != parent:
            log.warning("events: the service is gone; stopping")
            stop.set()
            return
        if time.monotonic() - last >= STATUS_EVERY_S:
            last = time.monotonic()
            status = {"pid": os.getpid(), "time_us": time.time_ns() // 1000,
                      "webhooks": getattr(dispatcher, "status", None),
                      "stream": None if stream is None else stream.status}
            try:
                await asyncio.to_thread(store.set_meta, {
                    STATUS_KEY: orjson.dumps(status, default=str).decode()})
            except Exception as error:  # the status is a courtesy; delivery goes on
                log.warning("events: cannot write the status: %s", error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
