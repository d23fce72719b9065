"""Scenario files: what a simulated program looks like, read from TOML and checked.

A scenario says how many months to run, how members arrive, how often they
buy and where, what margins and order values the merchants have, which
campaigns run, the rules (docs/rules.md section 3, the same names and values as a
``rules`` command, checked by the engine's own validation), how members behave
(withdrawing, paying with points, a bank run, responding to the price, giving and
pledging points) and which shocks hit it. Sweeps (:func:`with_override`) may also
scale every merchant's margins or order values, or fix one merchant's. The
format is documented in docs/simulator.md; the bundled scenarios live beside
this module.

Everything is checked before anything runs: an unknown key, a negative rate
or a distribution that cannot be sampled is a :class:`ScenarioError` naming the
file, the key and the reason.
"""

from __future__ import annotations

import copy
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import Rejected
from ..rules import RULE_NAMES, Rules, parse_rule_changes
from ..times import parse_period

BUNDLED_PACKAGE = "profitpool.sim.scenarios"


class ScenarioError(ValueError):
    """A scenario that cannot run: ``file``, ``key`` (dotted) and ``reason``."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        super().__init__(f"{file}: {key}: {reason}")
        self.file = file
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class Distribution:
    """A distribution of positive numbers: ``kind`` and its parameters."""

    kind: str
    """``fixed`` (value), ``uniform`` (low, high), ``lognormal`` (median, sigma, max),
    ``triangular`` (low, mode, high)."""
    params: tuple[float, ...]


@dataclass(frozen=True)
class MerchantSpec:
    id: str
    name: str
    industry: str
    weight: float
    """Relative share of orders placed at this merchant."""
    margin: Distribution
    """Real profit as a share of the order amount (0..1)."""
    order_value: Distribution
    """Order amount in CNY."""


@dataclass(frozen=True)
class CampaignSpec:
    id: str
    merchant: str | None
    multiplier: str
    """Decimal text, as the ``campaign`` command takes it."""
    start_month: int
    end_month: int
    """Inclusive: the campaign runs from the start of start_month to the end of end_month."""
    share_of_orders: float
    """Share of the eligible orders that name the campaign."""


@dataclass(frozen=True)
class Shock:
    from_month: int
    to_month: int | None
    """Inclusive; None: to the end."""
    purchase_factor: float
    """Orders per buying member are multiplied by this."""
    arrivals_factor: float
    """New members are multiplied by this."""


@dataclass(frozen=True)
class PledgeBehaviour:
    """``[behaviour.pledge]``: members pledging points to the run's lender."""

    probability: float
    """Each month, each member holding unpledged points pledges with this probability."""
    share: float
    """The share of their unpledged points they pledge."""
    loan_share: float
    """The loan, as a share of the pledged points' value when pledged (fen, rounded down)."""
    months: int
    """The pledge ends this many months after the month it was made in."""
    seize_probability: float
    """At its end the lender seizes it with this probability, and releases it otherwise."""


LENDER_ID = "sim-lender"
"""The id of the lender a run registers when members pledge (merchants may not use it)."""


@dataclass(frozen=True)
class Variant:
    name: str
    rules: dict[str, Any]
    """Rule overrides on top of the scenario's [rules], as a ``rules`` command's body."""


@dataclass(frozen=True)
class RuleChange:
    """A ``rules`` command the operator issues at the start of ``month`` (e.g. after a crisis)."""

    month: int
    """1-based; the command runs at 00:00 on the month's first day, after that day's burn."""
    rules: dict[str, Any]
    """The changes, as a ``rules`` command's body (on top of whatever is in force then)."""


