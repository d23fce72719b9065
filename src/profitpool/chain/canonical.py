"""The canonical byte encoding of log entries (docs/log.md).

An entry is one accepted command and the effects it had::

    {"command": {...}, "effects": [{...}, ...]}

encoded as canonical JSON: UTF-8, object keys sorted, no insignificant
whitespace, strings escaped as JSON requires and nothing more. Every value
is a string, an integer below 2^53, true/false/null, a list or an object, so
the encoding is RFC 8785 (JCS) and any language can reproduce it:

* money is a decimal string with 2 decimals ("16.60"), points with 4;
* shares are an integer string in units of 10^-24 share; the index a decimal
  string with 24 decimals; prices a decimal with 6;
* rates and multiples are exact decimal strings ("0.3", "2.5"); an exit
  trigger (fen per share) is an exact fraction "numerator/denominator";
* times are ISO 8601 in Asia/Shanghai time ("2026-01-05T12:00:00+08:00");
* lot numbers are integers.

The command part is the command as the engine understood it, written so that
parsing it again gives the same command: the verifier replays the log from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, get_type_hints

import orjson

from ..engine import Command, Effect, LotPart
from ..engine import commands as cmd
from ..engine import effects as fx
from ..money import (
    Rational,
    format_fen,
    format_index,
    format_points,
    format_price,
    format_rational,
)
from ..rules import Rules
from ..times import format_period, format_time

_SORTED: Final = orjson.OPT_SORT_KEYS


def dumps(value: Any) -> bytes:
    """Canonical JSON bytes of a value made of str, small int, bool, None, list and dict."""
    return orjson.dumps(value, option=_SORTED)


def entry_bytes(command: Command, effects: Sequence[Effect]) -> bytes:
    """The canonical bytes of one log entry (every encoder writes its keys sorted)."""
    encoders = _EFFECTS
    return orjson.dumps({
        "command": _COMMANDS[type(command)](command),
        "effects": [encoders[type(effect)](effect) for effect in effects],
    })


# commands -------------------------------------------------------------------


def command_json(command: Command) -> dict[str, Any]:
    """The canonical JSON object of a command (``parse_command`` gives it back)."""
    return _COMMANDS[type(command)](command)


def _at(command: Any) -> str:
    return format_time(command.at)


def _points_or_all(units: int | None) -> str:
    return "all" if units is None else format_points(units)


# Every encoder below writes its keys in sorted order, so entry_bytes need not
# ask orjson to sort (half of its time); a test checks every entry the
# hypothesis state machine makes is already sorted.


def _merchant(c: cmd.RegisterMerchant) -> dict[str, Any]:
    out: dict[str, Any] = {"at": _at(c), "id": c.id}
    if c.industry:
        out["industry"] = c.industry
    if c.name:
        out["name"] = c.name
    out["op"] = "merchant"
    return out


def _lender(c: cmd.RegisterLender) -> dict[str, Any]:
    out: dict[str, Any] = {"at": _at(c), "id": c.id}
    if c.name:
        out["name"] = c.name
    out["op"] = "lender"
    return out


def _order(c: cmd.PlaceOrder) -> dict[str, Any]:
    if c.campaign is None:
        return {
            "amount": format_fen(c.amount), "at": _at(c), "id": c.id, "member": c.member,
            "merchant": c.merchant, "op": "order", "profit": format_fen(c.profit),
        }
    return {
        "amount": format_fen(c.amount), "at": _at(c), "campaign": c.campaign, "id": c.id,
        "member": c.member, "merchant": c.merchant, "op": "order",
        "profit": format_fen(c.profit),
    }


def _rules(c: cmd.ChangeRules) -> dict[str, Any]:
    canonical = Rules().with_changes(c.changes).to_json()
    out: dict[str, Any] = {name: canonical[name] for name, _, _ in c.changes}
    out.update(op="rules", at=_at(c))
    return dict(sorted(out.items()))


_COMMANDS: Final[dict[type, Callable[[Any], dict[str, Any]]]] = {
    cmd.RegisterMerchant: _merchant,
    cmd.RegisterLender: _lender,
    cmd.CreateCampaign: lambda c: {
        "at": _at(c), "end": format_time(c.end), "id": c.id, "merchant": c.merchant,
        "multiplier": format_rational(c.multiplier), "op": "campaign",
        "start": format_time(c.start),
    },
    cmd.PlaceOrder: _order,
    cmd.Refund: lambda c: {"at": _at(c), "op": "refund", "order": c.order},
    cmd.Withdraw: lambda c: {
        "at": _at(c), "id": c.id, "member": c.member, "op": "withdraw",
        "points": _points_or_all(c.points),
    },
    cmd.Pay: lambda c: {
        "at": _at(c), "id": c.id, "member": c.member, "merchant": c.merchant, "op": "pay",
        "points": _points_or_all(c.points),
    },
    cmd.Burn: lambda c: {
        "at": _at(c), "op": "burn", "period": format_period(c.period),
    },
    cmd.Transfer: lambda c: {
        "at": _at(c), "from": c.sender, "id": c.id, "op": "transfer",
        "points": format_points(c.points), "to": c.receiver,
    },
    cmd.Pledge: lambda c: {
        "at": _at(c), "id": c.id, "lender": c.lender, "loan": format_fen(c.loan),
        "member": c.member, "op": "pledge", "points": format_points(c.points),
    },
    cmd.Release: lambda c: {"at": _at(c), "op": "release", "pledge": c.pledge},
    cmd.Seize: lambda c: {"at": _at(c), "op": "seize", "pledge": c.pledge},
    cmd.ChangeRules: _rules,
    cmd.Tick: lambda c: {"at": _at(c), "op": "tick"},
    cmd.RecordCustody: lambda c: {
        "amount": format_fen(c.amount), "at": _at(c), "id": c.id, "op": "custody",
        "reference": c.reference,
    },
    cmd.PublishDisclosure: lambda c: {
        "at": _at(c), "op": "disclosure", "period": format_period(c.period),
        "pol_root": c.pol_root, "pol_total": format_fen(c.pol_total),
        "report_sha256": c.report_sha256,
    },
    cmd.EraseMember: lambda c: {"at": _at(c), "member": c.member, "op": "erase"},
    cmd.SendPayout: lambda c: {
        "amount": format_fen(c.amount), "at": _at(c), "destination": c.destination, "id": c.id,
        "op": "payout", "party": c.party,
    },
    cmd.SettlePayout: lambda c: {
        "at": _at(c), "op": "payout_settled", "payout": c.payout, "reference": c.reference,
    },
    cmd.ReturnPayout: lambda c: {
        "at": _at(c), "op": "payout_returned", "payout": c.payout, "reason": c.reason,
        "reference": c.reference,
    },
    cmd.ContinueLog: lambda c: {
        "at": _at(c), "op": "continues", "origin": c.origin, "root": c.root,
        "tree_size": c.tree_size,
    },
}


# effects --------------------------------------------------------------------


def effect_json(effect: Effect) -> dict[str, Any]:
    """The canonical JSON object of an effect: its type and every field."""
    return _EFFECTS[type(effect)](effect)


def _same(value: Any) -> Any:
    return value


def _shares(units: int) -> str:
    return str(units)


def _trigger(value: Rational) -> str:
    return f"{value[0]}/{value[1]}"


def _index(units: int) -> str:
    return format_index(units, 24)  # exact: every digit of the fixed point


def _parts(parts: tuple[LotPart, ...]) -> list[dict[str, Any]]:
    return [
        {"cost": format_fen(part.cost), "lot": part.lot, "new_lot": part.new_lot,
         "shares": str(part.shares)}
        for part in parts
    ]


# How each field is written, by field name (the same name means the same unit
# in every effect); the key is the field name, except price_micro -> price.
_FIELD_FORMATS: Final[dict[str, tuple[str, Callable[[Any], Any]]]] = {
    **{name: (name, format_fen) for name in (
        "amount", "profit", "injection", "pool_after", "cost", "value", "paid", "loan",
        "to_lender", "to_member", "shortfall", "pol_total", "owed")},
    **{name: (name, _shares) for name in ("shares", "total_shares_after")},
    **{name: (name, format_rational) for name in ("multiplier", "exit_multiple", "burn_rate")},
    **{name: (name, _index) for name in ("index_before", "index_after")},
    **{name: (name, format_time) for name in ("start", "end", "settles_at")},
    **{name: (name, _same) for name in (
        "merchant", "lender", "member", "order", "campaign", "pledge", "withdrawal",
        "payment", "transfer", "sender", "receiver", "name", "industry", "exit_basis",
        "period", "lot", "new_lot", "custody", "reference", "report_sha256", "pol_root",
        "payout", "destination", "reason")},
    "points": ("points", format_points),
    "price_micro": ("price", format_price),
    "trigger": ("trigger", _trigger),
    "parts": ("parts", _parts),
    "lots": ("lots", list),
    "changes": ("changes", lambda changes: dict(sorted(changes))),
}


def _effect_encoder(kind: type) -> Callable[[Any], dict[str, Any]]:
    """A function that writes one kind of effect as its canonical JSON object.

    It is generated as one dict display per effect type, fields in key order,
    each with its formatter bound as a default argument: entries are encoded
    for every accepted command, and this is three times as fast as a loop
    over (position, key, formatter) triples.
    """
    type_name = "".join(
        f"_{char.lower()}" if char.isupper() else char for char in kind.__name__
    ).lstrip("_")
    fields: list[str] = list(kind._fields)  # type: ignore[attr-defined]
    namespace: dict[str, Any] = {}
    items = [("type", repr(type_name))]
    for position, name in enumerate(fields):
        key, write = _FIELD_FORMATS[name]
        if write is _same:
            items.append((key, f"effect[{position}]"))
        else:
            namespace[f"write_{name}"] = write
            items.append((key, f"write_{name}(effect[{position}])"))
    items.sort()
    defaults = ", ".join(f"{name}={name}" for name in namespace)
    body = ", ".join(f"{key!r}: {value}" for key, value in items)
    source = f"def encode(effect, {defaults}):\n    return {{{body}}}\n"
    exec(source, namespace)  # noqa: S102 - built only from the field table above
    encode: Callable[[Any], dict[str, Any]] = namespace["encode"]
    return encode


_EFFECTS: Final[dict[type, Callable[[Any], dict[str, Any]]]] = {
    kind: _effect_encoder(kind)
    for kind in (
        fx.MerchantRegistered, fx.LenderRegistered, fx.CampaignCreated, fx.MemberJoined,
        fx.OrderPlaced, fx.OrderRefunded, fx.OrderSettled, fx.PointsMinted, fx.Withdrawn,
        fx.PaidAtMerchant, fx.Burned, fx.Transferred, fx.Pledged, fx.PledgeReleased,
        fx.PledgeSeized, fx.LotExited, fx.RulesChanged, fx.CustodyRecorded,
        fx.DisclosurePublished, fx.MemberErased, fx.PayoutSent, fx.PayoutSettled,
        fx.PayoutReturned,
    )
}


# JSON Schema of the effects, from the same field table ---------------------------

_MONEY: Final = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$",
                 "description": "yuan, exactly 2 decimals (fen)"}
_SCHEMA_OF: Final[dict[Any, dict[str, Any]]] = {
    format_fen: _MONEY,
    _shares: {"type": "string", "pattern": "^[0-9]+$", "description": "shares in 1e-24 units"},
    format_rational: {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$",
                      "description": "an exact decimal rate or multiple"},
    _index: {"type": "string", "pattern": r"^[0-9]+\.[0-9]{24}$"},
    format_time: {"type": "string", "format": "date-time",
                  "description": "ISO 8601, Asia/Shanghai"},
    format_points: {"type": "string", "pattern": r"^[0-9]+\.[0-9]{4}$",
                    "description": "points, exactly 4 decimals"},
    format_price: {"type": "string", "pattern": r"^[0-9]+\.[0-9]{6}$"},
    _trigger: {"type": "string", "pattern": "^[0-9]+/[0-9]+$",
               "description": "fen per share at which the lot exits, numerator/denominator"},
    _parts: {"type": "array", "items": {
        "type": "object", "additionalProperties": False,
        "required": ["cost", "lot", "new_lot", "shares"],
        "properties": {"cost": _MONEY, "lot": {"type": "integer"},
                       "new_lot": {"type": ["integer", "null"]},
                       "shares": {"type": "string", "pattern": "^[0-9]+$"}}}},
    list: {"type": "array", "items": {"type": "integer"}},
}
_SAME_SCHEMA: Final[dict[Any, dict[str, Any]]] = {
    str: {"type": "string"}, int: {"type": "integer"},
    str | None: {"type": ["string", "null"]}, int | None: {"type": ["integer", "null"]}}


def effect_schema(kind: type) -> dict[str, Any]:
    """The JSON Schema of one kind of effect as :func:`effect_json` writes it."""
    annotations = get_type_hints(kind)
    type_name = "".join(
        f"_{char.lower()}" if char.isupper() else char for char in kind.__name__
    ).lstrip("_")
    properties: dict[str, Any] = {"type": {"const": type_name}}
    for name in kind._fields:  # type: ignore[attr-defined]
        key, write = _FIELD_FORMATS[name]
        if write is _same:
            properties[key] = _SAME_SCHEMA[annotations[name]]
        elif name == "changes":
            properties[key] = {"type": "object",
                               "description": "rule name: its new value, as in `rules`"}
        else:
            properties[key] = _SCHEMA_OF[write]
    return {"type": "object", "additionalProperties": False,
            "required": sorted(properties), "properties": properties}


def effect_kinds() -> tuple[type, ...]:
    """Every kind of effect the log holds."""
    return tuple(_EFFECTS)
