"""The payout file: an ISO 20022 pain.001.001.09 customer credit transfer initiation.

One message, one payment instruction (``PmtInf``) from our account, one
``CdtTrfTxInf`` per payout. Our payout id travels as the EndToEndId, which the
bank returns untouched in its camt.053/camt.054 lines: that is how a booked or
returned payment finds its payout (docs/bank-files.md, "Field mapping").

The XML is built as text, one f-string per transfer, escaped by ``str.replace``
where a ``&``, ``<`` or ``>`` occurs, not as a tree: a million transfers take
seconds, and the bytes are exactly what the docs show.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Final, NamedTuple

from ..money import format_fen

PAIN001_NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

_MAX35: Final = 35
_MAX140: Final = 140
_MAX_ACCOUNT: Final = 34  # Othr/Id is Max34Text
_MAX_AMOUNT_FEN: Final = 10**18 - 1  # totalDigits 18
_BIC = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
_CURRENCY = re.compile(r"[A-Z]{3}")
# Control characters (XML 1.0 cannot carry most of them, and a parser turns CR into LF:
# none belongs in a name, an id or a remittance line), lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_NOT_XML_BUT_LF = re.compile("[\x00-\x09\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_CNAPS: Final = "CNAPS"  # ExternalClearingSystemIdentification1Code of China's CNAPS


class Debtor(NamedTuple):
    """Our side: the account the payouts leave from, and its bank."""

    name: str
    account: str
    agent_bic: str | None
    agent_member_id: str | None
    """The bank's CNAPS code (12 digits), for banks addressed by clearing code."""


class Transfer(NamedTuple):
    """One payout: ``end_to_end_id`` is our payout id, returned by the bank in every report."""

    end_to_end_id: str
    amount_fen: int
    creditor_name: str
    creditor_account: str
    creditor_agent_bic: str | None = None
    creditor_agent_member_id: str | None = None
    remittance: str = ""


def write_pain001(
    message_id: str,
    created_at: datetime,
    debtor: Debtor,
    execution_date: date,
    transfers: Sequence[Transfer],
    currency: str = "CNY",
) -> bytes:
    """The pain.001.001.09 document paying ``transfers`` from ``debtor``'s account, UTF-8.

    Everything is checked before a byte is written, so a file either carries
    every transfer or none.

    Raises:
        ValueError: an id longer than 35 characters or repeated, an amount that is
            not a positive int of fen, a text too long or with a character XML
            cannot carry, a naive ``created_at``, a malformed BIC or currency,
            no transfers, or a debtor bank given neither by BIC nor CNAPS code.
    """
    _check_text("message_id", message_id, _MAX35)
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise ValueError("created_at must carry its UTC offset (ISO 20022 ISODateTime)")
    if isinstance(execution_date, datetime):
        raise ValueError("execution_date is a day (ReqdExctnDt/Dt), not a datetime")
    if not _CURRENCY.fullmatch(currency):
        raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
    if not transfers:
        raise ValueError("a pain.001 needs at least one transfer")
    _check_text("debtor.name", debtor.name, _MAX140)
    if debtor.agent_bic is None and debtor.agent_member_id is None:
        raise ValueError("the debtor's bank needs a BIC or a CNAPS member id")
    debtor_agent = _agent("debtor", debtor.agent_bic, debtor.agent_member_id)
    _check_text("debtor.account", debtor.account, _MAX_ACCOUNT)
    debtor_account = _account("debtor.account", debtor.account)

    seen: set[str] = set()
    agents: dict[tuple[str | None, str | None], str] = {}  # a few banks serve most creditors
    total_fen = 0
    parts: list[str] = []
    append = parts.append
    for number, transfer in enumerate(transfers):
        end_to_end_id, amount_fen, name, account, bic, member_id, remittance = transfer
        if type(amount_fen) is not int or not 0 < amount_fen <= _MAX_AMOUNT_FEN:
            raise ValueError(f"transfer {number}: amount_fen {amount_fen!r} is not positive fen")
        if end_to_end_id in seen:
            raise ValueError(f"transfer {number}: end_to_end_id {end_to_end_id!r} is repeated")
        # Inline length checks first: a call per field costs a second per million transfers.
        if (type(end_to_end_id) is not str or not 0 < len(end_to_end_id) <= _MAX35
                or end_to_end_id.isspace()):
            _check_length(f"transfer {number}: end_to_end_id", end_to_end_id, _MAX35)
        if type(name) is not str or not 0 < len(name) <= _MAX140 or name.isspace():
            _check_length(f"transfer {number}: creditor_name", name, _MAX140)
        seen.add(end_to_end_id)
        total_fen += amount_fen
        agent = ""
        if bic is not None or member_id is not None:
            agent = agents.get((bic, member_id), "")
            if not agent:
                agent = agents[bic, member_id] = "<CdtrAgt>" + _agent(
                    f"transfer {number}: creditor", bic, member_id) + "</CdtrAgt>"
        if remittance:
            if type(remittance) is not str or len(remittance) > _MAX140 or remittance.isspace():
                _check_length(f"transfer {number}: remittance", remittance, _MAX140)
            remittance = f"<RmtInf><Ustrd>{_escape(remittance)}</Ustrd></RmtInf>"
        escaped_id = _escape(end_to_end_id)
        append(
            f"<CdtTrfTxInf><PmtId><InstrId>{escaped_id}</InstrId>"
            f"<EndToEndId>{escaped_id}</EndToEndId></PmtId>"
            f'<Amt><InstdAmt Ccy="{currency}">{format_fen(amount_fen)}</InstdAmt></Amt>'
            f"{agent}<Cdtr><Nm>{_escape(name)}</Nm></Cdtr>"
            f"<CdtrAcct>{_account(f'transfer {number}: creditor_account', account)}</CdtrAcct>"
            f"{remittance}</CdtTrfTxInf>\n"
        )
    body = "".join(parts)
    # One scan of the whole text, then the culprit found the slow way; each transfer ends
    # in the one line feed it adds, so any other is in a field.
    if _NOT_XML_BUT_LF.search(body) or body.count("\n") != len(transfers):
        for number, transfer in enumerate(transfers):
            for field in ("end_to_end_id", "creditor_name", "creditor_account", "remittance"):
                _check_text(f"transfer {number}: {field}", getattr(transfer, field) or "x", 1000)

    count = len(transfers)
    control_sum = format_fen(total_fen)
    escaped_message_id = _escape(message_id)
    debtor_name = _escape(debtor.name)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{PAIN001_NAMESPACE}">\n<CstmrCdtTrfInitn>\n'
        f"<GrpHdr><MsgId>{escaped_message_id}</MsgId>"
        f"<CreDtTm>{created_at.isoformat(timespec='seconds')}</CreDtTm>"
        f"<NbOfTxs>{count}</NbOfTxs><CtrlSum>{control_sum}</CtrlSum>"
        f"<InitgPty><Nm>{debtor_name}</Nm></InitgPty></GrpHdr>\n"
        f"<PmtInf><PmtInfId>{escaped_message_id}</PmtInfId><PmtMtd>TRF</PmtMtd>"
        f"<NbOfTxs>{count}</NbOfTxs><CtrlSum>{control_sum}</CtrlSum>"
        f"<ReqdExctnDt><Dt>{execution_date.isoformat()}</Dt></ReqdExctnDt>"
        f"<Dbtr><Nm>{debtor_name}</Nm></Dbtr><DbtrAcct>{debtor_account}</DbtrAcct>"
        f"<DbtrAgt>{debtor_agent}</DbtrAgt><ChrgBr>SLEV</ChrgBr>\n"
    )
    tail = "</PmtInf>\n</CstmrCdtTrfInitn>\n</Document>\n"
    return (head + body + tail).encode("utf-8")


