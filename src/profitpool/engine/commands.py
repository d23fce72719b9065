"""Commands: what a caller asks the engine to do (docs/rules.md section 4).

:func:`parse_command` turns one JSON object into one immutable command and
performs every check that needs no ledger state: known ``op``, known fields,
types, ids, times, amounts, points, multipliers, periods and rule values.
What is left for the engine are the checks against state (does the member
exist, are there enough points, ...).

Every command is a NamedTuple whose **last** field is ``at`` (epoch
microseconds), so ``command[:-1]`` is its body "at aside", which is what
idempotent retries are compared on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

from ..errors import Rejected
from ..money import Rational, parse_decimal, parse_money, parse_points
from ..rules import RuleChanges, parse_rule_changes
from ..times import parse_period, parse_time, shanghai_month

_ID_CHARS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@+-"
)
_ID_PUNCTUATION: Final = frozenset("._:@+-")
_MAX_TEXT: Final = 200
_HEX: Final = frozenset("0123456789abcdef")
_MAX_TREE_SIZE: Final = (1 << 53) - 1  # canonical JSON holds integers below 2^53 exactly


class RegisterMerchant(NamedTuple):
    """Register a merchant. ``name`` and ``industry`` are free text (may be empty)."""

    id: str
    name: str
    industry: str
    at: int


class RegisterLender(NamedTuple):
    """Register a lender (a bank that lends against pledged points)."""

    id: str
    name: str
    at: int


class CreateCampaign(NamedTuple):
    """A points multiplier for orders at ``merchant`` (any if None) during [start, end)."""

    id: str
    merchant: str | None
    multiplier: Rational
    start: int
    end: int
    at: int


class PlaceOrder(NamedTuple):
    """A purchase: ``amount`` and ``profit`` in fen; pending until settlement."""

    id: str
    merchant: str
    member: str
    amount: int
    profit: int
    campaign: str | None
    at: int


class Refund(NamedTuple):
    """Refund a pending order; it will never settle."""

    order: str
    at: int


class Withdraw(NamedTuple):
    """Sell points back to the pool. ``points`` in point units, None for all eligible."""

    id: str
    member: str
    points: int | None
    at: int


class Pay(NamedTuple):
    """Spend points at a merchant. ``points`` None spends all unpledged points."""

    id: str
    member: str
    merchant: str
    points: int | None
    at: int


class Burn(NamedTuple):
    """Burn ``burn_rate`` of every holding for the month ``period`` = (year, month)."""

    period: tuple[int, int]
    at: int


class Transfer(NamedTuple):
    """Give points to another member (when transfers are enabled)."""

    id: str
    sender: str
    receiver: str
    points: int
    at: int


class Pledge(NamedTuple):
    """Lock points as collateral for a ``loan`` (fen) from ``lender``."""

    id: str
    member: str
    lender: str
    points: int
    loan: int
    at: int


class Release(NamedTuple):
    """Unlock a pledge's points."""

    pledge: str
    at: int


class Seize(NamedTuple):
    """Redeem a pledge's points: the lender is paid first, up to the loan."""

    pledge: str
    at: int


class ChangeRules(NamedTuple):
    """Change rules from the next command on."""

    changes: RuleChanges
    at: int


class Tick(NamedTuple):
    """Only move time (settling what has become due)."""

    at: int


class RecordCustody(NamedTuple):
    """What the pool's bank or custody account holds, as the operator reports it.

    It changes nothing in the ledger: it puts the figure in the log next to the
    pool, so anyone can compare the two (a shortfall shows).
    """

    id: str
    amount: int
    """Fen held in the custody account."""
    reference: str
    """The statement or attestation it comes from (free text)."""
    at: int


class PublishDisclosure(NamedTuple):
    """A month's disclosure (公示): its report's SHA-256 and its proof-of-liabilities root."""

    period: tuple[int, int]
    report_sha256: str
    """64 lowercase hex digits: SHA-256 of the report's JSON twin."""
    pol_root: str
    """64 lowercase hex digits: the root of the month's Merkle-sum tree of holdings."""
    pol_total: int
    """Fen: the sum of every holding in that tree."""
    at: int


class EraseMember(NamedTuple):
    """Record that a member's link to a person was erased (docs/privacy.md); only a member
    who holds nothing and has no order waiting to settle."""

    member: str
    at: int


