"""Opening a database: URLs, SQLite durability settings, schema versions, clear errors.

``sqlite:///path.db`` is the embedded default (WAL journal, ``synchronous =
FULL``: a committed block survives a crash or power loss).
``postgresql://user@host/db`` (or ``postgres://``) uses psycopg 3.

Every failure to open becomes a :class:`StoreError` with one sentence: an
unreachable server, a file that is not a database, a database written by a
newer profitpool, one never initialised.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..errors import ProfitpoolError

DEFAULT_URL: Final = "sqlite:///profitpool.db"
_MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"


class StoreError(ProfitpoolError):
    """The database cannot be used; the message says why, in one sentence."""


class StoreUnavailable(StoreError):
    """The database did not answer (down, unreachable, locked, out of space): nothing is
    wrong with what was asked, and the same request may succeed once it is back."""

    in_doubt = False
    """True when the connection broke while a transaction was being committed to a server:
    it may have been stored after all (the next successful read tells)."""


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means the database could not be used at all, rather than
    that it refused what was asked (a constraint, a value it cannot hold).

    SQLAlchemy raises ``OperationalError`` for what the database's operation met (a lost
    connection, a server shutting down, SQLite's "database is locked" or "disk is full"),
    ``InterfaceError`` for a connection the driver cannot use, and ``TimeoutError`` when
    no pooled connection frees up; ``DBAPIError.connection_invalidated`` marks any other
    error that broke the connection.
    """
    if isinstance(error, StoreUnavailable | OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def default_url() -> str:
    """``$PROFITPOOL_DB`` or ``sqlite:///profitpool.db`` in the current directory."""
    return os.environ.get("PROFITPOOL_DB", DEFAULT_URL)


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for a user's database URL."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith(("sqlite://", "postgresql+psycopg://")):
        return url
    raise StoreError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://…")


READS_APPLICATION: Final = "profitpool-reads"
"""The ``application_name`` of a read-only engine's PostgreSQL sessions (``pg_stat_activity``
tells them from the writer's)."""


def connect(url: str, *, create: bool = False, read_only: bool = False) -> Engine:
    """An engine for ``url`` whose connection has been tried.

    A SQLite file is created only with ``create`` (by ``profitpool init``);
    every other command refuses a file that is not there rather than leave
    an empty one behind. ``read_only`` (PostgreSQL: the service's reads on a replica,
    ``serve --read-db``): every transaction is ``READ ONLY``, so nothing can be written
    through it even if the URL names the primary, and its sessions are named
    :data:`READS_APPLICATION` unless the URL names them.

    Raises:
        StoreError: unreachable, not a database, missing file, wrong URL.
    """
    target = engine_url(url)
    if target.startswith("sqlite:///") and target != "sqlite:///:memory:":
        path = Path(target[len("sqlite:///"):].split("?", 1)[0])
        if not path.parent.exists():
            raise StoreError(f"cannot create {path}: the folder {path.parent} does not exist")
        if not create and not path.exists():
            raise StoreError(f"there is no database at {path}: run `profitpool init` first")
    options: dict[str, Any] = {}
    if read_only and target.startswith("postgresql"):
        options["execution_options"] = {"postgresql_readonly": True}
        if "application_name=" not in target:
            options["connect_args"] = {"application_name": READS_APPLICATION}
    engine = create_engine(target, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_settings)
    if read_only:
        event.listen(engine, "handle_error", _mark_read_only)
    try:
        with engine.connect() as connection:
            inspect(connection).get_table_names()
    except DBAPIError as error:
        engine.dispose()
        kind = StoreUnavailable if is_unavailable(error) else StoreError
        raise kind(f"cannot open {_redacted(url)}: {describe_error(error)}") from None
    return engine


def _mark_read_only(context: Any) -> None:
    context.sqlalchemy_exception.profitpool_read_only = True


def from_read_only(error: BaseException) -> bool:
    """Whether a database error came from a ``read_only`` engine (a replica): its outage
    is the replica's, not the log's database's."""
    return bool(getattr(error, "profitpool_read_only", False))


def driver_marker(engine: Engine) -> str:
    """The driver's own placeholder: ``%s`` (psycopg) or ``?`` (sqlite3)."""
    return "%s" if engine.dialect.paramstyle in ("format", "pyformat") else "?"


def driver_insert(engine: Engine, table: str, columns: Sequence[str], *,
                  skip_existing: bool = False) -> str:
    """``INSERT INTO table (columns) VALUES (...)`` in the driver's own placeholders, for
    ``exec_driver_sql`` with many tuples: the bulk rows of a block, a month or a pass,
    without SQLAlchemy's per-row parameter processing. ``skip_existing``: a row whose
    key is stored already is skipped, not an error."""
    marker = driver_marker(engine)
    sqlite = engine.dialect.name == "sqlite"
    verb = "INSERT OR IGNORE" if skip_existing and sqlite else "INSERT"
    suffix = " ON CONFLICT DO NOTHING" if skip_existing and not sqlite else ""
    return (f"{verb} INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join([marker] * len(columns))}){suffix}")


def _sqlite_settings(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest schema revision this profitpool knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision.

    Raises:
        StoreError: the database was written by a newer profitpool.
    """
    _refuse_newer(engine)
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as error:
        raise StoreError(f"cannot create the schema: {describe_error(error)}") from None


def require_schema(engine: Engine) -> None:
    """Check that the database holds exactly the schema this profitpool writes.

    Raises:
        StoreError: not initialised, older (run init) or newer (upgrade profitpool).
    """
    current = current_revision(engine)
    if current is None:
        raise StoreError("this database holds no profitpool log: run `profitpool init` first")
    _refuse_newer(engine)
    if current != head_revision():
        raise StoreError(
            f"this database has schema {current}; run `profitpool init` to upgrade it to "
            f"{head_revision()}"
        )


def _refuse_newer(engine: Engine) -> None:
    current = current_revision(engine)
    if current is None:
        return
    scripts = ScriptDirectory.from_config(_alembic_config())
    known = {revision.revision for revision in scripts.walk_revisions()}
    if current not in known:
        raise StoreError(
            f"this database has schema {current}, written by a newer profitpool "
            f"(this one knows up to {head_revision()}): upgrade profitpool"
        )


def describe_error(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__


def _redacted(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url
