"""What a log entry did, in sentences people read: "会员 p-… 在 鲜到家生鲜 消费 ¥100.00，获得
21 积分，收益池增加 ¥6.00。"

Told from the entry's effects (what the engine recorded), never recomputed: each effect,
or an order with its settlement and points, is one sentence of web/explorer_texts.py
(``story_<type>``) with its values filled in, as HTML: amounts and points in elements that
never break, a member's pseudonym linked to their public page, a merchant or lender by its
name where the log registered one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup, escape

from ..errors import Rejected
from ..members.pseudonyms import is_pseudonym
from ..money import group_thousands
from ..rules import rule_label
from ..times import display_time
from .i18n import translator

Names = Mapping[str, Mapping[str, Any]]
"""Registered parties' views by id (the read model's ``merchants`` or ``lenders``)."""


def money(text: object) -> Markup:
    """A decimal string of CNY as '¥1,234.50', never broken across lines."""
    return Markup('<span class="money">¥{}</span>').format(group_thousands(str(text)))


def points(text: object) -> Markup:
    """Points as people count them: thousands grouped, no trailing zeros ('21', '123.711')."""
    shown = str(text)
    if "." in shown:
        shown = shown.rstrip("0").rstrip(".")
    return Markup('<span class="num">{}</span>').format(group_thousands(shown))


def member_link(pseudonym: object) -> Markup:
    """A member by the log's pseudonym, shortened, linked to their public page."""
    name = str(pseudonym)
    short = name if len(name) <= 12 else name[:10] + "…"
    if not is_pseudonym(name):
        return Markup('<span class="hash">{}</span>').format(short)
    return Markup('<a class="hash" href="/member?p={}" title="{}">{}</a>').format(
        name, name, short)


def moment(text: object) -> Markup:
    """A time of the log, to the minute, Asia/Shanghai ('2026-07-22 13:43')."""
    try:
        shown = display_time(str(text))
    except Rejected:
        shown = str(text)
    return Markup('<span class="when">{}</span>').format(shown)


def percent(text: object) -> Markup:
    """A rate such as '0.01' as '1%'."""
    try:
        shown = f"{(Decimal(str(text)) * 100).normalize():f}%"
    except InvalidOperation:
        shown = str(text)
    return Markup('<span class="num">{}</span>').format(shown)


_MONEY = ("amount", "injection", "value", "paid", "loan", "to_lender", "to_member",
          "pool_after", "shortfall", "pol_total", "owed")
_CODE = ("order", "pledge", "payout", "campaign", "merchant_id", "lender_id",
         "report_sha256", "reference", "root")


class Teller:
    """Tells entries in one language, naming merchants and lenders as the log registered
    them."""

    def __init__(self, language: str, merchants: Names, lenders: Names) -> None:
        self.language = language
        self.t = translator(language)
        self.merchants = merchants
        self.lenders = lenders

    def merchant(self, merchant_id: object) -> Markup:
        if merchant_id is None:
            return Markup(escape(self.t("story_all_merchants")))
        view = self.merchants.get(str(merchant_id))
        name = view.get("name") if view else None
        return Markup("<strong>{}</strong>").format(name or merchant_id)

    def lender(self, lender_id: object) -> Markup:
        view = self.lenders.get(str(lender_id))
        name = view.get("name") if view else None
        return Markup("<strong>{}</strong>").format(name or lender_id)

    def party(self, effect: Mapping[str, Any]) -> Markup:
        """The one party a payout names: '会员 p-…', '商家 鲜到家生鲜', '贷款机构 …'."""
        for field, word, show in (("member", "story_member", member_link),
                                  ("merchant", "story_merchant", self.merchant),
                                  ("lender", "story_lender", self.lender)):
            if effect.get(field) is not None:
                return Markup("{} {}").format(self.t(word), show(effect[field]))
        return Markup("")

    def sentence(self, key: str, values: Mapping[str, Any]) -> Markup:
        """The catalogue's sentence ``key`` with ``values`` shown as each field is."""
        shown: dict[str, Markup] = {}
        for name, value in values.items():
            shown[name] = self.value(name, value)
        return Markup(escape(self.t(key))).format(**shown)

    def value(self, name: str, value: Any) -> Markup:
        if isinstance(value, Markup):
            return value
        if name in _MONEY:
            return money(value)
        if name == "points":
            return points(value)
        if name in ("member", "sender", "receiver"):
            return member_link(value)
        if name == "merchant":
            return self.merchant(value)
        if name == "lender":
            return self.lender(value)
        if name in ("at", "start", "end", "settles_at"):
            return moment(value)
        if name == "rate":
            return percent(value)
        if name in _CODE:
            return Markup('<code class="hash">{}</code>').format(value)
        return Markup('<span class="num">{}</span>').format(value) if isinstance(
            value, int) else Markup(escape(str(value)))

    def tell(self, entry: Mapping[str, Any]) -> list[Markup]:
        """The entry's sentences, in the order its effects happened."""
        command = entry["command"]
        effects: list[Mapping[str, Any]] = entry["effects"]
        told: list[Markup] = []
        used: set[int] = set()
        for position, effect in enumerate(effects):
            if position in used:
                continue
            told.append(self._effect(effect, effects, position, used))
        if not told:
            if command.get("op") == "continues":
                told.append(self.sentence("story_continues", {
                    "origin": command.get("origin"), "tree_size": command.get("tree_size"),
                    "root": command.get("root")}))
            else:
                told.append(self.sentence("story_tick", {"at": command.get("at")}))
        return told

    def _effect(self, effect: Mapping[str, Any], effects: list[Mapping[str, Any]],
                position: int, used: set[int]) -> Markup:
        kind = effect["type"]
        special = _SPECIAL.get(kind)
        if special is not None:
            return special(self, effect, effects, position, used)
        return self.sentence(f"story_{kind}", {
            name: value for name, value in effect.items() if name != "type"})