@dataclass(frozen=True)
class Scenario:
    """A checked scenario. ``raw`` is the TOML it came from (sweeps edit and re-check it)."""

    name: str
    file: str
    title: str
    description: str
    source: str
    raw: dict[str, Any]
    months: int
    start: tuple[int, int]
    burn: bool
    arrivals: tuple[int, ...]
    """New members in each month, before shocks."""
    orders_per_member_month: float
    monthly_churn: float
    merchants: tuple[MerchantSpec, ...]
    campaigns: tuple[CampaignSpec, ...]
    rules: dict[str, Any]
    variants: tuple[Variant, ...]
    withdraw_probability: float
    withdraw_gain_threshold: float | None
    pay_probability: float
    pay_share: float
    bank_run_month: int | None
    bank_run_share: float
    shocks: tuple[Shock, ...]
    title_en: str = ""
    """The title in English ("" : the title is shown in both languages as it is)."""
    description_en: str = ""
    """The description in English; ``description`` is the Chinese one when both are given."""
    rule_changes_scheduled: tuple[RuleChange, ...] = ()
    """``[[rule_changes]]``: rules commands issued mid-run, in month order, in every variant."""
    withdraw_after_fall: tuple[float, float] | None = None
    """(drop, probability): after a month whose end price fell by at least ``drop`` from the
    month before's, each member holding points tries to withdraw with ``probability``."""
    buy_more_after_rise: tuple[float, float] | None = None
    """(rise, factor): after a month whose end price rose by at least ``rise``, orders per
    buying member are multiplied by ``factor``."""
    transfer_probability: float = 0.0
    """Each month, each member holding unpledged points gives some to another member."""
    transfer_share: float = 0.5
    """The share of their unpledged points they give."""
    pledge: PledgeBehaviour | None = None
    """``[behaviour.pledge]``, or None: nobody pledges."""

    def purchase_factor(self, month: int) -> float:
        """Orders per buying member in ``month`` are multiplied by this (shocks)."""
        return self._shock_factor(month, "purchase_factor")

    def arrivals_factor(self, month: int) -> float:
        """New members in ``month`` are multiplied by this (shocks)."""
        return self._shock_factor(month, "arrivals_factor")

    def _shock_factor(self, month: int, name: str) -> float:
        factor = 1.0
        for shock in self.shocks:
            if shock.from_month <= month and (shock.to_month is None or month <= shock.to_month):
                factor *= getattr(shock, name)
        return factor

    @property
    def collapse_month(self) -> int | None:
        """The first month new consumption stops or falls, however the scenario says it.

        That is the first month of a shock that cuts purchases or new members
        (a factor below 1), or the first month from which no one new arrives
        any more (arrivals, after shocks, 0 to the end after some month above 0,
        e.g. a ``table`` or ``decline`` that reaches 0). None when neither happens.
        """
        return self.collapse[0] if self.collapse else None

    @property
    def collapse(self) -> tuple[int, str, str] | None:
        """(month, cause in Chinese, cause in English) of :attr:`collapse_month`, or None."""
        found: list[tuple[int, str, str]] = []
        for shock in self.shocks:
            if shock.purchase_factor < 1 or shock.arrivals_factor < 1:
                found.append((shock.from_month, *_shock_cause(shock)))
        arrivals = [round(self.arrivals[month - 1] * self.arrivals_factor(month))
                    for month in range(1, self.months + 1)]
        last_arrival = max((month for month, count in enumerate(arrivals, 1) if count),
                           default=0)
        if 0 < last_arrival < self.months:
            found.append((last_arrival + 1, f"第 {last_arrival + 1} 个月起不再有新会员加入",
                          f"no new member arrives from month {last_arrival + 1} on"))
        return min(found) if found else None

    def rule_changes(self, variant: str | None) -> dict[str, Any]:
        """The body of the ``rules`` command that sets up a variant (None: [rules] only)."""
        changes = dict(self.rules)
        if variant is not None:
            changes.update(self.variant(variant).rules)
        return changes

    def rules_of(self, variant: str | None) -> Rules:
        """The rules in force for a variant (None: the scenario's own [rules])."""
        changes = self.rule_changes(variant)
        rules = Rules()
        return rules.with_changes(parse_rule_changes(changes)) if changes else rules

    def variant(self, name: str) -> Variant:
        for variant in self.variants:
            if variant.name == name:
                return variant
        raise KeyError(name)


