"""parse_bank_csv: the documented CSV format, and an error naming the line for each bad one."""

from __future__ import annotations

from datetime import date

import pytest

from profitpool.cash import (
    CSV_COLUMNS,
    Balance,
    BankFileError,
    BankStatement,
    StatementLine,
    parse_bank_csv,
)

HEADER = "date,reference,end_to_end_id,amount,currency,status,return_reason,balance\n"
GOOD = HEADER + (
    "2026-12-06,ICBC-T1,po_0001,-120.50,CNY,BOOK,,999879.50\n"
    "2026-12-06,ICBC-R3,po_0002,88.00,CNY,BOOK,AC04,999967.50\n"
    '2026-12-06,"ICBC,T4",,5000,CNY,BOOK,,1004967.50\n'
    ",,po_0005,-300.00,CNY,PDNG,,\n"
    "\n"
)


def test_the_header_is_the_documented_one() -> None:
    assert ",".join(CSV_COLUMNS) + "\n" == HEADER


def test_a_good_file_reads_whole() -> None:
    dec6 = date(2026, 12, 6)
    assert parse_bank_csv(("\ufeff" + GOOD).encode()) == BankStatement(
        "csv", None, None, "CNY", None, Balance(100_496_750, dec6),
        [
            StatementLine("po_0001", 12050, "CNY", False, dec6, "BOOK", "ICBC-T1", False,
                          None, None),
            StatementLine("po_0002", 8800, "CNY", True, dec6, "BOOK", "ICBC-R3", True, "AC04",
                          None),
            StatementLine(None, 500_000, "CNY", True, dec6, "BOOK", "ICBC,T4", False, None,
                          None),
            StatementLine("po_0005", 30000, "CNY", False, None, "PDNG", None, False, None,
                          None),
        ],
    )


@pytest.mark.parametrize(("row", "message"), [
    ("2026-12-06,R,po_1,-1.005,CNY,BOOK,,", "line 3: amount: '1.005' is not a decimal with at "
                                            "most 2 decimals"),
    ("2026-12-06,R,po_1,1.00,USD,BOOK,,", "line 3: currency USD, the lines before are in CNY"),
    ("2026-12-06,R,po_1,1.00,CNY,DONE,,", "line 3: status 'DONE' is not BOOK, PDNG or INFO"),
    ("06/12/2026,R,po_1,1.00,CNY,BOOK,,", "line 3: date '06/12/2026' is not YYYY-MM-DD"),
    (",R,po_1,1.00,CNY,BOOK,,", "line 3: a booked line (BOOK) needs its date"),
    ("2026-12-06,R,po_1,1.00,CNY,BOOK,account closed,", "line 3: return_reason 'account closed'"),
    ("2026-12-06,R,po_1,0.00,CNY,BOOK,,", "line 3: amount is zero"),
    ("2026-12-06,R,po_1,1.00,CNY,BOOK,", "line 3: 7 columns, the header has 8"),
    ("2026-12-06,R,po_1,1.00,cny,BOOK,,", "line 3: currency 'cny' is not an ISO 4217 code"),
    ("2026-12-06,R,po_1,1.00,CNY,BOOK,,1.2.3", "line 3: balance: '1.2.3' is not a decimal"),
    ('2026-12-06,"R,po_1,1.00,CNY,BOOK,,', "line 3: not CSV"),
])
def test_a_bad_line_is_refused_by_its_number(row: str, message: str) -> None:
    document = HEADER + "2026-12-06,R0,po_0,1.00,CNY,BOOK,,\n" + row + "\n"
    with pytest.raises(BankFileError) as raised:
        parse_bank_csv(document.encode())
    assert raised.value.message.startswith(message), raised.value.message


def test_another_header_or_encoding_is_refused() -> None:
    with pytest.raises(BankFileError, match="line 1: the header must be"):
        parse_bank_csv(b"date,amount\n2026-12-06,1.00\n")
    with pytest.raises(BankFileError, match="line 1: the header must be"):
        parse_bank_csv(b"")
    with pytest.raises(BankFileError, match="not UTF-8"):
        parse_bank_csv(HEADER.encode() + "2026-12-06,R,po_1,1.00,CNY,BOOK,,张三\n".encode("gbk"))
