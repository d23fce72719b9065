"""Reading the ledger: the section 8 summary, and a full canonical dump.

Displayed figures follow docs/rules.md section 8: money 2 decimals, points 4,
price 6 and index 12, all truncated; a holding's value is its shares x V
truncated to the fen.

:func:`dump_state` lists everything the ledger means (not how it is stored:
swept or not, heap layout), so two ledgers that went through the same
commands dump byte for byte the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..money import (
    format_fen,
    format_index,
    format_points,
    format_price,
    points_for_shares,
    price_micro,
)
from ..times import format_period, format_time
from .cash import cash_of, total_owed
from .state import NO_TIME, Ledger, Member, OrderRecord


def value_of(ledger: Ledger, shares: int) -> int:
    """Fen that ``shares`` are worth at V, truncated (0 with no shares)."""
    if ledger.total_shares == 0:
        return 0
    return shares * ledger.pool // ledger.total_shares


def head(ledger: Ledger) -> dict[str, Any]:
    """Pool, supply, price, index and exit count, as displayed."""
    return {
        "pool": format_fen(ledger.pool),
        "supply": format_points(points_for_shares(ledger.total_shares, ledger.index)),
        "price": format_price(price_micro(ledger.pool, ledger.total_shares, ledger.index)),
        "index": format_index(ledger.index),
        "exits": ledger.exits,
    }


def totals(ledger: Ledger) -> dict[str, str]:
    return {
        "injected": format_fen(ledger.injected),
        "paid_members": format_fen(ledger.paid_members),
        "paid_merchants": format_fen(ledger.paid_merchants),
        "paid_lenders": format_fen(ledger.paid_lenders),
        "owed": format_fen(total_owed(ledger)),
        "in_flight": format_fen(ledger.in_flight),
        "settled": format_fen(ledger.settled),
    }


def member_row(ledger: Ledger, member: Member) -> dict[str, str]:
    owed, in_flight, _ = cash_of(ledger, f"member:{member.member_id}")
    return {
        "points": format_points(points_for_shares(member.shares, ledger.index)),
        "value": format_fen(value_of(ledger, member.shares)),
        "paid": format_fen(member.paid),
        "owed": format_fen(owed),
        "in_flight": format_fen(in_flight),
    }


def members(ledger: Ledger) -> Iterator[tuple[str, dict[str, str]]]:
    """(member id, row) sorted by id."""
    for member_id in sorted(ledger.members):
        yield member_id, member_row(ledger, ledger.members[member_id])


def merchants(ledger: Ledger) -> Iterator[tuple[str, dict[str, str]]]:
    for merchant_id in sorted(ledger.merchants):
        merchant = ledger.merchants[merchant_id]
        owed, in_flight, _ = cash_of(ledger, f"merchant:{merchant_id}")
        yield merchant_id, {
            "contributed": format_fen(merchant.contributed),
            "received": format_fen(merchant.received),
            "owed": format_fen(owed),
            "in_flight": format_fen(in_flight),
        }


def lenders(ledger: Ledger) -> Iterator[tuple[str, dict[str, str]]]:
    for lender_id in sorted(ledger.lenders):
        owed, in_flight, _ = cash_of(ledger, f"lender:{lender_id}")
        yield lender_id, {
            "received": format_fen(ledger.lenders[lender_id].received),
            "owed": format_fen(owed),
            "in_flight": format_fen(in_flight),
        }


def pledges(ledger: Ledger) -> Iterator[tuple[str, dict[str, str]]]:
    for pledge_id in sorted(ledger.pledges):
        record = ledger.pledges[pledge_id]
        yield pledge_id, {"status": record.status, "repaid": format_fen(record.repaid)}


def summary(ledger: Ledger) -> dict[str, Any]:
    """The final state in the format of docs/rules.md section 8 (without ``rejected``)."""
    result = head(ledger)
    result["members"] = dict(members(ledger))
    result["merchants"] = dict(merchants(ledger))
    result["lenders"] = dict(lenders(ledger))
    result["pledges"] = dict(pledges(ledger))
    result["totals"] = totals(ledger)
    return result


def dump_state(ledger: Ledger) -> dict[str, Any]:
    """Everything the ledger means, with exact integers, in a canonical order."""
    return {
        "now": None if ledger.now == NO_TIME else format_time(ledger.now),
        "rules": ledger.rules.to_json(),
        "pool": ledger.pool,
        "total_shares": ledger.total_shares,
        "index": ledger.index,
        "injected": ledger.injected,
        "paid_members": ledger.paid_members,
        "paid_merchants": ledger.paid_merchants,
        "paid_lenders": ledger.paid_lenders,
        "exits": ledger.exits,
        "next_lot_id": ledger.next_lot_id,
        "next_order_seq": ledger.next_order_seq,
        "cap": [ledger.cap_day, ledger.cap_base_pool, ledger.withdrawn_today],
        "legacy_exits": ledger.legacy_exits,
        "members": {
            member_id: {
                "shares": member.shares,
                "paid": member.paid,
                "lots": [
                    [lot.lot_id, lot.origin, lot.shares, lot.cost, lot.order_id, lot.order_at,
                     list(lot.trigger), list(lot.exit_multiple), lot.exit_basis, lot.mint_pool,
                     lot.mint_shares, None if lot.pledge is None else lot.pledge.command.id]
                    for lot in member.lots if lot.shares
                ],
            }
            for member_id, member in sorted(ledger.members.items())
        },
        "merchants": {
            merchant_id: [list(merchant.command), merchant.contributed, merchant.received]
            for merchant_id, merchant in sorted(ledger.merchants.items())
        },
        "lenders": {
            lender_id: [list(lender.command), lender.received]
            for lender_id, lender in sorted(ledger.lenders.items())
        },
        "campaigns": {
            campaign_id: _plain(campaign.command)
            for campaign_id, campaign in sorted(ledger.campaigns.items())
        },
        "orders": {
            order_id: _order(order) for order_id, order in sorted(ledger.orders.items())
        },
        "pledges": {
            pledge_id: [_plain(record.command), record.status, record.repaid,
                        [lot.lot_id for lot in record.lots]]
            for pledge_id, record in sorted(ledger.pledges.items())
        },
        "withdrawals": {key: _plain(value) for key, value in sorted(ledger.withdrawals.items())},
        "payments": {key: _plain(value) for key, value in sorted(ledger.payments.items())},
        "transfers": {key: _plain(value) for key, value in sorted(ledger.transfers.items())},
        "burned": dict(sorted(ledger.burned.items())),
        "custody": {key: _plain(value) for key, value in sorted(ledger.custody.items())},
        "disclosures": {format_period(key): _plain(value)
                        for key, value in sorted(ledger.disclosures.items())},
        "erased": dict(sorted(ledger.erased.items())),
        "payouts": {key: [_plain(record.command), record.status, _plain(record.closed_by)]
                    for key, record in sorted(ledger.payouts.items())},
        "cash": {party: list(account) for party, account in sorted(ledger.cash.items())},
        "in_flight": ledger.in_flight,
        "settled": ledger.settled,
    }


def _order(order: OrderRecord) -> list[Any]:
    return [_plain(order.command), order.status, order.settles_at, order.seq,
            list(order.multiplier)]


def _plain(value: Any) -> Any:
    """Tuples (commands, rationals) as lists, recursively, for JSON."""
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value