def _shock_cause(shock: Shock) -> tuple[str, str]:
    """What a shock does, in words: 'purchases at 5%, no new members'."""
    zh: list[str] = []
    en: list[str] = []
    if shock.purchase_factor < 1:
        share = f"{shock.purchase_factor * 100:g}%"
        zh.append(f"消费降至原来的 {share}")
        en.append(f"purchases fall to {share}")
    if shock.arrivals_factor == 0:
        zh.append("不再有新会员")
        en.append("no new members")
    elif shock.arrivals_factor < 1:
        share = f"{shock.arrivals_factor * 100:g}%"
        zh.append(f"新会员降至原来的 {share}")
        en.append(f"new members fall to {share}")
    return "，".join(zh), ", ".join(en)


# loading --------------------------------------------------------------------


def bundled_names() -> list[str]:
    """Names of the scenarios shipped with profitpool."""
    folder = resources.files(BUNDLED_PACKAGE)
    return sorted(entry.name[:-5] for entry in folder.iterdir() if entry.name.endswith(".toml"))


def load_scenario(name_or_path: str) -> Scenario:
    """Read and check a scenario file, or a bundled scenario by name.

    Raises:
        ScenarioError: the file cannot be read, is not TOML, or fails a check.
    """
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.exists() and name_or_path in bundled_names():
        text = resources.files(BUNDLED_PACKAGE).joinpath(f"{name_or_path}.toml").read_text(
            encoding="utf-8")
        return parse_scenario(text, name_or_path, name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        known = ", ".join(bundled_names())
        if path.suffix != ".toml" and not path.exists():  # a name, not a file: say so
            raise ScenarioError(str(path), "-", f"unknown scenario: no bundled scenario "
                                f"and no file has this name; bundled scenarios are: "
                                f"{known}") from None
        raise ScenarioError(str(path), "-", f"cannot read it ({error.strerror}); bundled "
                            f"scenarios are: {known}") from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), "-", "not UTF-8 text") from None
    return parse_scenario(text, str(path), path.stem)


def parse_scenario(text: str, file: str, name: str) -> Scenario:
    """Parse TOML text into a checked scenario (see :func:`check_scenario`)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(file, "-", f"not valid TOML: {error}") from None
    return check_scenario(raw, file, name, text)


def with_override(scenario: Scenario, key: str, value: Any) -> Scenario:
    """The scenario with one key changed: a rule name, or a dotted key of the file.

    Raises:
        ScenarioError: unknown key or a value the checks refuse.
    """
    raw = copy.deepcopy(scenario.raw)
    if key in MERCHANT_FACTORS or (key.startswith("merchants.") and key.count(".") == 2):
        _override_merchants(scenario, raw, key, value)
        try:
            return check_scenario(raw, scenario.file, scenario.name, scenario.source)
        except ScenarioError as error:  # name the swept key, and what it broke
            raise ScenarioError(scenario.file, key, f"{value!r} makes {error.key} invalid: "
                                f"{error.reason}") from None
    if key in RULE_NAMES:
        raw.setdefault("rules", {})[key] = value
        for variant in raw.get("variants", []):
            if isinstance(variant.get("rules"), dict):
                variant["rules"].pop(key, None)  # a swept rule holds in every variant
    else:
        parts = key.split(".")
        target: Any = raw
        for part in parts[:-1]:
            target = target.get(part) if isinstance(target, dict) else None
            if not isinstance(target, dict):
                raise ScenarioError(scenario.file, key, "no such table in the scenario to sweep")
        if parts[-1] not in _ALLOWED_AT.get(".".join(parts[:-1]), ()):
            raise ScenarioError(scenario.file, key, "not a rule name nor a key of the scenario")
        target[parts[-1]] = value
    return check_scenario(raw, scenario.file, scenario.name, scenario.source)


MERCHANT_FACTORS = {"margin_factor": "margin", "order_value_factor": "order_value"}
"""Sweep keys that multiply one distribution of every merchant: key -> the merchant's key."""
_SCALED = {"value", "low", "high", "mode", "median", "max"}
"""A distribution's parameters a factor multiplies (not ``sigma``: a lognormal's spread is
already relative to its median)."""


