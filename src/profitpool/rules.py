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


class RuleSpec(NamedTuple):
    """What a rule accepts, for the engine's check and for the pages that show it: the one
    place a rule's kind, unit and range are written (docs/rules.md section 3)."""

    kind: str
    """``decimal`` (a rate or a multiple), ``days``, ``toggle``, ``choice``, ``money`` (CNY,
    2 decimals) or ``price`` (CNY per point, 6 decimals)."""
    unit: RuleLabel
    """What the number counts, for people (empty for a toggle or a choice)."""
    low: Rational | None = None
    high: Rational | None = None
    """The accepted range (None: no bound that way)."""
    low_open: bool = False
    high_open: bool = False
    """Whether the bound itself is refused (above 0, below 1)."""
    optional: bool = False
    """Whether the rule may be off (JSON null or "none")."""
    options: tuple[tuple[str, RuleLabel], ...] = ()
    """A choice's values, each with its name for people."""

    @property
    def decimals(self) -> int:
        """The most decimals a value may have (0: whole numbers)."""
        return {"decimal": 12, "money": 2, "price": 6}.get(self.kind, 0)


_UNIT: Final = (1, 1)
_ZERO: Final = (0, 1)
_SHARE: Final = RuleLabel("比例（1 即 100%）", "share (1 = 100%)")
_DAYS: Final = RuleLabel("天", "days")
_NO_UNIT: Final = RuleLabel("", "")
MAX_DAYS: Final = 36_500

RULE_SPECS: Final[dict[str, RuleSpec]] = {
    "points_per_yuan": RuleSpec("decimal", RuleLabel("积分/元", "points per CNY"),
                                _ZERO, (10_000, 1)),
    "pool_share_of_profit": RuleSpec("decimal", _SHARE, _ZERO, _UNIT),
    "withdraw_payout_rate": RuleSpec("decimal", _SHARE, _ZERO, _UNIT),
    "exit_payout_rate": RuleSpec("decimal", _SHARE, _ZERO, _UNIT),
    "pay_rate": RuleSpec("decimal", _SHARE, _ZERO, _UNIT),
    "burn_rate": RuleSpec("decimal", RuleLabel("比例/月（1 即 100%）", "share a month (1 = 100%)"),
                          _ZERO, _UNIT, high_open=True),
    "exit_multiple": RuleSpec("decimal", RuleLabel("倍", "times"), _UNIT, (1_000, 1),
                              low_open=True),
    "withdraw_min_gain": RuleSpec("decimal", RuleLabel("增值幅度（0.5 即 50%）",
                                                       "gain (0.5 = 50%)"),
                                  _ZERO, (1_000, 1), optional=True),
    "min_hold_days": RuleSpec("days", _DAYS, _ZERO, (MAX_DAYS, 1)),
    "daily_withdraw_cap_rate": RuleSpec("decimal", _SHARE, _ZERO, _UNIT, low_open=True,
                                        optional=True),
    "settle_days": RuleSpec("days", _DAYS, _ZERO, (MAX_DAYS, 1)),
    "transfers_enabled": RuleSpec("toggle", _NO_UNIT),
    "max_order_amount": RuleSpec("money", RuleLabel("元", "CNY"), _ZERO, None, low_open=True),
    "mint_mode": RuleSpec("choice", _NO_UNIT, options=(
        ("fixed", RuleLabel("按消费金额固定发放", "fixed: points per yuan spent")),
        ("at_price", RuleLabel("按积分价格发放", "at price: worth a share of the injection")))),
    "mint_value_rate": RuleSpec("decimal", _SHARE, _ZERO, _UNIT),
    "initial_price": RuleSpec("price", RuleLabel("元/积分", "CNY per point"), _ZERO,
                              (1_000_000, 1), low_open=True),
    "exit_basis": RuleSpec("choice", _NO_UNIT, options=(
        ("cost", RuleLabel("消费金额（成本）的倍数", "cost: a multiple of money spent")),
        ("mint_value", RuleLabel("发放时价值的倍数", "mint value: a multiple of value at mint")))),
}
"""Every rule's kind, unit and range, in the order of docs/rules.md section 3. The
engine's check (:func:`parse_rule_changes`) is built from it, and the console's rule
editor and the public rules page show it: one range, checked and shown."""

assert tuple(RULE_SPECS) == tuple(RULE_LABELS)
assert all(option in EXIT_BASES + MINT_MODES for spec in RULE_SPECS.values()
           for option, _ in spec.options)


class RuleRefused(Rejected):
    """A rule change refused (code ``invalid_rules``), with why as data so that a page can
    say it in its own words: ``rule``, ``reason`` and ``bound`` (the limit, as the rule
    states it, or "").

    Reasons: ``no_change``, ``unknown_rule``, ``format`` (not a number with at most the
    rule's decimals), ``at_least``, ``above``, ``at_most``, ``below``, ``whole_days``,
    ``one_of`` and ``true_or_false``.
    """

    def __init__(self, rule: str, reason: str, message: str, bound: str = "") -> None:
        super().__init__("invalid_rules", message)
        self.rule = rule
        self.reason = reason
        self.bound = bound