class ContinueLog(NamedTuple):
    """Name the signed checkpoint of the log this one continues (a re-keyed log,
    docs/privacy-existing-logs.md): only as a log's first command; it changes no figure."""

    origin: str
    """The old log's origin, the first line of its checkpoints."""
    tree_size: int
    """The old log's size at its final checkpoint."""
    root: str
    """The old log's root hash at that size, in base64 as its checkpoints write it."""
    at: int


class SendPayout(NamedTuple):
    """Send ``amount`` (fen) of what ``party`` is owed to its bank account (docs/rules.md
    section 10). ``party`` is ``member:ID``, ``merchant:ID`` or ``lender:ID``;
    ``destination`` is an opaque reference to the account, never the account itself."""

    id: str
    party: str
    amount: int
    destination: str
    at: int


class SettlePayout(NamedTuple):
    """The bank confirmed a payout. ``reference`` is the bank's own reference ("" if none)."""

    payout: str
    reference: str
    at: int


class ReturnPayout(NamedTuple):
    """The bank sent a payout back (``reason``: e.g. a closed account); the money is owed
    to the party again, never back in the pool."""

    payout: str
    reason: str
    reference: str
    at: int


PARTY_KINDS: Final = ("member", "merchant", "lender")
"""What a payout's ``party`` may name, as ``KIND:ID``."""


Command = (
    RegisterMerchant | RegisterLender | CreateCampaign | PlaceOrder | Refund | Withdraw | Pay
    | Burn | Transfer | Pledge | Release | Seize | ChangeRules | Tick | RecordCustody
    | PublishDisclosure | EraseMember | ContinueLog | SendPayout | SettlePayout
    | ReturnPayout
)


def parse_command(obj: object) -> Command:
    """Check one JSON value and turn it into a command.

    Raises:
        Rejected: ``invalid_command``, ``unknown_op`` or the code of the first
            field found wrong.
    """
    if type(obj) is not dict:
        raise Rejected("invalid_command", "a command must be a JSON object")
    op = obj.get("op")
    spec = _SPECS.get(op) if type(op) is str else None
    if spec is None:
        if "op" not in obj:
            raise Rejected("invalid_command", "missing field 'op'")
        raise Rejected("unknown_op", f"unknown op {op!r}")
    allowed, parse = spec
    if allowed is not None and not obj.keys() <= allowed:
        extra = sorted(str(key) for key in obj.keys() - allowed)
        raise Rejected("invalid_command", f"unknown field(s) for {op}: {', '.join(extra)}")
    try:
        at = parse_time(obj["at"])
        return parse(obj, at)
    except KeyError as missing:
        raise Rejected("invalid_command", f"{op} needs the field {missing}") from None


def check_id(value: object, field: str) -> str:
    """``value`` if it is an id: 1-128 letters, digits or ``._:@+-``, starting with a
    letter or digit. The one id rule: commands' ids, and the parties API keys are bound to.

    Raises:
        Rejected(invalid_id): naming ``field``.
    """
    if (
        type(value) is not str
        or not 0 < len(value) <= 128
        or value[0] in _ID_PUNCTUATION
        or not _ID_CHARS.issuperset(value)
    ):
        raise Rejected(
            "invalid_id",
            f"{field} must be 1-128 letters, digits or ._:@+- (starting with a letter or "
            f"digit), not {value!r}",
        )
    return value


_id: Final = check_id


def _text(obj: Mapping[str, Any], field: str) -> str:
    value = obj.get(field, "")
    if type(value) is not str or len(value) > _MAX_TEXT:
        raise Rejected("invalid_command", f"{field} must be text of at most {_MAX_TEXT} chars")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no log entry could hold it
            raise Rejected("invalid_command", f"{field} is not valid Unicode text") from None
    return value


def _points_or_all(value: object) -> int | None:
    if value == "all":
        return None
    return parse_points(value)


def _merchant(obj: Mapping[str, Any], at: int) -> RegisterMerchant:
    return RegisterMerchant(
        _id(obj["id"], "id"), _text(obj, "name"), _text(obj, "industry"), at
    )


def _lender(obj: Mapping[str, Any], at: int) -> RegisterLender:
    return RegisterLender(_id(obj["id"], "id"), _text(obj, "name"), at)


def _campaign(obj: Mapping[str, Any], at: int) -> CreateCampaign:
    campaign_id = _id(obj["id"], "id")
    merchant = obj["merchant"]
    if merchant is not None:
        merchant = _id(merchant, "merchant")
    multiplier = parse_decimal(obj["multiplier"], "invalid_multiplier")
    numerator, denominator = multiplier
    if numerator == 0 or numerator > 100 * denominator:
        raise Rejected("invalid_multiplier", "multiplier must be above 0 and at most 100")
    start = parse_time(obj["start"])
    end = parse_time(obj["end"])
    if start >= end:
        raise Rejected("invalid_time", "a campaign must start before it ends")
    return CreateCampaign(campaign_id, merchant, multiplier, start, end, at)


