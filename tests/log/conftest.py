"""The ``log`` fixture: one database per test, on SQLite and on PostgreSQL.

The PostgreSQL run needs a server (see tests/databases.py); it skips with the
reason where there is none.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from loghelpers import Log

from databases import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Log]:
    """An empty database (not initialised) on each backend."""
    with fresh_database(request.param, tmp_path) as url:
        log = Log(url, tmp_path / "operator.key", tmp_path)
        try:
            yield log
        finally:
            log.close()
