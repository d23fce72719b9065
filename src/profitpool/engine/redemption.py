"""Points leaving for cash: withdraw, pay at a merchant, seize a pledge.

Each values the shares it takes at V = pool / total shares, pays
floor(value x rate) out of the pool, and destroys the shares, so whatever is
not paid stays in the pool for the remaining holders. Each is split into a
*plan* (every check, no change) and its application, so a caller can show
exactly what will be paid before anyone confirms.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from ..errors import Rejected
from ..money import format_points, points_for_shares, shares_for_points
from .commands import Pay, Seize, Withdraw
from .effects import Effect, LotPart, PaidAtMerchant, PledgeSeized, Withdrawn
from .exits import force_exits, pay_lender_first, redeem_value
from .gates import lot_gate
from .lots import empty_lot, sweep, take_cost
from .state import ACTIVE, SEIZED, Ledger, Lot, Member, PledgeRecord


class Redemption(NamedTuple):
    """What a withdrawal or payment will do, computed without changing anything."""

    member: Member
    take: list[tuple[Lot, int]]
    """(lot, shares) oldest first."""
    shares: int
    value: int
    """Fen the shares are worth, truncated."""
    paid: int
    """Fen that will be paid; ``value - paid`` (and any fraction of a fen) stays in the pool."""


def plan_withdrawal(ledger: Ledger, command: Withdraw) -> Redemption:
    """Check a withdrawal and compute it.

    Raises:
        Rejected: unknown_member, insufficient_points, daily_cap_reached.
    """
    member = _member(ledger, command.member)
    take, shares = _collect(ledger, member, _withdrawable(ledger, member), command.points,
                            "eligible ")
    value, paid = redeem_value(ledger, shares, ledger.rules.withdraw_payout_rate)
    cap = ledger.rules.daily_withdraw_cap_rate
    if cap is not None:
        cap_numerator, cap_denominator = cap
        if (ledger.withdrawn_today + paid) * cap_denominator > cap_numerator * ledger.cap_base_pool:
            raise Rejected(
                "daily_cap_reached",
                "this withdrawal would pay past today's cap of "
                f"{cap_numerator}/{cap_denominator} of the pool at the day's start",
            )
    return Redemption(member, take, shares, value, paid)


def withdraw(ledger: Ledger, command: Withdraw, effects: list[Effect]) -> None:
    """Sell points back to the pool: pay floor(value x withdraw_payout_rate)."""
    plan = plan_withdrawal(ledger, command)
    parts = _destroy(ledger, plan.member, plan.take, plan.shares)
    ledger.pool -= plan.paid
    ledger.paid_members += plan.paid
    ledger.withdrawn_today += plan.paid
    plan.member.paid += plan.paid
    ledger.withdrawals[command.id] = command
    effects.append(
        Withdrawn(
            command.id, command.member, points_for_shares(plan.shares, ledger.index),
            plan.shares, plan.value, plan.paid, parts, ledger.pool, ledger.total_shares,
        )
    )
    sweep(ledger, plan.member)
    force_exits(ledger, effects, None)


def plan_payment(ledger: Ledger, command: Pay) -> Redemption:
    """Check a payment at a merchant and compute it.

    Raises:
        Rejected: unknown_member, unknown_merchant, insufficient_points.
    """
    member = _member(ledger, command.member)
    if command.merchant not in ledger.merchants:
        raise Rejected("unknown_merchant", f"no merchant {command.merchant!r}")
    take, shares = _collect(ledger, member, unpledged(member), command.points, "unpledged ")
    value, paid = redeem_value(ledger, shares, ledger.rules.pay_rate)
    return Redemption(member, take, shares, value, paid)


def pay(ledger: Ledger, command: Pay, effects: list[Effect]) -> None:
    """Spend points at a merchant: the pool pays the merchant floor(value x pay_rate)."""
    plan = plan_payment(ledger, command)
    parts = _destroy(ledger, plan.member, plan.take, plan.shares)
    ledger.pool -= plan.paid
    ledger.paid_merchants += plan.paid
    ledger.merchants[command.merchant].received += plan.paid
    ledger.payments[command.id] = command
    effects.append(
        PaidAtMerchant(
            command.id, command.member, command.merchant,
            points_for_shares(plan.shares, ledger.index), plan.shares, plan.value, plan.paid,
            parts, ledger.pool, ledger.total_shares,
        )
    )
    sweep(ledger, plan.member)
    force_exits(ledger, effects, None)


def seize(ledger: Ledger, command: Seize, effects: list[Effect]) -> None:
    """Redeem a pledge's lots at withdraw_payout_rate; the lender is paid first, up to the loan."""
    pledge = active_pledge(ledger, command.pledge)
    lots = [lot for lot in pledge.lots if lot.shares]
    shares = sum(lot.shares for lot in lots)
    value, paid = redeem_value(ledger, shares, ledger.rules.withdraw_payout_rate)
    member = ledger.members[pledge.command.member]
    _destroy(ledger, member, [(lot, lot.shares) for lot in lots], shares)
    to_lender = pay_lender_first(ledger, pledge, paid, None)
    to_member = paid - to_lender
    ledger.pool -= paid
    ledger.paid_members += to_member
    member.paid += to_member
    pledge.status = SEIZED
    effects.append(
        PledgeSeized(
            command.pledge, member.member_id, pledge.command.lender, shares, value, paid,
            to_lender, to_member, tuple(lot.lot_id for lot in lots), ledger.pool,
            ledger.total_shares,
        )
    )
    sweep(ledger, member)
    force_exits(ledger, effects, None)