def _override_merchants(scenario: Scenario, raw: dict[str, Any], key: str, value: Any) -> None:
    """Apply ``margin_factor``, ``order_value_factor`` or ``merchants.<id>.<margin|order_value>``
    to the raw TOML (checked again by the caller)."""
    if type(value) not in (int, float) or not math.isfinite(value) or value <= 0:
        raise ScenarioError(scenario.file, key, f"must be a number above 0, not {value!r}")
    merchants = raw.get("merchants")
    if not isinstance(merchants, list):  # pragma: no cover - a checked scenario has them
        raise ScenarioError(scenario.file, key, "the scenario has no [[merchants]]")
    if key in MERCHANT_FACTORS:
        field = MERCHANT_FACTORS[key]
        for entry in merchants:
            dist = entry.get(field)
            if type(dist) in (int, float):
                entry[field] = dist * value
            elif isinstance(dist, dict):
                entry[field] = {name: parameter * value if name in _SCALED
                                and type(parameter) in (int, float) else parameter
                                for name, parameter in dist.items()}
        return
    _, merchant_id, field = key.split(".")
    if field not in ("margin", "order_value"):
        raise ScenarioError(scenario.file, key, "a merchant's swept key is margin or "
                                                "order_value")
    for entry in merchants:
        if entry.get("id") == merchant_id:
            entry[field] = value  # a number: a fixed distribution
            return
    known = ", ".join(str(entry.get("id")) for entry in merchants)
    raise ScenarioError(scenario.file, key, f"no merchant {merchant_id!r} (the scenario has: "
                                            f"{known})")


# checking -------------------------------------------------------------------

_TOP = ("name", "title", "description", "title_en", "description_en", "months", "start",
        "burn", "arrivals", "purchases", "merchants", "campaigns", "rules", "variants",
        "behaviour", "shocks", "rule_changes")
_ALLOWED_AT: dict[str, tuple[str, ...]] = {
    "": _TOP,
    "arrivals": ("pattern", "start", "monthly_change", "level", "peak_month", "per_month"),
    "purchases": ("orders_per_member_month", "monthly_churn"),
    "behaviour": ("withdraw_probability", "withdraw_gain_threshold", "pay_probability",
                  "pay_share", "bank_run", "withdraw_after_fall", "buy_more_after_rise",
                  "transfer_probability", "transfer_share", "pledge"),
    "behaviour.bank_run": ("month", "share_of_members"),
    "behaviour.withdraw_after_fall": ("drop", "probability"),
    "behaviour.buy_more_after_rise": ("rise", "factor"),
    "behaviour.pledge": ("probability", "share", "loan_share", "months",
                         "seize_probability"),
}
_MERCHANT_KEYS = ("id", "name", "industry", "weight", "margin", "order_value")
_CAMPAIGN_KEYS = ("id", "merchant", "multiplier", "start_month", "end_month", "share_of_orders")
_SHOCK_KEYS = ("from_month", "to_month", "purchase_factor", "arrivals_factor")
_VARIANT_KEYS = ("name", "rules")
_RULE_CHANGE_KEYS = ("month", "rules")
_DIST_KEYS = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "lognormal": ("median", "sigma", "max"),
    "triangular": ("low", "mode", "high"),
}
MAX_MONTHS = 600
MAX_ARRIVALS_PER_MONTH = 10_000_000


