"""parse_statement: camt.053 and camt.054 as banks write them, and every way a file can be wrong.

The fixtures are valid against ISO's own XSDs (checked first), so the reader is
tested on what a bank may send, not on what it happens to accept.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from cashhelpers import fixture, schema

from profitpool.cash import Balance, BankFileError, BankStatement, StatementLine, parse_statement
from profitpool.errors import ProfitpoolError

DEC6 = date(2026, 12, 6)


def line(end_to_end_id: str | None, amount_fen: int, credit: bool, reference: str | None,
         *, status: str = "BOOK", booked: date | None = DEC6, currency: str = "CNY",
         reason: str | None = None, info: str | None = None,
         is_return: bool = False) -> StatementLine:
    return StatementLine(end_to_end_id, amount_fen, currency, credit, booked, status, reference,
                         is_return or reason is not None, reason, info)


@pytest.mark.parametrize(("name", "message"), [
    ("camt053_v08.xml", "camt.053.001.08"),
    ("camt053_v02.xml", "camt.053.001.02"),
    ("camt054_v08.xml", "camt.054.001.08"),
])
def test_the_fixtures_are_valid_against_the_official_xsd(name: str, message: str) -> None:
    schema(message).validate(fixture(name).decode("utf-8"))


def test_a_camt053_v08_statement_reads_whole() -> None:
    assert parse_statement(fixture("camt053_v08.xml")) == BankStatement(
        "camt.053", "STMT20261207CN01", "6222021001122334455", "CNY",
        Balance(100_000_000, DEC6), Balance(99_882_750, DEC6),
        [
            # one batched entry of three payouts: three lines, each with its own reference
            line("po_0001", 12050, False, "ICBC20261206T0001"),
            line("po_0002", 8800, False, "ICBC20261206T0002"),
            line("po_0003", 100000, False, "ICBC20261206T0003"),
            # booked with a date and time: the date is kept
            line("po_0004", 5000, False, "ICBC20261206S0002"),
            # po_0002 came back: account closed
            line("po_0002", 8800, True, "ICBC20261206R0003-1", reason="AC04",
                 info="收款账户已销户 account closed"),
            # not booked yet: no booking date, no reference
            line("po_0005", 30000, False, None, status="PDNG", booked=None),
            # the bank's fee, an entry without transaction details
            line(None, 200, False, "ICBC20261206F0005"),
        ],
    )


def test_the_closing_balance_is_the_opening_plus_the_booked_lines() -> None:
    statement = parse_statement(fixture("camt053_v08.xml"))
    assert statement.opening is not None and statement.closing is not None
    booked = sum(entry.amount_fen if entry.credit else -entry.amount_fen
                 for entry in statement.lines if entry.status == "BOOK")
    assert statement.opening.amount_fen + booked == statement.closing.amount_fen


def test_a_camt053_v02_statement_reads_whole() -> None:
    """Old forms: <Sts>BOOK</Sts>, batch amounts in AmtDtls/TxAmt, PRCD as the opening."""
    assert parse_statement(fixture("camt053_v02.xml")) == BankStatement(
        "camt.053", "053D2026120600001", "DE89370400440532013000", "EUR",
        Balance(-1500, date(2026, 12, 5)), Balance(239_025, DEC6),
        [
            line(None, 250_000, True, "2026120600417", currency="EUR"),  # NOTPROVIDED
            line("po_eu_1", 10000, False, "2026120600418", currency="EUR"),
            line("po_eu_2", 525, False, "2026120600418-2", currency="EUR"),
            line("po_eu_2", 525, True, "2026120600419", currency="EUR", reason="AM05",
                 info="duplication"),
        ],
    )


def test_a_camt054_notification_reads_whole_and_rrtn_alone_marks_a_return() -> None:
    assert parse_statement(fixture("camt054_v08.xml")) == BankStatement(
        "camt.054", "NTF20261206153000", "6222021001122334455", "CNY", None, None,
        [
            line("po_0003", 100000, True, "ICBC20261206R0009", is_return=True),
            line("po_0006", 7510, False, "ICBC20261206S0010"),
        ],
    )


def without_namespace(document: bytes) -> bytes:
    return re.sub(rb' xmlns="[^"]*"', b"", document, count=1)


@pytest.mark.parametrize("name", ["camt053_v08.xml", "camt053_v02.xml", "camt054_v08.xml"])
def test_a_document_without_namespace_reads_the_same(name: str) -> None:
    assert b"xmlns=" in fixture(name)
    assert parse_statement(without_namespace(fixture(name))) == parse_statement(fixture(name))


@pytest.mark.parametrize("version", ["04", "06", "10", "13"])
def test_any_version_of_the_namespace_is_read(version: str) -> None:
    document = fixture("camt053_v08.xml").replace(b"camt.053.001.08", b"camt.053.001." +
                                                  version.encode())
    assert parse_statement(document) == parse_statement(fixture("camt053_v08.xml"))


def test_a_reversal_indicator_alone_marks_a_return() -> None:
    document = fixture("camt054_v08.xml").replace(
        b"<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>",
        b"<CdtDbtInd>DBIT</CdtDbtInd>\n        <RvslInd>true</RvslInd>\n        <Sts>")
    assert [entry.is_return for entry in parse_statement(document).lines] == [True, True]


def refused(document: bytes) -> str:
    with pytest.raises(BankFileError) as raised:
        parse_statement(document)
    assert isinstance(raised.value, ProfitpoolError)
    return raised.value.message


def test_malformed_xml_is_refused() -> None:
    assert refused(fixture("camt053_v08.xml")[:-40]).startswith("not well-formed XML")
    assert refused(b"").startswith("not well-formed XML")
    assert refused(b"<Document><BkToCstmrStmt></Document>").startswith("not well-formed XML")


def test_another_document_is_refused() -> None:
    pain = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn/>'
    assert "namespace urn:iso:std:iso:20022:tech:xsd:pain.001.001.09" in refused(
        pain + b"</Document>")
    assert "no BkToCstmrStmt" in refused(b"<html><body>statement</body></html>")
    assert "no BkToCstmrStmt" in refused(b"<Document><CstmrCdtTrfInitn/></Document>")
    mixed = fixture("camt054_v08.xml").replace(b"camt.054.001.08", b"camt.053.001.08")
    assert "BkToCstmrDbtCdtNtfctn in a camt.053 namespace" in refused(mixed)


def test_an_entry_in_a_foreign_currency_is_refused() -> None:
    document = fixture("camt053_v08.xml").replace(b'<Amt Ccy="CNY">50.00</Amt>',
                                                  b'<Amt Ccy="USD">50.00</Amt>', 1)
    assert refused(document) == (
        "entry 2 (ICBC20261206S0002): currency USD, but the account's is CNY")


def test_a_batched_transaction_in_a_foreign_currency_is_refused() -> None:
    document = fixture("camt053_v08.xml").replace(b'<Amt Ccy="CNY">88.00</Amt>',
                                                  b'<Amt Ccy="HKD">88.00</Amt>', 1)
    assert "transaction 2: currency HKD" in refused(document)


@pytest.mark.parametrize("amount", [b"50.001", b"50.0000", b"-50.00", b"5e1", b"", b"50,00"])
def test_an_amount_that_is_not_fen_is_refused(amount: bytes) -> None:
    document = fixture("camt053_v08.xml").replace(b'<Amt Ccy="CNY">50.00</Amt>',
                                                  b'<Amt Ccy="CNY">' + amount + b"</Amt>", 1)
    assert refused(document).startswith("entry 2 (ICBC20261206S0002): ")


def test_a_balance_with_more_than_two_decimals_is_refused() -> None:
    document = fixture("camt053_v08.xml").replace(b"998827.50", b"998827.505")
    assert "balance CLBD" in refused(document)
    assert "at most 2 decimals" in refused(document)


def test_a_batch_that_does_not_add_up_is_refused() -> None:
    document = fixture("camt053_v08.xml").replace(b'<Amt Ccy="CNY">1000.00</Amt>',
                                                  b'<Amt Ccy="CNY">1000.01</Amt>', 1)
    assert refused(document) == ("entry 1 (ICBC20261206B0001): its 3 transactions add up to "
                                 "-120851 fen, the entry says 120850 DBIT")


def test_two_accounts_in_one_file_are_refused() -> None:
    document = fixture("camt054_v08.xml")
    start, end = document.index(b"<Ntfctn>"), document.index(b"</Ntfctn>") + len(b"</Ntfctn>")
    second = document[start:end].replace(b"6222021001122334455", b"6222021001199999999")
    assert "one account per file" in refused(document[:end] + second + document[end:])


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>&lol9;</MsgId><CreDtTm>2026-12-07T06:00:00</CreDtTm></GrpHdr>
</BkToCstmrStmt></Document>
"""


