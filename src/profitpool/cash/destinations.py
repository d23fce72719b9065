"""Payout destinations: the bank accounts a payout names by an opaque id, sealed.

A payout names a party (``member:<pseudonym>``, ``merchant:<id>``,
``lender:<id>``) and a *destination*: ``dst_`` and 128 random bits, never an
account number. What the id stands for (account number, holder's name, bank,
bank code) is personal data: it is sealed with the data key (log/datakey.py,
the one way profitpool seals data; the destination's id and party are bound to
it as authenticated context, so a sealed value moved to another row does not
open) and kept outside the log, in ``payout_destinations``
(store/destinations.py). Erasing a member deletes theirs (members/erasure.py).

A destination starts ``unverified``. The format checks here only refuse
garbage; it becomes ``verified`` when the operator confirms it (the bank's
account-name check, or a first payout that arrived), or ``failed`` with the
bank's reason. Payments go only to verified ones (:func:`verified_destinations`).
docs/privacy.md, "Payout destinations", says who sees what.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Iterable
from typing import Final, NamedTuple

import orjson
from sqlalchemy import Connection

from ..engine.commands import check_id
from ..errors import Rejected
from ..gcpause import paused_gc
from ..members.directory import Directory
from ..store.destinations import DestinationRow, DestinationStore

FIELDS: Final = ("account", "name", "bank", "bank_code")
REQUIRED: Final = ("account", "name")
STATUSES: Final = ("unverified", "verified", "failed")
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "verified": ("unverified",),
    "failed": ("unverified", "verified"),
}
"""For each status, the statuses a destination may reach it from. A verified account
can fail later (closed, frozen: the bank returns a payout); a failed one stays failed
(the party adds a new destination)."""
PARTY_KINDS: Final = ("member", "merchant", "lender")
MAX_NAME: Final = 140
"""ISO 20022's Max140Text: the longest name (creditor, or bank) a payment message holds."""
MAX_REASON: Final = 500
ID_PREFIX: Final = "dst_"
CARD_LENGTHS: Final = range(16, 20)
CARD_PREFIX: Final = "62"
"""UnionPay's issuer prefix. Its card numbers (16-19 digits) end in a Luhn check digit;
bank *accounts* of the same lengths do not (an ICBC company account is 19 digits with
none), so only a number that is a card is held to the check."""

_ACCOUNT: Final = re.compile(r"[0-9A-Z]{6,34}")
_CNAPS: Final = re.compile(r"[0-9]{12}")
_BIC: Final = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


class Destination(NamedTuple):
    """One destination, opened."""

    id: str
    party: str
    status: str
    reason: str
    """Why it failed ("" unless failed)."""
    fields: dict[str, str]
    """``account`` and ``name``, and ``bank`` and ``bank_code`` if given."""
    created_us: int
    updated_us: int


class DestinationSummary(NamedTuple):
    """One destination as a list shows it: nothing sealed, so nothing opened."""

    id: str
    party: str
    status: str
    reason: str
    created_us: int
    updated_us: int


def _context(destination_id: str, party: str) -> bytes:
    return f"payout destination\x00{destination_id}\x00{party}".encode()


def _now_us() -> int:
    return time.time_ns() // 1000


def _store(directory: Directory) -> DestinationStore:
    return DestinationStore(directory.store.engine)


