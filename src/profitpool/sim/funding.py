"""Who was paid beyond their own money, and by whom: member by member, month by month.

The regulators ask whether members are paid "from later participants' money". A
member can only be paid from someone else's money for what they receive *beyond*
what their own orders put into the pool: their excess, max(0, received -
contributed). So the figure is 0 in a program where nobody gets back more than they
put in, whatever the pool's mix looks like.

Whose money paid the excess: every month, each member's increase of excess is
attributed to the members whose contributions are not yet returned to them
(contributed - received, where positive), pro rata to what each has in, as the
month ends; the part attributed to members who joined after the receiver (by the
order of first orders, not by month) is "from later members". Arrival months
enter nowhere, so the figure does not depend on how arrivals are grouped. When a
member's excess falls (their later orders put money back), both parts fall in
proportion.

Integers throughout (fen); each member's monthly later part is rounded down and
the remainder counted as earlier, so later + earlier = excess exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .results import MemberFunding

NOT_JOINED = 1 << 62
"""The join position of a member who has placed no accepted order yet."""


class FundingBook:
    """Each member's excess and the two parts it is attributed to, kept month by month."""

    def __init__(self) -> None:
        self.excess = np.zeros(0, dtype=np.int64)
        self.later: list[int] = []
        self.earlier: list[int] = []
        self.contributed = 0
        self.received = 0

    def close_month(self, contributed: Sequence[int], received: Sequence[int],
                    join_position: Sequence[int]) -> None:
        """Attribute the month's changes of excess (arguments by member index)."""
        contributed_now = np.asarray(contributed, dtype=np.int64)
        received_now = np.asarray(received, dtype=np.int64)
        members = len(contributed_now)
        grown = members - len(self.excess)
        if grown:
            self.excess = np.concatenate([self.excess, np.zeros(grown, dtype=np.int64)])
            self.later += [0] * grown
            self.earlier += [0] * grown
        self.contributed = int(contributed_now.sum())
        self.received = int(received_now.sum())
        excess = np.maximum(0, received_now - contributed_now)
        changed = np.flatnonzero(excess != self.excess)
        if not len(changed):
            return
        unreturned = np.maximum(0, contributed_now - received_now)
        total = int(unreturned.sum())
        order = np.argsort(np.asarray(join_position, dtype=np.int64), kind="stable")
        after = np.empty(members, dtype=np.int64)
        after[order] = total - np.cumsum(unreturned[order])
        for member in changed.tolist():
            new, old = int(excess[member]), int(self.excess[member])
            if new > old:
                increase = new - old
                later = increase * int(after[member]) // total if total else 0
                self.later[member] += later
                self.earlier[member] += increase - later
            else:
                self.later[member] = self.later[member] * new // old
                self.earlier[member] = new - self.later[member]
        self.excess = excess

    def result(self, members: int) -> MemberFunding:
        """The run's totals; ``members``: how many joined."""
        return MemberFunding(
            members=members, gainers=int(np.count_nonzero(self.excess)),
            contributed_fen=self.contributed, received_fen=self.received,
            beyond_own_fen=int(self.excess.sum()), from_later_fen=sum(self.later),
            from_earlier_fen=sum(self.earlier))


def add_funding(parts: Sequence[MemberFunding]) -> MemberFunding:
    """Several runs' :class:`MemberFunding`, added up."""
    return MemberFunding(**{name: sum(getattr(part, name) for part in parts) for name in (
        "members", "gainers", "contributed_fen", "received_fen", "beyond_own_fen",
        "from_later_fen", "from_earlier_fen")})
