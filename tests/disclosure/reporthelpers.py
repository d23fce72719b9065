"""A log in a SQLite file driven through the ``profitpool`` command, as the operator does."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from profitpool.cli import main
from profitpool.log.datakey import DataKey, data_key_path
from profitpool.members.directory import OPERATOR, Directory
from profitpool.store.database import connect
from profitpool.store.repository import LogStore


class Log:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.url = f"sqlite:///{tmp / 'log.db'}"
        self.key = tmp / "op.key"

    def cli(self, *args: str, input: str | None = None) -> Result:
        extra = ["--db", self.url]
        if args[0] in ("init", "apply") or args[:2] in (("report", "month"),
                                                        ("custody", "record")):
            extra += ["--key", str(self.key)]
        return CliRunner().invoke(main, [*args, *extra], input=input)

    def ok(self, *args: str, input: str | None = None) -> str:
        result = self.cli(*args, input=input)
        assert result.exit_code == 0, result.output
        return result.output

    def store(self) -> LogStore:
        return LogStore(connect(self.url))

    def pseudonym(self, member_id: str) -> str:
        """The pseudonym the log names ``member_id`` by (the link ``apply --db`` made)."""
        engine = connect(self.url)
        try:
            found = Directory(engine, DataKey.load(data_key_path(self.key))).pseudonym_of(
                OPERATOR, member_id)
        finally:
            engine.dispose()
        assert found is not None
        return found
