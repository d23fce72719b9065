"""The report's plain-word statements, in Chinese and English, one set per point.

Each :class:`Verdict` says one thing the runs show, with every number taken
from the :class:`~profitpool.sim.analysis.PointAnalysis` and repeated in its
``figures`` (for summary.json and for tests). The wording is neutral: it
reports what happened in simulated runs and never promises a return; a
statement that could read as good news says it is a simulated result.
The regulators' red lines live in :mod:`profitpool.sim.redlines`; they are
re-exported here because the report asks for both together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .analysis import PointAnalysis, analyse
from .cohorts import representative
from .display import (
    all_runs,
    cny,
    count,
    in_runs,
    months_text,
    number,
    pct,
    pct_size,
    price,
    rate,
    ratio,
    signed_pct,
)
from .redlines import DISCLAIMER, RedLine, multiple_phrase, red_lines, red_lines_for
from .results import Simulation
from .stats import median

__all__ = ["DISCLAIMER", "RedLine", "Verdict", "red_lines", "red_lines_for", "verdicts",
           "verdicts_for"]

MEDIAN_ZH, MEDIAN_EN = "各次模拟的中位数", "median across runs"
COMPOUND_ZH = "从第一个到最后一个有价格的月份按复利计"
COMPOUND_EN = "compounded from the first to the last month with a price"


@dataclass(frozen=True)
class Verdict:
    """One statement about one point, in both languages, with the figures it cites."""

    key: str
    point: str
    """The point's label (:func:`~profitpool.sim.results.point_label`)."""
    zh: str
    en: str
    figures: dict[str, Any] = field(default_factory=dict)


def _price_fell(a: PointAnalysis) -> Verdict:
    k, n = a.runs_where("months_price_fell"), a.runs
    fell = a.median_of("months_price_fell")
    figures = {"runs": n, "runs_price_fell": k, "share": ratio(Fraction(k, n)),
               "median_months_fell": ratio(fell), "months": a.months}
    if k == 0:
        return Verdict("price_fell", a.label,
                       f"在全部 {n} 次模拟的 {a.months} 个月中，积分价格没有一个月下跌。"
                       "这是模拟结果，不是承诺。",
                       (f"In the single run the price did not fall in any of the "
                        f"{count(a.months, 'month')}." if n == 1 else
                        f"In none of the {n} runs did the price fall in any of the "
                        f"{count(a.months, 'month')}.") + " This is what the runs show, not a "
                       "promise.", figures)
    share = pct(Fraction(k, n))
    return Verdict("price_fell", a.label,
                   f"在 {share} 的模拟中（{n} 次中的 {k} 次），积分价格至少有一个月下跌；"
                   f"下跌月数的中位数为 {number(fell)} 个月（共 {a.months} 个月）。",
                   f"In {share} of runs ({k} of {n}) the price fell in at least one month; "
                   f"the median run had {count(fell, 'month')} of falling price "
                   f"(of {a.months}).", figures)


def _drawdown(a: PointAnalysis) -> Verdict:
    prices = [run.price_drawdown_ppm for run in a.per_run]
    values = [run.value_drawdown_ppm for run in a.per_run]
    mid_p, mid_v = median(prices), median(values)
    assert mid_p is not None and mid_v is not None
    p, v = pct(mid_p / 1_000_000), pct(mid_v / 1_000_000)
    worst_p, worst_v = pct(Fraction(max(prices), 1_000_000)), pct(Fraction(max(values), 1_000_000))
    return Verdict("drawdown", a.label,
                   f"从高点算起的最大跌幅（{MEDIAN_ZH}）：积分价格 {p}（最坏一次 {worst_p}），"
                   f"每积分价值 {v}（最坏一次 {worst_v}）。",
                   f"Largest fall from a peak ({MEDIAN_EN}): price {p} (worst run {worst_p}), "
                   f"value per point {v} (worst run {worst_v}).",
                   {"price_drawdown_ppm_median": ratio(mid_p),
                    "price_drawdown_ppm_max": max(prices),
                    "value_drawdown_ppm_median": ratio(mid_v),
                    "value_drawdown_ppm_max": max(values)})


