"""Orders: placing, refunding and settling them, and minting their lots.

Settlement (docs/rules.md section 4), in this order:

1. injection = round_half_up(profit x pool_share_of_profit); pool += injection
2. points = floor4(amount x points_per_yuan x multiplier)           (``fixed``)
   points = floor4(injection x mint_value_rate x multiplier / p)     (``at_price``)
   with p the displayed price before the injection, or initial_price when it
   is 0 or there are no points
3. a lot with shares = points / index (none if points is 0), whose trigger is
   exit_multiple x amount x index / points (``cost``: exact, never from the
   rounded shares) or exit_multiple x V after the mint (``mint_value``)
4. forced exits.

Orders due together settle by (settlement time, order sequence): the order
whose refund window closed first goes first, then the older order. Settling
in this order makes the result independent of how the time between two
commands is cut up.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import NamedTuple

from ..errors import Rejected
from ..money import Rational, price_micro, round_half_up, shares_for_points
from ..times import MICROS_PER_DAY
from .commands import PlaceOrder, Refund
from .effects import (
    Effect,
    MemberJoined,
    OrderPlaced,
    OrderRefunded,
    OrderSettled,
    PointsMinted,
    new_effect,
)
from .exits import force_exits
from .journal import Journal
from .lots import cost_trigger, mint_lot, mint_value_trigger
from .state import PENDING, REFUNDED, SETTLED, Ledger, Member, OrderRecord

_NO_MULTIPLIER: Rational = (1, 1)


class OrderPreview(NamedTuple):
    """What an order would do if it were placed now (nothing changes).

    ``injection`` and ``points`` are what it would put into the pool and mint if it
    settled under the rules and price in force now; a pending order settles later, under
    the rules and price of then (docs/rules.md section 3, "How a rule change applies").
    """

    settles_at: int
    multiplier: Rational
    injection: int
    """Fen."""
    points: int
    """In 1/10,000 points."""


def place_order(ledger: Ledger, command: PlaceOrder, effects: list[Effect]) -> None:
    """Accept an order; it settles at once when settle_days is 0."""
    rules = ledger.rules
    multiplier = _checked_order(ledger, command)
    member = ledger.members.get(command.member)
    if member is None:
        member = ledger.members[command.member] = Member(command.member)
        effects.append(MemberJoined(command.member))
    elif command.member in ledger.erased:
        raise Rejected("unknown_member", f"member {command.member!r} was erased")
    seq = ledger.next_order_seq
    ledger.next_order_seq = seq + 1
    settles_at = command.at + rules.settle_days * MICROS_PER_DAY
    order = OrderRecord(command, settles_at, seq, multiplier)
    ledger.orders[command.id] = order
    effects.append(new_effect(OrderPlaced, (
        command.id, command.merchant, command.member, command.amount, command.profit,
        command.campaign, multiplier, settles_at,
    )))
    if settles_at <= ledger.now:
        settle_order(ledger, order, effects, None)
    else:
        heappush(ledger.pending, (settles_at, seq, order))


def preview_order(ledger: Ledger, command: PlaceOrder) -> OrderPreview:
    """The checks :func:`place_order` makes, and what the order would settle to now.

    Raises:
        Rejected: as :func:`place_order` would (and ``conflict`` for an order id that
            is taken: a preview is for a new order).
    """
    if command.id in ledger.orders:
        raise Rejected("conflict", f"there is an order {command.id!r} already")
    multiplier = _checked_order(ledger, command)
    if command.member in ledger.erased:
        raise Rejected("unknown_member", f"member {command.member!r} was erased")
    injection, points, _ = _settlement(ledger, command, multiplier)
    return OrderPreview(command.at + ledger.rules.settle_days * MICROS_PER_DAY, multiplier,
                        injection, points)


def _checked_order(ledger: Ledger, command: PlaceOrder) -> Rational:
    """The order's campaign multiplier, once its merchant, amount and campaign are checked."""
    rules = ledger.rules
    if command.merchant not in ledger.merchants:
        raise Rejected("unknown_merchant", f"no merchant {command.merchant!r}")
    if command.amount > rules.max_order_amount:
        raise Rejected("invalid_amount", "amount is above max_order_amount")
    if command.campaign is None:
        return _NO_MULTIPLIER
    campaign = ledger.campaigns.get(command.campaign)
    if campaign is None:
        raise Rejected("unknown_campaign", f"no campaign {command.campaign!r}")
    terms = campaign.command
    if terms.merchant is not None and terms.merchant != command.merchant:
        raise Rejected("campaign_not_applicable", "the campaign is for another merchant")
    if not terms.start <= command.at < terms.end:
        raise Rejected("campaign_not_applicable", "the campaign is not running at that time")
    return terms.multiplier