def test_a_billion_laughs_document_is_refused_without_expanding() -> None:
    assert "DTD" in refused(BILLION_LAUGHS)


def test_an_external_entity_is_neither_fetched_nor_read() -> None:
    document = (b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY secret SYSTEM '
                b'"file:///etc/passwd">]>\n<Document><BkToCstmrStmt><GrpHdr><MsgId>&secret;'
                b"</MsgId></GrpHdr></BkToCstmrStmt></Document>")
    assert "DTD" in refused(document)


def test_a_camt053_of_many_entries_is_read_in_order() -> None:
    """Entries are dropped once read; every one must still arrive, in order."""
    document = fixture("camt054_v08.xml")
    start = document.index(b"<Ntry>")
    end = document.rindex(b"</Ntry>") + len(b"</Ntry>")
    entry = document[start:document.index(b"</Ntry>") + len(b"</Ntry>")]
    entries = b"".join(entry.replace(b"po_0003", f"po_{number}".encode())
                       for number in range(2000))
    lines = parse_statement(document[:start] + entries + document[end:]).lines
    assert [item.end_to_end_id for item in lines] == [f"po_{number}" for number in range(2000)]


def test_a_dtd_the_prolog_scan_misses_is_still_refused() -> None:
    """A comment holding "<a" ends the quick scan early; the parser's own check remains."""
    hidden = BILLION_LAUGHS.replace(b"<!DOCTYPE", b"<!-- <a --><!DOCTYPE", 1)
    message = refused(hidden)
    assert "DTD" in message or "amplification" in message
    harmless = BILLION_LAUGHS.replace(b"&lol9;", b"M1").replace(b"<!DOCTYPE",
                                                                  b"<!-- <a --><!DOCTYPE", 1)
    assert "DTD" in refused(harmless)
