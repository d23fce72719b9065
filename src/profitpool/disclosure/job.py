"""The service's monthly disclosure: once a month is over (and burned), report it.

A :class:`~profitpool.background.RetryingLoop` of its own: when the month
before the current one (Asia/Shanghai, by the service's clock) has ended,
the program existed before its end and no report of it is stored, it
replays the log to the month's end, stores the report and its proof of
liabilities, and writes the ``disclosure`` command through the service's
single writer like any other write (``submit``, given by the service). A
failure is retried with backoff; orders never wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..background import Job
from ..store.repository import LogStore
from ..times import format_period, parse_time, shanghai_month
from .month import month_range
from .publish import prepare, save, stored_report, unsave

SETTLE_US = 60_000_000
"""Wait a minute past the month's end, so the burn the service runs at 00:00 comes first."""

Submit = Callable[[dict[str, Any]], tuple[int, Any]]
"""Writes one command and waits for its answer: (HTTP status, body). May raise TimeoutError."""


def program_start(store: LogStore) -> int | None:
    """When the program began: the time of its first entry (a block's own time is its
    newest entry's, and one block of ``apply`` or the demo may span months), or None for
    an empty log."""
    for _, data in store.iter_entries(0, 1):
        return parse_time(orjson.loads(data)["command"]["at"])
    return None


class DisclosureJob(Job):
    def __init__(self, store: LogStore, submit: Submit, clock: Callable[[], int],
                 poll_s: float = 60.0, max_backoff_s: float = 3600.0) -> None:
        self.store = store
        self.submit = submit
        self.clock = clock
        super().__init__("disclosure", poll_s, max_backoff_s)

    def _last_month(self) -> tuple[int, int]:
        year, month = shanghai_month(self.clock() - SETTLE_US)
        return (year - 1, 12) if month == 1 else (year, month - 1)

    def due(self) -> bool:
        period = self._last_month()
        text = format_period(period)
        start = program_start(self.store)
        if start is None or start >= month_range(period)[1]:
            return False  # the program started after that month
        return stored_report(self.store, text) is None

    def run_once(self) -> str | None:
        prepared = prepare(self.store, self._last_month(), self.clock())
        save(self.store, prepared)
        command = {key: value for key, value in prepared.command("").items() if key != "at"}
        status, body = self.submit(command)
        if status >= 400:
            unsave(self.store, prepared.period)  # keep nothing the log did not take; retry
            raise RuntimeError(f"the log refused the disclosure: {body!r}")
        return prepared.period