# checks ----------------------------------------------------------------------
def luhn_ok(digits: str) -> bool:
    """Whether ``digits`` ends in a correct Luhn check digit (ISO/IEC 7812-1)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _text(field: str, value: str) -> str:
    text = value.strip()
    if len(text) > MAX_NAME or not text.isprintable():
        raise Rejected("invalid_command", f"{field} must be at most {MAX_NAME} printable "
                       "characters (no line breaks or control characters)")
    return text


def _account(value: str) -> str:
    account = value.replace(" ", "").upper()
    if not _ACCOUNT.fullmatch(account):
        raise Rejected("invalid_command", "account must be 6-34 digits or letters "
                       "(spaces are ignored)")
    if (account.isdigit() and len(account) in CARD_LENGTHS
            and account.startswith(CARD_PREFIX) and not luhn_ok(account)):
        raise Rejected("invalid_command", "account looks like a UnionPay card number but "
                       "its check digit is wrong: a digit is mistyped")
    return account


def _bank_code(value: str) -> str:
    code = value.replace(" ", "").upper()
    if not (_CNAPS.fullmatch(code) or _BIC.fullmatch(code)):
        raise Rejected("invalid_command", "bank_code must be a 12-digit CNAPS code or an "
                       "8- or 11-character BIC")
    return code


def check_destination(fields: dict[str, object]) -> dict[str, str]:
    """The destination's fields, normalised: the account without spaces and in capitals,
    the texts trimmed, the bank code in capitals; empty ones left out.

    Raises:
        Rejected(invalid_command): an unknown field; a value that is not text; no account
            or no name; an account that is not 6-34 digits or letters, or a UnionPay card
            number whose Luhn check digit is wrong; a name or bank longer than 140
            characters or with control characters; a bank code that is neither a CNAPS
            code nor a BIC.
    """
    if not isinstance(fields, dict):
        raise Rejected("invalid_command", "a destination is an object of "
                       f"{', '.join(FIELDS)}")
    unknown = sorted(str(name) for name in set(fields) - set(FIELDS))
    if unknown:
        raise Rejected("invalid_command", f"unknown destination field(s): {', '.join(unknown)} "
                       f"(known: {', '.join(FIELDS)})")
    given: dict[str, str] = {}
    for name in FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if type(value) is not str:
            raise Rejected("invalid_command", f"{name} must be text")
        if value.strip():
            given[name] = value
    missing = [name for name in REQUIRED if name not in given]
    if missing:
        raise Rejected("invalid_command", f"a destination needs {' and '.join(missing)}")
    checked = {"account": _account(given["account"]), "name": _text("name", given["name"])}
    if "bank" in given:
        checked["bank"] = _text("bank", given["bank"])
    if "bank_code" in given:
        checked["bank_code"] = _bank_code(given["bank_code"])
    return checked


def check_party(party: object) -> str:
    """``party`` if it is ``member:<id>``, ``merchant:<id>`` or ``lender:<id>``.

    Raises:
        Rejected(invalid_id): anything else.
    """
    if type(party) is not str or party.partition(":")[0] not in PARTY_KINDS:
        raise Rejected("invalid_id", f"a destination's party is member:<id>, merchant:<id> "
                       f"or lender:<id>, not {party!r}")
    check_id(party.partition(":")[2], "party")
    return party


def new_destination_id() -> str:
    """``dst_`` and 128 random bits in lowercase base32: says nothing of the account."""
    return ID_PREFIX + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def masked_account(account: str) -> str:
    """An account as a person may be shown it to recognise it: ``6222 **** **** 1234``
    (a short account shows its last two characters only)."""
    account = account.replace(" ", "")
    if len(account) >= 12:
        return f"{account[:4]} **** **** {account[-4:]}"
    return f"**** {account[-2:]}"


# writes ----------------------------------------------------------------------
def add_destination(directory: Directory, party: str, fields: dict[str, object]) -> str:
    """Store a new destination of ``party``, sealed and ``unverified``; its id.

    The party is not looked up in the ledger: the caller (a route, the CLI) knows who
    asks. Nothing is stored if anything is refused.

    Raises:
        Rejected(invalid_id | invalid_command): see :func:`check_party`,
            :func:`check_destination`.
        DataKeyError: no data key, or not this database's.
    """
    [destination_id] = add_destinations(directory, [(party, fields)])
    return destination_id


def add_destinations(directory: Directory,
                     destinations: Iterable[tuple[str, dict[str, object]]]) -> list[str]:
    """:func:`add_destination` for many (party, fields) in one transaction (an operator's
    import of its payee list); their ids, in order. Every one is checked before any is
    stored: one refused, none stored.

    Raises:
        Rejected(invalid_id | invalid_command): naming the position of the refused one
            when there are several.
    """
    items = list(destinations)
    checked: list[tuple[str, dict[str, str]]] = []
    for position, (party, fields) in enumerate(items):
        try:
            checked.append((check_party(party), check_destination(fields)))
        except Rejected as refused:
            if len(items) == 1:
                raise
            raise Rejected(refused.code, f"destination {position}: {refused.message}") from None
    key = directory.data_key()
    now = _now_us()
    rows = []
    # A microsecond apart, in the order given: of two of one party's, the later one is
    # the newer (verified_destinations picks it), not whichever random id sorts last.
    for position, (party, values) in enumerate(checked):
        destination_id = new_destination_id()
        rows.append(DestinationRow(
            destination_id, party,
            key.seal(orjson.dumps(values, option=orjson.OPT_SORT_KEYS),
                     _context(destination_id, party)),
            "unverified", "", now + position, now + position))
    _store(directory).insert_many(rows)
    return [row.id for row in rows]


def set_status(directory: Directory, destination_id: str, status: str,
               reason: str = "") -> None:
    """Mark a destination ``verified`` (the operator confirmed it) or ``failed`` (with
    the reason: what the bank answered).

    Raises:
        Rejected(invalid_command): an unknown status; failed without a reason, or a
            reason with verified; a change :data:`TRANSITIONS` does not allow.
        Rejected(unknown_destination): no such destination.
    """
    allowed_from = TRANSITIONS.get(status)
    if allowed_from is None:
        raise Rejected("invalid_command", f"status must be one of {', '.join(TRANSITIONS)}, "
                       f"not {status!r}")
    if type(reason) is not str or len(reason) > MAX_REASON or not reason.isprintable():
        raise Rejected("invalid_command", f"reason must be at most {MAX_REASON} printable "
                       "characters")
    reason = reason.strip()
    if status == "failed" and not reason:
        raise Rejected("invalid_command", "a failed destination needs the reason it failed")
    if status != "failed" and reason:
        raise Rejected("invalid_command", "only a failed destination has a reason")
    store = _store(directory)
    if store.set_status(destination_id, status, reason, _now_us(), allowed_from):
        return
    row = store.get(destination_id)
    if row is None:
        raise _unknown([destination_id])
    raise Rejected("invalid_command", f"destination {destination_id} is {row.status}: only "
                   f"a destination that is {' or '.join(allowed_from)} can become {status}")


def delete_party(target: Directory | Connection, party: str) -> int:
    """Delete every destination of ``party``; how many. Given a connection, in its
    transaction (the caller commits); given the directory, in one of its own, with the
    bytes overwritten on SQLite."""
    if isinstance(target, Connection):
        return DestinationStore(target.engine).delete_party(target, party)
    return _store(target).forget_party(party)


# reads -----------------------------------------------------------------------
def get_destination(directory: Directory, destination_id: str) -> Destination:
    """One destination, opened.

    Raises:
        Rejected(unknown_destination): no such destination.
        DataKeyError: the sealed value does not open (another key, or moved or altered).
    """
    row = _store(directory).get(destination_id)
    if row is None:
        raise _unknown([destination_id])
    fields: dict[str, str] = orjson.loads(directory.data_key().open(
        row.sealed, _context(row.id, row.party)))
    return Destination(row.id, row.party, row.status, row.reason, fields, row.created_us,
                       row.updated_us)


def list_destinations(directory: Directory, party: str | None = None,
                      status: str | None = None) -> list[DestinationSummary]:
    """The destinations of ``party`` (every party's if None), of ``status`` if given,
    oldest first; nothing is opened (:func:`get_destination` and :func:`masked_account`
    show one)."""
    if status is not None and status not in STATUSES:
        raise Rejected("invalid_command", f"status must be one of {', '.join(STATUSES)}, "
                       f"not {status!r}")
    return [DestinationSummary(row.id, row.party, row.status, row.reason, row.created_us,
                               row.updated_us)
            for row in _store(directory).summaries(party, status)]


def verified_destinations(directory: Directory, parties: Iterable[str] | None = None
                          ) -> dict[str, str]:
    """{party: its newest verified destination's id} for ``parties`` (every party if
    None); a party with none verified is left out. Failed and unverified ones are never
    chosen. One query, nothing opened."""
    return _store(directory).verified(parties)


def open_many(directory: Directory, ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """{id: its fields} for every id, opened in bulk (a payment file).

    Raises:
        Rejected(unknown_destination): some id is not stored (the first few are named);
            nothing is opened.
        DataKeyError: a sealed value does not open.
    """
    wanted = list(dict.fromkeys(ids))
    key = directory.data_key()
    # A million small dicts, none cyclic: the collector would rescan them again and again.
    with paused_gc():
        found = _store(directory).sealed_many(wanted)
        if len(found) != len(wanted):
            raise _unknown([destination_id for destination_id in wanted
                            if destination_id not in found])
        return {destination_id: orjson.loads(key.open(sealed, _context(destination_id, party)))
                for destination_id, (party, sealed) in found.items()}


def _unknown(missing: list[str]) -> Rejected:
    shown = ", ".join(repr(destination_id) for destination_id in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return Rejected("unknown_destination", f"no destination {shown}{more}")


__all__ = ["CARD_PREFIX", "FIELDS", "STATUSES", "TRANSITIONS", "Destination",
           "DestinationSummary", "add_destination", "add_destinations", "check_destination",
           "check_party", "delete_party", "get_destination", "list_destinations", "luhn_ok",
           "masked_account", "new_destination_id", "open_many", "set_status",
           "verified_destinations"]