def refund(ledger: Ledger, command: Refund, effects: list[Effect]) -> None:
    """Cancel a pending order."""
    order = ledger.orders.get(command.order)
    if order is None:
        raise Rejected("unknown_order", f"no order {command.order!r}")
    if order.status != PENDING:
        raise Rejected("not_pending", f"order {command.order!r} is {order.status}")
    order.status = REFUNDED
    terms = order.command
    effects.append(OrderRefunded(terms.id, terms.merchant, terms.member, terms.amount))


def settle_due(ledger: Ledger, effects: list[Effect], journal: Journal | None) -> None:
    """Settle every pending order whose refund window has closed by now."""
    pending = ledger.pending
    now = ledger.now
    while pending and pending[0][0] <= now:
        entry = heappop(pending)
        if journal is not None:
            journal.note(heappush, pending, entry)
        order = entry[2]
        if order.status == PENDING:
            settle_order(ledger, order, effects, journal)


def settle_order(
    ledger: Ledger, order: OrderRecord, effects: list[Effect], journal: Journal | None
) -> None:
    """Inject the order's profit share, mint its lot, then force exits."""
    terms = order.command
    injection, points, price = _settlement(ledger, terms, order.multiplier)
    merchant = ledger.merchants[terms.merchant]
    if journal is not None:
        journal.note_attr(order, "status")
        journal.note_attr(merchant, "contributed")
    order.status = SETTLED
    ledger.pool += injection
    ledger.injected += injection
    merchant.contributed += injection
    effects.append(new_effect(OrderSettled, (
        terms.id, terms.merchant, terms.member, injection, ledger.pool,
    )))
    if points:
        _mint(ledger, order, points, price, effects, journal)
    force_exits(ledger, effects, journal)


def _settlement(ledger: Ledger, terms: PlaceOrder, multiplier: Rational
                ) -> tuple[int, int, int]:
    """(injection in fen, points in 1/10,000, the price used in micro-CNY or 0) of an order
    settling now (steps 1 and 2 of the module's docstring)."""
    rules = ledger.rules
    share_numerator, share_denominator = rules.pool_share_of_profit
    injection = round_half_up(terms.profit * share_numerator, share_denominator)
    multiplier_numerator, multiplier_denominator = multiplier
    if rules.mint_mode == "fixed":
        rate_numerator, rate_denominator = rules.points_per_yuan
        price = 0
        # amount (fen) / 100 * rate * multiplier, in 1/10,000 points
        points = (terms.amount * 100 * rate_numerator * multiplier_numerator
                  // (rate_denominator * multiplier_denominator))
    else:
        price = price_micro(ledger.pool, ledger.total_shares, ledger.index)
        if price == 0:
            price = rules.initial_price_micro
        rate_numerator, rate_denominator = rules.mint_value_rate
        # injection (fen) / 100 * rate * multiplier / (price / 10^6), in 1/10,000 points
        points = (injection * 10**8 * rate_numerator * multiplier_numerator
                  // (rate_denominator * multiplier_denominator * price))
    return injection, points, price


def _mint(
    ledger: Ledger, order: OrderRecord, points: int, price: int, effects: list[Effect],
    journal: Journal | None,
) -> None:
    rules = ledger.rules
    terms = order.command
    shares = shares_for_points(points, ledger.index)
    ledger.total_shares += shares
    if rules.exit_basis == "cost":
        trigger = cost_trigger(ledger, rules.exit_multiple, terms.amount, points, shares)
    else:
        trigger = mint_value_trigger(ledger, rules.exit_multiple)
    member = ledger.members[terms.member]
    lot = mint_lot(
        ledger, member, shares, terms.amount, terms.id, terms.at, trigger, rules.exit_multiple,
        rules.exit_basis, journal,
    )
    effects.append(new_effect(PointsMinted, (
        lot.lot_id, member.member_id, terms.id, points, shares, terms.amount, price,
        rules.exit_multiple, rules.exit_basis, trigger, ledger.total_shares,
    )))