def _order(obj: Mapping[str, Any], at: int) -> PlaceOrder:
    order_id = _id(obj["id"], "id")
    merchant = _id(obj["merchant"], "merchant")
    member = _id(obj["member"], "member")
    amount = parse_money(obj["amount"], "invalid_amount")
    if amount == 0:
        raise Rejected("invalid_amount", "amount must be more than 0")
    profit = parse_money(obj["profit"], "invalid_profit")
    if profit > amount:
        raise Rejected("invalid_profit", "profit cannot exceed the amount")
    campaign = obj.get("campaign")
    if campaign is not None:
        campaign = _id(campaign, "campaign")
    return PlaceOrder(order_id, merchant, member, amount, profit, campaign, at)


def _refund(obj: Mapping[str, Any], at: int) -> Refund:
    return Refund(_id(obj["order"], "order"), at)


def _withdraw(obj: Mapping[str, Any], at: int) -> Withdraw:
    return Withdraw(
        _id(obj["id"], "id"), _id(obj["member"], "member"), _points_or_all(obj["points"]), at
    )


def _pay(obj: Mapping[str, Any], at: int) -> Pay:
    return Pay(
        _id(obj["id"], "id"),
        _id(obj["member"], "member"),
        _id(obj["merchant"], "merchant"),
        _points_or_all(obj["points"]),
        at,
    )


def _burn(obj: Mapping[str, Any], at: int) -> Burn:
    return Burn(parse_period(obj["period"]), at)


def _transfer(obj: Mapping[str, Any], at: int) -> Transfer:
    sender = _id(obj["from"], "from")
    receiver = _id(obj["to"], "to")
    if sender == receiver:
        raise Rejected("invalid_command", "a transfer needs two different members")
    return Transfer(_id(obj["id"], "id"), sender, receiver, parse_points(obj["points"]), at)


def _pledge(obj: Mapping[str, Any], at: int) -> Pledge:
    loan = parse_money(obj["loan"], "invalid_amount")
    if loan == 0:
        raise Rejected("invalid_amount", "a loan must be more than 0")
    return Pledge(
        _id(obj["id"], "id"),
        _id(obj["member"], "member"),
        _id(obj["lender"], "lender"),
        parse_points(obj["points"]),
        loan,
        at,
    )


def _release(obj: Mapping[str, Any], at: int) -> Release:
    return Release(_id(obj["pledge"], "pledge"), at)


def _seize(obj: Mapping[str, Any], at: int) -> Seize:
    return Seize(_id(obj["pledge"], "pledge"), at)


def _rules(obj: Mapping[str, Any], at: int) -> ChangeRules:
    nested = obj.get("rules")
    if nested is not None:
        if type(nested) is not dict or len(obj) != 3:
            raise Rejected("invalid_rules", "give rules either flat or as one 'rules' object")
        changes = nested
    else:
        changes = {key: value for key, value in obj.items() if key not in ("op", "at")}
    return ChangeRules(parse_rule_changes(changes), at)


def _tick(obj: Mapping[str, Any], at: int) -> Tick:
    return Tick(at)


def _custody(obj: Mapping[str, Any], at: int) -> RecordCustody:
    obj["reference"]  # required: a figure without its source proves nothing
    reference = _text(obj, "reference")
    if not reference.strip():
        raise Rejected("invalid_command", "reference must name the statement the amount is from")
    return RecordCustody(_id(obj["id"], "id"), parse_money(obj["amount"], "invalid_amount"),
                         reference, at)


def _sha256_hex(value: object, field: str) -> str:
    if type(value) is not str or len(value) != 64 or not _HEX.issuperset(value):
        raise Rejected("invalid_command", f"{field} must be 64 lowercase hex digits")
    return value


def _disclosure(obj: Mapping[str, Any], at: int) -> PublishDisclosure:
    period = parse_period(obj["period"])
    if period >= shanghai_month(at):
        raise Rejected("invalid_period", f"{obj['period']} has not ended yet")
    return PublishDisclosure(
        period, _sha256_hex(obj["report_sha256"], "report_sha256"),
        _sha256_hex(obj["pol_root"], "pol_root"),
        parse_money(obj["pol_total"], "invalid_amount"), at)


def _erase(obj: Mapping[str, Any], at: int) -> EraseMember:
    return EraseMember(_id(obj["member"], "member"), at)


