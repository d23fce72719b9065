"""The monthly disclosure (公示) as a page and a PDF, from its JSON twin.

Both renderings are built from one view of the report (:func:`_view`), so they show the
same figures with the same labels, Chinese first and English beside it. Figures are printed
as the twin gives them; money gets thousands separators and shares become percentages, both
by string and ``Fraction`` arithmetic, never through ``float``. The same report always gives
the same bytes: the page has no clock in it, and the PDF is written with reportlab's
``invariant`` flag (fixed dates and document id).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

import jinja2
from markupsafe import Markup

from ..money import format_percent, group_thousands
from ..rules import RULE_LABELS
from ..texts import BURN_NOTE as BURN_SENTENCE


class Bi(NamedTuple):
    """A text in Chinese and in English."""

    zh: str
    en: str


Text = str | Bi
"""A figure (the same in both languages) or a bilingual text."""


class Cell(NamedTuple):
    text: Text
    cls: str = ""
    """Space-separated classes: ``num``, ``code``, ``shortfall``, ``uncovered``."""


class Facts(NamedTuple):
    """Label and value pairs."""

    rows: list[tuple[Bi, Cell]]
    kind: str = "facts"


class Grid(NamedTuple):
    """A table; ``empty`` is shown instead of the rows when there are none."""

    caption: Bi
    head: list[Bi]
    rows: list[list[Cell]]
    empty: Bi
    widths: tuple[float, ...]
    """Relative column widths for the PDF."""
    kind: str = "table"


class Note(NamedTuple):
    text: Bi
    """Text between backticks is shown as code."""
    cls: str = ""
    kind: str = "note"


Block = Facts | Grid | Note


class Section(NamedTuple):
    id: str
    title: Bi
    blocks: list[Block]


# --- figures ---------------------------------------------------------------------------

_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


def _fraction(text: object, what: str) -> Fraction:
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text):
        raise ValueError(f"disclosure report: {what} is not a decimal string: {text!r}")
    return Fraction(text)


def money(text: object, what: str = "money") -> str:
    """A decimal string of CNY with thousands separators: ``"81234.50"`` → ``"81,234.50"``."""
    _fraction(text, what)
    return group_thousands(str(text))


def percent(text: object, what: str = "share") -> str:
    """A decimal fraction as a percentage with one decimal, rounded half up:
    ``"0.1225"`` → ``"12.3%"``."""
    return format_percent(_fraction(text, what), half_up=True)


def _rate_percent(value: Fraction) -> str:
    """A rate as a short percentage: 1/5 → ``"20%"``, 0.125 → ``"12.5%"``."""
    return format_percent(value, half_up=True).replace(".0%", "%")


def _plain(value: object) -> Text:
    """A value printed as given; ``None`` and booleans in both languages."""
    if isinstance(value, Bi):
        return value
    if value is None:
        return Bi("无", "none")
    if value is True:
        return Bi("是", "yes")
    if value is False:
        return Bi("否", "no")
    return str(value)


def _num(value: object) -> Cell:
    return Cell(str(value), "num")


def _count(value: object) -> Cell:
    """A count that may be missing (``None``: shown as "none")."""
    return _text(value) if value is None else _num(value)


def _money(value: object, what: str) -> Cell:
    return Cell(money(value, what), "num")


def _code(value: object) -> Cell:
    return Cell(str(value), "code")


def _text(value: object) -> Cell:
    return Cell(_plain(value))


# --- words -----------------------------------------------------------------------------

TITLE = Bi("月度公示", "Monthly disclosure")
NO_PROMISE = Bi("本报告只陈述事实，不承诺任何收益。",
                "This report states facts and promises no return.")
BURN_NOTE = Bi(*BURN_SENTENCE)
LANG_SWITCH = Bi("English", "中文")

COUNT = Bi("笔数", "Count")
ORDERS = Bi("订单数", "Orders")
AMOUNT = Bi("消费金额（元）", "Amount (CNY)")
PROFIT = Bi("利润（元）", "Profit (CNY)")
INJECTED = Bi("注入收益池（元）", "Injected into the pool (CNY)")
INDUSTRY = Bi("行业", "Industry")
TIME = Bi("时间", "Time")
NONE_THIS_MONTH = Bi("本月没有。", "None this month.")

RULE_NAMES: dict[str, Bi] = {name: Bi(label.zh, label.en) for name, label in RULE_LABELS.items()}
"""The rules' names for people (rules.RULE_LABELS), in docs/rules.md section 3's order."""


def _rule_order(names: Mapping[str, Any]) -> list[str]:
    known = [name for name in RULE_NAMES if name in names]
    return known + sorted(name for name in names if name not in RULE_NAMES)


def _rule_label(name: str) -> Bi:
    return RULE_NAMES.get(name, Bi(name, name))


def _rate(rules: Mapping[str, Any], name: str) -> Fraction | None:
    try:
        return _fraction(rules[name], name)
    except (KeyError, ValueError):
        return None


# --- the view --------------------------------------------------------------------------


def _orders(report: Mapping[str, Any]) -> Section:
    orders = report["orders"]
    rules = report["rules"]["in_force"]
    blocks: list[Block] = [Facts([
        (ORDERS, _num(orders["count"])),
        (AMOUNT, _money(orders["amount"], "orders.amount")),
        (PROFIT, _money(orders["profit"], "orders.profit")),
        (INJECTED, _money(orders["injected"], "orders.injected")),
        (Bi("退款的订单", "Refunded orders"), _num(orders["refunded"])),
    ])]
    share = _rate(rules, "pool_share_of_profit")
    if share is not None:
        blocks.append(Note(Bi(
            f"现行规则下，每笔订单利润的 {_rate_percent(share)} 注入收益池"
            "（pool_share_of_profit）。",
            f"Under the rules in force, {_rate_percent(share)} of each order's profit is "
            "injected into the pool (pool_share_of_profit).")))
    blocks.append(Grid(
        Bi("按商家", "By merchant"),
        [Bi("商家", "Merchant"), Bi("名称", "Name"), INDUSTRY, ORDERS, AMOUNT, PROFIT, INJECTED],
        [[_code(row["merchant"]), _text(row["name"]), _text(row["industry"]), _num(row["orders"]),
          _money(row["amount"], "orders.by_merchant.amount"),
          _money(row["profit"], "orders.by_merchant.profit"),
          _money(row["injected"], "orders.by_merchant.injected")]
         for row in orders["by_merchant"]],
        NONE_THIS_MONTH, (1.1, 1.6, 1.4, 0.9, 1.3, 1.3, 1.3)))
    blocks.append(Grid(
        Bi("按行业", "By industry"),
        [INDUSTRY, ORDERS, AMOUNT, INJECTED],
        [[_text(row["industry"]), _num(row["orders"]),
          _money(row["amount"], "orders.by_industry.amount"),
          _money(row["injected"], "orders.by_industry.injected")]
         for row in orders["by_industry"]],
        NONE_THIS_MONTH, (2.0, 1.0, 1.5, 1.5)))
    return Section("orders", Bi("订单与注入收益池的利润分成", "Orders and profit shares injected"),
                   blocks)


def _outflows(report: Mapping[str, Any]) -> list[Section]:
    rules = report["rules"]["in_force"]
    withdrawals = report["withdrawals"]
    payout = _rate(rules, "withdraw_payout_rate")
    withdraw_blocks: list[Block] = [Facts([
        (COUNT, _num(withdrawals["count"])),
        (Bi("提现积分的价值（元）", "Value of the points withdrawn (CNY)"),
         _money(withdrawals["value"], "withdrawals.value")),
        (Bi("支付给用户（元）", "Paid to members (CNY)"),
         _money(withdrawals["paid"], "withdrawals.paid")),
        (Bi("留在收益池（回流，元）", "Kept in the pool (CNY)"),
         _money(withdrawals["kept_in_pool"], "withdrawals.kept_in_pool")),
    ])]
    if payout is not None:
        paid, kept = _rate_percent(payout), _rate_percent(1 - payout)
        withdraw_blocks.append(Note(Bi(
            f"每笔提现只支付其价值的 {paid}，其余 {kept} 留在收益池，归仍持有积分的用户。",
            f"A withdrawal pays {paid} of its value; the other {kept} stays in the pool, "
            "for the members who still hold points.")))
    payments = report["payments"]
    exits = report["exits"]
    seizures = report["seizures"]
    to_members = Bi("其中支付给用户（元）", "of which to members (CNY)")
    to_lenders = Bi("其中支付给出借方（元）", "of which to lenders (CNY)")
    pay_title = Bi("积分抵现（在商家消费）", "Payments with points at merchants")
    return [
        Section("withdrawals", Bi("提现", "Withdrawals"), withdraw_blocks),
        Section("payments", pay_title, [Facts([
            (COUNT, _num(payments["count"])),
            (Bi("所用积分的价值（元）", "Value of the points spent (CNY)"),
             _money(payments["value"], "payments.value")),
            (Bi("收益池支付给商家（元）", "Paid to merchants from the pool (CNY)"),
             _money(payments["paid_to_merchants"], "payments.paid_to_merchants")),
        ])]),
        Section("exits", Bi("强制出局", "Forced exits"), [Facts([
            (COUNT, _num(exits["count"])),
            (Bi("共支付（元）", "Paid in all (CNY)"), _money(exits["paid"], "exits.paid")),
            (to_members, _money(exits["to_members"], "exits.to_members")),
            (to_lenders, _money(exits["to_lenders"], "exits.to_lenders")),
        ])]),
        Section("seizures", Bi("质押处置", "Seizures of pledged points"), [Facts([
            (COUNT, _num(seizures["count"])),
            (Bi("共支付（元）", "Paid in all (CNY)"), _money(seizures["paid"], "seizures.paid")),
            (to_lenders, _money(seizures["to_lenders"], "seizures.to_lenders")),
            (to_members, _money(seizures["to_members"], "seizures.to_members")),
        ])]),
    ]


def _pool(report: Mapping[str, Any]) -> list[Section]:
    pool = report["pool"]
    supply = report["supply"]
    price = report["price"]
    value = report["value_per_point"]
    start_end = [Bi("项目", "Item"), Bi("月初", "Start of month"), Bi("月末", "End of month")]
    burns = Section("burns", Bi("销毁", "Burns"), [
        Grid(Bi("本月的销毁", "This month's burns"),
             [Bi("期间", "Period"), TIME, Bi("销毁前指数", "Index before"),
              Bi("销毁后指数", "Index after")],
             [[_text(row["period"]), _text(row["at"]), _num(row["index_before"]),
               _num(row["index_after"])] for row in report["burns"]],
             Bi("本月没有销毁。", "No burn this month."), (1.0, 2.0, 1.5, 1.5)),
        Note(BURN_NOTE),
    ])
    figures = Section("pool", Bi("收益池、积分与价格", "Pool, points and price"), [
        Grid(Bi("月初与月末", "Start and end of the month"), start_end, [
            [_text(Bi("收益池（元）", "Pool (CNY)")), _money(pool["start"], "pool.start"),
             _money(pool["end"], "pool.end")],
            [_text(Bi("流通积分", "Points in circulation")), _num(supply["start"]),
             _num(supply["end"])],
            [_text(Bi("积分价格（元/积分）", "Price per point (CNY)")), _num(price["start"]),
             _num(price["end"])],
            [_text(Bi("每积分价值（按未销毁计，元）", "Value per point, before burns (CNY)")),
             _num(value["start"]), _num(value["end"])],
        ], NONE_THIS_MONTH, (2.4, 1.3, 1.3)),
        Facts([
            (Bi("本月注入收益池（元）", "Injected this month (CNY)"),
             _money(pool["injected"], "pool.injected")),
            (Bi("本月从收益池支付（元）", "Paid from the pool this month (CNY)"),
             _money(pool["paid"], "pool.paid")),
        ]),
        Note(BURN_NOTE),
    ])
    return [burns, figures]


def _holders(report: Mapping[str, Any]) -> Section:
    holders = report["holders"]
    return Section("holders", Bi("持有人", "Holders"), [
        Facts([
            (Bi("用户数", "Members"), _num(holders["members"])),
            (Bi("持有积分的用户数", "Members holding points"), _num(holders["holding"])),
            (Bi("最大 10 位持有人所占份额", "Share of the 10 largest holders"),
             Cell(percent(holders["top10_share"], "holders.top10_share"), "num")),
            (Bi("最大持有人所占份额", "Share of the largest holder"),
             Cell(percent(holders["top1_share"], "holders.top1_share"), "num")),
        ]),
        Grid(Bi("按持有规模（价值，元）", "Members by holding size (value, CNY)"),
             [Bi("持有规模（元）", "Holding size (CNY)"), Bi("用户数", "Members"),
              Bi("合计价值（元）", "Value in all (CNY)")],
             [[_text(row["band"]), _num(row["members"]),
               _money(row["value"], "holders.by_size.value")] for row in holders["by_size"]],
             NONE_THIS_MONTH, (2.0, 1.0, 1.5)),
    ])


def _rules(report: Mapping[str, Any]) -> Section:
    rules = report["rules"]
    in_force = rules["in_force"]
    changes = []
    for change in rules["changes"]:
        changed = change["changes"]
        lines = "; ".join(f"{name} = {_flat(changed[name])}" for name in _rule_order(changed))
        changes.append([_text(change["at"]), _code(lines)])
    return Section("rules", Bi("规则", "Rules"), [
        Grid(Bi("现行规则（月末）", "Rules in force (end of month)"),
             [Bi("规则", "Rule"), Bi("名称", "Name"), Bi("值", "Value")],
             [[_text(_rule_label(name)), _code(name), _text(in_force[name])]
              for name in _rule_order(in_force)],
             NONE_THIS_MONTH, (2.6, 1.8, 1.2)),
        Grid(Bi("本月的每一次规则变更", "Every rule change this month"),
             [TIME, Bi("变更", "Changes")], changes,
             Bi("本月没有规则变更。", "No rule changed this month."), (1.6, 4.0)),
    ])


def _flat(value: object) -> str:
    """A rule value in one language-neutral word, as in the JSON twin."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _custody(report: Mapping[str, Any]) -> Section:
    rows = []
    for row in report["custody"]:
        short = money(row["shortfall"], "custody.shortfall")
        missing = _fraction(row["shortfall"], "custody.shortfall") != 0
        rows.append([_code(row["id"]), _text(row["at"]), _money(row["amount"], "custody.amount"),
                     _text(row["reference"]), _money(row["pool"], "custody.pool"),
                     Cell(short, "num shortfall" if missing else "num")])
    blocks: list[Block] = [
        Grid(Bi("托管账户中的资金与收益池", "Money in the custody account against the pool"),
             [Bi("编号", "Id"), TIME, Bi("托管金额（元）", "Held (CNY)"),
              Bi("凭证", "Reference"), Bi("收益池（元）", "Pool (CNY)"),
              Bi("缺口（元）", "Shortfall (CNY)")],
             rows, Bi("本月没有托管数字。", "No custody figure this month."),
             (0.8, 1.7, 1.2, 1.8, 1.2, 1.1)),
        Note(Bi("缺口是收益池超出托管金额的部分；不为零时以红色标出。",
                "The shortfall is how much the pool exceeds the money held; "
                "when it is not zero it is shown in red.")),
    ]
    if "cash" in report:
        blocks.append(Note(Bi(
            "此表的缺口只与收益池比较（记录时引擎算出的数字，旧日志也有）；托管账户还须持有"
            "待付与在途的资金，与此全部比较的结果见“待付、在途与托管应有”。",
            "This table's shortfall compares the money held with the pool alone (the figure "
            "the engine computed when it was recorded, as in older logs); the account must "
            "also hold what is owed and in flight: the comparison with all of it is under "
            "\"Owed, in flight and custody needed\".")))
    return Section("custody", Bi("托管资金", "Custody"), blocks)


