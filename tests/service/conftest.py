"""The ``service`` fixture: a real running service on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servicehelpers import Service

from databases import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    with fresh_database(request.param, tmp_path) as url:
        running = Service(url, tmp_path / "operator.key").setup()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[Service]:
    """The service on SQLite only (for tests whose subject is not the backend)."""
    running = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key").setup()
    try:
        yield running
    finally:
        running.stop()
