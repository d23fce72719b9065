"""The rules as the pages show them: each rule's name, unit, allowed range, value and
input, all from the one place the engine's check is built from (``rules.RULE_SPECS``);
and a refused value's reason in the reader's language (``rules.RuleRefused``).

The console's rule editor and the public rules page use these; ``rule_unit`` and
``rule_range`` are also template globals (``rule_unit(name, lang)``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..money import format_rational, group_thousands
from ..rules import RULE_LABELS, RULE_SPECS, RuleRefused, RuleSpec, rule_label
from .i18n import translator
from .pages import templates


def rule_unit(name: str, language: str) -> str:
    """What the rule's number counts ("倍", "days"); "" for a toggle or a choice."""
    spec = RULE_SPECS.get(name)
    if spec is None:
        return ""
    return spec.unit.en if language == "en" else spec.unit.zh


def rule_range(name: str, language: str) -> str:
    """The values the engine accepts, in words: "大于 1，不超过 1000"."""
    spec = RULE_SPECS.get(name)
    if spec is None:
        return ""
    t = translator(language)
    if spec.kind == "toggle":
        return t("console_range_toggle")
    if spec.kind == "choice":
        return " / ".join(_option(label, language) for _, label in spec.options)
    if spec.kind == "days":
        high = spec.high[0] if spec.high is not None else 0
        return t("console_range_days").format(high=high)
    text = _bounds(spec, language)
    if spec.kind in ("money", "price"):
        text = t("console_range_join").format(
            first=text, second=t("console_range_decimals").format(decimals=spec.decimals))
    if spec.optional:
        text = t("console_range_join").format(first=text, second=t("console_range_off"))
    return text


def _bounds(spec: RuleSpec, language: str) -> str:
    t = translator(language)
    low = None if spec.low is None else format_rational(spec.low)
    high = None if spec.high is None else format_rational(spec.high)
    if low is not None and high is not None and not (spec.low_open or spec.high_open):
        return t("console_range_between").format(low=low, high=high)
    parts = []
    if low is not None:
        parts.append(t("console_range_above" if spec.low_open else "console_range_at_least")
                     .format(bound=low))
    if high is not None:
        parts.append(t("console_range_below" if spec.high_open else "console_range_at_most")
                     .format(bound=high))
    if len(parts) == 1:
        return parts[0]
    return t("console_range_join").format(first=parts[0], second=parts[1])


def _option(label: Any, language: str) -> str:
    return str(label.en if language == "en" else label.zh)


def rule_shown(name: str, value: object, language: str) -> str:
    """A rule's value as people read it: off, on/off, a choice by its name, CNY with
    separators, or the number as the rule states it (the unit beside it, not in it)."""
    t = translator(language)
    spec = RULE_SPECS.get(name)
    if value is None:
        return t("rule_off")
    if isinstance(value, bool):
        return t("console_on") if value else t("console_off")
    if spec is not None and spec.kind == "choice":
        for option, label in spec.options:
            if option == value:
                return _option(label, language)
    if spec is not None and spec.kind == "money":
        return group_thousands(str(value))
    return str(value)


def input_text(value: object) -> str:
    """A rule's value as its input holds it ("" for a rule that is off)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rule_fields(current: Mapping[str, Any], language: str,
                entered: Mapping[str, str] | None = None,
                errors: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Every rule, in the rulebook's order, as the editor shows it: name, identifier, unit,
    range, current value, its input (kind, value, options, bounds) and any refusal."""
    fields = []
    for name, spec in RULE_SPECS.items():
        if name not in current:
            continue
        value = current[name]
        shown_input = input_text(value)
        if entered is not None and f"rule.{name}" in entered:
            shown_input = entered[f"rule.{name}"]
        elif entered is not None and spec.kind == "toggle":
            shown_input = "false"  # a checkbox left off sends nothing
        fields.append({
            "name": name, "label": rule_label(name, language), "kind": spec.kind,
            "unit": rule_unit(name, language), "range": rule_range(name, language),
            "current": rule_shown(name, value, language), "input": shown_input,
            "optional": spec.optional,
            "options": [(option, _option(label, language)) for option, label in spec.options],
            "min": None if spec.low is None else format_rational(spec.low),
            "max": None if spec.high is None else format_rational(spec.high),
            "error": (errors or {}).get(name, ""),
        })
    return fields


def refusal_text(error: RuleRefused, language: str) -> str:
    """Why the engine refused a rule's value, in ``language``: the rule by its name for
    people, and the bound it states."""
    t = translator(language)
    key = f"console_refused_{error.reason}"
    spec = RULE_SPECS.get(error.rule)
    name = rule_label(error.rule, language) if error.rule in RULE_LABELS else error.rule
    bound = error.bound
    if error.reason == "one_of" and spec is not None:
        bound = " / ".join(_option(label, language) for _, label in spec.options)
    return t(key).format(rule=name, bound=bound,
                         decimals=spec.decimals if spec is not None else 0)


templates.env.globals["rule_unit"] = rule_unit
templates.env.globals["rule_range"] = rule_range