def _difference(text: object, what: str) -> tuple[Bi, Cell]:
    """A recorded figure minus what it should be: a shortfall in red, a surplus, or 0."""
    value = _fraction(text, what)
    shown = money(text, what)
    if value < 0:
        return (Bi("缺口（元）", "Shortfall (CNY)"),
                Cell(money(str(text).lstrip("-"), what), "num shortfall"))
    if value > 0:
        return Bi("盈余（元）", "Surplus (CNY)"), Cell(shown, "num")
    return Bi("差额（元）", "Difference (CNY)"), Cell(shown, "num")


def _cash(report: Mapping[str, Any]) -> Section | None:
    """Format 2: cash at the month's end, the month's payouts, and custody needed."""
    cash = report.get("cash")
    if cash is None:
        return None
    end, custody, payouts = cash["end"], cash["custody"], cash["payouts"]
    facts: list[tuple[Bi, Cell]] = [
        (Bi("收益池（元）", "Pool (CNY)"), _money(end["pool"], "cash.end.pool")),
        (Bi("待付（已离开收益池、尚未付出，元）", "Owed (left the pool, not yet sent; CNY)"),
         _money(end["owed"], "cash.end.owed")),
        (Bi("在途（已发往银行、尚未确认，元）", "In flight (sent to the bank, not confirmed; CNY)"),
         _money(end["in_flight"], "cash.end.in_flight")),
        (Bi("已结清（累计，元）", "Settled (since the start; CNY)"),
         _money(end["settled"], "cash.end.settled")),
        (Bi("托管应有 = 收益池 + 待付 + 在途（元）",
            "Custody needed = pool + owed + in flight (CNY)"),
         _money(custody["needed"], "cash.custody.needed")),
    ]
    if custody["recorded"] is None:
        facts.append((Bi("本月记录的托管金额", "Custody recorded this month"),
                      Cell(Bi("本月没有托管数字", "no custody figure this month"))))
    else:
        facts.append((Bi("本月最后记录的托管金额（元）", "Last custody figure this month (CNY)"),
                      _money(custody["recorded"], "cash.custody.recorded")))
        facts.append((Bi("托管记录", "Custody record"),
                      Cell(f"{custody['id']} · {custody['at']} · {custody['reference']}")))
        facts.append(_difference(custody["difference"], "cash.custody.difference"))
    kinds = [(Bi("用户", "Members"), "members"), (Bi("商家", "Merchants"), "merchants"),
             (Bi("出借方", "Lenders"), "lenders")]
    return Section("cash", Bi("待付、在途与托管应有", "Owed, in flight and custody needed"), [
        Facts(facts),
        Grid(Bi("本月的付款", "This month's payouts"),
             [Bi("付款", "Payouts"), COUNT, Bi("金额（元）", "Amount (CNY)")],
             [[_text(label), _num(payouts[name]["count"]),
               _money(payouts[name]["amount"], f"cash.payouts.{name}.amount")]
              for label, name in [(Bi("发出（待付 → 在途）", "Sent (owed → in flight)"), "sent"),
                                  (Bi("银行确认（在途 → 已结清）",
                                      "Settled by the bank (in flight → settled)"), "settled"),
                                  (Bi("银行退回（在途 → 待付）",
                                      "Returned by the bank (in flight → owed)"), "returned")]],
             NONE_THIS_MONTH, (2.6, 0.8, 1.3)),
        Grid(Bi("月末待付与在途，按对象", "Owed and in flight at the month's end, by party"),
             [Bi("对象", "Party"), Bi("待付（元）", "Owed (CNY)"),
              Bi("在途（元）", "In flight (CNY)")],
             [[_text(label), _money(cash["owed_by"][name], f"cash.owed_by.{name}"),
               _money(cash["in_flight_by"][name], f"cash.in_flight_by.{name}")]
              for label, name in kinds],
             NONE_THIS_MONTH, (2.0, 1.3, 1.3)),
        Note(Bi(
            "收益池支付给用户、商家或出借方的钱，在离开收益池时即归对方所有：银行付出前为待付，"
            "发出后为在途，银行确认后为已结清；被退回的钱重新成为待付，不回到收益池。"
            "托管账户须持有收益池 + 待付 + 在途。差额 = 本月最后记录的托管金额 − 月末托管应有"
            "（记录时刻可早于月末）；为负即缺口，以红色标出。",
            "Money the pool pays a member, merchant or lender is theirs from the moment it "
            "leaves the pool: owed until sent, in flight until the bank confirms it, then "
            "settled; money the bank returns is owed again and never goes back into the pool. "
            "The custody account must hold pool + owed + in flight. Difference = the month's "
            "last recorded custody figure − custody needed at the month's end (the record may "
            "be earlier than the month's end); below zero it is a shortfall, shown in red.")),
    ])


