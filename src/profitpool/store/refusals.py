"""Refused commands, counted: per Asia/Shanghai day, op and error code (table ``refusals``).

The log records what happened; a refused command changed nothing and is not in it. The
service counts the refusals it answers (service/deps.py ``submit``) so that the console
can show, for instance, withdrawals refused by reason over time. Only counts are kept.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from .schema import refusals


class RefusalCount(NamedTuple):
    day: int
    """Asia/Shanghai day, as days since 1970-01-01."""
    code: str
    times: int


class RefusalStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = (postgresql.insert if engine.dialect.name == "postgresql"
                        else sqlite.insert)

    def add(self, day: int, op: str, codes: list[str]) -> None:
        """Count one refusal of ``op`` per code in ``codes`` (a code may come more than
        once), on ``day``, in one transaction."""
        counted: dict[str, int] = {}
        for code in codes:
            counted[code] = counted.get(code, 0) + 1
        if not counted:
            return
        statement = self._insert(refusals)
        statement = statement.on_conflict_do_update(
            index_elements=[refusals.c.day, refusals.c.op, refusals.c.code],
            set_={"count": refusals.c.count + statement.excluded.count})
        with self.engine.begin() as connection:
            connection.execute(statement, [{"day": day, "op": op, "code": code, "count": n}
                                           for code, n in sorted(counted.items())])

    def since(self, op: str, first_day: int) -> list[RefusalCount]:
        """The counts of ``op`` from ``first_day`` on, oldest day first."""
        query = (select(refusals.c.day, refusals.c.code, refusals.c.count)
                 .where(refusals.c.op == op, refusals.c.day >= first_day)
                 .order_by(refusals.c.day, refusals.c.code))
        with self.engine.connect() as connection:
            return [RefusalCount(int(day), str(code), int(count))
                    for day, code, count in connection.execute(query)]
