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
from typing import Any, Final

import orjson

from ..engine import Command, Effect, LotPart
from ..engine import commands as cmd
from ..engine import effects as fx
from ..money import (
    INDEX_SCALE,
    Rational,
    format_fen,
    format_points,
    format_rational,
    format_scaled,
)
from ..rules import Rules
from ..times import format_time

_SORTED: Final = orjson.OPT_SORT_KEYS


def dumps(value: Any) -> bytes:
    """Canonical JSON bytes of a value made of str, small int, bool, None, list and dict."""
    return orjson.dumps(value, option=_SORTED)


def entry_bytes(command: Command, effects: Sequence[Effect]) -> bytes:
    """The canonical bytes of one log entry."""
    return orjson.dumps(
        {"command": command_json(command), "effects": [effect_json(e) for e in effects]},
        option=_SORTED,
    )


# commands -------------------------------------------------------------------


def command_json(command: Command) -> dict[str, Any]:
    """The canonical JSON object of a command (``parse_command`` gives it back)."""
    return _COMMANDS[type(command)](command)


def _at(command: Any) -> str:
    return format_time(command.at)


def _points_or_all(units: int | None) -> str:
    return "all" if units is None else format_points(units)


def _merchant(c: cmd.RegisterMerchant) -> dict[str, Any]:
    out: dict[str, Any] = {"op": "merchant", "id": c.id, "at": _at(c)}
    if c.name:
        out["name"] = c.name
    if c.industry:
        out["industry"] = c.industry
    return out


def _lender(c: cmd.RegisterLender) -> dict[str, Any]:
    out: dict[str, Any] = {"op": "lender", "id": c.id, "at": _at(c)}
    if c.name:
        out["name"] = c.name
    return out


def _order(c: cmd.PlaceOrder) -> dict[str, Any]:
    out: dict[str, Any] = {
        "op": "order", "id": c.id, "merchant": c.merchant, "member": c.member,
        "amount": format_fen(c.amount), "profit": format_fen(c.profit), "at": _at(c),
    }
    if c.campaign is not None:
        out["campaign"] = c.campaign
    return out


def _rules(c: cmd.ChangeRules) -> dict[str, Any]:
    canonical = Rules().with_changes(c.changes).to_json()
    out: dict[str, Any] = {name: canonical[name] for name, _, _ in c.changes}
    out.update(op="rules", at=_at(c))
    return out


_COMMANDS: Final[dict[type, Callable[[Any], dict[str, Any]]]] = {
    cmd.RegisterMerchant: _merchant,
    cmd.RegisterLender: _lender,
    cmd.CreateCampaign: lambda c: {
        "op": "campaign", "id": c.id, "merchant": c.merchant,
        "multiplier": format_rational(c.multiplier), "start": format_time(c.start),
        "end": format_time(c.end), "at": _at(c),
    },
    cmd.PlaceOrder: _order,
    cmd.Refund: lambda c: {"op": "refund", "order": c.order, "at": _at(c)},
    cmd.Withdraw: lambda c: {
        "op": "withdraw", "id": c.id, "member": c.member,
        "points": _points_or_all(c.points), "at": _at(c),
    },
    cmd.Pay: lambda c: {
        "op": "pay", "id": c.id, "member": c.member, "merchant": c.merchant,
        "points": _points_or_all(c.points), "at": _at(c),
    },
    cmd.Burn: lambda c: {"op": "burn", "period": "{:04d}-{:02d}".format(*c.period), "at": _at(c)},
    cmd.Transfer: lambda c: {
        "op": "transfer", "id": c.id, "from": c.sender, "to": c.receiver,
        "points": format_points(c.points), "at": _at(c),
    },
    cmd.Pledge: lambda c: {
        "op": "pledge", "id": c.id, "member": c.member, "lender": c.lender,
        "points": format_points(c.points), "loan": format_fen(c.loan), "at": _at(c),
    },
    cmd.Release: lambda c: {"op": "release", "pledge": c.pledge, "at": _at(c)},
    cmd.Seize: lambda c: {"op": "seize", "pledge": c.pledge, "at": _at(c)},
    cmd.ChangeRules: _rules,
    cmd.Tick: lambda c: {"op": "tick", "at": _at(c)},
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
    return format_scaled(units, INDEX_SCALE, 24)


def _price(micro: int) -> str:
    return format_scaled(micro, 1_000_000, 6)


def _parts(parts: tuple[LotPart, ...]) -> list[dict[str, Any]]:
    return [
        {"lot": part.lot, "new_lot": part.new_lot, "shares": str(part.shares),
         "cost": format_fen(part.cost)}
        for part in parts
    ]


# How each field is written, by field name (the same name means the same unit
# in every effect); the key is the field name, except price_micro -> price.
_FIELD_FORMATS: Final[dict[str, tuple[str, Callable[[Any], Any]]]] = {
    **{name: (name, format_fen) for name in (
        "amount", "profit", "injection", "pool_after", "cost", "value", "paid", "loan",
        "to_lender", "to_member")},
    **{name: (name, _shares) for name in ("shares", "total_shares_after")},
    **{name: (name, format_rational) for name in ("multiplier", "exit_multiple", "burn_rate")},
    **{name: (name, _index) for name in ("index_before", "index_after")},
    **{name: (name, format_time) for name in ("start", "end", "settles_at")},
    **{name: (name, _same) for name in (
        "merchant", "lender", "member", "order", "campaign", "pledge", "withdrawal",
        "payment", "transfer", "sender", "receiver", "name", "industry", "exit_basis",
        "period", "lot", "new_lot")},
    "points": ("points", format_points),
    "price_micro": ("price", _price),
    "trigger": ("trigger", _trigger),
    "parts": ("parts", _parts),
    "lots": ("lots", list),
    "changes": ("changes", dict),
}


def _effect_encoder(kind: type) -> Callable[[Any], dict[str, Any]]:
    type_name = "".join(
        f"_{char.lower()}" if char.isupper() else char for char in kind.__name__
    ).lstrip("_")
    fields = [(position, *_FIELD_FORMATS[name]) for position, name in enumerate(kind._fields)]  # type: ignore[attr-defined]

    def encode(effect: Any) -> dict[str, Any]:
        out = {key: write(effect[position]) for position, key, write in fields}
        out["type"] = type_name
        return out

    return encode


_EFFECTS: Final[dict[type, Callable[[Any], dict[str, Any]]]] = {
    kind: _effect_encoder(kind)
    for kind in (
        fx.MerchantRegistered, fx.LenderRegistered, fx.CampaignCreated, fx.MemberJoined,
        fx.OrderPlaced, fx.OrderRefunded, fx.OrderSettled, fx.PointsMinted, fx.Withdrawn,
        fx.PaidAtMerchant, fx.Burned, fx.Transferred, fx.Pledged, fx.PledgeReleased,
        fx.PledgeSeized, fx.LotExited, fx.RulesChanged,
    )
}
