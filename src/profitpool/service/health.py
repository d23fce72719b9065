"""Whether the log's database answers, as the service last saw it.

During an outage every request that needs the database fails the same way;
logging each would bury the one fact that matters under hundreds of copies.
So every such failure is reported here, and only a change of state is
logged: one line when the database stops answering (with the first error),
one when it answers again (with how long it was gone). The writer thread
asks :meth:`DatabaseHealth.probe` while the database is down, so the
recovery is seen (and the writer reopened) without waiting for a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from ..store.database import describe_error

log = logging.getLogger("profitpool.service")

RETRY_AFTER_S: Final = 2
"""What a 503 answer's Retry-After says while the database is down (seconds)."""


class DatabaseHealth:
    """Up or down, with one log line per change (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 name: str = "the log's database") -> None:
        self._clock = clock
        self.name = name
        """What the log lines call the database (the replica's health: ``--read-db``)."""
        self._lock = threading.Lock()
        self.down_since: float | None = None
        """When the database stopped answering (None: it answers)."""
        self.reason = ""
        """The first error of the current outage, in one line."""

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, error: BaseException) -> None:
        """The database did not answer: log it if it answered until now."""
        with self._lock:
            if self.down_since is not None:
                return
            self.down_since = self._clock()
            self.reason = _one_line(error)
        log.error("%s is unavailable: %s", self.name, self.reason)

    def recovered(self) -> None:
        """The database answered: log it if it was down."""
        with self._lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            log.warning("%s answers again, after %.1f s", self.name, self._clock() - since)

    def probe(self, engine: Engine) -> bool:
        """Ask the database a trivial question; note the answer. True if it answered."""
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as error:
            self.failed(error)
            return False
        self.recovered()
        return True


def _one_line(error: BaseException) -> str:
    if isinstance(error, SQLAlchemyError):
        return describe_error(error)
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
