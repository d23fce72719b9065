"""Lots: creating, splitting, emptying and ordering them.

Two orders matter:

* **oldest first** (withdraw, pay, transfer, pledge, and exit ties): by order
  time, then by the mint order of the lot they descend from (``origin``), then
  by lot number (a fragment is numbered after the lot it was split from, so
  of two parts of one lot the one that stayed goes first);
* the exit queue is a heap ordered by **trigger, then age**: the integer key
  ``floor(trigger x KEY_SCALE)`` decides almost every comparison in C, and
  the exact :class:`Trigger` fraction decides the rest, so the order is exact.

A ``cost`` trigger is computed from the order's amount, the points minted and
the index at the mint (:func:`cost_trigger`), never from the lot's shares,
which are rounded to 10^-24: lots the rules make equal tie exactly, and a tie
goes to the oldest lot.
"""

from __future__ import annotations

from bisect import insort
from heapq import heapify, heappush
from math import gcd
from typing import Final

from ..money import INDEX_SCALE, POINT_UNIT, SHARE_SCALE, Rational
from .journal import Journal
from .state import Ledger, Lot, Member, Trigger

KEY_SCALE: Final = 10**40
"""Resolution of the integer heap key, per fen per share."""

def make_trigger(numerator: int, denominator: int) -> Trigger:
    """An exact exit trigger (fen per share) in lowest terms."""
    divisor = gcd(numerator, denominator)
    return Trigger((numerator // divisor, denominator // divisor))


def cost_trigger(
    ledger: Ledger, multiple: Rational, amount: int, points: int, shares: int
) -> Trigger:
    """exit_multiple x amount x index / points, in fen per share (exit basis ``cost``).

    The exact value per share at which a lot minted now for ``amount`` fen as
    ``points`` point units is worth ``multiple`` times its cost. A log of
    format 1 computed it from the lot's rounded ``shares`` instead; only its
    replay asks for that (``Ledger.legacy_exits``).
    """
    multiple_numerator, multiple_denominator = multiple
    if ledger.legacy_exits:
        return make_trigger(multiple_numerator * amount * SHARE_SCALE,
                            multiple_denominator * shares)
    return make_trigger(multiple_numerator * amount * ledger.index * POINT_UNIT,
                        multiple_denominator * points * INDEX_SCALE)


def mint_value_trigger(ledger: Ledger, multiple: Rational) -> Trigger:
    """exit_multiple x V just after a mint, in fen per share (exit basis ``mint_value``)."""
    multiple_numerator, multiple_denominator = multiple
    return make_trigger(multiple_numerator * ledger.pool * SHARE_SCALE,
                        multiple_denominator * ledger.total_shares)


def _age(lot: Lot) -> tuple[int, int, int]:
    return lot.order_at, lot.origin, lot.lot_id


def _enqueue_exit(ledger: Ledger, lot: Lot) -> None:
    numerator, denominator = lot.trigger
    serial = ledger.queue_serial
    ledger.queue_serial = serial + 1
    # Ties go to the oldest lot: order time, then mint order (a format 1 log: mint order only).
    order_at = 0 if ledger.legacy_exits else lot.order_at
    heappush(
        ledger.exit_queue,
        (numerator * KEY_SCALE // denominator, lot.trigger, order_at, lot.origin, lot.lot_id,
         serial, lot),
    )


def _add_to_member(member: Member, lot: Lot) -> None:
    lots = member.lots
    # Nearly always the newest lot: append without building the age tuples.
    if not lots or lots[-1].order_at < lot.order_at or _age(lots[-1]) < _age(lot):
        lots.append(lot)
    else:
        insort(lots, lot, key=_age)
    member.shares += lot.shares


def _unmint(member: Member, lot: Lot) -> None:
    """Undo :func:`mint_lot` (the heap entry stays, dead, and is skipped)."""
    member.lots.remove(lot)
    member.shares -= lot.shares
    lot.shares = 0


def mint_lot(
    ledger: Ledger, member: Member, shares: int, cost: int, order_id: str, order_at: int,
    trigger: Trigger, exit_multiple: Rational, exit_basis: str, journal: Journal | None,
) -> Lot:
    """Create a new lot for ``member``; the caller has added ``shares`` to the total."""
    lot_id = ledger.next_lot_id
    ledger.next_lot_id = lot_id + 1
    lot = Lot(
        lot_id, lot_id, member, shares, cost, order_id, order_at, trigger, exit_multiple,
        exit_basis, ledger.pool, ledger.total_shares,
    )
    _add_to_member(member, lot)
    _enqueue_exit(ledger, lot)
    ledger.live_lots += 1
    if journal is not None:
        journal.note(_unmint, member, lot)
    return lot


def split_lot(ledger: Ledger, lot: Lot, shares: int, owner: Member) -> Lot:
    """Move ``shares`` of ``lot`` (with their part of its cost) into a new lot of ``owner``.

    The new lot keeps the order time, age, trigger, exit rule and V at mint of
    the lot it came from. If ``shares`` is all of ``lot``, ``lot`` is emptied.
    """
    cost = take_cost(lot, shares)
    lot.cost -= cost
    lot.shares -= shares
    lot.member.shares -= shares
    if lot.shares == 0:
        empty_lot(ledger, lot)
    lot_id = ledger.next_lot_id
    ledger.next_lot_id = lot_id + 1
    fragment = Lot(
        lot_id, lot.origin, owner, shares, cost, lot.order_id, lot.order_at, lot.trigger,
        lot.exit_multiple, lot.exit_basis, lot.mint_pool, lot.mint_shares,
    )
    _add_to_member(owner, fragment)
    _enqueue_exit(ledger, fragment)
    ledger.live_lots += 1
    return fragment


def take_cost(lot: Lot, shares: int) -> int:
    """The part of a lot's cost that goes with ``shares`` of it (rounded down; all at the end)."""
    if shares == lot.shares:
        return lot.cost
    return lot.cost * shares // lot.shares


def empty_lot(ledger: Ledger, lot: Lot) -> None:
    """Mark a lot gone; the caller has moved or destroyed its shares."""
    lot.shares = 0
    lot.member.empty_lots += 1
    ledger.live_lots -= 1


def sweep(ledger: Ledger, member: Member) -> None:
    """Drop emptied lots from the member's list and the exit queue once they dominate.

    Only called after a command's checks have passed (never inside a journal).
    """
    if member.empty_lots > 8 and member.empty_lots * 2 > len(member.lots):
        member.lots = [lot for lot in member.lots if lot.shares]
        member.empty_lots = 0
    queue = ledger.exit_queue
    if len(queue) > 1024 and len(queue) > 2 * ledger.live_lots:
        queue[:] = [entry for entry in queue if entry[-1].shares]
        heapify(queue)
