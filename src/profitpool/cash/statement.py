"""What a bank tells us back: statement lines, balances, and the one error for unreadable files.

camt.053, camt.054 and the CSV format all come out as one :class:`BankStatement`
of :class:`StatementLine`, so reconciling a payout never depends on how the bank
happened to send it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, NamedTuple

from ..errors import ProfitpoolError, Rejected
from ..money import parse_money


class BankFileError(ProfitpoolError):
    """A bank file we cannot read with certainty: malformed, of another kind, or ambiguous.

    ``message`` says what and where (the element path or the CSV line number).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Balance(NamedTuple):
    """A booked balance: ``amount_fen`` is negative when the account is overdrawn (DBIT)."""

    amount_fen: int
    on: date | None


class StatementLine(NamedTuple):
    """One transaction as the bank booked (or is about to book) it.

    A batched camt entry (one ``Ntry`` of several ``TxDtls``) gives one line per
    transaction, each with the entry's date, status and direction.
    """

    end_to_end_id: str | None
    """Our payout id for our own transfers (pain.001 EndToEndId); None if the bank gave none."""
    amount_fen: int
    """Always positive; ``credit`` says the direction."""
    currency: str
    credit: bool
    """True: money came in (CRDT); False: money went out (DBIT)."""
    booking_date: date | None
    """None for a pending entry the bank has not booked yet."""
    status: str
    """"BOOK", "PDNG" or "INFO" as the bank wrote it."""
    bank_reference: str | None
    """The account servicer's reference (AcctSvcrRef), the transaction's or else the entry's."""
    is_return: bool
    """The bank sent the money back (ReversalInd, RtrInf, or bank transaction code RRTN)."""
    return_reason: str | None
    """The ISO reason code of a return: AC04 (account closed), AM05 (duplicate), ..."""
    return_info: str | None
    """The bank's words about the return (RtrInf/AddtlInf), joined by spaces."""


class BankStatement(NamedTuple):
    """A camt.053 statement, a camt.054 notification, or a bank CSV, read."""

    kind: Literal["camt.053", "camt.054", "csv"]
    message_id: str | None
    account: str | None
    """The account's IBAN or other identifier (Othr/Id) as the bank wrote it."""
    currency: str | None
    opening: Balance | None
    """The opening booked balance (OPBD, or PRCD where the bank sends that instead)."""
    closing: Balance | None
    """The closing booked balance (CLBD)."""
    lines: list[StatementLine]


def parse_fen(text: str | None, where: str) -> int:
    """A bank's decimal amount ("1234.5") as fen, through money.parse_money.

    Raises:
        BankFileError: missing, signed, or more than 2 decimals; ``where`` names the place.
    """
    if text is None:
        raise BankFileError(f"{where}: the amount is missing")
    try:
        return parse_money(text.strip())
    except Rejected as error:
        raise BankFileError(f"{where}: {error.message}") from None
