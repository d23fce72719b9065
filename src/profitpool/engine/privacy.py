"""Erasing a member (docs/privacy.md): the log keeps their records under a pseudonym, and
the program deletes what links that pseudonym to a person.

The engine's part is the entry that says it happened, and the refusal while the member
still has something the program owes them a way to claim: points (pledged or not), an
order that has not settled and will mint points, or money owed or on its way to them.
After it, the pseudonym takes no new order and no transfer: a person who comes back is a
new member.
"""

from __future__ import annotations

from ..errors import Rejected
from ..money import format_fen, format_points, points_for_shares
from .cash import cash_of
from .commands import EraseMember
from .effects import Effect, MemberErased
from .state import Ledger


def erase_member(ledger: Ledger, command: EraseMember, effects: list[Effect]) -> None:
    """Record the erasure of a member who holds nothing.

    Raises:
        Rejected: unknown_member (none, or erased already); cannot_erase (points held,
            or orders not settled yet), saying how many.
    """
    member_id = command.member
    member = ledger.members.get(member_id)
    if member is None or member_id in ledger.erased:
        raise Rejected("unknown_member", f"no member {member_id!r} (or erased already)")
    waiting = sum(1 for _, _, order in ledger.pending if order.command.member == member_id)
    owed, in_flight, _ = cash_of(ledger, f"member:{member_id}")
    if member.shares or waiting or owed or in_flight:
        held = []
        if member.shares:
            value = member.shares * ledger.pool // ledger.total_shares
            held.append(f"{format_points(points_for_shares(member.shares, ledger.index))} "
                        f"points worth {format_fen(value)} CNY")
        if waiting:
            held.append(f"{waiting} order{'s' if waiting > 1 else ''} not settled yet")
        if owed:
            held.append(f"{format_fen(owed)} CNY owed to them, not paid out yet")
        if in_flight:
            held.append(f"{format_fen(in_flight)} CNY on its way to their bank")
        raise Rejected("cannot_erase", f"{member_id!r} still has {' and '.join(held)}: "
                       "cash out, wait for the orders to settle and the payouts to reach "
                       "their bank first")
    ledger.erased[member_id] = command.at
    effects.append(MemberErased(member_id))
