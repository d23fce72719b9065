"""What the commands share: one-line errors, the --db and --key options, and output helpers."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
from sqlalchemy.exc import SQLAlchemyError

from ..errors import ProfitpoolError
from ..log.keys import default_key_path
from ..store.database import default_url, describe_error
from ..store.repository import open_store

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
        except SQLAlchemyError as error:
            raise click.ClickException(f"database error: {describe_error(error)}") from None
    return wrapper  # type: ignore[return-value]


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
