"""Helpers for the events tests: a log whose blocks are written by a real LogWriter
(opened as every entrypoint opens it, ``bootstrap.open_writer``: with the outbox wired).

``EventLog.write(commands)`` applies JSON commands (each gets a rising ``at``
unless it has one) and commits them as one block, so the outbox holds their
events exactly as the service would have written them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from profitpool.bootstrap import open_writer
from profitpool.errors import Rejected
from profitpool.events.outbox import Outbox
from profitpool.log.keys import create_key
from profitpool.log.writer import LogWriter
from profitpool.store.database import connect, migrate
from profitpool.store.repository import LogStore

START = datetime.fromisoformat("2026-01-01T09:00:00+08:00")


@dataclass
class EventLog:
    url: str
    key: Path
    engine: Engine
    clock: datetime = START
    writer: LogWriter | None = None
    _engines: list[Engine] = field(default_factory=list)

    @classmethod
    def create(cls, url: str, tmp: Path) -> EventLog:
        key = tmp / "operator.key"
        signer = create_key(key, "events.test/log")
        engine = connect(url, create=True)
        migrate(engine)
        LogStore(engine).set_meta({"origin": "events.test/log",
                                   "verifier_key": signer.verifier.key_string()})
        return cls(url, key, engine)

    def open_writer(self) -> LogWriter:
        if self.writer is None:
            self.writer = open_writer(self.url, self.key)
        return self.writer

    def write(self, commands: list[dict[str, Any]], *, refused_ok: bool = False) -> int:
        """Apply and commit ``commands`` as one block; returns the block's height.

        A refused command fails the test unless ``refused_ok`` (a generated workload)."""
        writer = self.open_writer()
        for command in commands:
            if "at" not in command:
                self.clock += timedelta(minutes=1)
                command = {**command, "at": self.clock.isoformat()}
            try:
                writer.submit(command)
            except Rejected:
                if not refused_ok:
                    raise
        header = writer.commit()
        assert header is not None
        return header.height

    def outbox(self) -> Outbox:
        return Outbox(self.engine)

    def other_engine(self) -> Engine:
        engine = connect(self.url)
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        for engine in self._engines:
            engine.dispose()
        self.engine.dispose()


def shop(merchants: int = 2, orders_each: int = 3, settle: bool = True) -> list[dict[str, Any]]:
    """Merchants m1.., each with orders from members u<merchant>_<n>; settled at once."""
    commands: list[dict[str, Any]] = []
    if settle:
        commands.append({"op": "rules", "settle_days": 0})
    for m in range(1, merchants + 1):
        commands.append({"op": "merchant", "id": f"m{m}", "name": f"shop {m}",
                         "industry": "retail"})
    for n in range(orders_each):
        for m in range(1, merchants + 1):
            commands.append({"op": "order", "id": f"o{m}_{n}", "merchant": f"m{m}",
                             "member": f"u{m}_{n}", "amount": "100.00", "profit": "20.00"})
    return commands
