"""Reading a bank's camt.053 statement or camt.054 notification into a BankStatement.

Any version (camt.05x.001.02 to .14 share the elements read here) and documents
without a namespace. The file is streamed (lxml ``iterparse``): each entry is
read when it ends and then dropped, so a million transactions fit in a few
hundred megabytes and take seconds.

Hostile files are refused, not expanded: the parser resolves no entities, loads
no DTD, never touches the network, and a document with a DOCTYPE at all is
rejected (no bank sends one).

What is read where (docs/bank-files.md, "Field mapping")::

    GrpHdr/MsgId                          message_id
    Stmt|Ntfctn/Acct/Id/IBAN | Othr/Id    account
    Stmt|Ntfctn/Acct/Ccy                  currency (else the first amount's Ccy)
    Stmt/Bal[Tp/CdOrPrtry/Cd=OPBD|PRCD]   opening      (DBIT: negative)
    Stmt/Bal[Tp/CdOrPrtry/Cd=CLBD]        closing
    Ntry                                  one line, or one per TxDtls in a batch
"""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from typing import Final, Literal, NamedTuple

from lxml import etree

from .statement import Balance, BankFileError, BankStatement, StatementLine, parse_fen

_START_TAG = re.compile(rb"<[A-Za-z_]")
_PROLOG_SCAN: Final = 65536  # bytes in which the root element's start tag is looked for
_NO_DTD: Final = "the document has a DTD (DOCTYPE): refused, no bank statement has one"
_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.\d\d")
_MESSAGES: Final = {"BkToCstmrStmt": "camt.053", "BkToCstmrDbtCdtNtfctn": "camt.054"}
_REPORTS: Final = frozenset({"Stmt", "Ntfctn"})
_TAGS: Final = ("{*}Document", "{*}BkToCstmrStmt", "{*}BkToCstmrDbtCdtNtfctn", "{*}GrpHdr",
                "{*}Stmt", "{*}Ntfctn", "{*}Acct", "{*}Bal", "{*}Ntry")
_OPENING: Final = ("OPBD", "PRCD")
_CLOSING: Final = "CLBD"
_NOT_PROVIDED: Final = "NOTPROVIDED"
_RETURN_SUBFAMILY: Final = "RRTN"
_ENTRY_FIELDS: Final = ("Amt", "CdtDbtInd", "Sts", "BookgDt", "AcctSvcrRef", "RvslInd", "BkTxCd",
                        "NtryDtls", "Refs", "EndToEndId", "AmtDtls", "RtrInf")


