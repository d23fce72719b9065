"""What the commands share: one-line errors, the --db and --key options, and output helpers."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import orjson

from ..errors import ProfitpoolError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from ..store.repository import LogStore

__all__ = ["KEEP_UNTIL_EXIT", "clean_errors", "count", "data_key_option", "db_option",
           "key_option", "open_directory_at", "open_store", "print_json"]

_F = TypeVar("_F", bound=Callable[..., Any])

KEEP_UNTIL_EXIT: list[object] = []
"""Large results stay referenced until :func:`profitpool.cli.run` exits the process, so
millions of objects are not freed one by one just before the process ends anyway."""


def clean_errors(function: _F) -> _F:
    """Turn the errors a user can cause into one line and exit status 1, never a traceback."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ProfitpoolError as error:
            raise click.ClickException(str(error)) from None
        except Exception as error:
            # Only a command that imported SQLAlchemy can raise its errors (the database
            # libraries load with the commands that need them: ``profitpool --help`` fast).
            database = sys.modules.get("sqlalchemy.exc")
            if database is None or not isinstance(error, database.SQLAlchemyError):
                raise
            from ..store.database import describe_error

            raise click.ClickException(f"database error: {describe_error(error)}") from None
    return wrapper  # type: ignore[return-value]


def default_url() -> str:
    """``$PROFITPOOL_DB`` or ``sqlite:///profitpool.db`` (store/database.py), imported only
    when a command runs."""
    from ..store.database import default_url as url

    return url()


def default_key_path() -> Path:
    """``$PROFITPOOL_KEY`` or ``./profitpool.key`` (log/keys.py), imported only when a
    command runs."""
    from ..log.keys import default_key_path as path

    return path()


def open_store(url: str) -> AbstractContextManager[LogStore]:
    """store.repository.open_store, imported only when a command runs."""
    from ..store.repository import open_store as opened

    return opened(url)


def db_option(default: Callable[[], str] | None = default_url) -> Callable[[_F], _F]:
    return click.option(
        "--db", default=default, metavar="URL",
        show_default="$PROFITPOOL_DB or sqlite:///profitpool.db" if default else None,
        help="The log's database: sqlite:///FILE or postgresql://USER@HOST/DB."
        if default else "Persist through the signed log in this database "
        "(sqlite:///FILE or postgresql://…). Without it the ledger lives in memory only.",
    )


def key_option() -> Callable[[_F], _F]:
    return click.option(
        "--key", "key_path", type=click.Path(dir_okay=False, path_type=Path),
        default=default_key_path, show_default="$PROFITPOOL_KEY or ./profitpool.key",
        help="The operator's signing key file (created by `profitpool init`, mode 0600).",
    )


def data_key_option() -> Callable[[_F], _F]:
    return click.option(
        "--data-key", "data_key", type=click.Path(dir_okay=False, path_type=Path),
        default=None, show_default="$PROFITPOOL_DATA_KEY or <key>-data.key beside --key",
        help="The data key that seals who each member is (created by `profitpool init`, "
        "mode 0600; docs/privacy.md).",
    )


def open_directory_at(engine: Any, key_path: Path, data_key: Path | None) -> Any:
    """The member directory of the database at ``engine``, with the data key ``data_key``
    (default: beside the operator's key ``key_path``), for commands that do not write the
    log (bootstrap.open_directory is the writer's)."""
    from ..log.datakey import DataKey, data_key_path
    from ..members.directory import Directory

    return Directory(engine, DataKey.load(
        data_key if data_key is not None else data_key_path(key_path)))


def count(number: int, one: str, many: str | None = None) -> str:
    """``1 block``, ``2 blocks``, ``1,000 entries``."""
    return f"{number:,} {one if number == 1 else many or one + 's'}"


def print_json(value: object) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")
