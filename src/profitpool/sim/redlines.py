"""The "Red lines / 监管红线" section: measured behaviour set against regulators' lines.

Each line is one that Chinese regulators draw around "consumption rebate"
(消费返利) and "green points" (绿色积分) schemes, with its source as
docs/design.md lists them. For every point the simulator measures the matching
behaviour and states it as a fact with its figures. It draws no conclusion
about legality: the section ends by saying so (:data:`DISCLAIMER`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .analysis import PointAnalysis, analyse
from .display import basis, cny, count, in_runs, months_text, number, pct, price, rate, ratio
from .funding import funded_statement
from .results import Simulation
from .sure import as_price, precision

DISCLAIMER = ("以上为事实与数据，不构成法律意见。", "Facts and figures, not legal advice.")

COLLAPSE_SCENARIO = "collapse"
"""The bundled scenario in which new consumption stops (suggested when a scenario has none)."""

_WARNING_2018_ZH = ("2018年4月银保监会、工信部、公安部、商务部、人民银行、市场监管总局"
                    "关于防范“消费返利”风险的提示")
_WARNING_2018_EN = ("the April 2018 risk warning on \"consumption rebates\" (消费返利) by six "
                    "departments: CBIRC, MIIT, MPS, MOFCOM, PBOC and SAMR")
_DECREE_737_ZH = "《防范和处置非法集资条例》（国务院令第737号）：非法性、利诱性、社会性"
_DECREE_737_EN = ("the Regulations on Preventing and Disposing of Illegal Fund-raising (State "
                  "Council Decree No. 737): unlawfulness, inducement, public solicitation")

LINES: dict[str, tuple[str, str, str, str]] = {
    "later_funded": (
        "返利资金主要来自后加入者，而不是商品销售（“资金主要不是来源于商品销售”）。",
        "Returns paid mainly from later participants' money rather than from sales "
        "(\"the money does not mainly come from selling goods\").",
        f"{_WARNING_2018_ZH}；2012年五部门通知所列的特征",
        f"{_WARNING_2018_EN}; the features listed in the five-department notice of 2012",
    ),
    "only_up": (
        "承诺积分“只涨不跌”，或承诺全额、高额返还。",
        "Promising that points \"only rise, never fall\", or full or high returns.",
        f"{_DECREE_737_ZH}；{_WARNING_2018_ZH}；2025–2026年多地点名“绿色积分”的风险提示",
        f"{_DECREE_737_EN}; {_WARNING_2018_EN}; local warnings of 2025–2026 that name "
        "\"green points\" (绿色积分)",
    ),
    "multiple_reached": (
        "承诺高额回报，例如消费金额的 2–3 倍（利诱性）。",
        "Promising high returns, such as 2–3 times what was spent (inducement).",
        f"{_DECREE_737_ZH}；{_WARNING_2018_ZH}",
        f"{_DECREE_737_EN}; {_WARNING_2018_EN}",
    ),
    "team_rewards": (
        "入门费、拉人头、团队计酬（按下线人数或业绩给上线奖励）。",
        "Entry fees, recruiting rewards and team rewards (团队计酬: paying members for the "
        "people they bring in, or for those people's spending).",
        f"《禁止传销条例》（国务院令第444号）第七条；{_WARNING_2018_ZH}；"
        "2012年五部门通知所列的特征",
        "the Regulations on Prohibition of Pyramid Selling (State Council Decree No. 444), "
        f"article 7; {_WARNING_2018_EN}; the features listed in the five-department notice "
        "of 2012",
    ),
    "price_steering": (
        "积分或代币可以换钱，而价格由平台操控。",
        "Points or tokens that are sold for cash while the platform steers their price.",
        "2025–2026年多地点名“绿色积分”的风险提示；" + _WARNING_2018_ZH,
        "local warnings of 2025–2026 that name \"green points\" (绿色积分); " + _WARNING_2018_EN,
    ),
    "cohort_returns": (
        "承诺“购物返本”、全额返还消费款。",
        "Promising that shopping pays for itself (购物返本), or a full refund of what was spent.",
        f"{_WARNING_2018_ZH}；2012年五部门通知所列的特征",
        f"{_WARNING_2018_EN}; the features listed in the five-department notice of 2012",
    ),
}
"""Key -> (line zh, line en, source zh, source en)."""


@dataclass(frozen=True)
class RedLine:
    """One regulators' line, and what one point's runs measured against it."""

    key: str
    point: str
    line_zh: str
    line_en: str
    source_zh: str
    source_en: str
    zh: str
    """The measured fact, in Chinese."""
    en: str
    figures: dict[str, Any] = field(default_factory=dict)


def multiple_phrase(a: PointAnalysis) -> tuple[str, str]:
    """'其消费金额的 3 倍' / '3× its cost': the advertised exit, from the point's own rules."""
    zh, en = basis(a.exit_basis)
    if not a.advertised_multiple:  # no figure to quote: name the condition, invent nothing
        return f"其出局倍数乘以{zh}", f"its exit multiple of {en.removeprefix('its ')}"
    return f"其{zh}的 {a.advertised_multiple} 倍", f"{a.advertised_multiple}× {en}"