def _in_range(name: str, spec: RuleSpec, value: Rational) -> None:
    """Refuse ``value`` outside the spec's range."""
    numerator, denominator = value
    low, high = spec.low, spec.high
    if low is not None:
        low_cmp = numerator * low[1] - low[0] * denominator
        if low_cmp < 0 or (spec.low_open and low_cmp == 0):
            reason, words = ("above", "above") if spec.low_open else ("at_least", "at least")
            raise RuleRefused(name, reason, f"{name} must be {words} {format_rational(low)}",
                              format_rational(low))
    if high is not None:
        high_cmp = numerator * high[1] - high[0] * denominator
        if high_cmp > 0 or (spec.high_open and high_cmp == 0):
            reason, words = ("below", "below") if spec.high_open else ("at_most", "at most")
            raise RuleRefused(name, reason, f"{name} must be {words} {format_rational(high)}",
                              format_rational(high))


def _number(name: str, spec: RuleSpec, parse: Callable[[Any], Rational], raw: Any
            ) -> Rational:
    """``raw`` parsed by ``parse`` and within the range; the parse's refusal as ``format``."""
    try:
        value = parse(raw)
    except RuleRefused:
        raise
    except Rejected as error:
        raise RuleRefused(name, "format", f"{name}: {error.message}") from None
    _in_range(name, spec, value)
    return value


def _decimal(name: str, spec: RuleSpec) -> Callable[[Any], tuple[str, Any]]:
    def parse(raw: Any) -> tuple[str, Any]:
        if spec.optional and (raw is None or raw == "none"):
            return name, None
        return name, _number(name, spec, lambda text: parse_decimal(text, "invalid_rules"),
                             raw)

    return parse


def _days(name: str, spec: RuleSpec) -> Callable[[Any], tuple[str, int]]:
    def parse(raw: Any) -> tuple[str, int]:
        if type(raw) is str and raw.isascii() and raw.isdigit() and len(raw) <= 5:
            raw = int(raw)
        high = spec.high[0] if spec.high is not None else MAX_DAYS
        if type(raw) is not int or not 0 <= raw <= high:
            raise RuleRefused(name, "whole_days",
                              f"{name} must be a whole number of days 0..{high}", str(high))
        return name, raw

    return parse


def _choice(name: str, spec: RuleSpec) -> Callable[[Any], tuple[str, str]]:
    options = tuple(option for option, _ in spec.options)

    def parse(raw: Any) -> tuple[str, str]:
        if type(raw) is not str or raw not in options:
            raise RuleRefused(name, "one_of", f"{name} must be one of {', '.join(options)}",
                              ", ".join(options))
        return name, raw

    return parse


def _toggle(name: str, spec: RuleSpec) -> Callable[[Any], tuple[str, bool]]:
    def parse(raw: Any) -> tuple[str, bool]:
        if type(raw) is not bool:
            raise RuleRefused(name, "true_or_false", f"{name} must be true or false")
        return name, raw

    return parse


def _money(name: str, spec: RuleSpec) -> Callable[[Any], tuple[str, int]]:
    def parse(raw: Any) -> tuple[str, int]:
        fen = _number(name, spec, lambda text: (parse_money(text, "invalid_rules"), 100), raw)
        return name, fen[0]

    return parse


def _price(name: str, spec: RuleSpec) -> Callable[[Any], tuple[str, int]]:
    """A price in CNY per point, kept in millionths (field ``<name>_micro``)."""

    def micro(raw: Any) -> Rational:
        numerator, denominator = parse_decimal(raw, "invalid_rules")
        if numerator * 1_000_000 % denominator:
            raise RuleRefused(name, "format", f"{name} must have at most 6 decimals")
        return numerator, denominator

    def parse(raw: Any) -> tuple[str, int]:
        numerator, denominator = _number(name, spec, micro, raw)
        return f"{name}_micro", numerator * 1_000_000 // denominator

    return parse


_KINDS: Final[dict[str, Callable[[str, RuleSpec], Callable[[Any], tuple[str, Any]]]]] = {
    "decimal": _decimal, "days": _days, "choice": _choice, "toggle": _toggle,
    "money": _money, "price": _price,
}

RuleChanges = tuple[tuple[str, str, Any], ...]
"""Validated rule changes: (rule name, :class:`Rules` field, value), sorted by rule name."""


def parse_rule_changes(changes: Mapping[str, Any]) -> RuleChanges:
    """Validate a ``rules`` command's body (rule name -> JSON value) against
    :data:`RULE_SPECS`.

    Raises:
        RuleRefused (a Rejected, invalid_rules): no change given, an unknown rule, or a
        bad value; the first, by rule name.
    """
    if not changes:
        raise RuleRefused("", "no_change", "a rules command must change at least one rule")
    parsed = []
    for name in sorted(changes):
        parser = _PARSERS.get(name)
        if parser is None:
            raise RuleRefused(name, "unknown_rule", f"unknown rule {name!r}")
        field, value = parser(changes[name])
        parsed.append((name, field, value))
    return tuple(parsed)


_PARSERS: Final[dict[str, Callable[[Any], tuple[str, Any]]]] = {
    name: _KINDS[spec.kind](name, spec) for name, spec in RULE_SPECS.items()
}

RULE_NAMES: Final = tuple(_PARSERS)
