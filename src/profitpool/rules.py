"""The rule set of docs/rules.md section 3: defaults, validation, canonical form.

A :class:`Rules` value is immutable. A ``rules`` command is validated by
:func:`parse_rule_changes`, which checks every value before anything changes.
Rates and multiples are exact rationals parsed from decimal strings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from .errors import Rejected
from .money import Rational, format_fen, format_rational, parse_decimal, parse_money

MINT_MODES: Final = ("fixed", "at_price")
EXIT_BASES: Final = ("cost", "mint_value")


class RuleLabel(NamedTuple):
    """A rule's name for people, in Chinese and in English."""

    zh: str
    en: str


RULE_LABELS: Final[dict[str, RuleLabel]] = {
    "points_per_yuan": RuleLabel("每元消费所得积分", "Points per yuan spent"),
    "pool_share_of_profit": RuleLabel("订单利润注入收益池的比例",
                                      "Share of profit injected into the pool"),
    "withdraw_payout_rate": RuleLabel("提现支付比例", "Share of a withdrawal paid"),
    "exit_payout_rate": RuleLabel("出局支付比例", "Share of a forced exit paid"),
    "pay_rate": RuleLabel("抵现支付给商家的比例",
                          "Share of spent points' value paid to the merchant"),
    "burn_rate": RuleLabel("每月销毁比例", "Share of every holding burned each month"),
    "exit_multiple": RuleLabel("出局倍数", "Exit multiple"),
    "withdraw_min_gain": RuleLabel("提现所需最低增值幅度", "Gain needed before a withdrawal"),
    "min_hold_days": RuleLabel("提现前最短持有天数", "Days held before a withdrawal"),
    "daily_withdraw_cap_rate": RuleLabel("每日提现上限（占日初收益池）",
                                         "Daily withdrawal cap (share of the pool)"),
    "settle_days": RuleLabel("结算天数（退款期）", "Days to settle (refund window)"),
    "transfers_enabled": RuleLabel("允许用户间转赠", "Transfers between members"),
    "max_order_amount": RuleLabel("单笔订单上限（元）", "Largest order (CNY)"),
    "mint_mode": RuleLabel("积分发放方式", "Mint mode"),
    "mint_value_rate": RuleLabel("按价发放时发放的注入比例",
                                 "Share of the injection issued (at_price)"),
    "initial_price": RuleLabel("按价发放的初始价格", "Initial price (at_price)"),
    "exit_basis": RuleLabel("出局基准", "Exit basis"),
}
"""Every rule's name for people, in the order of docs/rules.md section 3: the one
catalogue the pages, the disclosure report and the simulator's report show."""


def rule_label(name: str, language: str) -> str:
    """A rule's name for people in ``language`` ("zh" or "en"); the rule name itself if
    the rule is unknown."""
    label = RULE_LABELS.get(name)
    if label is None:
        return name
    return label.en if language == "en" else label.zh