def _anchors(report: Mapping[str, Any]) -> Section:
    return Section("anchors", Bi("链上锚定", "Anchors on chain"), [
        Grid(Bi("本月的锚定", "This month's anchors"),
             [Bi("编号", "Number"), Bi("日志树大小", "Tree size"), Bi("日志区块", "Block"),
              Bi("链", "Chain id"), Bi("合约 / 交易", "Contract / transaction")],
             [[_num(row["number"]), _num(row["tree_size"]), _num(row["block"]),
               _num(row["chain_id"]),
               Cell(f"{row['contract']}\n{row['transaction']}", "code")]
              for row in report["anchors"]],
             Bi("本月没有锚定。", "No anchor this month."), (0.6, 0.8, 0.7, 0.6, 4.2)),
    ])


def _liabilities(report: Mapping[str, Any]) -> Section:
    pol = report["proof_of_liabilities"]
    if pol.get("format") == "pol-leaf-v2":
        return _liabilities_v2(pol)
    covered = pol["covered"] is True
    blocks: list[Block] = [Facts([
        (Bi("根", "Root"), _code(pol["root"])),
        (Bi("所有持有的价值合计（元）", "Total of every holding (CNY)"),
         _money(pol["total"], "proof_of_liabilities.total")),
        (Bi("叶子数", "Leaves"), _num(pol["leaves"])),
        (Bi("用户数", "Members"), _num(pol["members"])),
        (Bi("收益池（元）", "Pool (CNY)"), _money(pol["pool"], "proof_of_liabilities.pool")),
        (Bi("收益池足以覆盖", "The pool covers it"),
         Cell(Bi("是", "yes") if covered else Bi("否", "no"), "" if covered else "uncovered")),
    ])]
    if not covered:
        blocks.append(Note(Bi("收益池不足以同时支付所有持有。",
                              "The pool could not pay every holding at once."), "uncovered"))
    return Section("liabilities", Bi("负债证明", "Proof of liabilities"), blocks)