def _later(effects: list[Mapping[str, Any]], position: int, kind: str, order: object,
           used: set[int]) -> Mapping[str, Any] | None:
    """The first effect of ``kind`` for ``order`` after ``position``, marked as told."""
    for later in range(position + 1, len(effects)):
        effect = effects[later]
        if later not in used and effect["type"] == kind and effect.get("order") == order:
            used.add(later)
            return effect
    return None


def _order_placed(teller: Teller, effect: Mapping[str, Any],
                  effects: list[Mapping[str, Any]], position: int, used: set[int]) -> Markup:
    settled = _later(effects, position, "order_settled", effect["order"], used)
    minted = _later(effects, position, "points_minted", effect["order"], used) \
        if settled else None
    if settled is not None and minted is not None:
        return teller.sentence("story_order", {
            "member": effect["member"], "merchant": effect["merchant"],
            "amount": effect["amount"], "points": minted["points"],
            "injection": settled["injection"]})
    if settled is not None:  # no points: the rules minted none
        return Markup("{} {}").format(
            teller.sentence("story_order_pending", {
                "member": effect["member"], "merchant": effect["merchant"],
                "amount": effect["amount"], "order": effect["order"],
                "settles_at": effect["settles_at"]}),
            teller.sentence("story_order_settled_only", {
                "order": settled["order"], "injection": settled["injection"]}))
    return teller.sentence("story_order_pending", {
        "member": effect["member"], "merchant": effect["merchant"],
        "amount": effect["amount"], "order": effect["order"],
        "settles_at": effect["settles_at"]})


def _order_settled(teller: Teller, effect: Mapping[str, Any],
                   effects: list[Mapping[str, Any]], position: int, used: set[int]) -> Markup:
    minted = _later(effects, position, "points_minted", effect["order"], used)
    if minted is None:
        return teller.sentence("story_order_settled_only", {
            "order": effect["order"], "injection": effect["injection"]})
    return teller.sentence("story_order_settled", {
        "order": effect["order"], "injection": effect["injection"],
        "member": effect["member"], "points": minted["points"]})


def _lot_exited(teller: Teller, effect: Mapping[str, Any],
                effects: list[Mapping[str, Any]], position: int, used: set[int]) -> Markup:
    key = "story_lot_exited" if effect.get("pledge") is None else "story_lot_exited_pledged"
    return teller.sentence(key, {name: effect.get(name) for name in (
        "member", "lot", "paid", "to_lender", "to_member")})


def _burned(teller: Teller, effect: Mapping[str, Any],
            effects: list[Mapping[str, Any]], position: int, used: set[int]) -> Markup:
    return teller.sentence("story_burned", {"period": effect["period"],
                                            "rate": effect["burn_rate"]})


def _rules_changed(teller: Teller, effect: Mapping[str, Any],
                   effects: list[Mapping[str, Any]], position: int, used: set[int]) -> Markup:
    separator = "；" if teller.language == "zh" else "; "
    changes = Markup(separator).join(
        Markup("{} = <span class=\"num\">{}</span>").format(
            rule_label(name, teller.language), "—" if value is None else value)
        for name, value in effect["changes"].items())
    return teller.sentence("story_rules_changed", {"changes": changes})


def _payout(teller: Teller, effect: Mapping[str, Any],
            effects: list[Mapping[str, Any]], position: int, used: set[int]) -> Markup:
    values: dict[str, Any] = {name: effect.get(name) for name in (
        "payout", "amount", "owed", "reason", "reference")}
    values["party"] = teller.party(effect)
    return teller.sentence(f"story_{effect['type']}", values)


def _disclosure(teller: Teller, effect: Mapping[str, Any],
                effects: list[Mapping[str, Any]], position: int, used: set[int]) -> Markup:
    return teller.sentence("story_disclosure_published", {
        name: effect[name] for name in ("period", "pol_total", "report_sha256")})


def _registered(teller: Teller, effect: Mapping[str, Any],
                effects: list[Mapping[str, Any]], position: int, used: set[int]) -> Markup:
    # the id as itself beside the name (the name comes from this very effect)
    kind = effect["type"]
    party = "merchant" if kind == "merchant_registered" else "lender"
    values = {name: value for name, value in effect.items() if name not in ("type", party)}
    values[party] = Markup('<code class="hash">{}</code>').format(effect[party])
    return teller.sentence(f"story_{kind}", values)


_SPECIAL: dict[str, Callable[[Teller, Mapping[str, Any], list[Mapping[str, Any]], int,
                              set[int]], Markup]] = {
    "order_placed": _order_placed, "order_settled": _order_settled,
    "lot_exited": _lot_exited, "burned": _burned, "rules_changed": _rules_changed,
    "payout_sent": _payout, "payout_settled": _payout, "payout_returned": _payout,
    "disclosure_published": _disclosure, "merchant_registered": _registered,
    "lender_registered": _registered,
}


def members_of(entry: Mapping[str, Any]) -> list[str]:
    """The pseudonyms an entry's command and effects name, in order of first mention."""
    found: list[str] = []
    for record in (entry["command"], *entry["effects"]):
        for name in ("member", "sender", "receiver", "from", "to"):
            value = record.get(name)
            if isinstance(value, str) and is_pseudonym(value) and value not in found:
                found.append(value)
        party = record.get("party")
        if isinstance(party, str) and party.startswith("member:"):
            value = party.removeprefix("member:")
            if is_pseudonym(value) and value not in found:
                found.append(value)
    return found
