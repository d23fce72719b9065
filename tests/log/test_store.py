"""Databases and keys that cannot be used: one clear line, exit status 1, nothing written."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import orjson
import pytest
from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from loghelpers import EXAMPLES, Log  # type: ignore[attr-defined]
from sqlalchemy import Engine, text

from profitpool import store as store_package
from profitpool.disclosure import pol
from profitpool.disclosure.month import liabilities, month_figures
from profitpool.disclosure.publish import prepare, pseudonym_of
from profitpool.errors import Rejected
from profitpool.log.keys import create_key
from profitpool.log.writer import LogWriter
from profitpool.store.database import connect
from profitpool.store.repository import LogStore
from profitpool.store.schema import metadata
from profitpool.store.secrets import POL_SECRET, PSEUDONYM_KEY, SecretStore
from profitpool.times import parse_time
from profitpool.workload import realistic

WORKED = str(EXAMPLES / "worked.jsonl")


def assert_clean_failure(result: object, message: str) -> None:
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 1, output  # type: ignore[attr-defined]
    assert message in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output


def test_the_migrated_schema_is_exactly_the_declared_one(log: Log) -> None:
    log.init()
    with log.engine().connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, metadata) == []


def _downgrade_to(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` with the project's own migrations."""
    config = Config()
    config.set_main_option("script_location", str(Path(store_package.__file__).parent
                                                  / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        alembic_command.downgrade(config, revision)


def test_upgrading_moves_the_program_s_secrets_out_of_log_meta_and_keeps_what_they_made(
        log: Log) -> None:
    """A log of schema 0006 kept the pseudonym key and the PoL secret in log_meta (what a
    public copy of the log's tables holds). 0007 moves them to program_secrets; every
    pseudonym and proof made with them stays the same."""
    log.init()
    writer = LogWriter.open(log.url, log.key)  # a log of then: members under their own ids
    for line in Path(WORKED).read_bytes().splitlines():
        with contextlib.suppress(Rejected):
            writer.submit(orjson.loads(line))
    writer.close()
    engine = log.engine()
    _downgrade_to(engine, "0006")
    pseudonym_key, pol_secret = os.urandom(32), os.urandom(32)
    LogStore(engine).set_meta({"pseudonym_key": pseudonym_key.hex(),
                               "pol_secret": pol_secret.hex()})
    period, now = (2026, 1), parse_time("2030-01-01T00:00:00+08:00")
    figures = month_figures(LogStore(engine), period, now)  # the tree those secrets make
    before = pol.build_v2(figures.period, pol_secret, (
        pol.PartyLiability(f"{kind}:{party}", kind,
                           pseudonym_of(pseudonym_key, party) if kind == "member" else party,
                           *amounts)
        for kind, party, *amounts in liabilities(figures.ledger)))
    assert log.cli("init").exit_code == 0  # upgrades the schema
    store = LogStore(log.engine())
    assert {"pseudonym_key", "pol_secret"}.isdisjoint(store.meta())
    assert SecretStore(store.engine).get(PSEUDONYM_KEY) == pseudonym_key
    assert SecretStore(store.engine).get(POL_SECRET) == pol_secret
    after = prepare(store, period, now).tree
    assert (after.root, after.total_fen, after.leaf_count) == (
        before.root, before.total_fen, before.leaf_count)
    for member in before.member_ids:
        assert pol.member_proof(after, member).to_json() == \
            pol.member_proof(before, member).to_json()
    assert SecretStore(store.engine).get(PSEUDONYM_KEY) == pseudonym_key  # none made anew


@pytest.mark.parametrize("command", [
    ("apply", WORKED), ("verify",), ("log", "show"), ("log", "proof", "--entry", "0"),
])
def test_a_database_that_was_never_initialised(log: Log, command: tuple[str, ...]) -> None:
    create_key(log.key, "shop.example/log")  # apply reads a valid key before the database
    engine = connect(log.url, create=True)
    with engine.begin() as connection:  # a database, but another program's
        connection.execute(text("CREATE TABLE unrelated (x INTEGER)"))
    engine.dispose()
    result = log.cli(*command)
    assert_clean_failure(result, "holds no profitpool log: run `profitpool init` first")


def test_a_database_from_a_newer_profitpool_is_refused_and_left_alone(log: Log) -> None:
    log.init()
    assert log.cli("apply", WORKED).exit_code == 0
    store = log.store()
    entries = store.entry_count()
    with log.engine().begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    for command in (("init",), ("apply", WORKED), ("verify",), ("log", "show")):
        result = log.cli(*command)
        assert_clean_failure(result, "written by a newer profitpool")
    assert store.entry_count() == entries


def test_a_corrupt_sqlite_file(log: Log) -> None:
    path = log.tmp / "corrupt.db"
    path.write_bytes(b"this is not a database, just some bytes" * 100)
    for command in (("init",), ("verify",)):
        result = log.cli(*command, "--db", f"sqlite:///{path}")
        assert_clean_failure(result, "file is not a database")


def test_an_unreachable_postgresql(log: Log) -> None:
    url = "postgresql://postgres:secret@127.0.0.1:1/test"
    create_key(log.key, "shop.example/log")
    for command in (("init",), ("verify",), ("apply", WORKED)):
        result = log.cli(*command, "--db", url)
        assert_clean_failure(result, "cannot open postgresql://postgres@127.0.0.1:1/test")
        assert "secret" not in result.output


def test_an_unsupported_url(log: Log) -> None:
    result = log.cli("verify", "--db", "mysql://root@localhost/test")
    assert_clean_failure(result, "unsupported database URL")


def test_a_missing_key(log: Log) -> None:
    log.init()
    log.key.unlink()
    result = log.cli("apply", WORKED)
    assert_clean_failure(result, "no key at")
    assert log.store().entry_count() == 0


def test_a_key_others_can_read(log: Log) -> None:
    log.init()
    os.chmod(log.key, 0o644)
    result = log.cli("apply", WORKED)
    assert_clean_failure(result, "can be read by others")
    assert log.store().entry_count() == 0


def test_a_file_that_holds_no_key(log: Log) -> None:
    log.init()
    log.key.write_text("PRIVATE+KEY+nonsense\n")
    result = log.cli("apply", WORKED)
    assert_clean_failure(result, "holds no valid signing key")
    assert log.store().entry_count() == 0


def test_init_never_overwrites_a_key_file_with_something_else(log: Log) -> None:
    log.key.write_text("precious\n")
    os.chmod(log.key, 0o600)
    result = log.cli("init")
    assert_clean_failure(result, "holds no valid signing key")
    assert log.key.read_text() == "precious\n"


def test_reading_in_pages_gives_every_row_once(log: Log) -> None:
    log.init()
    commands, _ = realistic(900, seed=4)
    lines = b"\n".join(orjson.dumps(command) for command in commands)
    assert log.cli("apply", "-", "--block-size", "7", input=lines).exit_code == 0
    store = log.store()
    assert list(store.iter_tiles(batch=1)) == list(store.iter_tiles())
    assert len(list(store.iter_tiles())) >= 4
    assert list(store.iter_entries(batch=3)) == list(store.iter_entries())
    assert [b.header.height for b in store.iter_blocks(batch=2)] == \
        list(range(1, store.block_count() + 1))
    assert [i for i, _ in store.iter_entries(10, 20, batch=4)] == list(range(10, 20))


def test_only_init_creates_a_sqlite_file(log: Log) -> None:
    path = log.tmp / "absent.db"
    create_key(log.key, "shop.example/log")
    for command in (("verify",), ("log", "show"), ("apply", WORKED)):
        result = log.cli(*command, "--db", f"sqlite:///{path}")
        assert_clean_failure(result, f"there is no database at {path}")
        assert not path.exists()
    assert log.cli("init", "--db", f"sqlite:///{path}").exit_code == 0
    assert path.exists()