class _Checker:
    """Reads values out of the raw TOML, raising ScenarioError with the dotted key."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, reason: str) -> ScenarioError:
        return ScenarioError(self.file, key, reason)

    def keys(self, table: Any, key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.fail(key or "-", "must be a table")
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            where = f"{key}.{unknown[0]}" if key else unknown[0]
            raise self.fail(where, f"unknown key (allowed here: {', '.join(allowed)})")
        return table

    def number(self, table: dict[str, Any], key: str, where: str, default: float | None = None,
               *, low: float = 0.0, high: float | None = None, low_open: bool = False) -> float:
        value = table.get(key, default)
        full = f"{where}.{key}" if where else key
        if value is None:
            raise self.fail(full, "is required")
        if type(value) not in (int, float) or not math.isfinite(value):
            raise self.fail(full, f"must be a number, not {value!r}")
        if value < low or (low_open and value == low):
            raise self.fail(full, f"must be {'above' if low_open else 'at least'} {low:g}, "
                                  f"not {value!r}")
        if high is not None and value > high:
            raise self.fail(full, f"must be at most {high:g}, not {value!r}")
        return float(value)

    def integer(self, table: dict[str, Any], key: str, where: str, default: int | None = None,
                *, low: int = 0, high: int | None = None) -> int:
        value = table.get(key, default)
        full = f"{where}.{key}" if where else key
        if value is None:
            raise self.fail(full, "is required")
        if type(value) is not int:
            raise self.fail(full, f"must be a whole number, not {value!r}")
        if value < low or (high is not None and value > high):
            bounds = f"{low}..{high}" if high is not None else f"at least {low}"
            raise self.fail(full, f"must be {bounds}, not {value!r}")
        return value

    def text(self, table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = table.get(key, default)
        full = f"{where}.{key}" if where else key
        if type(value) is not str:
            raise self.fail(full, "is required" if value is None else "must be text")
        return value

    def distribution(self, raw: Any, where: str, *, high: float | None = None) -> Distribution:
        if type(raw) in (int, float):
            raw = {"dist": "fixed", "value": raw}
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a number or a table with 'dist'")
        kind = raw.get("dist")
        if kind not in _DIST_KEYS:
            raise self.fail(f"{where}.dist", f"must be one of {', '.join(_DIST_KEYS)}, "
                                             f"not {kind!r}")
        self.keys(raw, where, ("dist", *_DIST_KEYS[kind]))
        if kind == "fixed":
            value = self.number(raw, "value", where, low=0, high=high, low_open=True)
            return Distribution(kind, (value,))
        if kind == "uniform":
            low = self.number(raw, "low", where, low=0, high=high)
            top = self.number(raw, "high", where, low=0, high=high, low_open=True)
            if low > top:
                raise self.fail(f"{where}.low", f"is above high ({low:g} > {top:g}): "
                                                "cannot be sampled")
            return Distribution(kind, (low, top))
        if kind == "triangular":
            low = self.number(raw, "low", where, low=0, high=high)
            mode = self.number(raw, "mode", where, low=0, high=high)
            top = self.number(raw, "high", where, low=0, high=high, low_open=True)
            if not low <= mode <= top or low == top:
                raise self.fail(f"{where}.mode", "needs low <= mode <= high and low < high: "
                                                 "cannot be sampled")
            return Distribution(kind, (low, mode, top))
        median = self.number(raw, "median", where, low=0, high=high, low_open=True)
        sigma = self.number(raw, "sigma", where, low=0, high=5)
        cap = self.number(raw, "max", where, default=high if high is not None else median * 100,
                          low=median, high=high)
        return Distribution(kind, (median, sigma, cap))


def _arrivals(check: _Checker, raw: Any, months: int) -> tuple[int, ...]:
    table = check.keys(raw, "arrivals", _ALLOWED_AT["arrivals"])
    pattern = check.text(table, "pattern", "arrivals")
    allowed = {"growth": ("start", "monthly_change", "peak_month"),
               "decline": ("start", "monthly_change"),
               "plateau": ("level",), "table": ("per_month",)}
    if pattern not in allowed:
        raise check.fail("arrivals.pattern", f"must be one of {', '.join(allowed)}, "
                                             f"not {pattern!r}")
    check.keys(table, "arrivals", ("pattern", *allowed[pattern]))
    if pattern == "table":
        per_month = table.get("per_month")
        if not isinstance(per_month, list) or not per_month:
            raise check.fail("arrivals.per_month", "must be a non-empty list of whole numbers")
        counts = []
        for position, count in enumerate(per_month):
            if type(count) is not int or not 0 <= count <= MAX_ARRIVALS_PER_MONTH:
                raise check.fail(f"arrivals.per_month[{position}]",
                                 f"must be a whole number 0..{MAX_ARRIVALS_PER_MONTH}")
            counts.append(count)
        # the last figure holds for the months the table does not reach
        return tuple(counts[min(month, len(counts) - 1)] for month in range(months))
    if pattern == "plateau":
        level = check.integer(table, "level", "arrivals", high=MAX_ARRIVALS_PER_MONTH)
        return (level,) * months
    start = check.integer(table, "start", "arrivals", high=MAX_ARRIVALS_PER_MONTH)
    change = check.number(table, "monthly_change", "arrivals", low=0,
                          high=1 if pattern == "decline" else 10)
    peak = check.integer(table, "peak_month", "arrivals", default=months, low=1) \
        if pattern == "growth" else months
    counts = []
    for month in range(months):
        steps = min(month, peak - 1)
        factor = (1 + change) ** steps if pattern == "growth" else (1 - change) ** month
        counts.append(min(MAX_ARRIVALS_PER_MONTH, round(start * factor)))
    return tuple(counts)


def _rules(check: _Checker, raw: Any, where: str) -> dict[str, Any]:
    """Rule overrides as a ``rules`` command's body, checked by the engine's validation."""
    table = check.keys(raw, where, RULE_NAMES)
    # TOML floats become the decimal text they were written as (repr is the shortest
    # text that reads back as the same float), so 0.3 means exactly 0.3.
    changes = {key: repr(value) if type(value) is float else
               str(value) if type(value) is int and key not in ("min_hold_days", "settle_days")
               else value for key, value in table.items()}
    if changes:
        try:
            parse_rule_changes(changes)
        except Rejected as error:
            name = next((key for key in sorted(changes) if key in error.message), "-")
            raise check.fail(f"{where}.{name}" if name != "-" else where, error.message) from None
    return changes


def check_scenario(raw: dict[str, Any], file: str, name: str, source: str = "") -> Scenario:
    """Check a parsed scenario, every key and value, before anything runs.

    Raises:
        ScenarioError: the first key found wrong, with the reason.
    """
    check = _Checker(file)
    check.keys(raw, "", _TOP)
    months = check.integer(raw, "months", "", low=1, high=MAX_MONTHS)
    start_text = check.text(raw, "start", "", default="2026-01")
    try:
        start = parse_period(start_text)
    except Rejected:
        raise check.fail("start", f"must be a month 'YYYY-MM', not {start_text!r}") from None
    burn = raw.get("burn", True)
    if type(burn) is not bool:
        raise check.fail("burn", "must be true or false")
    if "arrivals" not in raw:
        raise check.fail("arrivals", "is required")
    arrivals = _arrivals(check, raw["arrivals"], months)

    purchases = check.keys(raw.get("purchases", {}), "purchases", _ALLOWED_AT["purchases"])
    orders_per_member = check.number(purchases, "orders_per_member_month", "purchases",
                                     default=1.0, high=1_000)
    churn = check.number(purchases, "monthly_churn", "purchases", default=0.0, high=1)

    merchants_raw = raw.get("merchants")
    if not isinstance(merchants_raw, list) or not merchants_raw:
        raise check.fail("merchants", "needs at least one [[merchants]] table")
    merchants: list[MerchantSpec] = []
    for position, entry in enumerate(merchants_raw):
        where = f"merchants[{position}]"
        check.keys(entry, where, _MERCHANT_KEYS)
        merchant_id = check.text(entry, "id", where)
        if not merchant_id.isascii() or not merchant_id.replace("-", "").isalnum():
            raise check.fail(f"{where}.id", "must be ASCII letters, digits and '-'")
        if any(merchant.id == merchant_id for merchant in merchants):
            raise check.fail(f"{where}.id", f"{merchant_id!r} is used twice")
        merchants.append(MerchantSpec(
            merchant_id, check.text(entry, "name", where, default=merchant_id),
            check.text(entry, "industry", where, default=""),
            check.number(entry, "weight", where, default=1.0, low_open=True),
            check.distribution(entry.get("margin"), f"{where}.margin", high=1.0),
            check.distribution(entry.get("order_value"), f"{where}.order_value"),
        ))

    campaigns: list[CampaignSpec] = []
    for position, entry in enumerate(raw.get("campaigns", [])):
        where = f"campaigns[{position}]"
        check.keys(entry, where, _CAMPAIGN_KEYS)
        merchant = entry.get("merchant")
        if merchant is not None and all(spec.id != merchant for spec in merchants):
            raise check.fail(f"{where}.merchant", f"no merchant {merchant!r} in [[merchants]]")
        multiplier = check.number(entry, "multiplier", where, low=0, high=100, low_open=True)
        first = check.integer(entry, "start_month", where, low=1, high=months)
        last = check.integer(entry, "end_month", where, default=first, low=first, high=months)
        campaigns.append(CampaignSpec(
            check.text(entry, "id", where), merchant, repr(multiplier) if type(
                entry["multiplier"]) is float else str(entry["multiplier"]), first, last,
            check.number(entry, "share_of_orders", where, default=1.0, high=1),
        ))

    rules = _rules(check, raw.get("rules", {}), "rules")
    variants: list[Variant] = []
    for position, entry in enumerate(raw.get("variants", [])):
        where = f"variants[{position}]"
        check.keys(entry, where, _VARIANT_KEYS)
        variant_name = check.text(entry, "name", where)
        if any(variant.name == variant_name for variant in variants):
            raise check.fail(f"{where}.name", f"{variant_name!r} is used twice")
        overrides = _rules(check, entry.get("rules", {}), f"{where}.rules")
        try:
            parse_rule_changes({**rules, **overrides})
        except Rejected as error:  # pragma: no cover - each part was checked above
            raise check.fail(f"{where}.rules", error.message) from None
        variants.append(Variant(variant_name, overrides))

    scheduled: list[RuleChange] = []
    if not isinstance(raw.get("rule_changes", []), list):
        raise check.fail("rule_changes", "must be [[rule_changes]] tables")
    for position, entry in enumerate(raw.get("rule_changes", [])):
        where = f"rule_changes[{position}]"
        check.keys(entry, where, _RULE_CHANGE_KEYS)
        month = check.integer(entry, "month", where, low=2, high=months)
        if scheduled and month < scheduled[-1].month:
            raise check.fail(f"{where}.month", "must not come before the month of the "
                                               "change above it")
        changes = _rules(check, entry.get("rules"), f"{where}.rules")
        if not changes:  # as the engine says: a rules command must change at least one rule
            raise check.fail(f"{where}.rules", "must change at least one rule")
        scheduled.append(RuleChange(month, changes))

    behaviour = check.keys(raw.get("behaviour", {}), "behaviour", _ALLOWED_AT["behaviour"])
    threshold = behaviour.get("withdraw_gain_threshold")
    if threshold is not None:
        threshold = check.number(behaviour, "withdraw_gain_threshold", "behaviour", high=1_000)
    bank_run_month, bank_run_share = None, 0.0
    if "bank_run" in behaviour:
        run = check.keys(behaviour["bank_run"], "behaviour.bank_run",
                         _ALLOWED_AT["behaviour.bank_run"])
        bank_run_month = check.integer(run, "month", "behaviour.bank_run", low=1, high=months)
        bank_run_share = check.number(run, "share_of_members", "behaviour.bank_run", high=1)

    after_fall = None
    if "withdraw_after_fall" in behaviour:
        where = "behaviour.withdraw_after_fall"
        fall = check.keys(behaviour["withdraw_after_fall"], where, _ALLOWED_AT[where])
        after_fall = (check.number(fall, "drop", where, high=1, low_open=True),
                      check.number(fall, "probability", where, high=1))
    after_rise = None
    if "buy_more_after_rise" in behaviour:
        where = "behaviour.buy_more_after_rise"
        rise = check.keys(behaviour["buy_more_after_rise"], where, _ALLOWED_AT[where])
        after_rise = (check.number(rise, "rise", where, high=1_000, low_open=True),
                      check.number(rise, "factor", where, high=100))
    pledge = None
    if "pledge" in behaviour:
        where = "behaviour.pledge"
        table = check.keys(behaviour["pledge"], where, _ALLOWED_AT[where])
        pledge = PledgeBehaviour(
            check.number(table, "probability", where, high=1),
            check.number(table, "share", where, default=0.5, high=1, low_open=True),
            check.number(table, "loan_share", where, default=0.5, high=1, low_open=True),
            check.integer(table, "months", where, default=3, low=1, high=MAX_MONTHS),
            check.number(table, "seize_probability", where, default=0.0, high=1))
        if any(merchant.id == LENDER_ID for merchant in merchants):
            raise check.fail(where, f"the run registers a lender {LENDER_ID!r}, and merchants "
                                    "and lenders share one namespace: rename that merchant")

    shocks: list[Shock] = []
    for position, entry in enumerate(raw.get("shocks", [])):
        where = f"shocks[{position}]"
        check.keys(entry, where, _SHOCK_KEYS)
        first = check.integer(entry, "from_month", where, low=1, high=months)
        last = entry.get("to_month")
        if last is not None:
            last = check.integer(entry, "to_month", where, low=first, high=months)
        shocks.append(Shock(first, last,
                            check.number(entry, "purchase_factor", where, default=1.0, high=100),
                            check.number(entry, "arrivals_factor", where, default=1.0, high=100)))

    return Scenario(
        name=name, file=file, title=check.text(raw, "title", "", default=name),
        description=check.text(raw, "description", "", default=""), source=source, raw=raw,
        months=months, start=start, burn=burn, arrivals=arrivals,
        orders_per_member_month=orders_per_member, monthly_churn=churn,
        merchants=tuple(merchants), campaigns=tuple(campaigns), rules=rules,
        variants=tuple(variants),
        withdraw_probability=check.number(behaviour, "withdraw_probability", "behaviour",
                                          default=0.0, high=1),
        withdraw_gain_threshold=threshold,
        pay_probability=check.number(behaviour, "pay_probability", "behaviour", default=0.0,
                                     high=1),
        pay_share=check.number(behaviour, "pay_share", "behaviour", default=0.5, high=1,
                               low_open=True),
        bank_run_month=bank_run_month, bank_run_share=bank_run_share, shocks=tuple(shocks),
        title_en=check.text(raw, "title_en", "", default=""),
        description_en=check.text(raw, "description_en", "", default=""),
        rule_changes_scheduled=tuple(scheduled),
        withdraw_after_fall=after_fall, buy_more_after_rise=after_rise,
        transfer_probability=check.number(behaviour, "transfer_probability", "behaviour",
                                          default=0.0, high=1),
        transfer_share=check.number(behaviour, "transfer_share", "behaviour", default=0.5,
                                    high=1, low_open=True),
        pledge=pledge,
    )
