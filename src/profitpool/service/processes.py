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
from collections.abc import Callable
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

        workers = [start() for _ in range(settings.workers)]
        log.info("serving with %d HTTP worker processes", len(workers))
        try:
            while not stop.wait(0.5):
                for number, process in enumerate(workers):
                    if not process.is_alive():
                        log.error("HTTP worker %d exited (code %s): starting another",
                                  process.pid, process.exitcode)
                        workers[number] = start()
        finally:
            for process in workers:
                process.terminate()
            for process in workers:
                process.join(STOP_WAIT_S + 5)
                if process.is_alive():
                    process.kill()
            hub.stop()
            listening.close()


__all__ = ["serve_in_processes"]