def _multiple(a: PointAnalysis) -> Verdict:
    zh, en = multiple_phrase(a)
    figures = {"advertised_multiple": a.advertised_multiple, "exit_basis": a.exit_basis,
               "runs_with_exit": a.runs_with_exit, "runs": a.runs,
               "lots_exited": a.lots_exited, "lots_minted": a.lots_minted}
    if a.lots_exited == 0:
        return Verdict("multiple", a.label,
                       f"在 {a.months} 个月内，没有一批积分达到{zh}（全部 {a.runs} 次模拟）。",
                       f"No lot reached {en} within {count(a.months, 'month')} "
                       f"({in_runs(a.runs)}).", figures)
    runs = pct(Fraction(a.runs_with_exit, a.runs))
    payout = rate(a.rules.get("exit_payout_rate"))
    paid_zh = f"出局时按价值的 {pct(payout)} 支付。" if payout is not None else ""
    paid_en = f" An exit pays {pct(payout)} of that value." if payout is not None else ""
    return Verdict("multiple", a.label,
                   f"在 {runs} 的模拟中（{a.runs_with_exit}/{a.runs}），至少有一批积分在 "
                   f"{a.months} 个月内达到{zh}而出局；全部批次中有 {pct(a.exit_share)} 达到。"
                   + paid_zh,
                   f"In {runs} of runs ({a.runs_with_exit} of {a.runs}) at least one lot "
                   f"reached {en} within {count(a.months, 'month')} and was forced out; "
                   f"{pct(a.exit_share)} of all lots did." + paid_en, figures)


def _exits(a: PointAnalysis) -> Verdict:
    figures = {"lots_minted": a.lots_minted, "lots_exited": a.lots_exited,
               "share": ratio(a.exit_share), "median_exit_months": ratio(a.median_exit_months),
               "exit_histogram": a.exit_histogram}
    if a.lots_exited == 0:
        return Verdict("exits", a.label,
                       f"没有积分批次出局（全部模拟共铸造 {a.lots_minted:,} 批）。",
                       f"No lot exited ({a.lots_minted:,} lots minted in all runs).", figures)
    wait = number(a.median_exit_months)  # the Chinese needs no plural
    return Verdict("exits", a.label,
                   f"{pct(a.exit_share)} 的积分批次被强制出局（{a.lots_exited:,} / "
                   f"{a.lots_minted:,} 批，全部模拟合计）；"
                   f"从铸造到出局的时间中位数为 {wait} 个月。",
                   f"{pct(a.exit_share)} of lots exited ({a.lots_exited:,} of "
                   f"{a.lots_minted:,}, all runs); median time to exit "
                   f"{count(a.median_exit_months, 'month')}.", figures)


def _trend(a: PointAnalysis) -> Verdict | None:
    p, v = a.median_of("price_trend"), a.median_of("value_trend")
    if p is None or v is None:
        return None
    figures = {"price_trend": ratio(p), "value_trend": ratio(v), "burns": a.burns}
    if p > 0 and v < 0 and a.burns > 0:
        return Verdict("burn", a.label,
                       f"积分价格平均每月上涨 {pct_size(p)}，这只是销毁的结果；"
                       f"每积分价值（按未销毁计）平均每月下跌 {pct_size(v)}（{COMPOUND_ZH}；"
                       f"{MEDIAN_ZH}）。",
                       f"The price rose {pct_size(p)}/month only because of burns; the value "
                       f"per point fell {pct_size(v)}/month ({COMPOUND_EN}; {MEDIAN_EN}).",
                       figures)
    burns_zh = "两者之差来自销毁。" if a.burns > 0 else ""
    burns_en = " The difference between them is the burns." if a.burns > 0 else ""
    return Verdict("trend", a.label,
                   f"积分价格平均每月变化 {signed_pct(p)}，每积分价值（按未销毁计）平均每月变化 "
                   f"{signed_pct(v)}（{COMPOUND_ZH}；{MEDIAN_ZH}）。" + burns_zh,
                   f"The price changed {signed_pct(p)}/month on average and the value per point "
                   f"{signed_pct(v)}/month ({COMPOUND_EN}; {MEDIAN_EN})." + burns_en, figures)


