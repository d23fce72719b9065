"""The withdrawal gates: why a lot cannot be withdrawn now (docs/rules.md sections 3.1
and 4.6). One function, used by the withdrawal itself (redemption.py) and by readers that
count what the gates lock (the operator's console)."""

from __future__ import annotations

from typing import Final

from ..money import Rational
from ..times import MICROS_PER_DAY

GATES: Final = ("pledged", "min_hold_days", "withdraw_min_gain")
"""Every gate, in the order they are checked: pledged to a lender, held too briefly, the
gain threshold not reached."""


def lot_gate(
    *, pledged: bool, order_at: int, mint_pool: int, mint_shares: int, now: int,
    min_hold_days: int, min_gain: Rational | None, pool: int, total_shares: int,
) -> str | None:
    """The first gate (:data:`GATES`) that keeps a lot from being withdrawn at ``now``, or
    None when it may be withdrawn.

    The gain gate: V >= (1 + gain) x V just after the mint, cross-multiplied as
    pool x mint_shares x d >= (d + n) x mint_pool x total_shares.
    """
    if pledged:
        return "pledged"
    if order_at > now - min_hold_days * MICROS_PER_DAY:
        return "min_hold_days"
    if min_gain is not None:
        numerator, denominator = min_gain
        if (pool * denominator * mint_shares
                < (denominator + numerator) * total_shares * mint_pool):
            return "withdraw_min_gain"
    return None