def _line(key: str, a: PointAnalysis, zh: str, en: str, figures: dict[str, Any]) -> RedLine:
    line_zh, line_en, source_zh, source_en = LINES[key]
    return RedLine(key, a.label, line_zh, line_en, source_zh, source_en, zh, en, figures)


def _later_funded(a: PointAnalysis) -> RedLine:
    """Whose money paid what members got beyond their own: member by member, as the verdict
    ``funded_later`` says it (funding.py), so 0 when nobody gains, whatever the grouping."""
    zh, en, figures = funded_statement(a)
    return _line("later_funded", a, zh, en, figures)


def _only_up(a: PointAnalysis, context: Simulation | None = None) -> RedLine:
    k = a.runs_where("months_price_fell")
    fell = pct(Fraction(k, a.runs))
    s = a.after_collapse
    if s is None:
        return _line(
            "only_up", a,
            "本情景没有新消费停止的事件，无法显示消费停止后价格是否仍上涨；请运行内置的 "
            f"{COLLAPSE_SCENARIO} 情景。在本情景中，{fell} 的模拟里价格至少下跌过一个月。",
            "This scenario has no event where new consumption stops, so it cannot show whether "
            f"the price keeps rising after that; run the bundled '{COLLAPSE_SCENARIO}' scenario. "
            f"In this scenario the price fell in at least one month in {fell} of runs.",
            {"collapse_month": None, "runs_price_fell": k, "runs": a.runs})
    after = pct(Fraction(s.runs_fell, a.runs))
    cause = context.collapse_cause if context is not None else None
    cause_zh, cause_en = (f"（{cause[0]}）", f" ({cause[1]})") if cause else ("", "")
    return _line(
        "only_up", a,
        f"第 {s.month} 个月起新消费停止或减少{cause_zh}。"
        f"此后积分价格上涨 {number(s.rose_median)} 个月、"
        f"下跌 {number(s.fell_median)} 个月（中位数），{after} 的模拟中价格至少下跌过一次；"
        f"价格 {price(s.price_before)} → {price(s.price_end)}，而收益池 {cny(s.pool_before)} 元 → "
        f"{cny(s.pool_end)} 元（中位数）。",
        f"New consumption stops or falls from month {s.month}{cause_en}. After that the price "
        "rose in "
        f"{count(s.rose_median, 'month')} and fell in {count(s.fell_median, 'month')} "
        "(median), and "
        f"fell at least once in {after} of runs; price {price(s.price_before)} → "
        f"{price(s.price_end)} while the pool went {cny(s.pool_before)} → {cny(s.pool_end)} "
        "CNY (medians).",
        {"collapse_month": s.month, "cause_en": cause[1] if cause else None,
         "runs_fell_after": s.runs_fell, "runs": a.runs,
         "rose_median": ratio(s.rose_median), "fell_median": ratio(s.fell_median),
         "pool_before_fen": s.pool_before, "pool_end_fen": s.pool_end})


