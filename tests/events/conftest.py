"""Fixtures: ``event_log`` (a log written by a LogWriter) and ``service`` (the real service),
each on SQLite and on PostgreSQL (skipped without a server); ``sqlite_*`` on SQLite only."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventhelpers import EventLog

from databases import BACKENDS, fresh_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))  # servicehelpers
from servicehelpers import service, sqlite_service  # noqa: E402, F401 - fixtures


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

