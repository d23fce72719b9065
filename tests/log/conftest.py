"""The ``log`` fixture: one database per test, on SQLite and on PostgreSQL.

The PostgreSQL run needs a server: ``PROFITPOOL_TEST_POSTGRES`` holds its URL
(``.ci/run`` sets it to the local server). Each test gets its own schema there,
dropped afterwards, so tests never see each other's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from loghelpers import POSTGRES_ENV, Log, postgres_url, with_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Log]:
    """An empty database (not initialised) on each backend."""
    if request.param == "sqlite":
        log = Log(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key", tmp_path)
        yield log
        log.close()
        return
    base = postgres_url()
    if base is None:
        pytest.skip(f"{POSTGRES_ENV} is not set: the PostgreSQL run needs a server "
                    "(.ci/run sets it to the local one)")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    log = Log(with_schema(base, schema), tmp_path / "operator.key", tmp_path)
    try:
        yield log
    finally:
        log.close()
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")
