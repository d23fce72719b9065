"""The ``service`` fixture: a real running service on SQLite and on PostgreSQL."""

from servicehelpers import service, sqlite_service  # noqa: F401 - fixtures
