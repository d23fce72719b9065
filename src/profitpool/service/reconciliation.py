"""Reconciliation: custody against what it must hold, and every item still open.

Custody must hold the pool + Σ owed + Σ in flight (docs/rules.md section 10). The
figure held against it is the newest custody record (a bank statement's closing
balance read by ``payouts import``, or one typed in by the operator). Open items:

- payouts in flight for longer than N days (the bank has said nothing);
- returned payouts whose party is still owed (not sent again yet);
- statement lines nothing explains, until the operator resolves them.

One function for the CLI, the API and the console; it reads the service's read
model (the CLI builds one from its ledger).
"""

from __future__ import annotations

from typing import Any

from ..money import format_fen
from ..store.cash import CashStore
from ..times import MICROS_PER_DAY, format_time
from .readmodel import ReadModel


def reconciliation_status(read: ReadModel, store: CashStore, days: int, now_us: int
                          ) -> dict[str, Any]:
    """Custody against pool + owed + in flight, with the open items (module docstring)."""
    with read.lock:
        head = read.head
    views = read.cash_views()
    owed = sum(view.owed for view in views)
    in_flight = sum(view.in_flight for view in views)
    needed = head.pool + owed + in_flight
    custody = head.custody
    overdue = []
    returned = []
    cutoff = now_us - days * MICROS_PER_DAY
    for view in views:
        last_returned = None
        for payout in view.payouts:  # newest first
            if payout.status == "in_flight" and payout.sent_at < cutoff:
                overdue.append({"payout": payout.payout, "party": view.party,
                                "amount": format_fen(payout.amount),
                                "sent_at": format_time(payout.sent_at),
                                "days": (now_us - payout.sent_at) // MICROS_PER_DAY})
            if last_returned is None and payout.status == "returned":
                last_returned = payout
        newest = view.payouts[0] if view.payouts else None
        if last_returned is not None and newest is last_returned and view.owed > 0:
            returned.append({"payout": last_returned.payout, "party": view.party,
                             "amount": format_fen(last_returned.amount),
                             "reason": last_returned.reason, "owed": format_fen(view.owed)})
    overdue.sort(key=lambda item: str(item["sent_at"]))
    unexplained = [{"id": row.id, "line": row.line, "kind": row.kind,
                    "end_to_end_id": row.end_to_end_id, "bank_reference": row.bank_reference,
                    "amount": format_fen(abs(row.amount)), "credit": row.credit,
                    "detail": row.detail}
                   for row in store.exceptions()]
    return {
        "pool": format_fen(head.pool), "owed": format_fen(owed),
        "in_flight": format_fen(in_flight), "settled": format_fen(head.settled),
        "needed": format_fen(needed),
        "custody": None if custody is None else {
            "id": custody[0], "amount": format_fen(custody[1]), "reference": custody[2],
            "at": format_time(custody[3])},
        "difference": None if custody is None else format_fen(custody[1] - needed),
        "days": days,
        "in_flight_overdue": overdue,
        "returned_not_resent": returned,
        "unexplained": unexplained,
    }