def _escape(text: str) -> str:
    """Text as XML character data; ``str.replace`` only where needed beats ``str.translate``."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _check_length(field: str, text: str, max_length: int) -> None:
    """ISO's MaxNText: 1 to ``max_length`` characters, not all blank."""
    if type(text) is not str or not text or len(text) > max_length or text.isspace():
        raise ValueError(f"{field} must be 1 to {max_length} characters, not {text!r}")


def _check_text(field: str, text: str, max_length: int) -> None:
    """:func:`_check_length`, and no character that XML 1.0 forbids."""
    _check_length(field, text, max_length)
    if _NOT_XML.search(text):
        raise ValueError(f"{field} has a control character or one XML cannot carry: {text!r}")


def _account(field: str, account: str) -> str:
    """``<Id>`` of an account: ``IBAN`` when it is one (checksum and all), else ``Othr/Id``.

    Chinese accounts (digits, 12 to 25 of them) are never IBANs: China has none.
    """
    _check_length(field, account, _MAX_ACCOUNT)
    if account[:2].isalpha() and _IBAN.fullmatch(account) and _iban_checksum_holds(account):
        return f"<Id><IBAN>{account}</IBAN></Id>"
    return f"<Id><Othr><Id>{_escape(account)}</Id></Othr></Id>"


def _iban_checksum_holds(iban: str) -> bool:
    """ISO 13616 mod 97: the first four characters moved to the end, letters as 10..35."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _agent(party: str, bic: str | None, member_id: str | None) -> str:
    """``<FinInstnId>`` by BICFI, CNAPS clearing code, or both (CBPR+ allows the pair)."""
    inner = ""
    if bic is not None:
        if not _BIC.fullmatch(bic):
            raise ValueError(f"{party} agent BIC {bic!r} is not 8 or 11 letters and digits")
        inner = f"<BICFI>{bic}</BICFI>"
    if member_id is not None:
        _check_text(f"{party} agent member id", member_id, _MAX35)
        inner += (f"<ClrSysMmbId><ClrSysId><Cd>{_CNAPS}</Cd></ClrSysId>"
                  f"<MmbId>{_escape(member_id)}</MmbId></ClrSysMmbId>")
    return f"<FinInstnId>{inner}</FinInstnId>"