def _cohorts(a: PointAnalysis) -> list[Verdict]:
    found = []
    for c in representative(a.cohorts):
        total, cash = pct(c.return_median), pct(c.cash_median)
        found.append(Verdict(
            f"cohort_{c.month}", a.label,
            f"第 {c.month} 个月加入的会员，拿回了其消费金额的 {total}（计入现金、用积分抵现的商品和"
            f"仍持有积分的价值；其中现金 {cash}；{MEDIAN_ZH}）。",
            f"Members who joined in month {c.month} got back {total} of what they spent, "
            f"counting cash, goods paid with points and what their points are still worth "
            f"(cash {cash}; {MEDIAN_EN}).",
            {"month": c.month, "runs": c.runs, "return": ratio(c.return_median),
             "cash": ratio(c.cash_median), "spent_median_fen": c.spent_median_fen}))
    return found


def _funded(a: PointAnalysis) -> Verdict:
    f = a.funding
    figures = {"later_fen": f.later_fen, "earlier_fen": f.earlier_fen, "own_fen": f.own_fen,
               "total_fen": f.total_fen, "later_share": ratio(f.later_share),
               "beyond_own_fen": f.beyond_own_fen, "received_fen": f.received_fen,
               "beyond_own_share": ratio(f.beyond_own_share)}
    if f.total_fen == 0:
        return Verdict("funded_later", a.label, "没有任何会员领取到支付。",
                       "No member received any payout.", figures)
    return Verdict("funded_later", a.label,
                   f"全部支付中，有 {pct(f.later_share)} 来自比领取者更晚加入的会员的订单注入"
                   f"（{pct(f.own_share)} 来自同月加入的会员，{pct(f.earlier_share)} 来自更早加入的"
                   f"会员；全部模拟合计）；会员领取的金额中有 {pct(f.beyond_own_share)} "
                   "超过了其本人注入收益池的金额。",
                   f"{pct(f.later_share)} of all payouts were drawn from the contributions of "
                   f"members who joined later than the receiver ({pct(f.own_share)} from the "
                   f"receiver's own arrival month, {pct(f.earlier_share)} from earlier ones; all "
                   f"runs); {pct(f.beyond_own_share)} of what members received was more than "
                   "their own contributions to the pool.", figures)


def _solvency(a: PointAnalysis) -> list[Verdict]:
    short = [run.short_months for run in a.per_run]
    k, j = sum(1 for months in short if months), sum(short)
    figures: dict[str, Any] = {"runs_short": k, "month_ends_short": j}
    if j == 0:
        found = [Verdict("solvency", a.label,
                         f"每个月末，收益池都足以同时兑付所有持有积分的价值（全部 {a.runs} 次模拟、"
                         f"{a.months} 个月）。",
                         f"The pool covered every holding at every month end "
                         f"({all_runs(a.runs)}, {count(a.months, 'month')}).", figures)]
    else:
        found = [Verdict("solvency", a.label,
                         f"在 {k} 次模拟中共有 {j} 个月末，收益池少于所有持有积分的价值之和。",
                         f"At {j} month end{'s' if j != 1 else ''} in {k} "
                         f"run{'s' if k != 1 else ''} the pool held less than all holdings "
                         "were worth.", figures)]
    final = a.median_of("promised_cover_final")
    lows = [run.promised_cover_min for run in a.per_run if run.promised_cover_min is not None]
    if final is not None and lows:
        only_zh, only_en = ("只有", "only ") if final < 1 else ("有", "")
        found.append(Verdict(
            "promised", a.label,
            f"第 {a.months} 个月末，收益池{only_zh}在册积分批次宣传出局价值合计的 {pct(final)}"
            f"（{MEDIAN_ZH}；所有月末中最低 {pct(min(lows))}）。",
            f"At the end of month {a.months} the pool held {only_en}{pct(final)} of what the "
            f"live lots' advertised exit values add up to ({MEDIAN_EN}; lowest at any month "
            f"end {pct(min(lows))}).",
            {"cover_final_median": ratio(final), "cover_min": ratio(min(lows))}))
    return found