def _yes_no(value: object, what: Bi) -> tuple[Bi, Cell]:
    if value is None:
        return what, Cell(Bi("本月没有托管数字", "no custody figure this month"))
    return what, Cell(Bi("是", "yes") if value is True else Bi("否", "no"),
                      "" if value is True else "uncovered")


def _liabilities_v2(pol: Mapping[str, Any]) -> Section:
    """A format 2 tree: every party's points, owed and in flight, against custody."""
    parties = pol["parties"]
    what = "proof_of_liabilities"
    blocks: list[Block] = [Facts([
        (Bi("根", "Root"), _code(pol["root"])),
        (Bi("负债合计（元）", "Total of all liabilities (CNY)"),
         _money(pol["total"], f"{what}.total")),
        (Bi("其中：用户积分的价值（元）", "of which: value of members' points (CNY)"),
         _money(pol["points"], f"{what}.points")),
        (Bi("其中：待付（元）", "of which: owed (CNY)"), _money(pol["owed"], f"{what}.owed")),
        (Bi("其中：在途（元）", "of which: in flight (CNY)"),
         _money(pol["in_flight"], f"{what}.in_flight")),
        (Bi("叶子数", "Leaves"), _num(pol["leaves"])),
        (Bi("用户 / 商家 / 出借方", "Members / merchants / lenders"),
         Cell(f"{parties['members']} / {parties['merchants']} / {parties['lenders']}", "num")),
        (Bi("收益池（元）", "Pool (CNY)"), _money(pol["pool"], f"{what}.pool")),
        _yes_no(pol["pool_covers_points"],
                Bi("收益池足以覆盖积分的价值", "The pool covers the points' value")),
        (Bi("托管应有（元）", "Custody needed (CNY)"),
         _money(pol["custody_needed"], f"{what}.custody_needed")),
        (Bi("本月最后记录的托管金额（元）", "Last custody figure this month (CNY)"),
         _text(pol["custody"]) if pol["custody"] is None
         else _money(pol["custody"], f"{what}.custody")),
        _yes_no(pol["custody_covers"],
                Bi("托管金额足以覆盖负债合计", "The custody figure covers the total")),
    ])]
    if pol["pool_covers_points"] is not True:
        blocks.append(Note(Bi("收益池不足以同时支付所有持有。",
                              "The pool could not pay every holding at once."), "uncovered"))
    if pol["custody_covers"] is False:
        blocks.append(Note(Bi("记录的托管金额少于负债合计。",
                              "The custody figure recorded is less than the total owed."),
                           "uncovered"))
    blocks.append(Note(Bi(
        "负债合计 = 每位用户积分的价值 + 欠每位用户、商家、出借方的待付与在途；每一方在树中"
        "都有自己的叶子，用户可用自己的证明核对其积分价值、待付与在途都计入合计。",
        "Total = the value of every member's points + what every member, merchant and "
        "lender is owed and has in flight; each party has leaves of its own in the tree, and "
        "a member's proof shows that their points' value, what they are owed and what is in "
        "flight to them are all counted in the total.")))
    return Section("liabilities", Bi("负债证明", "Proof of liabilities"), blocks)