def parse_statement(data: bytes) -> BankStatement:
    """Read a camt.053 or camt.054 document, every entry a :class:`StatementLine`.

    Raises:
        BankFileError: not well-formed XML, a DTD, not a camt.053/camt.054, two
            accounts in one file, an amount with more than 2 decimals or in another
            currency than the account's, a batch whose transactions do not add up
            to the entry.
    """
    start_tag = _START_TAG.search(data, 0, _PROLOG_SCAN)
    if b"<!DOCTYPE" in data[:start_tag.start() if start_tag else _PROLOG_SCAN]:
        raise BankFileError(_NO_DTD)
    reader = _Reader()
    try:
        reader.read(data)
    except etree.XMLSyntaxError as error:
        raise BankFileError(f"not well-formed XML: {error}") from None
    return reader.statement()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class _Reader:
    """The state of one streamed document: what the header and each report said so far."""

    def __init__(self) -> None:
        self.kind: Literal["camt.053", "camt.054"] | None = None
        self.q = ""  # "{namespace}" of the document, to find children by their full tag
        self.names: dict[str, str] = {}  # full tag -> local name, of the fields entries have
        self.message_id: str | None = None
        self.account: str | None = None
        self.currency: str | None = None
        self.opening: Balance | None = None
        self.closing: Balance | None = None
        self.report_number = 0
        self.entry_number = 0
        self.lines: list[StatementLine] = []

    def read(self, data: bytes) -> None:
        events = etree.iterparse(
            BytesIO(data), events=("start", "end"), tag=_TAGS, resolve_entities=False,
            no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
            remove_comments=True, remove_pis=True,
        )
        checked_dtd = False
        local_names: dict[str, str] = {}
        for event, element in events:
            if not checked_dtd:
                checked_dtd = True
                if element.getroottree().docinfo.doctype:  # one the prolog scan missed
                    raise BankFileError(_NO_DTD)
            tag = element.tag
            name = local_names.get(tag)
            if name is None:
                name = local_names[tag] = _local(tag)
            if event == "start":
                self._start(name, element)
            elif name == "Ntry":
                self._entry(element)
                element.clear(keep_tail=False)
                parent = element.getparent()
                if parent is not None:  # drop the entries read so far: memory stays flat
                    while element.getprevious() is not None:
                        del parent[0]
            elif self.kind is None:
                continue
            elif name == "GrpHdr":
                self.message_id = _text(element.findtext(self.q + "MsgId"))
            elif name == "Acct" and _parent_name(element) in _REPORTS:
                self._account(element)
            elif name == "Bal" and _parent_name(element) in _REPORTS:
                self._balance(element)

    def _start(self, name: str, element: etree._Element) -> None:
        if name == "Document":
            namespace = etree.QName(element).namespace
            if namespace is not None and not _NAMESPACE.fullmatch(namespace):
                raise BankFileError(f"not a camt.053 or camt.054 document: namespace {namespace}")
            self.q = "" if namespace is None else "{" + namespace + "}"
            self.names = {self.q + name: name for name in _ENTRY_FIELDS}
        elif name in _MESSAGES:
            if self.kind is not None or _parent_name(element) != "Document":
                raise BankFileError(f"{name} where a camt document's only message belongs")
            kind = _MESSAGES[name]
            namespace = etree.QName(element).namespace
            match = _NAMESPACE.fullmatch(namespace) if namespace else None
            if match and match.group(1) != kind:
                raise BankFileError(f"{name} in a {match.group(1)} namespace")
            self.kind = "camt.053" if kind == "camt.053" else "camt.054"
        elif name in _REPORTS:
            self.report_number += 1
        elif self.kind is None and name == "Ntry":
            raise BankFileError("not a camt.053 or camt.054 document: an entry outside one")

    def statement(self) -> BankStatement:
        if self.kind is None:
            raise BankFileError("not a camt.053 or camt.054 document: no BkToCstmrStmt or "
                                "BkToCstmrDbtCdtNtfctn in a Document")
        return BankStatement(self.kind, self.message_id, self.account, self.currency,
                             self.opening, self.closing, self.lines)

    def _account(self, acct: etree._Element) -> None:
        q = self.q
        account = _text(acct.findtext(f"{q}Id/{q}IBAN")) or _text(
            acct.findtext(f"{q}Id/{q}Othr/{q}Id"))
        if self.account is not None and account != self.account:
            raise BankFileError(f"report {self.report_number}: account {account}, but the file "
                                f"began with {self.account}: one account per file")
        self.account = account
        currency = _text(acct.findtext(q + "Ccy"))
        if currency is not None:
            self._same_currency(currency, f"report {self.report_number}: account")

    def _same_currency(self, currency: str | None, where: str) -> str:
        """``currency``, checked against the account's (the first one seen is the account's)."""
        if currency is None:
            raise BankFileError(f"{where}: the amount has no currency (Ccy)")
        if self.currency is None:
            self.currency = currency
        elif currency != self.currency:
            raise BankFileError(f"{where}: currency {currency}, but the account's is "
                                f"{self.currency}")
        return currency

    def _balance(self, bal: etree._Element) -> None:
        q = self.q
        code = _text(bal.findtext(f"{q}Tp/{q}CdOrPrtry/{q}Cd"))
        if code not in _OPENING and code != _CLOSING:
            return  # available, interim, forward balances: not what we reconcile
        where = f"report {self.report_number}: balance {code}"
        amount = bal.find(q + "Amt")
        if amount is None:
            raise BankFileError(f"{where}: the amount is missing")
        self._same_currency(amount.get("Ccy"), where)
        amount_fen = parse_fen(amount.text, where)
        if _text(bal.findtext(q + "CdtDbtInd")) == "DBIT":
            amount_fen = -amount_fen
        balance = Balance(amount_fen, _date(bal.find(q + "Dt"), where))
        if code == _CLOSING:
            self.closing = balance  # of the file's last report
        elif self.opening is None:
            self.opening = balance  # of its first

    def _entry(self, ntry: etree._Element) -> None:
        """One ``Ntry``: its children read in one pass (a find per field costs 3x as much)."""
        if self.kind is None:
            raise BankFileError("not a camt.053 or camt.054 document: an entry outside one")
        self.entry_number += 1
        names = self.names
        amount = direction = status = booked = entry_ref = None
        entry_return = False
        transactions: list[etree._Element] = []
        for child in ntry:
            name = names.get(child.tag)
            if name == "Amt":
                amount = child
            elif name == "CdtDbtInd":
                direction = child.text
            elif name == "Sts":  # <Sts>BOOK</Sts> up to .03, <Sts><Cd>BOOK</Cd></Sts> from .04
                status = _text(child[0].text if len(child) else child.text)
            elif name == "BookgDt":
                booked = child
            elif name == "AcctSvcrRef":
                entry_ref = _text(child.text)
            elif name == "RvslInd":
                entry_return = entry_return or _text(child.text) in ("true", "1")
            elif name == "BkTxCd":
                entry_return = entry_return or self._is_return_code(child)
            elif name == "NtryDtls":
                tx_tag = self.q + "TxDtls"
                transactions.extend(tx for tx in child if tx.tag == tx_tag)
        where = f"entry {self.entry_number}" + (f" ({entry_ref})" if entry_ref else "")
        if amount is None:
            raise BankFileError(f"{where}: the amount is missing")
        currency = self._same_currency(amount.get("Ccy"), where)
        amount_fen = parse_fen(amount.text, where)
        credit = _direction(direction, where)
        if status is None:
            raise BankFileError(f"{where}: the status (Sts) is missing")
        booking_date = _date(booked, where)
        if not transactions:
            self.lines.append(StatementLine(
                None, amount_fen, currency, credit, booking_date, status, entry_ref,
                entry_return, None, None))
            return
        batched = len(transactions) > 1
        signed_total = 0
        for number, tx in enumerate(transactions, 1):
            line = self._transaction(tx, f"{where}, transaction {number}", batched)
            if batched:
                tx_credit = credit if line.credit is None else line.credit
                signed_total += line.amount_fen if tx_credit else -line.amount_fen
                tx_fen = line.amount_fen
            else:
                tx_fen, tx_credit = amount_fen, credit
            self.lines.append(StatementLine(
                line.end_to_end_id, tx_fen, currency, tx_credit, booking_date, status,
                line.bank_reference or entry_ref, entry_return or line.is_return,
                line.return_reason, line.return_info))
        if batched and signed_total != (amount_fen if credit else -amount_fen):
            raise BankFileError(f"{where}: its {len(transactions)} transactions add up to "
                                f"{signed_total} fen, the entry says {amount_fen} "
                                f"{'CRDT' if credit else 'DBIT'}")

    def _transaction(self, tx: etree._Element, where: str, batched: bool) -> _Transaction:
        """What one ``TxDtls`` says; its amount is read (and needed) only in a batch."""
        names = self.names
        end_to_end_id = reference = reason = info = None
        credit: bool | None = None
        amount_fen = 0
        amount = tx_amount = None
        is_return = False
        for child in tx:
            name = names.get(child.tag)
            if name == "Refs":
                for ref in child:
                    ref_name = names.get(ref.tag)
                    if ref_name == "EndToEndId":
                        end_to_end_id = _text(ref.text)
                    elif ref_name == "AcctSvcrRef":
                        reference = _text(ref.text)
            elif name == "Amt":
                amount = child
            elif name == "AmtDtls":
                tx_amount = child.find(f"{self.q}TxAmt/{self.q}Amt")
            elif name == "CdtDbtInd":
                credit = _direction(child.text, where)
            elif name == "BkTxCd":
                is_return = is_return or self._is_return_code(child)
            elif name == "RtrInf":
                is_return = True
                reason, info = self._return_reason(child)
        if end_to_end_id == _NOT_PROVIDED:
            end_to_end_id = None
        if batched:
            amount = amount if amount is not None else tx_amount
            if amount is None:
                raise BankFileError(f"{where}: a batched transaction without its amount")
            self._same_currency(amount.get("Ccy"), where)
            amount_fen = parse_fen(amount.text, where)
        return _Transaction(end_to_end_id, amount_fen, credit, reference, is_return, reason, info)

    def _return_reason(self, return_info: etree._Element) -> tuple[str | None, str | None]:
        """RtrInf: the reason code (Rsn/Cd, else Rsn/Prtry) and AddtlInf lines joined."""
        q = self.q
        reason = _text(return_info.findtext(f"{q}Rsn/{q}Cd")) or _text(
            return_info.findtext(f"{q}Rsn/{q}Prtry"))
        texts = [_text(line.text) for line in return_info.iterfind(q + "AddtlInf")]
        return reason, " ".join(text for text in texts if text) or None

    def _is_return_code(self, code: etree._Element) -> bool:
        """Bank transaction code PMNT / ICDT|RCDT / RRTN: the payment came back."""
        # SubFmlyCd occurs only at Domn/Fmly/SubFmlyCd; a descendant walk in C is 5x a path find
        for subfamily in code.iterdescendants(self.q + "SubFmlyCd"):
            return _text(subfamily.text) == _RETURN_SUBFAMILY
        return False


class _Transaction(NamedTuple):
    end_to_end_id: str | None
    amount_fen: int
    credit: bool | None
    bank_reference: str | None
    is_return: bool
    return_reason: str | None
    return_info: str | None


def _direction(text: str | None, where: str) -> bool:
    indicator = _text(text)
    if indicator == "CRDT":
        return True
    if indicator == "DBIT":
        return False
    raise BankFileError(f"{where}: CdtDbtInd is {indicator!r}, not CRDT or DBIT")


def _date(element: etree._Element | None, where: str) -> date | None:
    """The date of a DateAndDateTime choice: its one child, ``<Dt>`` or ``<DtTm>``."""
    if element is None or not len(element):
        return None
    text = _text(element[0].text)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise BankFileError(f"{where}: {text!r} is not a date") from None


def _parent_name(element: etree._Element) -> str | None:
    parent = element.getparent()
    return None if parent is None else _local(parent.tag)


def _text(text: str | None) -> str | None:
    """An element's text without the whitespace around it; None for none or blank."""
    if text is None:
        return None
    return text.strip() or None
