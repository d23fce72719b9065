"""Helpers for the log tests: a test's database and key, and the CLI run against them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from profitpool.cli import main
from profitpool.engine import Ledger, apply
from profitpool.errors import Rejected
from profitpool.log.datakey import DataKey, data_key_path
from profitpool.members.directory import OPERATOR, Directory
from profitpool.members.pseudonyms import is_pseudonym
from profitpool.store.database import connect
from profitpool.store.repository import LogStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class Log:
    """One test's log: its database URL and the operator key's path."""

    url: str
    key: Path
    tmp: Path
    engines: list[Engine] = field(default_factory=list)
    _directory: Directory | None = None

    def cli(self, *args: str, input: bytes | str | None = None) -> Result:
        """Run ``profitpool ARGS`` in process (``--db`` and ``--key`` added where they apply)."""
        extra: list[str] = []
        if "--db" not in args:
            extra += ["--db", self.url]
        if args[0] in ("init", "apply") and "--key" not in args:
            extra += ["--key", str(self.key)]
        return CliRunner().invoke(main, [*args, *extra], input=input, catch_exceptions=False)

    def init(self) -> str:
        """Initialise the log; returns the published public key."""
        result = self.cli("init")
        assert result.exit_code == 0, result.output
        line = next(line for line in result.output.splitlines() if line.startswith("public key"))
        return line.split(": ", 1)[1]

    def engine(self) -> Engine:
        """An engine on this database, disposed of when the test ends."""
        engine = connect(self.url)
        self.engines.append(engine)
        return engine

    def sibling(self, name: str) -> Log:
        """Another SQLite log with its own key in this test's folder."""
        return Log(f"sqlite:///{self.tmp / name}.db", self.tmp / f"{name}.key", self.tmp,
                   self.engines)

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()

    def store(self) -> LogStore:
        return LogStore(self.engine())

    def directory(self) -> Directory:
        """The member directory of this log (its data key beside the operator's key)."""
        if self._directory is None:
            self._directory = Directory(self.engine(), DataKey.load(data_key_path(self.key)))
        return self._directory

    def unlinked(self, value: Any) -> Any:
        """``value`` with every pseudonym (in strings and keys, at any depth) replaced by
        the member id the operator used for it: the log's view of members, as the input
        named them."""
        found: set[str] = set()
        _pseudonyms(value, found)
        names = self.directory().member_ids(found, OPERATOR) if found else {}
        return _renamed(value, names)


def _pseudonyms(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if is_pseudonym(value):
            found.add(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _pseudonyms(key, found)
            _pseudonyms(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _pseudonyms(item, found)


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict):
        return {names.get(key, key): _renamed(item, names) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_renamed(item, names) for item in value]
    return value


def entry_lines(commands: list[dict[str, Any]]) -> tuple[list[bytes], Ledger]:
    """The lines of ``commands`` that become log entries (accepted, not retries),
    and the in-memory ledger they give."""
    ledger = Ledger()
    kept = []
    for command in commands:
        try:
            applied = apply(ledger, command)
        except Rejected:
            continue
        if not applied.replay:
            kept.append(orjson.dumps(command))
    return kept, ledger
