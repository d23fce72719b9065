"""write_pain001: read back by another library, valid against ISO's schema, checked before written.

The reader is pyiso20022's pain.001.001.09 model (generated from the ISO XSD by
xsdata), not our code: what it finds is what a bank's parser finds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from cashhelpers import CREATED, DEBTOR, EXECUTION, schema
from hypothesis import given, settings
from hypothesis import strategies as st
from pyiso20022.pain.pain_001_001_09 import Document
from xsdata.formats.dataclass.parsers import XmlParser

from profitpool.cash import PAIN001_NAMESPACE, Debtor, Transfer, write_pain001

PAYOUTS = [
    Transfer("po_0001", 12050, "张三", "6217001234567890123", None, "308584000013",
             "积分提现 po_0001"),
    Transfer("po_0002", 1, "Li & <Sons> \"Ltd\"", "6228480402564890018", "PCBCCNBJXXX"),
    Transfer("po_0003", 99_999_999_999, "Jane Doe", "DE89370400440532013000", "COBADEFFXXX",
             None, "a > b & c"),
]


def read_back(document: bytes) -> Document:
    return XmlParser().from_bytes(document, Document)


def test_every_transfer_reads_back_with_its_id_amount_name_and_account() -> None:
    initiation = read_back(write_pain001("PAYOUT-20261207", CREATED, DEBTOR, EXECUTION,
                                         PAYOUTS)).cstmr_cdt_trf_initn
    assert initiation.grp_hdr.msg_id == "PAYOUT-20261207"
    assert initiation.grp_hdr.nb_of_txs == "3"
    assert initiation.grp_hdr.ctrl_sum == Decimal("1000000120.50")
    [instruction] = initiation.pmt_inf
    assert (instruction.nb_of_txs, instruction.ctrl_sum) == ("3", Decimal("1000000120.50"))
    assert instruction.dbtr.nm == "杭州利润池科技有限公司"
    assert instruction.dbtr_acct.id.othr.id == "6222021001122334455"
    agent = instruction.dbtr_agt.fin_instn_id
    assert agent.bicfi == "ICBKCNBJZJP"
    assert (agent.clr_sys_mmb_id.clr_sys_id.cd, agent.clr_sys_mmb_id.mmb_id) == (
        "CNAPS", "102331000015")
    assert str(instruction.reqd_exctn_dt.dt) == "2026-12-07"
    read = [
        (tx.pmt_id.instr_id, tx.pmt_id.end_to_end_id, tx.amt.instd_amt.value,
         tx.amt.instd_amt.ccy, tx.cdtr.nm, tx.cdtr_acct.id.othr and tx.cdtr_acct.id.othr.id,
         tx.cdtr_acct.id.iban, tx.rmt_inf and tx.rmt_inf.ustrd)
        for tx in instruction.cdt_trf_tx_inf
    ]
    assert read == [
        ("po_0001", "po_0001", Decimal("120.50"), "CNY", "张三", "6217001234567890123", None,
         ["积分提现 po_0001"]),
        ("po_0002", "po_0002", Decimal("0.01"), "CNY", 'Li & <Sons> "Ltd"',
         "6228480402564890018", None, None),
        ("po_0003", "po_0003", Decimal("999999999.99"), "CNY", "Jane Doe", None,
         "DE89370400440532013000", ["a > b & c"]),
    ]
    creditor_banks = [tx.cdtr_agt and tx.cdtr_agt.fin_instn_id for tx in instruction.cdt_trf_tx_inf]
    assert creditor_banks[0].clr_sys_mmb_id.mmb_id == "308584000013"
    assert creditor_banks[0].bicfi is None
    assert creditor_banks[1].bicfi == "PCBCCNBJXXX"


def test_the_document_is_valid_against_the_official_xsd() -> None:
    document = write_pain001("PAYOUT-20261207", CREATED, DEBTOR, EXECUTION, PAYOUTS)
    schema("pain.001.001.09").validate(document.decode("utf-8"))
    assert f'xmlns="{PAIN001_NAMESPACE}"'.encode() in document


def test_chinese_text_is_written_as_utf8_not_as_character_references() -> None:
    document = write_pain001("M1", CREATED, DEBTOR, EXECUTION, PAYOUTS[:1])
    assert "<Nm>张三</Nm>".encode() in document
    assert b"&#" not in document


def test_an_account_that_only_looks_like_an_iban_goes_as_other_id() -> None:
    """The IBAN checksum decides: DE00... fails mod 97, so it is not sent as an IBAN."""
    bad_checksum = Transfer("po_1", 100, "A", "DE00370400440532013000")
    [tx] = read_back(write_pain001("M1", CREATED, DEBTOR, EXECUTION, [bad_checksum])
                     ).cstmr_cdt_trf_initn.pmt_inf[0].cdt_trf_tx_inf
    assert (tx.cdtr_acct.id.iban, tx.cdtr_acct.id.othr.id) == (None, "DE00370400440532013000")


@pytest.mark.parametrize(("transfers", "message"), [
    ([Transfer("p" * 36, 100, "A", "1")], "end_to_end_id must be 1 to 35"),
    ([Transfer("", 100, "A", "1")], "end_to_end_id must be 1 to 35"),
    ([Transfer("po_1", 100, "A", "1"), Transfer("po_1", 200, "B", "2")], "repeated"),
    ([Transfer("po_1", 0, "A", "1")], "not positive fen"),
    ([Transfer("po_1", -5, "A", "1")], "not positive fen"),
    ([Transfer("po_1", 10**18, "A", "1")], "not positive fen"),
    ([Transfer("po_1", 1.5, "A", "1")], "not positive fen"),  # type: ignore[arg-type]
    ([Transfer("po_1", True, "A", "1")], "not positive fen"),
    ([Transfer("po_1", 100, "x" * 141, "1")], "creditor_name must be 1 to 140"),
    ([Transfer("po_1", 100, "A\x00B", "1")], "transfer 0: creditor_name has a control"),
    ([Transfer("po_1", 100, "A", "1", None, None, "line\nbreak")], "transfer 0: remittance"),
    ([Transfer("po_1", 100, "A", "1", "NOTABIC")], "is not 8 or 11"),
    ([], "at least one transfer"),
])
def test_a_bad_transfer_is_refused_before_anything_is_written(
    transfers: list[Transfer], message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        write_pain001("M1", CREATED, DEBTOR, EXECUTION, transfers)


def test_a_naive_time_a_bad_currency_or_an_unaddressed_bank_is_refused() -> None:
    one = [Transfer("po_1", 100, "A", "1")]
    with pytest.raises(ValueError, match="UTC offset"):
        write_pain001("M1", datetime(2026, 12, 7, 9), DEBTOR, EXECUTION, one)
    with pytest.raises(ValueError, match="not a datetime"):
        write_pain001("M1", CREATED, DEBTOR, CREATED, one)
    with pytest.raises(ValueError, match="ISO 4217"):
        write_pain001("M1", CREATED, DEBTOR, EXECUTION, one, currency="rmb")
    with pytest.raises(ValueError, match="BIC or a CNAPS"):
        write_pain001("M1", CREATED, Debtor("Us", "1", None, None), EXECUTION, one)
    with pytest.raises(ValueError, match="message_id"):
        write_pain001("M" * 36, CREATED, DEBTOR, EXECUTION, one)


# Text a bank's parser must give back unchanged: no control characters (refused by the
# writer), no surrogates; XML's own special characters and CJK included on purpose.
texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"),
                           exclude_characters="\ufffe\uffff"),
    min_size=1,
).filter(lambda text: not text.isspace())
transfer_lists = st.lists(
    st.builds(
        Transfer,
        end_to_end_id=texts.filter(lambda text: len(text) <= 35),
        amount_fen=st.integers(1, 10**17),
        creditor_name=texts.filter(lambda text: len(text) <= 140),
        creditor_account=st.from_regex(r"[0-9]{12,25}", fullmatch=True),
        creditor_agent_bic=st.sampled_from([None, "ICBKCNBJ", "BKCHCNBJ110"]),
        creditor_agent_member_id=st.sampled_from([None, "308584000013"]),
        remittance=st.one_of(st.just(""), texts.filter(lambda text: len(text) <= 140)),
    ),
    min_size=1, max_size=20, unique_by=lambda transfer: transfer.end_to_end_id,
)


@settings(max_examples=150, deadline=None)
@given(transfer_lists)
def test_any_transfers_read_back_the_same_and_ctrl_sum_is_their_sum(
    transfers: list[Transfer],
) -> None:
    document = write_pain001("PAYOUT-H", CREATED, DEBTOR, EXECUTION, transfers)
    initiation = read_back(document).cstmr_cdt_trf_initn
    [instruction] = initiation.pmt_inf
    read = [(tx.pmt_id.end_to_end_id, tx.pmt_id.instr_id, tx.amt.instd_amt.value, tx.cdtr.nm,
             tx.cdtr_acct.id.othr.id, tx.rmt_inf.ustrd if tx.rmt_inf else [])
            for tx in instruction.cdt_trf_tx_inf]
    assert read == [(t.end_to_end_id, t.end_to_end_id, Decimal(t.amount_fen) / 100,
                     t.creditor_name, t.creditor_account, [t.remittance] if t.remittance else [])
                    for t in transfers]
    total = Decimal(sum(t.amount_fen for t in transfers)) / 100
    assert initiation.grp_hdr.ctrl_sum == instruction.ctrl_sum == total
    assert initiation.grp_hdr.nb_of_txs == instruction.nb_of_txs == str(len(transfers))
    schema("pain.001.001.09").validate(document.decode("utf-8"))