def _collapse(a: PointAnalysis) -> Verdict | None:
    s = a.after_collapse
    if s is None:
        return None
    share = pct(Fraction(s.runs_fell, a.runs))
    before = s.month - 1
    return Verdict(
        "collapse", a.label,
        f"第 {s.month} 个月起新消费停止或减少后：积分价格上涨 {number(s.rose_median)} 个月、"
        f"下跌 {number(s.fell_median)} 个月（{MEDIAN_ZH}）；{share}（{s.runs_fell}/{a.runs}）"
        f"的模拟中价格此后至少下跌过一次。第 {before} 个月末到第 {a.months} 个月末（中位数）："
        f"价格 {price(s.price_before)} → {price(s.price_end)}，每积分价值 "
        f"{price(s.value_before)} → {price(s.value_end)}，收益池 {cny(s.pool_before)} 元 → "
        f"{cny(s.pool_end)} 元。",
        f"From month {s.month}, when new consumption stops or falls: the price rose in "
        f"{count(s.rose_median, 'month')} and fell in {count(s.fell_median, 'month')} "
        f"({MEDIAN_EN}); "
        f"in {share} of runs ({s.runs_fell} of {a.runs}) it fell at least once after that. "
        f"End of month {before} to end of month {a.months} (medians): price "
        f"{price(s.price_before)} → {price(s.price_end)}, value per point "
        f"{price(s.value_before)} → {price(s.value_end)}, pool {cny(s.pool_before)} → "
        f"{cny(s.pool_end)} CNY.",
        {"month": s.month, "rose_median": ratio(s.rose_median),
         "fell_median": ratio(s.fell_median), "runs_fell": s.runs_fell,
         "price_before_micro": s.price_before, "price_end_micro": s.price_end,
         "value_before_micro": s.value_before, "value_end_micro": s.value_end,
         "pool_before_fen": s.pool_before, "pool_end_fen": s.pool_end})


def _bank_run(a: PointAnalysis) -> Verdict | None:
    b = a.bank_run
    figures = {"month": b.month, "refused_median": b.refused_median,
               "refused_total": b.refused_total, "accepted_median": b.accepted_median,
               "refused_all_months_total": b.refused_all_months_total}
    if b.month is not None:
        return Verdict(
            "bank_run", a.label,
            f"第 {b.month} 个月（挤兑月）因每日提现上限被拒绝的提现为 {b.refused_median:,} 笔"
            f"（中位数；全部模拟合计 {b.refused_total:,} 笔），当月获准的提现为 "
            f"{b.accepted_median:,} 笔（中位数）。",
            f"In month {b.month}, the bank-run month, {b.refused_median:,} withdrawals were "
            f"refused by the daily cap (median across runs; {b.refused_total:,} in all runs), "
            f"and {b.accepted_median:,} were paid (median).", figures)
    if b.refused_all_months_total > 0:
        return Verdict(
            "cap_refusals", a.label,
            f"全期因每日提现上限被拒绝的提现共 {b.refused_all_months_total:,} 笔（全部模拟合计）。",
            f"Over the whole period {b.refused_all_months_total:,} withdrawals were refused by "
            "the daily cap (all runs).", figures)
    return None