def _notes(report: Mapping[str, Any]) -> Section | None:
    shown = {NO_PROMISE.zh, NO_PROMISE.en, BURN_NOTE.zh, BURN_NOTE.en}
    notes = report["notes"]
    rows = [(Bi(name, name), _text(notes[name])) for name in sorted(notes)
            if str(notes[name]) not in shown]
    if not rows:
        return None
    return Section("notes", Bi("说明（JSON 副本原文）", "Notes (as in the JSON twin)"),
                   [Facts(rows)])


def _view(report: Mapping[str, Any]) -> dict[str, Any]:
    period = str(report["period"])
    program = report["program"]
    source = report["generated_from"]
    first, last = source["first_entry"], source["last_entry"]
    entries = (Cell(Bi("本月没有日志条目", "no entry this month"))
               if first is None or last is None else Cell(f"{first} – {last}", "num"))
    meta = Facts([
        (Bi("期间", "Period"), Cell(period)),
        (Bi("项目日志", "Program log"), _code(program["origin"])),
        (Bi("核验公钥", "Verifier key"), _code(program["verifier_key"])),
        (Bi("依据的日志条目", "Log entries covered"), entries),
        (Bi("日志树大小", "Log tree size"), _count(source["tree_size"])),
        (Bi("日志区块", "Log block"), _count(source["block"])),
    ])
    cash = _cash(report)
    sections = [_orders(report), *_outflows(report), *_pool(report), _holders(report),
                _rules(report), *([cash] if cash is not None else []), _custody(report),
                _anchors(report), _liabilities(report)]
    notes = _notes(report)
    if notes is not None:
        sections.append(notes)
    steps = [
        Bi(f"本报告的 JSON 副本（本页每个数字的原始数据）的 SHA-256 已作为 `disclosure` 条目"
           f"（期间 {period}，字段 report_sha256）记入签名日志，"
           "同一条目还记录了负债证明的根与总额。",
           f"The SHA-256 of this report's JSON twin (the data behind every figure here) is "
           f"recorded in the signed log as a `disclosure` entry (period {period}, field "
           "report_sha256), with the proof-of-liabilities root and total."),
        Bi("自行计算 JSON 副本的 SHA-256（例如用 `sha256sum`），与该条目中的 report_sha256 比对。",
           "Compute the SHA-256 of the JSON twin yourself (for example with `sha256sum`) and "
           "compare it with report_sha256 in that entry."),
        Bi("运行 `profitpool verify` 核验日志及其中的每一个条目。",
           "Run `profitpool verify` to check the log and every entry in it."),
        Bi("运行 `profitpool pol verify` 核验负债证明：根、总额，以及您的持有在其中。",
           "Run `profitpool pol verify` to check the proof of liabilities: its root, its total "
           "and that your holding is in it."),
    ]
    return {
        "period": period,
        "title": TITLE,
        "banner": NO_PROMISE,
        "lang_switch": LANG_SWITCH,
        "meta": meta,
        "sections": sections,
        "footer": {"title": Bi("如何核验", "How to check"), "steps": steps},
    }


