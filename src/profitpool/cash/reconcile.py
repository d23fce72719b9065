"""Reading the bank's answers back: settled and returned payouts, and the custody balance.

:func:`reconcile` matches a statement (camt.053, camt.054 or the CSV, all read into
one :class:`~.statement.BankStatement`) against the payouts the log holds, by the
EndToEndId each transfer carried (the payout's id), and says what to do:

- a booked debit of an open payout, for its amount: ``payout_settled`` with the
  bank's reference;
- a return of an open payout (a reversal, return information, or bank code RRTN,
  booked as a debit reversed or as a credit back): ``payout_returned`` with the
  reason code and the bank's words;
- a line of a payout already settled or returned the same way: nothing (the file, or
  another that told the same, was read before);
- the statement's closing booked balance (camt.053, a CSV's balance): a ``custody``
  record, named after the file so reading it again records nothing new.

Everything else is listed for the operator, never applied: a reference no payout
has, an amount that is not the payout's, the same payout twice in one file, a return
of a payout already settled (or a settlement of one returned), a line the bank has
not booked yet, money in that no payout explains, a negative closing balance.

A statement of another account or currency is refused whole, before anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import Rejected
from ..money import format_fen
from ..store.cash import CustodyAccount
from .statement import BankStatement, StatementLine

IN_FLIGHT = "in_flight"
SETTLED = "settled"
RETURNED = "returned"


class PayoutState(NamedTuple):
    """What the log says of one payout."""

    party: str
    amount: int
    status: str
    """in_flight, settled or returned."""


class Listed(NamedTuple):
    """A statement line listed for the operator, not applied."""

    line: int
    """From 1, in the statement's order (one per transaction of a batched entry)."""
    kind: str
    """unknown_reference, amount_mismatch, duplicate, already_closed, pending,
    unexplained_credit, no_reference, overdrawn."""
    end_to_end_id: str
    bank_reference: str
    amount: int
    credit: bool
    detail: str


class Reconciliation(NamedTuple):
    commands: list[dict[str, Any]]
    """payout_settled and payout_returned commands, then the custody record, without ``at``."""
    settled: int
    returned: int
    already: int
    """Lines of payouts that were closed the same way already (a file read twice)."""
    listed: list[Listed]
    closing: int | None
    """The closing booked balance, fen (None when the file has none)."""

    def summary(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for item in self.listed:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        return {"settled": self.settled, "returned": self.returned, "already": self.already,
                "listed": kinds,
                "closing": None if self.closing is None else format_fen(self.closing)}


def _normal(account: str | None) -> str:
    return "".join((account or "").split()).upper()


def check_statement(statement: BankStatement, account: CustodyAccount) -> None:
    """Refuse a statement of another account or in another currency.

    Raises:
        Rejected(invalid_command): naming what differs.
    """
    if statement.account is not None and _normal(statement.account) != _normal(account.account):
        raise Rejected("invalid_command", f"this {statement.kind} is for account "
                       f"{statement.account}, not the custody account {account.account}: "
                       "nothing was read")
    if statement.currency is not None and statement.currency != account.currency:
        raise Rejected("invalid_command", f"this {statement.kind} is in {statement.currency}, "
                       f"the custody account in {account.currency}: nothing was read")
    for number, line in enumerate(statement.lines, 1):
        if line.currency != account.currency:
            raise Rejected("invalid_command", f"line {number} is in {line.currency}, the "
                           f"custody account in {account.currency}: nothing was read")


def reconcile(statement: BankStatement, account: CustodyAccount, file_sha256: str,
              payout: Callable[[str], PayoutState | None]) -> Reconciliation:
    """What the statement says to do (module docstring); ``payout(id)`` is the log's state
    of a payout, None for none.

    Raises:
        Rejected(invalid_command): another account or currency (:func:`check_statement`).
    """
    check_statement(statement, account)
    commands: list[dict[str, Any]] = []
    listed: list[Listed] = []
    seen: dict[str, int] = {}
    """Payouts this file closes: id -> position of the command."""
    settled = returned = already = 0

    def note(number: int, line: StatementLine, kind: str, detail: str) -> None:
        listed.append(Listed(number, kind, line.end_to_end_id or "", line.bank_reference or "",
                             line.amount_fen, line.credit, detail))

    for number, line in enumerate(statement.lines, 1):
        reference = line.end_to_end_id
        state = payout(reference) if reference else None
        if state is None:
            if line.credit and not line.is_return:
                note(number, line, "unexplained_credit", "money came in that no payout explains")
            elif reference:
                note(number, line, "unknown_reference", f"no payout {reference!r} was sent")
            else:
                note(number, line, "no_reference",
                     "a debit without an end-to-end id: not a payout of this program")
            continue
        assert reference is not None
        if line.status != "BOOK":
            note(number, line, "pending", f"the bank has not booked it yet ({line.status})")
            continue
        if line.amount_fen != state.amount:
            note(number, line, "amount_mismatch", f"payout {reference!r} was "
                 f"{format_fen(state.amount)}, the bank booked {format_fen(line.amount_fen)}")
            continue
        outcome = RETURNED if line.is_return else SETTLED
        if line.credit and not line.is_return:
            note(number, line, "unexplained_credit",
                 f"money came in under payout {reference!r}'s reference, not as a return")
            continue
        earlier = seen.get(reference)
        if earlier is not None:
            if outcome == RETURNED and commands[earlier]["op"] == "payout_settled":
                # booked out, then back in the same file: the payout came back
                commands[earlier] = _returned(reference, line)
                settled -= 1
                returned += 1
            else:
                note(number, line, "duplicate", f"payout {reference!r} appears twice in this "
                     "file")
            continue
        if state.status == outcome:
            already += 1
            continue
        if state.status != IN_FLIGHT:
            note(number, line, "already_closed", f"payout {reference!r} was {state.status} "
                 f"already; the bank now says {outcome}")
            continue
        seen[reference] = len(commands)
        if outcome == SETTLED:
            settled += 1
            commands.append({"op": "payout_settled", "payout": reference,
                             "reference": (line.bank_reference or "")[:200]})
        else:
            returned += 1
            commands.append(_returned(reference, line))
    closing = None if statement.closing is None else statement.closing.amount_fen
    if closing is not None:
        if closing < 0:
            listed.append(Listed(0, "overdrawn", "", statement.message_id or "", closing, False,
                                 f"the closing balance is {format_fen(-closing)} overdrawn"))
        else:
            on = statement.closing.on if statement.closing is not None else None
            commands.append({
                "op": "custody", "id": f"bank-{file_sha256[:24]}", "amount": format_fen(closing),
                "reference": (f"{statement.kind} {statement.message_id or ''} closing balance"
                              f"{'' if on is None else f' {on.isoformat()}'}")[:200]})
    return Reconciliation(commands, settled, returned, already, listed, closing)


def _returned(reference: str, line: StatementLine) -> dict[str, Any]:
    reason = " ".join(part for part in (line.return_reason, line.return_info) if part)
    return {"op": "payout_returned", "payout": reference,
            "reason": (reason or "returned by the bank")[:200],
            "reference": (line.bank_reference or "")[:200]}
