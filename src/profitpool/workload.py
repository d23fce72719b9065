"""Realistic command streams, for benchmarks, tests and demonstrations.

:class:`Stream` writes commands the way a live program receives them: a
clock that never goes back, ids that never repeat, new and returning
members, orders at 20 merchants with 10-40% margins, withdrawals, payments
at merchants, transfers and the monthly burn. It is seeded, so the same seed
gives the same lines on any machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import islice
from random import Random
from typing import Any

from .times import format_period

Command = dict[str, Any]
SHANGHAI = timezone(timedelta(hours=8))
START = datetime(2026, 1, 1, tzinfo=SHANGHAI)
JANUARY = 31 * 86_400  # seconds
MERCHANTS = [f"m{i:02d}" for i in range(20)]
def money(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class Stream:
    """Commands with a clock that never goes back and ids that never repeat.

    Members are ``u0``, ``u1``, ... in the order they are created; the clock
    is seconds after 2026-01-01T00:00:00+08:00 and moves ``step`` per command.
    """

    def __init__(self, rng: Random, step: int) -> None:
        self.rng = rng
        self.step = step
        self.seconds = 0
        self.members = 0
        self.serial = 0
        self.month = (2026, 1)

    def setup(self) -> Iterator[Command]:
        at = START.isoformat()
        yield {"op": "rules", "transfers_enabled": True, "at": at}
        for merchant in MERCHANTS:
            yield {"op": "merchant", "id": merchant, "name": f"shop {merchant}", "at": at}

    def _id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def _member(self) -> str:
        return f"u{self.rng.randrange(self.members)}"

    def _points(self) -> str:
        units = self.rng.randint(1_000, 30_000)  # 0.1 .. 3 points
        return f"{units // 10_000}.{units % 10_000:04d}"

    def order(self, member: str | None = None, low: int = 3_750, high: int = 200_000,
              at: str | None = None) -> Command:
        """An order (a new member when ``member`` is None); moves the clock if ``at`` is None."""
        if member is None:
            member = f"u{self.members}"
            self.members += 1
        if at is None:
            self.seconds += self.step
            at = (START + timedelta(seconds=self.seconds)).isoformat()
        rng = self.rng
        amount = rng.randint(low, high)
        return {"op": "order", "id": self._id("o"), "merchant": rng.choice(MERCHANTS),
                "member": member, "amount": money(amount),
                "profit": money(round(amount * rng.uniform(0.10, 0.40))), "at": at}

    def mix(self, orders: float, withdraws: float, new_members: float) -> Iterator[Command]:
        """Endless mix; pays and transfers share what orders and withdrawals leave.

        When the clock enters a new Asia/Shanghai month, the month that just
        ended is burned first.
        """
        rng = self.rng
        pays = orders + withdraws + (1 - orders - withdraws) / 2
        while True:
            self.seconds += self.step
            moment = START + timedelta(seconds=self.seconds)
            at = moment.isoformat()
            if (moment.year, moment.month) != self.month:
                yield {"op": "burn", "period": format_period(self.month), "at": at}
                self.month = (moment.year, moment.month)
            draw = rng.random()
            if draw < orders or self.members < 2:
                new = self.members < 2 or rng.random() < new_members
                yield self.order(None if new else self._member(), at=at)
            elif draw < orders + withdraws:
                yield {"op": "withdraw", "id": self._id("w"), "member": self._member(),
                       "points": self._points(), "at": at}
            elif draw < pays:
                yield {"op": "pay", "id": self._id("p"), "member": self._member(),
                       "merchant": rng.choice(MERCHANTS), "points": self._points(), "at": at}
            else:
                sender, receiver = (f"u{i}" for i in rng.sample(range(self.members), 2))
                yield {"op": "transfer", "id": self._id("t"), "from": sender, "to": receiver,
                       "points": self._points(), "at": at}



def realistic(count: int, seed: int) -> tuple[list[Command], int]:
    """``count`` commands: setup, then 80% orders (30% from new members), 10%
    withdrawals, the rest pays and transfers, over about 25 months.
    Returns the commands and the number of members they create."""
    stream = Stream(Random(seed), step=30 * 86_400 // max(1, count // 25))
    setup = list(stream.setup())
    mix = stream.mix(orders=0.8, withdraws=0.1, new_members=0.3)
    return [*setup, *islice(mix, max(0, count - len(setup)))], stream.members


def write_lines(path: str, commands: list[Command]) -> None:
    """One JSON command per line."""
    with open(path, "wb") as out:
        for command in commands:
            out.write(json.dumps(command).encode() + b"\n")
