"""Fixtures: ``service`` (the real service, on SQLite and PostgreSQL) and ``sqlite_service``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))  # servicehelpers
from servicehelpers import service, sqlite_service  # noqa: E402, F401 - fixtures
