"""The ``event_log`` fixture: a fresh log on SQLite and on PostgreSQL (skipped without one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eventhelpers import EventLog

from databases import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def event_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventLog]:
    with fresh_database(request.param, tmp_path) as url:
        log = EventLog.create(url, tmp_path)
        try:
            yield log
        finally:
            log.close()


@pytest.fixture
def sqlite_event_log(tmp_path: Path) -> Iterator[EventLog]:
    log = EventLog.create(f"sqlite:///{tmp_path / 'log.db'}", tmp_path)
    try:
        yield log
    finally:
        log.close()