# --- HTML ------------------------------------------------------------------------------

_TICKS = re.compile(r"`([^`]*)`")


def _ticks_html(text: str) -> Markup:
    """Escaped text, with the parts between backticks as ``<code>``."""
    parts = _TICKS.split(text)
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if odd % 2 else Markup.escape(part)
        for odd, part in enumerate(parts))


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("profitpool.disclosure", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["ticks"] = _ticks_html
    return env


def render_html(report: dict[str, Any]) -> str:
    """The disclosure as one self-contained page: inline CSS, no external URL, Chinese by
    default; a tiny inline script switches to English (without it, Chinese shows)."""
    return _environment().get_template("report.html").render(**_view(report))


# --- PDF -------------------------------------------------------------------------------

_FONT = "STSong-Light"
_MONO = "Courier"
_RED = "#c00000"
_INK = "#1b1b1b"
_GREY = "#5f6368"
_HEAD = "#1f3a5f"
_ROOM = 120
"""Points left on a page below which a table starts on the next page instead."""


def _ticks_pdf(text: str) -> str:
    """Paragraph markup: escaped text, the parts between backticks in a fixed-width font."""
    parts = _TICKS.split(text)
    return "".join(f'<font name="{_MONO}">{escape(part)}</font>' if odd % 2 else escape(part)
                   for odd, part in enumerate(parts))


def render_pdf(report: dict[str, Any]) -> bytes:
    """The disclosure as an A4 PDF (reportlab; Chinese in the built-in CID font STSong-Light,
    so no font file is needed). The same report gives the same bytes."""
    from reportlab.lib import colors  # type: ignore[import-untyped]
    from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # type: ignore[import-untyped]
    from reportlab.platypus import (  # type: ignore[import-untyped]
        CondPageBreak,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))

    view = _view(report)
    period: str = view["period"]
    title: Bi = view["title"]
    margin = 16 * mm
    width = A4[0] - 2 * margin

    base = ParagraphStyle("base", fontName=_FONT, fontSize=8.5, leading=11.5,
                          textColor=colors.HexColor(_INK))
    zh = ParagraphStyle("zh", parent=base, wordWrap="CJK")
    en = ParagraphStyle("en", parent=base, fontSize=7.5, leading=9.5,
                        textColor=colors.HexColor(_GREY))
    head_zh = ParagraphStyle("head_zh", parent=zh, fontSize=8, leading=10.5)
    head_en = ParagraphStyle("head_en", parent=en, fontSize=6.8, leading=8.5)
    value = ParagraphStyle("value", parent=base)
    number = ParagraphStyle("number", parent=base, alignment=TA_RIGHT)
    code = ParagraphStyle("code", parent=base, fontName=_MONO, fontSize=7, leading=9)
    heading = ParagraphStyle("heading", parent=zh, fontSize=12.5, leading=16,
                             textColor=colors.HexColor(_HEAD), spaceBefore=10, spaceAfter=4)
    caption = ParagraphStyle("caption", parent=zh, fontSize=9, leading=12,
                             textColor=colors.HexColor(_HEAD), spaceBefore=4, spaceAfter=2)
    big = ParagraphStyle("big", parent=zh, fontSize=20, leading=26,
                         textColor=colors.HexColor(_HEAD))
    banner_zh = ParagraphStyle("banner_zh", parent=zh, fontSize=11, leading=15)
    banner_en = ParagraphStyle("banner_en", parent=en, fontSize=9, leading=12,
                               textColor=colors.HexColor(_INK))

    def both(text: Bi, first: ParagraphStyle = zh, second: ParagraphStyle = en) -> list[Any]:
        if text.en == text.zh:
            return [Paragraph(_ticks_pdf(text.zh), first)]
        return [Paragraph(_ticks_pdf(text.zh), first), Paragraph(_ticks_pdf(text.en), second)]

    def cell(item: Cell) -> Any:
        classes = item.cls.split()
        red = "shortfall" in classes or "uncovered" in classes
        if isinstance(item.text, Bi):
            styles = (zh, en)
            if red:
                styles = tuple(ParagraphStyle(f"{s.name}_red", parent=s,
                                              textColor=colors.HexColor(_RED)) for s in styles)
            return both(item.text, *styles)
        style = code if "code" in classes and item.text.isascii() else (
            number if "num" in classes else value)
        if red:
            style = ParagraphStyle(f"{style.name}_red", parent=style,
                                   textColor=colors.HexColor(_RED))
        return Paragraph(escape(item.text).replace("\n", "<br/>"), style)

    lines = colors.HexColor("#c9d1db")

    def table(rows: list[list[Any]], widths: Sequence[float], header: bool,
              share: float = 1.0) -> Any:
        """A table ``share`` of the text width wide, its columns in proportion to ``widths``."""
        total = sum(widths)
        columns = [width * share * w / total for w in widths]
        grid = Table(rows, colWidths=columns, repeatRows=int(header), hAlign="LEFT")
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.4, lines),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ]
        if header:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")))
        else:
            commands.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f6f8fa")))
        grid.setStyle(TableStyle(commands))
        return grid

    def block(item: Block) -> list[Any]:
        if isinstance(item, Facts):
            rows = [[both(label, zh, en), cell(figure)] for label, figure in item.rows]
            if all("num" in figure.cls.split() for _, figure in item.rows):
                return [table(rows, (0.62, 0.38), header=False, share=0.64), Spacer(1, 4)]
            return [table(rows, (0.36, 0.64), header=False), Spacer(1, 4)]
        if isinstance(item, Grid):
            rows = [[both(name, head_zh, head_en) for name in item.head]]
            rows += [[cell(figure) for figure in row] for row in item.rows]
            if not item.rows:
                rows.append([both(item.empty)] + [""] * (len(item.head) - 1))
            grid = table(rows, item.widths, header=True)
            if not item.rows:
                grid.setStyle(TableStyle([("SPAN", (0, 1), (-1, 1))]))
            label = Paragraph(f"{escape(item.caption.zh)}　<font size=8 color='{_GREY}'>"
                              f"{escape(item.caption.en)}</font>", caption)
            return [label, grid, Spacer(1, 4)]
        if item.cls:
            red = colors.HexColor(_RED)
            return [*both(item.text, ParagraphStyle("note_zh_red", parent=zh, textColor=red),
                          ParagraphStyle("note_en_red", parent=en, textColor=red)), Spacer(1, 4)]
        return [*both(item.text), Spacer(1, 4)]

    def section_title(text: Bi) -> Any:
        return Paragraph(f"{escape(text.zh)}　<font size=10 color='{_GREY}'>{escape(text.en)}"
                         "</font>", heading)

    banner = Table([[both(view["banner"], banner_zh, banner_en)]], colWidths=[width])
    banner.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fff4d6")),
        ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#e0b84c")),
        ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    story: list[Any] = [
        Paragraph(f"{escape(title.zh)} {escape(period)}", big),
        Paragraph(f"{escape(title.en)} {escape(period)}",
                  ParagraphStyle("subtitle", parent=en, fontSize=12, leading=16)),
        Spacer(1, 6), banner, Spacer(1, 8), *block(view["meta"]),
    ]
    def together(item: Block, *before: Any) -> list[Any]:
        """A block on one page with what comes before it (a section's title); a table, which
        may be long, starts on the next page only when little room is left on this one, and
        runs on from page to page with its head repeated."""
        if isinstance(item, Grid):
            return [CondPageBreak(_ROOM), *before, *block(item)]
        return [KeepTogether([*before, *block(item)])]

    for section in view["sections"]:
        first, *rest = section.blocks
        story.extend(together(first, section_title(section.title)))
        for item in rest:
            story.extend(together(item))
    footer = view["footer"]
    steps: list[Any] = [section_title(footer["title"])]
    for number, step in enumerate(footer["steps"], 1):
        steps.append(Paragraph(f"{number}. {_ticks_pdf(step.zh)}", zh))
        steps.append(Paragraph(f"{number}. {_ticks_pdf(step.en)}",
                               ParagraphStyle("step_en", parent=en, spaceAfter=3)))
    story.append(KeepTogether(steps))

    def page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(_FONT, 7)
        canvas.setFillColor(colors.HexColor(_GREY))
        canvas.drawString(margin, 9 * mm, f"profitpool {title.zh} {title.en} {period}")
        canvas.drawRightString(A4[0] - margin, 9 * mm, f"第 {doc.page} 页 / Page {doc.page}")
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=14 * mm,
        bottomMargin=16 * mm, title=f"{title.zh} {title.en} {period}", author="profitpool",
        subject=f"{NO_PROMISE.zh} {NO_PROMISE.en}", creator="profitpool", invariant=1,
        pageCompression=1)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return out.getvalue()


def write_report_files(folder: Path, report: dict[str, Any], report_json: bytes) -> None:
    """Write a month's report into ``folder`` (made if need be): ``report.json`` (the twin,
    byte for byte as the log hashes it), ``report.html`` and ``report.pdf``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_bytes(report_json)
    (folder / "report.html").write_text(render_html(report), encoding="utf-8")
    (folder / "report.pdf").write_bytes(render_pdf(report))
