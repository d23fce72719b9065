"""A fresh database for a test, on SQLite or on PostgreSQL (importable from any test folder).

The PostgreSQL run needs a server: ``PROFITPOOL_TEST_POSTGRES`` holds its URL
(``.ci/run`` sets it to the local server). Each test gets its own schema
there, dropped afterwards, so tests never see each other's tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES_ENV = "PROFITPOOL_TEST_POSTGRES"
BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on ``backend``; skips without a PostgreSQL server."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.db'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip(f"{POSTGRES_ENV} is not set: the PostgreSQL run needs a server "
                    "(.ci/run sets it to the local one)")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")
