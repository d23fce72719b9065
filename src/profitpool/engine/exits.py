"""Forced exit (docs/rules.md section 6): a lot is redeemed once V reaches its trigger.

After every command that changes V, while the lot with the smallest trigger
(ties: the oldest) has trigger <= V, it is redeemed whole at
``exit_payout_rate``; what is not paid stays in the pool and raises V, so the
queue is looked at again. A pledged lot pays its lender first, up to what is
still owed on the loan, as a seizure would.
"""

from __future__ import annotations

from heapq import heappop, heappush

from ..money import SHARE_SCALE
from .effects import Effect, LotExited
from .journal import Journal
from .lots import empty_lot
from .state import ACTIVE, EXITED, Ledger, Lot, PledgeRecord


def force_exits(ledger: Ledger, effects: list[Effect], journal: Journal | None) -> None:
    """Redeem every lot whose trigger V has reached, smallest trigger first."""
    queue = ledger.exit_queue
    while queue:
        entry = queue[0]
        lot = entry[-1]
        if not lot.shares:
            heappop(queue)  # emptied earlier; nothing to undo, it stays empty
            continue
        numerator, denominator = entry[1]
        if numerator * ledger.total_shares > ledger.pool * SHARE_SCALE * denominator:
            return
        heappop(queue)
        if journal is not None:
            journal.note(heappush, queue, entry)
        exit_lot(ledger, lot, effects, journal)


def exit_lot(ledger: Ledger, lot: Lot, effects: list[Effect], journal: Journal | None) -> None:
    """Redeem all of ``lot`` at ``exit_payout_rate``."""
    shares = lot.shares
    value, paid = redeem_value(ledger, shares, ledger.rules.exit_payout_rate)
    pledge = lot.pledge
    to_lender = 0 if pledge is None else pay_lender_first(ledger, pledge, paid, journal)
    to_member = paid - to_lender
    member = lot.member
    if journal is not None:
        journal.note_attr(lot, "shares")
        journal.note_attr(member, "shares")
        journal.note_attr(member, "paid")
        journal.note_attr(member, "empty_lots")
    member.shares -= shares
    member.paid += to_member
    empty_lot(ledger, lot)
    ledger.total_shares -= shares
    ledger.pool -= paid
    ledger.paid_members += to_member
    ledger.exits += 1
    if pledge is not None and not any(part.shares for part in pledge.lots):
        if journal is not None:
            journal.note_attr(pledge, "status")
        pledge.status = EXITED
    effects.append(
        LotExited(
            lot.lot_id, member.member_id, shares, value, paid, to_lender, to_member,
            None if pledge is None else pledge.command.id, ledger.pool, ledger.total_shares,
        )
    )


def redeem_value(ledger: Ledger, shares: int, rate: tuple[int, int]) -> tuple[int, int]:
    """(value, paid) in fen of ``shares`` at V: value truncated, paid = floor(value x rate).

    Both are floors of the exact product, so the pool never pays a fraction of
    a fen it does not hold, and V never falls (docs/rules.md section 7).
    """
    pool = ledger.pool
    total_shares = ledger.total_shares
    rate_numerator, rate_denominator = rate
    value = shares * pool // total_shares
    paid = shares * pool * rate_numerator // (total_shares * rate_denominator)
    return value, paid


def lender_share(pledge: PledgeRecord, paid: int) -> int:
    """Fen of ``paid`` that goes to the pledge's lender: what the loan still owes, at most."""
    return min(paid, pledge.command.loan - pledge.repaid)


def pay_lender_first(
    ledger: Ledger, pledge: PledgeRecord, paid: int, journal: Journal | None
) -> int:
    """Give the pledge's lender what is still owed on the loan, out of ``paid``; return it."""
    assert pledge.status == ACTIVE
    to_lender = lender_share(pledge, paid)
    if to_lender:
        lender = ledger.lenders[pledge.command.lender]
        if journal is not None:
            journal.note_attr(pledge, "repaid")
            journal.note_attr(lender, "received")
        pledge.repaid += to_lender
        lender.received += to_lender
        ledger.paid_lenders += to_lender
    return to_lender
