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
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from .display import all_runs, cny, pct, pct_size, ratio
from .results import MemberFunding
from .stats import share

if TYPE_CHECKING:
    from .analysis import PointAnalysis

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


def under_water(back_fen: int, contributed_fen: int) -> bool:
    """The one definition of a member *under water* at the end of a run: what they got back
    (cash and goods received, plus their holding's value at the final price, floored) is
    less than what their own settled orders put into the pool. The verdicts, the red lines
    and the cohorts all count with this function."""
    return back_fen < contributed_fen


def later_share(funding: MemberFunding) -> Fraction | None:
    """The one figure "funded by later members": the part of everything members received
    that was paid with the money of members who joined after the receiver (member by
    member, :class:`FundingBook`), over everything received; None when nothing was."""
    return share(funding.from_later_fen, funding.received_fen)


def add_funding(parts: Sequence[MemberFunding]) -> MemberFunding:
    """Several runs' :class:`MemberFunding`, added up."""
    return MemberFunding(**{name: sum(getattr(part, name) for part in parts) for name in (
        "members", "gainers", "contributed_fen", "received_fen", "beyond_own_fen",
        "from_later_fen", "from_earlier_fen")})


def funded_statement(a: PointAnalysis) -> tuple[str, str, dict[str, Any]]:
    """Who was paid beyond their own money, and whose money paid it, member by member
    (counts.py, this module), so 0 when nobody gains, whatever the arrival months: (the
    sentence in Chinese, in English, its figures). The verdict ``funded_later`` and the red
    line ``later_funded`` both say it."""
    m, f = a.counts.funding, a.funding
    later_part = later_share(m)
    figures = {"members": m.members, "gainers": m.gainers,
               "runs_with_gainers": a.counts.runs_with_gainers,
               "contributed_fen": m.contributed_fen, "received_fen": m.received_fen,
               "beyond_own_fen": m.beyond_own_fen, "from_later_fen": m.from_later_fen,
               "from_earlier_fen": m.from_earlier_fen, "later_share": ratio(later_part),
               "beyond_own_share": ratio(share(m.beyond_own_fen, m.received_fen)),
               "later_of_beyond_share": ratio(share(m.from_later_fen, m.beyond_own_fen)),
               "cohort_mix_later_share": ratio(f.later_share)}
    if m.received_fen == 0:
        return "没有任何会员领取到支付。", "No member received any payout.", figures
    if m.beyond_own_fen == 0:
        return (
            f"没有一位会员拿回的钱（现金和用积分抵扣的商品）超过其本人订单注入收益池的金额"
            f"（{a.runs} 次模拟，共 {m.members:,} 位会员）；所以没有任何支付用的是其他会员的钱，"
            "由更晚加入的会员出资的部分为 0。",
            f"No member got back more (cash, and goods paid with points) than their own orders "
            f"put into the pool ({all_runs(a.runs)}, {m.members:,} members), so no payout was "
            "paid with other members' money: the part funded by later members is 0.", figures)
    beyond, later, earlier = m.beyond_own_fen, m.from_later_fen, m.from_earlier_fen
    gainers = pct(Fraction(m.gainers, m.members)) if m.members else pct(None)
    return (
        f"{m.gainers:,} 位会员（占会员的 {gainers}）拿回的钱超过了其本人订单注入收益池的金额，"
        f"超出部分共 {cny(beyond)} 元，占会员全部领取额（{cny(m.received_fen)} 元）的 "
        f"{pct_size(Fraction(beyond, m.received_fen))}。这部分只能来自其他会员的注入："
        f"其中 {cny(later)} 元（全部领取额的 {pct_size(later_part or 0)}）来自在他们之后加入、"
        f"注入尚未拿回的会员，{cny(earlier)} 元来自在他们之前加入的会员"
        "（全部模拟合计；按会员逐月计算，与按哪个月份分组无关，定义见 docs/simulator.md）。",
        f"{m.gainers:,} members ({gainers} of members) got back more than their own orders "
        f"put into the pool: {cny(beyond)} CNY beyond their own, "
        f"{pct_size(Fraction(beyond, m.received_fen))} of everything members received "
        f"({cny(m.received_fen)} CNY). That part can only come from other members' "
        f"contributions: {cny(later)} CNY ({pct_size(later_part or 0)} of everything "
        "received) from "
        f"members who joined after them and had not yet got their contributions back, and "
        f"{cny(earlier)} CNY from members who joined before them (all runs; member by member "
        "and month by month, whatever the grouping of arrivals; defined in "
        "docs/simulator.md).", figures)
