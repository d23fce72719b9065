"""Test helpers: a program driven through the public engine API only.

``Program`` applies JSON commands the way ``profitpool apply`` does, keeps a
clock so tests need not spell out every ``at``, and checks, whenever a
command is expected to be rejected, that the whole ledger is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from profitpool.engine import Ledger, apply, dump_state, summary
from profitpool.errors import Rejected

START = datetime.fromisoformat("2026-01-01T09:00:00+08:00")


class Program:
    """A ledger plus a clock; each command is a dict applied through ``apply``."""

    def __init__(self, **rules: Any) -> None:
        self.ledger = Ledger()
        self.clock = START
        self.log: list[dict[str, Any]] = []
        if rules:
            self.run("rules", **rules)

    # time -----------------------------------------------------------------
    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0) -> None:
        self.clock += timedelta(days=days, hours=hours, minutes=minutes)

    def at(self, moment: str) -> None:
        self.clock = datetime.fromisoformat(moment)

    def now(self) -> str:
        return self.clock.isoformat()

    # commands -------------------------------------------------------------
    def command(self, op: str, **fields: Any) -> dict[str, Any]:
        fields = {("from" if key == "from_" else key): value for key, value in fields.items()}
        fields.setdefault("at", self.now())
        return {"op": op, **fields}

    def run(self, op: str, **fields: Any) -> list[Any]:
        """Apply a command that must be accepted; return its effects."""
        command = self.command(op, **fields)
        applied = apply(self.ledger, command)
        self.log.append(command)
        return applied.effects

    def reject(self, code: str, op: str, **fields: Any) -> Rejected:
        """Apply a command that must be rejected with ``code``, and changes nothing."""
        command = self.command(op, **fields)
        before = dump_state(self.ledger)
        with pytest.raises(Rejected) as raised:
            apply(self.ledger, command)
        assert raised.value.code == code, raised.value.message
        assert dump_state(self.ledger) == before, "a rejected command changed the ledger"
        return raised.value

    def raw(self, obj: object) -> Any:
        return apply(self.ledger, obj)

    # shorthands -----------------------------------------------------------
    def merchant(self, merchant_id: str = "m1", **fields: Any) -> list[Any]:
        return self.run("merchant", id=merchant_id, **fields)

    def lender(self, lender_id: str = "b1", **fields: Any) -> list[Any]:
        return self.run("lender", id=lender_id, **fields)

    def order(
        self, order_id: str, member: str, amount: str, profit: str, merchant: str = "m1",
        **fields: Any,
    ) -> list[Any]:
        return self.run(
            "order", id=order_id, merchant=merchant, member=member, amount=amount,
            profit=profit, **fields,
        )

    # reading --------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        return summary(self.ledger)

    def member(self, member_id: str) -> dict[str, str]:
        return summary(self.ledger)["members"][member_id]

    def pool(self) -> str:
        return summary(self.ledger)["pool"]

    def value_per_share(self) -> tuple[int, int]:
        return self.ledger.value_per_share()


def scenario(text: str, **rules: Any) -> tuple[Program, list[tuple[int, str]]]:
    """Apply JSONL written in a test (one command per line); return (program, rejections)."""
    program = Program(**rules)
    rejections = []
    for number, line in enumerate(_lines(text), 1):
        try:
            program.raw(json.loads(line))
        except Rejected as error:
            rejections.append((number, error.code))
    return program, rejections


def _lines(text: str) -> Iterator[str]:
    for line in text.strip().splitlines():
        if line.strip():
            yield line.strip()


def effect_names(effects: list[Any]) -> list[str]:
    return [type(effect).__name__ for effect in effects]
