"""What a member can cash out now, and why the rest cannot (docs/rules.md section 4.6).

A withdrawal takes only *eligible* lots: unpledged, held ``min_hold_days``, and, when
``withdraw_min_gain`` is set, whose V has risen enough since their mint. Then the
daily cap may refuse the whole withdrawal. :class:`WithdrawGate` is that per-lot
decision, and the withdrawal itself (redemption.py) asks it, so this breakdown and
a withdrawal cannot disagree.

:func:`cashable` answers, for one member at a moment, with figures only (integers):

* what a withdrawal could take now, its value and what it would pay;
* each lot a gate keeps, under the first gate that keeps it, in the order of
  section 4.6: ``pledged`` (to which pledge), ``too_young`` (the moment it may go),
  ``below_gain`` (the value it must reach);
* the eligible points the day's cap leaves out (``daily_cap``), and what the cap still
  allows today (when what it leaves would pay nothing, it leaves out every eligible
  point: withdrawing them would turn points into no cash);
* the member's orders still in their refund window, which have minted nothing yet
  (``pending``, with the moment each settles).

It reads plain facts (:class:`LotFacts`, :class:`Market`, :class:`PendingOrder`) rather
than the ledger, so the service computes it from the read model at read time (V, the
time and the cap move with every block) with the same code; :func:`cashable_of` feeds
it from a :class:`Ledger` (tools and tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, NamedTuple

from ..money import points_for_shares, shares_for_points
from ..rules import Rules
from ..times import MICROS_PER_DAY, shanghai_day
from .state import PENDING, Ledger

PLEDGED: Final = "pledged"
TOO_YOUNG: Final = "too_young"
BELOW_GAIN: Final = "below_gain"
GATES: Final = (PLEDGED, TOO_YOUNG, BELOW_GAIN)
"""The per-lot gates, in the order a lot is checked against them."""


class WithdrawGate:
    """Which gate, if any, keeps a lot from a withdrawal at ``now`` (section 4.6)."""

    __slots__ = ("cutoff", "gain", "pool_side", "mint_side")

    def __init__(self, rules: Rules, pool: int, total_shares: int, now: int) -> None:
        self.cutoff = now - rules.min_hold_days * MICROS_PER_DAY
        """A lot whose order is at or before this has been held long enough."""
        self.gain = rules.withdraw_min_gain
        # V >= (1 + n/d) x V at mint, cross-multiplied:
        # pool * mint_shares * d >= (d + n) * mint_pool * total_shares
        if self.gain is None:
            self.pool_side = self.mint_side = 0
        else:
            numerator, denominator = self.gain
            self.pool_side = pool * denominator
            self.mint_side = (denominator + numerator) * total_shares

    def blocks(self, order_at: int, mint_pool: int, mint_shares: int, pledged: bool
               ) -> str | None:
        """The first gate that keeps the lot (``pledged``, ``too_young``, ``below_gain``),
        or None when it may be withdrawn."""
        if pledged:
            return PLEDGED
        if order_at > self.cutoff:
            return TOO_YOUNG
        if self.gain is not None and \
                self.pool_side * mint_shares < self.mint_side * mint_pool:
            return BELOW_GAIN
        return None


class Market(NamedTuple):
    """The ledger-wide figures a breakdown needs (the service's read model has them)."""

    pool: int
    total_shares: int
    index_units: int
    """Points per share, in 1/10^24."""
    cap_day: int
    """Asia/Shanghai day the two figures below are for."""
    cap_base_pool: int
    withdrawn_today: int


class LotFacts(NamedTuple):
    """One lot with shares, as the breakdown reads it."""

    lot: int
    shares: int
    order: str
    order_at: int
    mint_pool: int
    mint_shares: int
    pledge: str | None


class PendingOrder(NamedTuple):
    """One of the member's orders still in its refund window (it has minted nothing)."""

    order: str
    merchant: str
    amount: int
    at: int
    settles_at: int


class Held(NamedTuple):
    """A lot a gate keeps from a withdrawal now."""

    lot: int
    order: str
    reason: str
    """``pledged``, ``too_young`` or ``below_gain``."""
    shares: int
    points: int
    value: int
    """Fen it is worth now, truncated."""
    pledge: str | None
    """``pledged``: the pledge that locks it."""
    free_at: int | None
    """``too_young``: the moment its hold period ends."""
    needed_value: int | None
    """``below_gain``: fen it must be worth (rounded up) before it may be withdrawn."""


class Cashable(NamedTuple):
    """What one member can cash out at ``at``, and why the rest cannot."""

    at: int
    points: int
    """Point units a withdrawal may take now (eligible lots, within the day's cap)."""
    value: int
    """Fen those points are worth (truncated)."""
    paid: int
    """Fen withdrawing them would pay (floor(shares x V x withdraw_payout_rate))."""
    held: tuple[Held, ...]
    """Lots kept by a gate, oldest first."""
    capped_points: int
    """Eligible point units the day's cap leaves out."""
    capped_value: int
    cap_left: int | None
    """Fen the day's cap still lets withdrawals pay today; None without a cap."""
    pending: tuple[PendingOrder, ...]
    """The member's orders in their refund window, soonest to settle first."""
    unpledged: int
    """Point units a payment at a merchant may spend now: every unpledged lot (section 4.7;
    neither the hold period, the gain gate nor the cap applies to it)."""


def cashable(rules: Rules, market: Market, lots: Iterable[LotFacts],
             pending: Iterable[PendingOrder], at: int) -> Cashable:
    """The breakdown of one member's holding for a withdrawal at ``at``.

    ``lots`` are the member's lots with shares, oldest first; ``at`` is not before the
    ledger's time. Orders due by ``at`` that have not settled yet are still pending
    here: they settle at the next command.
    """
    pool, total_shares = market.pool, market.total_shares
    gate = WithdrawGate(rules, pool, total_shares, at)
    held: list[Held] = []
    eligible = unpledged = 0
    for lot in lots:
        if lot.pledge is None:
            unpledged += lot.shares
        reason = gate.blocks(lot.order_at, lot.mint_pool, lot.mint_shares,
                             lot.pledge is not None)
        if reason is None:
            eligible += lot.shares
            continue
        needed = None
        if reason == BELOW_GAIN and rules.withdraw_min_gain is not None:
            numerator, denominator = rules.withdraw_min_gain
            # shares x (1 + n/d) x mint_pool / mint_shares, rounded up to the fen
            needed = -(-lot.shares * (denominator + numerator) * lot.mint_pool
                       // (denominator * lot.mint_shares))
        held.append(Held(
            lot.lot, lot.order, reason, lot.shares,
            points_for_shares(lot.shares, market.index_units), _value(market, lot.shares),
            lot.pledge,
            lot.order_at + rules.min_hold_days * MICROS_PER_DAY if reason == TOO_YOUNG
            else None, needed))
    rate = rules.withdraw_payout_rate
    eligible_points = points = points_for_shares(eligible, market.index_units)
    shares = eligible  # what "all" takes
    cap_left = _cap_left(rules, market, at)
    if cap_left is not None and _paid(market, eligible, rate) > cap_left:
        points = _points_within(market, rate, cap_left, points)
        shares = min(eligible, shares_for_points(points, market.index_units))
        if _paid(market, shares, rate) == 0:  # what the cap leaves pays nothing: no cash
            points = shares = 0
    return Cashable(
        at, points, _value(market, shares), _paid(market, shares, rate), tuple(held),
        eligible_points - points, _value(market, eligible - shares), cap_left,
        tuple(sorted(pending, key=lambda order: (order.settles_at, order.at))),
        points_for_shares(unpledged, market.index_units))


def cashable_of(ledger: Ledger, member_id: str, at: int | None = None) -> Cashable:
    """:func:`cashable` for a member of ``ledger``, at ``at`` (the ledger's time if None).

    Reads every pending order of the ledger to find the member's: meant for tools and
    tests; the service keeps each member's orders at hand.

    Raises:
        KeyError: no such member.
    """
    member = ledger.members[member_id]
    market = Market(ledger.pool, ledger.total_shares, ledger.index, ledger.cap_day,
                    ledger.cap_base_pool, ledger.withdrawn_today)
    lots = [LotFacts(lot.lot_id, lot.shares, lot.order_id, lot.order_at, lot.mint_pool,
                     lot.mint_shares, None if lot.pledge is None else lot.pledge.command.id)
            for lot in member.lots if lot.shares]
    pending = [PendingOrder(record.command.id, record.command.merchant, record.command.amount,
                            record.command.at, record.settles_at)
               for _, _, record in ledger.pending
               if record.status == PENDING and record.command.member == member_id]
    return cashable(ledger.rules, market, lots, pending, ledger.now if at is None else at)


def _value(market: Market, shares: int) -> int:
    return 0 if market.total_shares == 0 else shares * market.pool // market.total_shares


def _paid(market: Market, shares: int, rate: tuple[int, int]) -> int:
    if market.total_shares == 0:
        return 0
    return shares * market.pool * rate[0] // (market.total_shares * rate[1])


def _cap_left(rules: Rules, market: Market, at: int) -> int | None:
    """Fen withdrawals may still pay on ``at``'s day; a new day starts from the pool now."""
    cap = rules.daily_withdraw_cap_rate
    if cap is None:
        return None
    numerator, denominator = cap
    if shanghai_day(at) == market.cap_day:
        base, withdrawn = market.cap_base_pool, market.withdrawn_today
    else:
        base, withdrawn = market.pool, 0
    # A withdrawal paying p passes when (withdrawn + p) x d <= n x base.
    return max(0, (numerator * base - withdrawn * denominator) // denominator)


def _points_within(market: Market, rate: tuple[int, int], cap_left: int, most: int) -> int:
    """The most point units (at most ``most``) a withdrawal may name and pay no more than
    ``cap_left`` fen."""
    rate_numerator, rate_denominator = rate
    # floor(s x pool x rn / (total x rd)) <= cap_left  <=>  s x pool x rn < (cap_left + 1)
    # x total x rd (pool and rn are not 0 here: something is paid)
    shares = (((cap_left + 1) * market.total_shares * rate_denominator - 1)
              // (market.pool * rate_numerator))
    points = min(most, points_for_shares(shares, market.index_units))
    # Points name shares rounded to the nearest unit: step down past any that round up.
    while points > 0 and \
            _paid(market, shares_for_points(points, market.index_units), rate) > cap_left:
        points -= 1
    return points
