"""A job that runs in a thread of its own, on a schedule, retrying with backoff.

Anchoring (anchor/publisher.py), collecting witnesses' cosignatures
(witness/collector.py) and the monthly disclosure (disclosure/job.py) are such
jobs: they talk to other machines that may be down, or take long, and must
never hold up the sequencer. Each subclasses :class:`Job` with a ``due`` check
and a ``run_once``; a :class:`RetryingLoop` runs them every ``poll_s``
seconds, and after a failure waits twice as long each time (up to
``max_backoff_s``), logging what failed and keeping it in :class:`JobStatus`
for the API and the console.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class JobStatus:
    """What a background job is doing, for the API (/v1/anchors, ...) and the console."""

    enabled: bool = True
    last_success_us: int | None = None
    last_error: str | None = None
    failures: int = 0
    next_try_us: int | None = None


class RetryingLoop:
    """Run ``step`` whenever ``due()`` says so, in a daemon thread, with backoff."""

    def __init__(self, name: str, due: Callable[[], bool], step: Callable[[], object],
                 poll_s: float = 1.0, max_backoff_s: float = 600.0) -> None:
        self.name = name
        self.due = due
        self.step = step
        self.poll_s = poll_s
        self.max_backoff_s = max_backoff_s
        self.status = JobStatus()
        self.log = logging.getLogger(f"profitpool.{name}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"profitpool-{name}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        wait = self.poll_s
        while not self._stop.wait(wait):
            try:
                if not self.due():
                    wait = self.poll_s
                    continue
                done = self.step()
            except Exception as error:  # keep the job alive; say what failed
                status = self.status
                status.failures += 1
                status.last_error = str(error)
                wait = min(self.max_backoff_s, self.poll_s * 2 ** status.failures)
                status.next_try_us = time.time_ns() // 1000 + int(wait * 1e6)
                self.log.warning("%s failed (attempt %d, next in %.1f s): %s", self.name,
                                 status.failures, wait, error)
                continue
            self.status.failures = 0
            self.status.last_error = None
            self.status.next_try_us = None
            wait = self.poll_s
            if done is not None:
                self.status.last_success_us = time.time_ns() // 1000


class Job:
    """A job the service runs on a :class:`RetryingLoop`: subclasses give ``due`` and
    ``run_once`` and call ``super().__init__`` once their own state is set."""

    def __init__(self, name: str, poll_s: float, max_backoff_s: float) -> None:
        self.loop = RetryingLoop(name, self.due, self.run_once, poll_s, max_backoff_s)
        self.status = self.loop.status

    def due(self) -> bool:
        raise NotImplementedError

    def run_once(self) -> object:
        raise NotImplementedError

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop()