@dataclass(frozen=True, slots=True)
class Rules:
    """The economic rules in force. Field names are the rule names of docs/rules.md."""

    points_per_yuan: Rational = (21, 100)
    """Points per CNY spent in ``fixed`` mint mode (0.21: 100.00 CNY -> 21 points)."""
    pool_share_of_profit: Rational = (3, 10)
    """Share of an order's profit injected into the pool."""
    withdraw_payout_rate: Rational = (4, 5)
    """Share of a withdrawal's value paid out; the rest stays in the pool."""
    exit_payout_rate: Rational = (4, 5)
    """Share of a forced exit's value paid out."""
    pay_rate: Rational = (1, 1)
    """Share of spent points' value paid to the merchant."""
    burn_rate: Rational = (1, 100)
    """Share of every holding burned per period."""
    exit_multiple: Rational = (3, 1)
    """A lot exits when its value reaches this multiple of its basis."""
    withdraw_min_gain: Rational | None = None
    """When set, a lot may be withdrawn only once V >= (1 + gain) x V just after its
    mint; None (the default) lets members cash out whenever they choose."""
    min_hold_days: int = 0
    """Days after its order before a lot may be withdrawn."""
    daily_withdraw_cap_rate: Rational | None = None
    """Withdrawals paid per day <= this share of the pool at the day's start."""
    settle_days: int = 0
    """Days an order stays pending (refundable) before it mints."""
    transfers_enabled: bool = False
    """Whether members may give points to other members."""
    max_order_amount: int = 10_000_000_00
    """Largest order amount accepted, in fen."""
    mint_mode: str = "fixed"
    """``fixed`` (points per yuan) or ``at_price`` (points worth a share of the injection)."""
    mint_value_rate: Rational = (7, 10)
    """In ``at_price`` mode, the share of the injection issued as points."""
    initial_price_micro: int = 1_000_000
    """In ``at_price`` mode, the price (millionths of CNY per point) while there is none."""
    exit_basis: str = "cost"
    """``cost`` (multiple of money spent) or ``mint_value`` (multiple of value at mint)."""

    def with_changes(self, changes: RuleChanges) -> Rules:
        """A copy with already-validated ``changes`` applied (see :func:`parse_rule_changes`)."""
        return dataclasses.replace(self, **{field: value for _, field, value in changes})

    @classmethod
    def from_json(cls, values: Mapping[str, Any]) -> Rules:
        """The rules whose canonical form (:meth:`to_json`) is ``values``.

        Raises:
            Rejected(invalid_rules): an unknown rule or a bad value.
        """
        return cls().with_changes(parse_rule_changes(values)) if values else cls()

    def to_json(self) -> dict[str, Any]:
        """The rules in canonical JSON form (decimal strings, rule names of docs/rules.md)."""
        cap = self.daily_withdraw_cap_rate
        gain = self.withdraw_min_gain
        return {
            "points_per_yuan": format_rational(self.points_per_yuan),
            "pool_share_of_profit": format_rational(self.pool_share_of_profit),
            "withdraw_payout_rate": format_rational(self.withdraw_payout_rate),
            "exit_payout_rate": format_rational(self.exit_payout_rate),
            "pay_rate": format_rational(self.pay_rate),
            "burn_rate": format_rational(self.burn_rate),
            "exit_multiple": format_rational(self.exit_multiple),
            "withdraw_min_gain": None if gain is None else format_rational(gain),
            "min_hold_days": self.min_hold_days,
            "daily_withdraw_cap_rate": None if cap is None else format_rational(cap),
            "settle_days": self.settle_days,
            "transfers_enabled": self.transfers_enabled,
            "max_order_amount": format_fen(self.max_order_amount),
            "mint_mode": self.mint_mode,
            "mint_value_rate": format_rational(self.mint_value_rate),
            "initial_price": format_rational((self.initial_price_micro, 1_000_000)),
            "exit_basis": self.exit_basis,
        }


def _ratio(
    name: str, low: Rational, high: Rational | None, *, low_open: bool = False,
    high_open: bool = False,
) -> Callable[[Any], tuple[str, Rational]]:
    """A parser for a decimal rule within [low, high] (ends open where asked)."""

    def parse(raw: Any) -> tuple[str, Rational]:
        value = parse_decimal(raw, "invalid_rules")
        numerator, denominator = value
        low_cmp = numerator * low[1] - low[0] * denominator
        if low_cmp < 0 or (low_open and low_cmp == 0):
            bound = "above" if low_open else "at least"
            raise Rejected("invalid_rules", f"{name} must be {bound} {format_rational(low)}")
        if high is not None:
            high_cmp = numerator * high[1] - high[0] * denominator
            if high_cmp > 0 or (high_open and high_cmp == 0):
                bound = "below" if high_open else "at most"
                raise Rejected("invalid_rules", f"{name} must be {bound} {format_rational(high)}")
        return name, value

    return parse


def _days(name: str) -> Callable[[Any], tuple[str, int]]:
    def parse(raw: Any) -> tuple[str, int]:
        if type(raw) is str and raw.isascii() and raw.isdigit() and len(raw) <= 5:
            raw = int(raw)
        if type(raw) is not int or not 0 <= raw <= 36_500:
            raise Rejected("invalid_rules", f"{name} must be a whole number of days 0..36500")
        return name, raw

    return parse


