"""The pool's health for the operator: one function for the API (``GET /v1/pool/health``)
and the console, so both show the same figures.

- custody against what it must hold (pool + owed + in flight: reconciliation.py);
- the pool against every holding paid at once, each truncated to the fen;
- withdrawals today against the day's cap;
- the share of all holdings that a withdrawal gate locks, per gate (engine/cashable.py);
- open pledges: how many, their points and their loans;
- lots forced out this month;
- withdrawals refused, per day and error code (store/refusals.py: refusals are not in
  the log, the service counts them);
- the ten largest holders' share.

It walks every member's lots in the read model: a figure for the operator, read on
demand, not on the path of an order.
"""

from __future__ import annotations

import heapq
import time
from fractions import Fraction
from typing import Any, Final

from ..engine.cashable import BELOW_GAIN, PLEDGED, TOO_YOUNG, WithdrawGate
from ..money import format_fen, format_percent, format_points, parse_decimal, points_for_shares
from ..rules import Rules
from ..store.cash import CashStore
from ..store.refusals import RefusalStore
from ..times import (
    MICROS_PER_DAY,
    SHANGHAI_OFFSET_MICROS,
    format_time,
    month_start,
    shanghai_day,
    shanghai_month,
)
from .deps import Context
from .readmodel import value_fen
from .reconciliation import reconciliation_status

TOP_HOLDERS = 10
REFUSAL_DAYS = 30
"""Days of withdrawal refusals shown, today included."""


def percent_text(numerator: int, denominator: int) -> str:
    """One decimal, truncated, as every share on the pages ("—" for 0/0)."""
    return "—" if denominator == 0 else format_percent(Fraction(numerator, denominator))


GATES: Final = {PLEDGED: "pledged", TOO_YOUNG: "min_hold_days", BELOW_GAIN: "withdraw_min_gain"}
"""Each withdrawal gate (engine/cashable.py, the withdrawal's own) by the rule that sets it,
as the health figures name them."""


def pool_health(ctx: Context, now_us: int | None = None) -> dict[str, Any]:
    """The figures of the module docstring, as decimal strings (money in CNY)."""
    with ctx.read.lock:
        head = ctx.read.head
        members = list(ctx.read.members.values())
        pledges = list(ctx.read.pledges.values())
    rules = Rules.from_json(head.rules)
    now = head.now if head.now is not None else 0
    holdings = 0
    locked = dict.fromkeys(GATES.values(), 0)
    gate = WithdrawGate(rules, head.pool, head.total_shares, now)
    for member in members:
        holdings += value_fen(head, member.shares)
        for lot in member.lots:
            held = gate.blocks(lot.order_at, lot.mint_pool, lot.mint_shares,
                               lot.pledge is not None)
            if held is not None:
                locked[GATES[held]] += lot.shares
    locked_shares = sum(locked.values())
    today = head.withdrawn_today if head.cap_day == shanghai_day(now) else 0
    rate = head.rules.get("daily_withdraw_cap_rate")
    cap = None
    if rate is not None:
        numerator, denominator = parse_decimal(rate, "invalid_rules")
        cap = format_fen(numerator * head.cap_base_pool // denominator)
    largest = sum(heapq.nlargest(TOP_HOLDERS, (member.shares for member in members)))
    open_pledges = [pledge for pledge in pledges if pledge.status == "active"]
    clock_us = time.time_ns() // 1000 if now_us is None else now_us
    custody = reconciliation_status(ctx.read, CashStore(ctx.store.engine), 5, clock_us)
    first_day = shanghai_day(ctx.sequencer.clock()) - REFUSAL_DAYS + 1
    refused = RefusalStore(ctx.store.engine).since("withdraw", first_day)
    return {
        "time": None if head.now is None else format_time(now),
        "pool": format_fen(head.pool),
        "custody": {key: custody[key] for key in ("pool", "owed", "in_flight", "needed",
                                                  "custody", "difference")},
        "holdings": format_fen(holdings),
        "cover": format_fen(head.pool - holdings),
        "covered": head.pool >= holdings,
        "withdrawn_today": format_fen(today),
        "cap": cap,
        "locked": {
            "points": format_points(points_for_shares(locked_shares, head.index_units)),
            "share": percent_text(locked_shares, head.total_shares),
            "by_gate": {gate: {
                "points": format_points(points_for_shares(shares, head.index_units)),
                "share": percent_text(shares, head.total_shares)}
                for gate, shares in locked.items()},
        },
        "pledges": {
            "open": len(open_pledges),
            "points": format_points(sum(pledge.points for pledge in open_pledges)),
            "loans": format_fen(sum(pledge.loan for pledge in open_pledges)),
        },
        "exits_this_month": head.exits - ctx.store.exits_before(
            month_start(*shanghai_month(now))),
        "refused_withdrawals": {
            "first_day": _day_text(first_day),
            "days": [{"day": _day_text(row.day), "code": row.code, "count": row.times}
                     for row in refused],
        },
        "top": TOP_HOLDERS,
        "top_share": percent_text(largest, head.total_shares),
        "members": head.members,
    }


def _day_text(day: int) -> str:
    """A day (days since 1970-01-01, Asia/Shanghai) as YYYY-MM-DD."""
    return format_time(day * MICROS_PER_DAY - SHANGHAI_OFFSET_MICROS)[:10]