def _withdrawals(a: PointAnalysis) -> Verdict | None:
    paid, capped, locked = a.withdrawals
    tried = paid + capped + locked
    if tried == 0:
        return None
    gain = a.rules.get("withdraw_min_gain")
    hold = a.rules.get("min_hold_days", 0)
    figures = {"attempts": tried, "paid": paid, "refused_cap": capped, "refused_not_eligible":
               locked, "withdraw_min_gain": gain, "min_hold_days": hold}
    if gain is None:
        gate_zh = f"规则只允许持有满 {hold} 天、未质押的积分批次提现，不设增值门槛"
        gate_en = (f"the rules allow a lot out once it is {hold} days old and not pledged; "
                   "there is no gain gate")
    else:
        gate_zh = (f"规则只允许在每份额价值不低于铸造时的 (1 + {gain}) 倍、且持有满 {hold} 天后"
                   "提现")
        gate_en = (f"the rules allow a lot out only once the value per share is at least "
                   f"(1 + {gain}) times its value at mint, and after {hold} days")
    return Verdict(
        "withdrawals", a.label,
        f"会员共尝试提现 {tried:,} 次（全部模拟合计）：{pct(Fraction(paid, tried))} 获得支付，"
        f"{pct(Fraction(locked, tried))} 因没有可提现的积分批次被拒绝（{gate_zh}），"
        f"{pct(Fraction(capped, tried))} 因每日提现上限被拒绝。",
        f"Members tried to withdraw {tried:,} times (all runs): {pct(Fraction(paid, tried))} "
        f"were paid, {pct(Fraction(locked, tried))} were refused because no lot was eligible "
        f"({gate_en}), and {pct(Fraction(capped, tried))} were refused by the daily cap.",
        figures)


def remainder_text(month: int, runs: int, pool_fen: int) -> tuple[str, str]:
    """The docs/rules.md section 2 sentence for one month that ended with no point left."""
    return (f"第 {month} 个月末，{runs} 次模拟中积分已全部退出，收益池仍有 {cny(pool_fen)} 元"
            "（中位数）；按规则（docs/rules.md 第 2 节），这笔余额留在池中，"
            "归下一批铸造的积分所有。",
            f"At the end of month {month}, {runs} run{'s' if runs != 1 else ''} had no points "
            "left while the pool still "
            f"held {cny(pool_fen)} CNY (median); under docs/rules.md section 2 it stays in the "
            "pool and the next lot minted owns all of it.")


def _remainder(a: PointAnalysis) -> Verdict | None:
    if not a.pool_remainder:
        return None
    month, runs, pool = a.pool_remainder[0]
    zh, en = remainder_text(month, runs, pool)
    months_zh, months_en = months_text([event[0] for event in a.pool_remainder])
    return Verdict("pool_remainder", a.label,
                   zh + f"出现这种情况的月份：{months_zh}。",
                   en + f" This happened at the end of {months_en}.",
                   {"events": [list(event) for event in a.pool_remainder]})


def _invariants(a: PointAnalysis) -> Verdict:
    failed = sum(1 for run in a.per_run if not run.invariants_ok)
    if failed == 0:
        return Verdict("invariants", a.label,
                       "每次模拟的每个月末都通过了不变量检查（收益池 = 注入 − 支付；"
                       "收益池 ≥ 全部持有价值）。",
                       "Every run passed the invariant checks at every month end "
                       "(pool = injected − paid; pool ≥ all holdings).", {"failed_runs": 0})
    return Verdict("invariants", a.label,
                   f"{a.runs} 次模拟中有 {failed} 次未通过不变量检查，请把它当作软件缺陷报告。",
                   f"{failed} of {a.runs} runs failed the invariant checks; please report it "
                   "as a bug.", {"failed_runs": failed})


RULES: tuple[Callable[[PointAnalysis], Verdict | list[Verdict] | None], ...] = (
    _price_fell, _drawdown, _multiple, _exits, _trend, _cohorts, _funded, _solvency,
    _collapse, _bank_run, _withdrawals, _remainder, _invariants,
)


def verdicts_for(analyses: list[PointAnalysis]) -> list[Verdict]:
    """Every point's statements, point by point, in a fixed order."""
    found: list[Verdict] = []
    for analysis in analyses:
        for rule in RULES:
            made = rule(analysis)
            if isinstance(made, list):
                found.extend(made)
            elif made is not None:
                found.append(made)
    return found


def verdicts(sim: Simulation) -> list[Verdict]:
    """The plain-word statements of a whole simulation (see :func:`verdicts_for`)."""
    return verdicts_for(analyse(sim))