def _choice(name: str, options: tuple[str, ...]) -> Callable[[Any], tuple[str, str]]:
    def parse(raw: Any) -> tuple[str, str]:
        if type(raw) is not str or raw not in options:
            raise Rejected("invalid_rules", f"{name} must be one of {', '.join(options)}")
        return name, raw

    return parse


def _transfers_enabled(raw: Any) -> tuple[str, bool]:
    if type(raw) is not bool:
        raise Rejected("invalid_rules", "transfers_enabled must be true or false")
    return "transfers_enabled", raw


def _optional_ratio(
    name: str, low: Rational, high: Rational, *, low_open: bool = False,
) -> Callable[[Any], tuple[str, Rational | None]]:
    """A decimal rule as :func:`_ratio`, or off: JSON null or "none"."""
    parse = _ratio(name, low, high, low_open=low_open)

    def parse_or_none(raw: Any) -> tuple[str, Rational | None]:
        if raw is None or raw == "none":
            return name, None
        return parse(raw)

    return parse_or_none


def _max_order_amount(raw: Any) -> tuple[str, int]:
    fen = parse_money(raw, "invalid_rules")
    if fen <= 0:
        raise Rejected("invalid_rules", "max_order_amount must be above 0")
    return "max_order_amount", fen


def _initial_price(raw: Any) -> tuple[str, int]:
    numerator, denominator = parse_decimal(raw, "invalid_rules")
    micro, remainder = divmod(numerator * 1_000_000, denominator)
    if remainder or micro <= 0 or micro > 10**12:
        raise Rejected(
            "invalid_rules", "initial_price must be above 0 with at most 6 decimals"
        )
    return "initial_price_micro", micro


RuleChanges = tuple[tuple[str, str, Any], ...]
"""Validated rule changes: (rule name, :class:`Rules` field, value), sorted by rule name."""


def parse_rule_changes(changes: Mapping[str, Any]) -> RuleChanges:
    """Validate a ``rules`` command's body (rule name -> JSON value).

    Raises:
        Rejected(invalid_rules): no change given, an unknown rule, or a bad value.
    """
    if not changes:
        raise Rejected("invalid_rules", "a rules command must change at least one rule")
    parsed = []
    for name in sorted(changes):
        parser = _PARSERS.get(name)
        if parser is None:
            raise Rejected("invalid_rules", f"unknown rule {name!r}")
        try:
            field, value = parser(changes[name])
        except Rejected as error:
            if name in error.message:
                raise
            raise Rejected("invalid_rules", f"{name}: {error.message}") from None
        parsed.append((name, field, value))
    return tuple(parsed)


_UNIT: Final = (1, 1)
_ZERO: Final = (0, 1)

_PARSERS: Final[dict[str, Callable[[Any], tuple[str, Any]]]] = {
    "points_per_yuan": _ratio("points_per_yuan", _ZERO, (10_000, 1)),
    "pool_share_of_profit": _ratio("pool_share_of_profit", _ZERO, _UNIT),
    "withdraw_payout_rate": _ratio("withdraw_payout_rate", _ZERO, _UNIT),
    "exit_payout_rate": _ratio("exit_payout_rate", _ZERO, _UNIT),
    "pay_rate": _ratio("pay_rate", _ZERO, _UNIT),
    "burn_rate": _ratio("burn_rate", _ZERO, _UNIT, high_open=True),
    "exit_multiple": _ratio("exit_multiple", _UNIT, (1_000, 1), low_open=True),
    "withdraw_min_gain": _optional_ratio("withdraw_min_gain", _ZERO, (1_000, 1)),
    "min_hold_days": _days("min_hold_days"),
    "daily_withdraw_cap_rate": _optional_ratio(
        "daily_withdraw_cap_rate", _ZERO, _UNIT, low_open=True
    ),
    "settle_days": _days("settle_days"),
    "transfers_enabled": _transfers_enabled,
    "max_order_amount": _max_order_amount,
    "mint_mode": _choice("mint_mode", MINT_MODES),
    "mint_value_rate": _ratio("mint_value_rate", _ZERO, _UNIT),
    "initial_price": _initial_price,
    "exit_basis": _choice("exit_basis", EXIT_BASES),
}

RULE_NAMES: Final = tuple(_PARSERS)