def split_party(party: str) -> tuple[str, str]:
    """(kind, id) of a payout's party ``KIND:ID``.

    Raises:
        Rejected: unknown_party when the kind is not member, merchant or lender;
            invalid_id when the id is not an id.
    """
    kind, colon, party_id = party.partition(":")
    if not colon or kind not in PARTY_KINDS:
        raise Rejected("unknown_party", "party must be member:ID, merchant:ID or lender:ID, "
                       f"not {party!r}")
    return kind, check_id(party_id, "party")


def _payout(obj: Mapping[str, Any], at: int) -> SendPayout:
    party = obj["party"]
    if type(party) is not str:
        raise Rejected("unknown_party", "party must be member:ID, merchant:ID or lender:ID")
    split_party(party)
    amount = parse_money(obj["amount"], "invalid_amount")
    if amount == 0:
        raise Rejected("invalid_amount", "a payout must be more than 0")
    return SendPayout(_id(obj["id"], "id"), party, amount,
                  _id(obj["destination"], "destination"), at)


def _payout_settled(obj: Mapping[str, Any], at: int) -> SettlePayout:
    return SettlePayout(_id(obj["payout"], "payout"), _text(obj, "reference"), at)


def _payout_returned(obj: Mapping[str, Any], at: int) -> ReturnPayout:
    obj["reason"]  # required: a return without its reason cannot be acted on
    reason = _text(obj, "reason")
    if not reason.strip():
        raise Rejected("invalid_command", "reason must say why the bank returned the payout")
    return ReturnPayout(_id(obj["payout"], "payout"), reason, _text(obj, "reference"), at)


def _continues(obj: Mapping[str, Any], at: int) -> ContinueLog:
    origin = obj["origin"]
    if (type(origin) is not str or not origin or len(origin) > _MAX_TEXT
            or any(char < " " for char in origin)):
        raise Rejected("invalid_command", "origin must be a checkpoint's first line: "
                       f"1-{_MAX_TEXT} characters, no control characters")
    _text(obj, "origin")  # valid Unicode, as every text an entry holds
    tree_size = obj["tree_size"]
    if type(tree_size) is not int or not 0 < tree_size <= _MAX_TREE_SIZE:
        raise Rejected("invalid_command", "tree_size must be an integer from 1 to 2^53 - 1")
    return ContinueLog(origin, tree_size, _root_base64(obj["root"]), at)


def _root_base64(value: object) -> str:
    """``value`` if it is a root hash as checkpoints write it: 32 bytes in canonical base64
    (so one root has one spelling, and the entry's bytes say which)."""
    try:
        if type(value) is not str:
            raise ValueError
        decoded = base64.b64decode(value, validate=True)
        if len(decoded) != 32 or base64.b64encode(decoded).decode() != value:
            raise ValueError
    except (ValueError, binascii.Error):
        raise Rejected("invalid_command", "root must be a 32-byte hash in canonical base64, "
                       "as a checkpoint's third line") from None
    return value


_Parser = Callable[[Mapping[str, Any], int], Command]


def _spec(fields: str, parse: _Parser) -> tuple[frozenset[str], _Parser]:
    return frozenset(("op", "at", *fields.split())), parse


# op -> (allowed fields, or None where any key may be a rule name, parser)
_SPECS: Final[dict[str, tuple[frozenset[str] | None, _Parser]]] = {
    "merchant": _spec("id name industry", _merchant),
    "lender": _spec("id name", _lender),
    "campaign": _spec("id merchant multiplier start end", _campaign),
    "order": _spec("id merchant member amount profit campaign", _order),
    "refund": _spec("order", _refund),
    "withdraw": _spec("id member points", _withdraw),
    "pay": _spec("id member merchant points", _pay),
    "burn": _spec("period", _burn),
    "transfer": _spec("id from to points", _transfer),
    "pledge": _spec("id member lender points loan", _pledge),
    "release": _spec("pledge", _release),
    "seize": _spec("pledge", _seize),
    "rules": (None, _rules),
    "tick": _spec("", _tick),
    "custody": _spec("id amount reference", _custody),
    "disclosure": _spec("period report_sha256 pol_root pol_total", _disclosure),
    "erase": _spec("member", _erase),
    "continues": _spec("origin tree_size root", _continues),
    "payout": _spec("id party amount destination", _payout),
    "payout_settled": _spec("payout reference", _payout_settled),
    "payout_returned": _spec("payout reason reference", _payout_returned),
}

OPS: Final = tuple(_SPECS)
