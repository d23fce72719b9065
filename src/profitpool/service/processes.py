"""``serve --workers N``: start the writer here and N HTTP processes; stop them in order.

The layout and its guarantees are described in :mod:`.workers`. This module is the
process plumbing: it binds the listening socket once (every worker accepts on it),
runs the writer side (:func:`~profitpool.service.app.writer_side`) and a
:class:`~profitpool.service.workers.WriterHub` in this process, and starts the
workers with ``multiprocessing``'s *spawn* (a fresh interpreter each: nothing of the
writer's ledger is copied into them). A worker that exits is started again. On
SIGINT or SIGTERM the workers stop first (they finish the requests they hold, whose
writes still need the writer), then the writer stores its last block.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..log.writer import LogWriter
from .app import WorkerSpec, writer_side
from .logs import configure_logging
from .settings import Settings
from .workers import WriterHub

log = logging.getLogger("profitpool.service")

STOP_WAIT_S = 10
"""How long a worker has to finish its requests when the service stops."""

WORKER_NAME = "profitpool-http"
"""What ``top`` and ``ps -o comm`` call an HTTP worker process (at most 15 bytes)."""

AppFactory = Callable[..., Any]
"""``create_app(settings, worker=WorkerSpec)``: a module-level function (it is pickled)."""


def _worker_main(factory: AppFactory, settings: Settings, spec: WorkerSpec,
                 sockets: list[socket.socket]) -> None:
    """One HTTP worker process: the app on the shared socket, until SIGTERM."""
    import uvicorn

    _name_process(WORKER_NAME)
    configure_logging()
    app = factory(settings, worker=spec)
    config = uvicorn.Config(app, log_config=None, access_log=False, loop="uvloop",
                            http="httptools", timeout_graceful_shutdown=STOP_WAIT_S)
    uvicorn.Server(config).run(sockets=sockets)


@dataclass
class _Slot:
    """One HTTP worker's place: the process in it now, and how the last ones fared."""

    process: Any
    started: float
    failures: int = 0
    """Workers in a row that exited within 10 s of starting (each waits longer)."""
    died: float | None = None

    def look_after(self, start: Callable[[], Any]) -> None:
        """Start another worker if this one exited: at once, or after 2, 4, ... 30 s when
        they keep exiting as they start (a crash loop would only fill the log)."""
        if self.process.is_alive():
            return
        now = time.monotonic()
        if self.died is None:
            self.died = now
            lived = now - self.started
            self.failures = self.failures + 1 if lived < 10 else 0
            log.error("HTTP worker %d exited (code %s) after %.0f s: starting another in "
                      "%.0f s", self.process.pid, self.process.exitcode, lived, self.wait())
        if now - self.died >= self.wait():
            self.process, self.started, self.died = start(), now, None

    def wait(self) -> float:
        return 0.0 if self.failures == 0 else min(30.0, 2.0 ** self.failures)


def _name_process(name: str) -> None:
    """Set this process's name as ``ps -o comm`` shows it (Linux; elsewhere nothing)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def serve_in_processes(settings: Settings, writer: LogWriter | None,
                       factory: AppFactory, *, stop: threading.Event | None = None) -> None:
    """Serve ``settings`` with ``settings.workers`` HTTP processes and this one writing,
    until SIGINT or SIGTERM (or ``stop`` is set).

    Raises:
        StoreError, OperatorKeyError, LogError: the log cannot be written.
        OSError: the address cannot be listened on.
    """
    stop = stop or threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    spawn = multiprocessing.get_context("spawn")
    height = spawn.RawValue("q", 0)
    listening = socket.create_server((settings.host, settings.port), reuse_port=False,
                                     backlog=2048)
    listening.set_inheritable(True)
    with tempfile.TemporaryDirectory(prefix="profitpool-") as private, \
            writer_side(settings, writer=writer) as side:
        hub = WriterHub(side.sequencer, side.read, height, side.statuses, private)
        hub.start()
        spec = WorkerSpec(hub.address, height, settings.workers)

        def start() -> Any:
            process = spawn.Process(target=_worker_main, name="profitpool-http",
                                    args=(factory, settings, spec, [listening]), daemon=True)
            process.start()
            return process

        slots = [_Slot(start(), time.monotonic()) for _ in range(settings.workers)]
        log.info("serving with %d HTTP worker processes", len(slots))
        try:
            while not stop.wait(0.5):
                for slot in slots:
                    slot.look_after(start)
        finally:
            for slot in slots:
                slot.process.terminate()
            for slot in slots:
                slot.process.join(STOP_WAIT_S + 5)
                if slot.process.is_alive():
                    slot.process.kill()
            hub.stop()
            listening.close()


__all__ = ["serve_in_processes"]