def _multiple_reached(a: PointAnalysis) -> RedLine:
    zh, en = multiple_phrase(a)
    by_cohort = [{"month": c.month, "lots_minted": c.lots_minted, "lots_exited": c.lots_exited}
                 for c in a.cohorts]
    exited = [c.month for c in a.cohorts if c.lots_exited > 0]
    figures = {"advertised_multiple": a.advertised_multiple, "exit_basis": a.exit_basis,
               "lots_exited": a.lots_exited, "lots_minted": a.lots_minted,
               "exit_share": ratio(a.exit_share), "by_cohort": by_cohort}
    if a.lots_exited == 0:
        return _line("multiple_reached", a,
                     f"宣传的出局条件为{zh}。{a.months} 个月内，"
                     f"全部 {a.runs} 次模拟中没有一批积分达到。",
                     f"The advertised exit is {en}. Within {count(a.months, 'month')} no lot "
                     f"reached it {in_runs(a.runs)}.", figures)
    payout = rate(a.rules.get("exit_payout_rate"))
    paid_zh = f"，出局按价值的 {pct(payout)} 支付" if payout is not None else ""
    paid_en = f", paid at {pct(payout)} of their value" if payout is not None else ""
    if exited:
        whose_zh, whose_en = months_text(exited)
        whose_zh = f"；出局的批次属于{whose_zh}加入的会员"
        whose_en = f"; the exited lots belonged to members who joined in {whose_en}"
    else:
        whose_zh = whose_en = ""
    return _line(
        "multiple_reached", a,
        f"宣传的出局条件为{zh}。{pct(a.exit_share)} 的批次达到并出局（{a.lots_exited:,} / "
        f"{a.lots_minted:,}）{paid_zh}{whose_zh}。",
        f"The advertised exit is {en}. {pct(a.exit_share)} of lots reached it and exited "
        f"({a.lots_exited:,} of {a.lots_minted:,}){paid_en}{whose_en}.", figures)


def _cohort_returns(a: PointAnalysis) -> RedLine:
    rows = [{"month": c.month, "runs": c.runs, "members_median": c.members_median,
             "spent_median_fen": c.spent_median_fen, "return": ratio(c.return_median),
             "cash": ratio(c.cash_median)} for c in a.cohorts]
    figures: dict[str, Any] = {"cohorts": rows}
    if not a.cohorts:
        return _line("cohort_returns", a, "没有会员消费。", "No member spent anything.", figures)
    whole = [c.month for c in a.cohorts if c.return_median >= 1]
    cash = [c.month for c in a.cohorts if c.cash_median >= 1]
    first, last = a.cohorts[0], a.cohorts[-1]
    figures.update(months_got_all_back=whole, months_got_all_back_in_cash=cash)
    n = len(a.cohorts)
    if first.month == last.month:  # one arrival month: say it once
        return _line(
            "cohort_returns", a,
            f"只有一个加入月份。第 {first.month} 个月加入的会员（中位数）拿回了其消费金额的 "
            f"{pct(first.return_median)}（计入现金、商品和仍持有积分的价值；其中现金 "
            f"{pct(first.cash_median)}）。",
            f"There is one arrival month. Members who joined in month {first.month} got back "
            f"{pct(first.return_median)} of what they spent (median; counting cash, goods and "
            f"what their points are still worth; cash {pct(first.cash_median)}).",
            figures)
    return _line(
        "cohort_returns", a,
        f"{n} 个加入月份中，有 {len(whole)} 个月份的会员（中位数）拿回了全部消费金额（计入现金、"
        f"商品和仍持有积分的价值），只算现金有 {len(cash)} 个。第 {first.month} 个月加入的拿回 "
        f"{pct(first.return_median)}（现金 {pct(first.cash_median)}），第 {last.month} 个月加入的"
        f"拿回 {pct(last.return_median)}（现金 {pct(last.cash_median)}）。",
        f"Of {count(n, 'arrival month')}, members of {len(whole)} got back all they spent (median; "
        f"counting cash, goods and what their points are still worth), and of {len(cash)} in "
        f"cash alone. Those who joined in month {first.month} got back "
        f"{pct(first.return_median)} (cash {pct(first.cash_median)}); those who joined in month "
        f"{last.month} got back {pct(last.return_median)} (cash {pct(last.cash_median)}).",
        figures)