def active_pledge(ledger: Ledger, pledge_id: str) -> PledgeRecord:
    """The pledge, if it is still active.

    Raises:
        Rejected: unknown_pledge, or pledge_closed once released, seized or exited.
    """
    record = ledger.pledges.get(pledge_id)
    if record is None:
        raise Rejected("unknown_pledge", f"no pledge {pledge_id!r}")
    if record.status != ACTIVE:
        raise Rejected("pledge_closed", f"pledge {pledge_id!r} is {record.status}")
    return record


def unpledged(member: Member) -> Iterator[Lot]:
    """The member's lots that hold shares and are not pledged, oldest first."""
    for lot in member.lots:
        if lot.shares and lot.pledge is None:
            yield lot


def _withdrawable(ledger: Ledger, member: Member) -> Iterator[Lot]:
    """Lots that may be withdrawn now: no gate (gates.py) holds them back."""
    rules = ledger.rules
    for lot in member.lots:
        if lot.shares and lot_gate(
                pledged=lot.pledge is not None, order_at=lot.order_at,
                mint_pool=lot.mint_pool, mint_shares=lot.mint_shares, now=ledger.now,
                min_hold_days=rules.min_hold_days, min_gain=rules.withdraw_min_gain,
                pool=ledger.pool, total_shares=ledger.total_shares) is None:
            yield lot


def _member(ledger: Ledger, member_id: str) -> Member:
    member = ledger.members.get(member_id)
    if member is None:
        raise Rejected("unknown_member", f"no member {member_id!r}")
    return member


def _collect(
    ledger: Ledger, member: Member, lots: Iterable[Lot], points: int | None, kind: str
) -> tuple[list[tuple[Lot, int]], int]:
    """Take shares oldest first: ``points`` worth, or everything when None.

    Raises:
        Rejected(insufficient_points): not enough (or nothing, for "all").
    """
    wanted = None if points is None else shares_for_points(points, ledger.index)
    take: list[tuple[Lot, int]] = []
    gathered = 0
    for lot in lots:
        if wanted is None:
            portion = lot.shares
        elif gathered == wanted:
            break
        else:
            portion = min(lot.shares, wanted - gathered)
        take.append((lot, portion))
        gathered += portion
    if (
        points is not None
        and wanted is not None
        and gathered < wanted
        and points_for_shares(gathered, ledger.index) >= points
    ):
        # Asking for exactly the points shown can round to a hair more shares
        # than are held; what the member sees is what they can spend.
        wanted = gathered
    if gathered == 0 or (wanted is not None and gathered < wanted):
        held = format_points(points_for_shares(member.shares, ledger.index))
        has = format_points(points_for_shares(gathered, ledger.index))
        asked = "" if points is None else f"; asked for {format_points(points)}"
        raise Rejected(
            "insufficient_points",
            f"{member.member_id} has {has} {kind}points ({held} held){asked}",
        )
    return take, gathered


def take_shares_for(ledger: Ledger, member: Member, points: int) -> list[tuple[Lot, int]]:
    """The unpledged (lot, shares) that ``points`` take, oldest first (transfer, pledge).

    Raises:
        Rejected(insufficient_points)
    """
    take, _ = _collect(ledger, member, unpledged(member), points, "unpledged ")
    return take


def _destroy(
    ledger: Ledger, member: Member, take: list[tuple[Lot, int]], shares: int
) -> tuple[LotPart, ...]:
    """Destroy the planned shares; each lot gives up the same part of its cost."""
    parts = []
    for lot, portion in take:
        cost = take_cost(lot, portion)
        lot.cost -= cost
        lot.shares -= portion
        if lot.shares == 0:
            empty_lot(ledger, lot)
        parts.append(LotPart(lot.lot_id, None, portion, cost))
    member.shares -= shares
    ledger.total_shares -= shares
    return tuple(parts)
