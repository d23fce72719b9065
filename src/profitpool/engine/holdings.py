"""Points that change hands or get locked, without leaving the pool.

A transfer moves lot fragments (oldest first, unpledged) to another member,
each keeping its share of cost, its order time, V at mint and exit trigger.
A pledge locks fragments for a lender; release unlocks them; seizure (in
redemption.py) redeems them. None of these changes V, so none forces exits.
"""

from __future__ import annotations

from ..errors import Rejected
from ..money import points_for_shares
from .commands import Pledge, Release, Transfer
from .effects import Effect, LotPart, MemberJoined, Pledged, PledgeReleased, Transferred
from .lots import split_lot, sweep
from .redemption import active_pledge, take_shares_for
from .state import RELEASED, Ledger, Member, PledgeRecord


def transfer(ledger: Ledger, command: Transfer, effects: list[Effect]) -> None:
    """Give points to another member (created if new) when transfers are enabled."""
    if not ledger.rules.transfers_enabled:
        raise Rejected("transfers_disabled", "transfers are not enabled under the current rules")
    sender = ledger.members.get(command.sender)
    if sender is None:
        raise Rejected("unknown_member", f"no member {command.sender!r}")
    take = take_shares_for(ledger, sender, command.points)
    if command.receiver in ledger.erased:
        raise Rejected("unknown_member", f"member {command.receiver!r} was erased")
    receiver = ledger.members.get(command.receiver)
    if receiver is None:
        receiver = ledger.members[command.receiver] = Member(command.receiver)
        effects.append(MemberJoined(command.receiver))
    parts = []
    for lot, shares in take:
        lot_id = lot.lot_id
        fragment = split_lot(ledger, lot, shares, receiver)
        parts.append(LotPart(lot_id, fragment.lot_id, shares, fragment.cost))
    moved = sum(part.shares for part in parts)
    ledger.transfers[command.id] = command
    effects.append(
        Transferred(
            command.id, command.sender, command.receiver,
            points_for_shares(moved, ledger.index), moved, tuple(parts),
        )
    )
    sweep(ledger, sender)


def pledge(ledger: Ledger, command: Pledge, effects: list[Effect]) -> None:
    """Lock unpledged lot fragments (oldest first) as collateral for a lender's loan."""
    if command.lender not in ledger.lenders:
        raise Rejected("unknown_lender", f"no lender {command.lender!r}")
    member = ledger.members.get(command.member)
    if member is None:
        raise Rejected("unknown_member", f"no member {command.member!r}")
    take = take_shares_for(ledger, member, command.points)
    record = ledger.pledges[command.id] = PledgeRecord(command)
    parts = []
    for lot, shares in take:
        locked = lot if shares == lot.shares else split_lot(ledger, lot, shares, member)
        locked.pledge = record
        record.lots.append(locked)
        parts.append(LotPart(lot.lot_id, locked.lot_id, shares, locked.cost))
    locked_shares = sum(part.shares for part in parts)
    effects.append(
        Pledged(
            command.id, command.member, command.lender,
            points_for_shares(locked_shares, ledger.index), locked_shares, command.loan,
            tuple(parts),
        )
    )


def release(ledger: Ledger, command: Release, effects: list[Effect]) -> None:
    """Unlock a pledge's lots (the loan was repaid outside profitpool)."""
    record = active_pledge(ledger, command.pledge)
    lots = [lot for lot in record.lots if lot.shares]
    for lot in lots:
        lot.pledge = None
    record.status = RELEASED
    effects.append(
        PledgeReleased(
            command.pledge, record.command.member, record.command.lender,
            tuple(lot.lot_id for lot in lots),
        )
    )