def _price_steering(a: PointAnalysis, context: Simulation | None = None) -> RedLine:
    """Points are never sold; the operator's only lever on the price is a rules command."""
    changes = context.rule_changes if context is not None else []
    prices = a.bands["price_micro"][50]
    moves = [(month, body, prices[month - 2], prices[month - 1]) for month, body in changes
             if 2 <= month <= a.months]
    figures: dict[str, Any] = {
        "rule_changes": [{"month": month, "rules": body, "price_before_micro": before,
                          "price_after_micro": after} for month, body, before, after in moves]}
    base_zh = ("模拟中积分从不出售换钱：积分只能通过消费获得，"
               "价格始终是收益池 ÷ 积分，按公开规则计算。")
    base_en = ("In the runs no point is ever sold for cash: points come only from buying, and "
               "the price is always the pool ÷ the points, by the published rules. ")
    outside_zh = "平台在系统之外的买卖或报价，模拟无法显示。"
    outside_en = "What an operator does outside the system (trading points, quoting a price of "
    outside_en += "its own) the runs cannot show."
    if not moves:
        return _line("price_steering", a,
                     base_zh + "运营方在模拟期间没有修改规则，价格只随订单、提现、出局、"
                     "商家支付和销毁变化。" + outside_zh,
                     base_en + "The operator did not change the rules during the runs, so the "
                     "price moved only through orders, withdrawals, exits, payments and burns. "
                     + outside_en, figures)
    ends = a.month_ends.get("price_micro", [])
    sure_zh, sure_en, sure = precision(a.runs, [
        (f"month_{month}", f"第 {month} 个月末", f"end of month {month}", ends[month - 1],
         as_price)
        for month in sorted({m for change, _, _, _ in moves for m in (change - 1, change)})
        if len(ends) >= month])
    figures.update(sure)
    said_zh = "；".join(
        f"第 {month} 个月初修改了 {'、'.join(sorted(body))}，积分价格（中位数）从第 "
        f"{month - 1} 个月末的 {price(before)} 到第 {month} 个月末的 {price(after)}"
        for month, body, before, after in moves)
    said_en = "; ".join(
        f"at the start of month {month} it changed {', '.join(sorted(body))}, and the price "
        f"(median) went from {price(before)} at the end of month {month - 1} to {price(after)} "
        f"at the end of month {month}" for month, body, before, after in moves)
    return _line("price_steering", a,
                 base_zh + "运营方在模拟期间按情景修改了规则，这是它影响价格的唯一手段："
                 f"{said_zh}。{sure_zh}"
                 "每次修改都是一条记录在日志中的 rules 命令，任何人都可以重放。" + outside_zh,
                 base_en + "The operator changed the rules during the runs, as the scenario "
                 f"schedules, its only lever on the price: {said_en}.{sure_en} Each change is a "
                 "rules command in the log that anyone can replay. " + outside_en, figures)


def _team_rewards(a: PointAnalysis) -> RedLine:
    """Not simulated, and why: the engine has no command that could pay them."""
    return _line(
        "team_rewards", a,
        "本模拟不涉及这一条，也无法对它作出判断：profitpool 没有入门费、推荐奖励或团队计酬的命令，"
        "会员只能通过自己消费获得积分，所以在它上面运行的方案无法从收益池支付这类奖励；"
        "运营方在系统之外支付的奖励，模拟无法显示。",
        "The runs do not simulate this line and cannot speak to it: profitpool has no command "
        "for entry fees, referral rewards or team rewards, and members get points only by "
        "their own buying, so a program run on it cannot pay such rewards from the pool; "
        "rewards an operator pays outside the system the runs cannot show.",
        {"simulated": False})


LineRule = Callable[[PointAnalysis, "Simulation | None"], RedLine]


def _alone(rule: Callable[[PointAnalysis], RedLine]) -> LineRule:
    """A line that needs only the point's analysis, called like those that need the context."""
    return lambda analysis, context: rule(analysis)


LINE_RULES: tuple[LineRule, ...] = (
    _alone(_later_funded), _only_up, _alone(_multiple_reached), _alone(_cohort_returns),
    _price_steering, _alone(_team_rewards),
)
"""The lines in the order the report shows them."""


def red_lines_for(analyses: list[PointAnalysis],
                  context: Simulation | None = None) -> list[RedLine]:
    """Every line, point by point: later funding, only-up, the multiple, cohorts' returns,
    price steering, and a line the runs cannot speak to (team rewards), said as such.

    ``context``, the simulation the analyses come from, lets a line name how new
    consumption stops and the rule changes the scenario schedules.
    """
    return [rule(analysis, context) for rule in LINE_RULES for analysis in analyses]


def red_lines(sim: Simulation) -> list[RedLine]:
    """The red-line section of a whole simulation (see :func:`red_lines_for`)."""
    return red_lines_for(analyse(sim), sim)
