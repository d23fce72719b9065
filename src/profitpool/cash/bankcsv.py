"""Statement lines from a bank that only gives CSV, in the one format we define.

The format (docs/bank-files.md, "CSV"): UTF-8 (a byte order mark is allowed),
comma-separated with RFC 4180 quoting, this header row exactly, one transaction
a line::

    date,reference,end_to_end_id,amount,currency,status,return_reason,balance

``amount`` is signed: positive money in, negative money out (our payouts).
Whoever turns a bank's own export into this format keeps that knowledge out of
the code that reconciles.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from io import StringIO
from typing import Final

from .statement import Balance, BankFileError, BankStatement, StatementLine, parse_fen

CSV_COLUMNS: Final = ("date", "reference", "end_to_end_id", "amount", "currency", "status",
                      "return_reason", "balance")
_STATUSES: Final = frozenset({"BOOK", "PDNG", "INFO"})
_CURRENCY = re.compile(r"[A-Z]{3}")
_REASON = re.compile(r"[A-Z0-9]{1,4}")


def parse_bank_csv(data: bytes) -> BankStatement:
    """Read the CSV format into a :class:`BankStatement` (kind "csv", no account or message id).

    ``closing`` is the balance of the last line that has one, dated that line's date.

    Raises:
        BankFileError: not UTF-8, another header, or a bad line: the message names
            the line number (the header is line 1) and the column.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BankFileError(f"not UTF-8 (a GBK export must be converted first): {error}") from None
    rows = csv.reader(StringIO(text, newline=""), strict=True)
    try:
        header = next(rows, None)
        if header is None or tuple(column.strip() for column in header) != CSV_COLUMNS:
            raise BankFileError(f"line 1: the header must be {','.join(CSV_COLUMNS)}, "
                                f"not {','.join(header or [])}")
        lines: list[StatementLine] = []
        currency: str | None = None
        closing: Balance | None = None
        for row in rows:
            where = f"line {rows.line_num}"
            if not any(cell.strip() for cell in row):
                continue  # a blank line, as spreadsheets leave at the end
            if len(row) != len(CSV_COLUMNS):
                raise BankFileError(f"{where}: {len(row)} columns, the header has "
                                    f"{len(CSV_COLUMNS)}")
            line, balance_fen = _line([cell.strip() for cell in row], where)
            if currency is None:
                currency = line.currency
            elif line.currency != currency:
                raise BankFileError(f"{where}: currency {line.currency}, the lines before "
                                    f"are in {currency}")
            lines.append(line)
            if balance_fen is not None:
                closing = Balance(balance_fen, line.booking_date)
    except csv.Error as error:
        raise BankFileError(f"line {rows.line_num}: not CSV: {error}") from None
    return BankStatement("csv", None, None, currency, None, closing, lines)


def _line(cells: list[str], where: str) -> tuple[StatementLine, int | None]:
    booked, reference, end_to_end_id, amount, currency, status, reason, balance = cells
    if status not in _STATUSES:
        raise BankFileError(f"{where}: status {status!r} is not BOOK, PDNG or INFO")
    booking_date = None
    if booked:
        try:
            booking_date = date.fromisoformat(booked) if len(booked) == 10 else None
        except ValueError:
            pass
        if booking_date is None:
            raise BankFileError(f"{where}: date {booked!r} is not YYYY-MM-DD")
    elif status == "BOOK":
        raise BankFileError(f"{where}: a booked line (BOOK) needs its date")
    if not _CURRENCY.fullmatch(currency):
        raise BankFileError(f"{where}: currency {currency!r} is not an ISO 4217 code")
    if reason and not _REASON.fullmatch(reason):
        raise BankFileError(f"{where}: return_reason {reason!r} is not an ISO reason code "
                            "like AC04")
    credit = not amount.startswith("-")
    amount_fen = parse_fen(amount.removeprefix("-"), f"{where}: amount")
    if amount_fen == 0:
        raise BankFileError(f"{where}: amount is zero")
    balance_fen = None
    if balance:
        balance_fen = parse_fen(balance.removeprefix("-"), f"{where}: balance")
        if balance.startswith("-"):
            balance_fen = -balance_fen
    line = StatementLine(end_to_end_id or None, amount_fen, currency, credit, booking_date,
                         status, reference or None, bool(reason), reason or None, None)
    return line, balance_fen
