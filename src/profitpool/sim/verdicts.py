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
from .counts import BELOW_GAIN, CAP, NOT_ELIGIBLE, TOO_YOUNG
from .display import (
    all_runs,
    basis,
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
from .funding import funded_statement
from .outcomes import NEVER
from .redlines import DISCLAIMER, RedLine, multiple_phrase, red_lines, red_lines_for
from .results import Simulation
from .stats import MIN_RUNS, Spread, median, share, spread
from .sure import (
    Shown,
    as_cny,
    as_number,
    as_pct,
    as_ppm,
    as_price,
    as_signed,
    precision,
)

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


LARGE_FALL = Fraction(1, 2)
"""A fall from a peak (price, value per point or pool) this large leads any statement that
could read as good news: a monthly rise is never the headline beside a drained pool."""


def _runs_note(a: PointAnalysis) -> Verdict | None:
    """Fewer runs than stats.MIN_RUNS: said once for the point, before its statements,
    instead of after every median (every one of them needs more runs then)."""
    if a.runs >= MIN_RUNS:
        return None
    no_interval_zh = "；少于 6 次时给不出中位数的 95% 区间" if a.runs < 6 else ""
    no_interval_en = ("; with fewer than 6 no 95% interval of a median can be given"
                      if a.runs < 6 else "")
    return Verdict("runs", a.label,
                   f"只模拟了 {a.runs} 次（少于 {MIN_RUNS} 次）：下面每个跨模拟的中位数都需要更多次"
                   f"模拟才可靠{no_interval_zh}。",
                   f"Only {count(a.runs, 'run')} (fewer than {MIN_RUNS}): every median across "
                   f"runs below needs more runs to be relied on{no_interval_en}.",
                   {"runs": a.runs, "min_runs": MIN_RUNS, "more_runs": True})


def run_spread(a: PointAnalysis, name: str) -> Spread:
    """:class:`Spread` across runs of one :class:`RunFigures` field (None values skipped)."""
    return spread(getattr(run, name) for run in a.per_run)


def moves_text(a: PointAnalysis) -> tuple[str, str, dict[str, Any]]:
    """The price's moves inside months: every accepted command that changed the displayed
    price, counted by the run as it happened (all runs); or, without them, a plain
    statement that only month ends were counted."""
    moves = sum(run.price_moves for run in a.per_run)
    falls = sum(run.price_falls for run in a.per_run)
    figures = {"price_moves": moves, "price_falls": falls,
               "fall_share_of_moves": ratio(share_of(falls, moves))}
    if moves == 0:
        return ("（以上只按月末价格计算；月内没有记录到价格变动。）",
                " (Counted at month ends only: no move of the price within a month was "
                "recorded.)", figures)
    return (f"逐笔看（每一条被接受的指令之后看一次显示价格），价格共变动 {moves:,} 次，"
            f"其中 {falls:,} 次是下跌（{pct(Fraction(falls, moves))}；全部模拟合计）。",
            f" Looked at after every accepted command, the displayed price moved {moves:,} "
            f"times and fell on {falls:,} of them ({pct(Fraction(falls, moves))}; all runs).",
            figures)


def share_of(part: int, whole: int) -> Fraction | None:
    """part / whole, or None when whole is 0."""
    return Fraction(part, whole) if whole else None


def trouble(a: PointAnalysis) -> tuple[str, str] | None:
    """The headline a point's good-looking figures must follow: a drained pool, a restart
    after every point was gone, or a fall of half or more; None when there was none."""
    pool_fall = median(run.pool_fall for run in a.per_run)
    worst = max(max(run.price_drawdown_ppm, run.value_drawdown_ppm) for run in a.per_run)
    restarted = sum(1 for run in a.per_run if run.pool_emptied)
    zh: list[str] = []
    en: list[str] = []
    if pool_fall is not None and pool_fall >= LARGE_FALL:
        zh.append(f"收益池期末比其最高的月末少了 {pct(pool_fall)}（{MEDIAN_ZH}）")
        en.append(f"the pool ended {pct(pool_fall)} below its highest month end ({MEDIAN_EN})")
    if restarted:
        zh.append(f"{restarted} 次模拟中积分曾全部退出，价格从头开始")
        en.append(f"in {restarted} of {a.runs} runs every point was gone and the price started "
                  "again")
    if Fraction(worst, 1_000_000) >= LARGE_FALL:
        zh.append(f"价格或每积分价值从高点最多下跌 {pct(Fraction(worst, 1_000_000))}（最坏一次）")
        en.append(f"the price or the value of a point fell up to "
                  f"{pct(Fraction(worst, 1_000_000))} from a peak (worst run)")
    if not zh:
        return None
    return "先看这一点：" + "；".join(zh) + "。", "First: " + "; ".join(en) + "."


def _price_fell(a: PointAnalysis) -> Verdict:
    k, n = a.runs_where("months_price_fell"), a.runs
    fell = a.median_of("months_price_fell")
    moves_zh, moves_en, moves = moves_text(a)
    figures = {"runs": n, "runs_price_fell": k, "share": ratio(Fraction(k, n)),
               "median_months_fell": ratio(fell), "months": a.months, **moves}
    if k == 0:
        first = trouble(a)
        if first is not None or moves["price_falls"]:
            # a fall elsewhere: "the price never fell" must not be the headline
            lead_zh, lead_en = first if first is not None else ("", "")
            return Verdict("price_fell", a.label,
                           lead_zh + f"按月末比较，{n} 次模拟中价格没有一个月低于上月末。"
                           + moves_zh,
                           (lead_en + " " if lead_en else "") + "Month end against month end, "
                           f"the price was never lower than the month before ({all_runs(n)})."
                           + moves_en, figures)
        return Verdict("price_fell", a.label,
                       f"在全部 {n} 次模拟的 {a.months} 个月中，积分价格没有一个月下跌。"
                       "这是模拟结果，不是承诺。" + moves_zh,
                       (f"In the single run the price did not fall in any of the "
                        f"{count(a.months, 'month')}." if n == 1 else
                        f"In none of the {n} runs did the price fall in any of the "
                        f"{count(a.months, 'month')}.") + " This is what the runs show, not a "
                       "promise." + moves_en, figures)
    share = pct(Fraction(k, n))
    sure_zh, sure_en, sure = precision(a.runs, [
        ("months_price_fell", "下跌月数", "months of falling price",
         run_spread(a, "months_price_fell"), as_number)])
    figures.update(sure)
    return Verdict("price_fell", a.label,
                   f"在 {share} 的模拟中（{n} 次中的 {k} 次），积分价格至少有一个月下跌；"
                   f"下跌月数的中位数为 {number(fell)} 个月（共 {a.months} 个月，按月末计）。"
                   + sure_zh + moves_zh,
                   f"In {share} of runs ({k} of {n}) the price fell in at least one month; "
                   f"the median run had {count(fell, 'month')} of falling price "
                   f"(of {a.months}, month ends)." + sure_en + moves_en, figures)


def _drawdown(a: PointAnalysis) -> Verdict:
    prices = [run.price_drawdown_ppm for run in a.per_run]
    values = [run.value_drawdown_ppm for run in a.per_run]
    mid_p, mid_v = median(prices), median(values)
    assert mid_p is not None and mid_v is not None
    p, v = pct(mid_p / 1_000_000), pct(mid_v / 1_000_000)
    worst_p, worst_v = pct(Fraction(max(prices), 1_000_000)), pct(Fraction(max(values), 1_000_000))
    restarts = sum(run.pool_emptied for run in a.per_run)
    runs_restarted = sum(1 for run in a.per_run if run.pool_emptied)
    restart_zh = restart_en = ""
    if restarts:
        restart_zh = (f"另外，{runs_restarted} 次模拟中积分共 {restarts} 次全部退出：收益池里已没有"
                      "任何积分，价格随下一批铸造的积分从头开始（docs/rules.md 第 2 节），"
                      "这种从头开始单独列出，不算作跌幅；跌幅从每次重新开始后算起。")
        restart_en = (f" Separately, every point was gone {count(restarts, 'time')} in "
                      f"{runs_restarted} of {a.runs} runs: the pool held no point, and the price "
                      "started again with the next lot minted (docs/rules.md section 2). Such a "
                      "restart is named here, not counted as a fall; falls are measured from "
                      "each restart on.")
    sure_zh, sure_en, sure = precision(a.runs, [
        ("price_drawdown_ppm", "积分价格", "price", run_spread(a, "price_drawdown_ppm"), as_ppm),
        ("value_drawdown_ppm", "每积分价值", "value per point",
         run_spread(a, "value_drawdown_ppm"), as_ppm)])
    return Verdict("drawdown", a.label,
                   f"从高点算起的最大跌幅（{MEDIAN_ZH}）：积分价格 {p}（最坏一次 {worst_p}），"
                   f"每积分价值 {v}（最坏一次 {worst_v}）。" + sure_zh + restart_zh,
                   f"Largest fall from a peak ({MEDIAN_EN}): price {p} (worst run {worst_p}), "
                   f"value per point {v} (worst run {worst_v})." + sure_en + restart_en,
                   {"price_drawdown_ppm_median": ratio(mid_p),
                    "price_drawdown_ppm_max": max(prices),
                    "value_drawdown_ppm_median": ratio(mid_v),
                    "value_drawdown_ppm_max": max(values),
                    "pool_emptied": restarts, "runs_pool_emptied": runs_restarted, **sure})


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


def why_no_exit(a: PointAnalysis) -> tuple[str, str, dict[str, Any]]:
    """Why no lot exits: the price the nearest lot needs against the price the runs reached.

    A lot exits when the displayed price reaches its trigger (exit multiple x its cost
    per point, for ``exit_basis = cost``); burns raise the price and that bar alike. In
    ``fixed`` mode new orders pull the price toward (pool money per yuan spent) ÷
    (points per yuan), whatever the pool already holds.
    """
    closest = [run.closest_exit for run in a.per_run if run.closest_exit is not None]
    if not closest:
        return "", "", {}
    best, now, needed = max(closest)
    figures: dict[str, Any] = {"closest_exit": ratio(best), "closest_price_micro": now,
                               "closest_needed_price_micro": needed}
    zh = (f"这不是运气不好：一批积分只有在积分价格达到其出局价格（出局倍数 × 每积分的"
          f"{basis(a.exit_basis)[0]}）时才出局。在所有模拟中最接近的一个月末，离出局最近的"
          f"一批积分需要价格达到 {price(needed)} 元/积分，而价格只有 {price(now)} 元/积分"
          f"（所需价格的 {pct(best)}）。每次销毁使价格和出局价格同比例上升，缩小不了这个差距。")
    en = (f" This is not bad luck: a lot exits only when the price reaches its exit price "
          f"(exit multiple × {basis(a.exit_basis)[1].removeprefix('its ')} per point). At the "
          f"month end that came closest, in any run, the nearest lot needed {price(needed)} "
          f"CNY/point and the price was {price(now)} CNY/point ({pct(best)} of what it needed). "
          "Each burn raises the price and every lot's exit price by the same factor, so burns "
          "cannot close the gap.")
    per_yuan = rate(a.rules.get("points_per_yuan"))
    if a.rules.get("mint_mode", "fixed") == "fixed" and per_yuan and a.amount_fen:
        into_pool = Fraction(a.injected_fen, a.amount_fen)
        pulled = into_pool / per_yuan
        figures["pulled_price_micro"] = int(pulled * 1_000_000)
        figures["pool_per_yuan"] = ratio(into_pool)
        zh += (f"原因在于：每消费 1 元，收益池平均得到 {number_of(into_pool)} 元，同时铸造 "
               f"{a.rules['points_per_yuan']} 积分，所以新的消费总把价格拉向 "
               f"{price(int(pulled * 1_000_000))} 元/积分（不含销毁），离出局价格很远。")
        en += (f" The reason: each yuan spent put {number_of(into_pool)} CNY into the pool "
               f"(all runs) and minted {a.rules['points_per_yuan']} points, so new consumption "
               f"keeps pulling the price toward {price(int(pulled * 1_000_000))} CNY/point "
               "(before burns), far below any lot's exit price.")
    return zh, en, figures


def number_of(value: Fraction) -> str:
    """A small amount of CNY with 4 decimals, truncated: 0.0600 (per yuan spent)."""
    units = int(value * 10_000)
    return f"{units // 10_000}.{units % 10_000:04d}"


def _exits(a: PointAnalysis) -> Verdict:
    figures = {"lots_minted": a.lots_minted, "lots_exited": a.lots_exited,
               "share": ratio(a.exit_share), "median_exit_months": ratio(a.median_exit_months),
               "exit_histogram": a.exit_histogram}
    if a.lots_exited == 0:
        why_zh, why_en, why = why_no_exit(a)
        figures.update(why)
        return Verdict("exits", a.label,
                       f"没有积分批次出局（全部模拟共铸造 {a.lots_minted:,} 批）。" + why_zh,
                       f"No lot exited ({a.lots_minted:,} lots minted in all runs)." + why_en,
                       figures)
    wait = number(a.median_exit_months)  # the Chinese needs no plural
    return Verdict("exits", a.label,
                   f"{pct(a.exit_share)} 的积分批次被强制出局（{a.lots_exited:,} / "
                   f"{a.lots_minted:,} 批，全部模拟合计）；"
                   f"从铸造到出局的时间中位数为 {wait} 个月。",
                   f"{pct(a.exit_share)} of lots exited ({a.lots_exited:,} of "
                   f"{a.lots_minted:,}, all runs); median time to exit "
                   f"{count(a.median_exit_months, 'month')}.", figures)


def _trend(a: PointAnalysis) -> Verdict | None:
    """Cumulative change first, the monthly rate beside it, and a drained pool before both."""
    p, v = a.median_of("price_trend"), a.median_of("value_trend")
    cp, cv = a.median_of("price_change"), a.median_of("value_change")
    span = a.median_of("change_months")
    if p is None or v is None or cp is None or cv is None or span is None:
        return None
    figures = {"price_trend": ratio(p), "value_trend": ratio(v), "burns": a.burns,
               "price_change": ratio(cp), "value_change": ratio(cv),
               "months": ratio(span)}
    lead_zh, lead_en = trouble(a) or ("", "")
    lead_en = lead_en + " " if lead_en else ""
    figures["headline_fall"] = bool(lead_zh)
    months = number(span)
    shown: list[Shown] = [
        ("price_change", "价格累计变化", "price change", run_spread(a, "price_change"),
         as_signed),
        ("value_change", "每积分价值累计变化", "value change", run_spread(a, "value_change"),
         as_signed)]
    if lead_zh and any(run.pool_fall for run in a.per_run):
        shown.append(("pool_fall", "收益池比最高月末少", "pool below its highest month end",
                      run_spread(a, "pool_fall"), as_pct))
    sure_zh, sure_en, sure = precision(a.runs, shown)
    again_zh, again_en, again = restart_text(a)
    figures.update(sure)
    figures.update(again)
    if p > 0 and v < 0 and a.burns > 0:
        return Verdict("burn", a.label,
                       lead_zh + f"积分价格在 {months} 个月内累计上涨 {pct_size(cp)}（平均每月 "
                       f"{pct_size(p)}），这只是销毁的结果；每积分价值（按未销毁计）累计下跌 "
                       f"{pct_size(cv)}（平均每月 {pct_size(v)}；{COMPOUND_ZH}；{MEDIAN_ZH}）。"
                       + sure_zh + again_zh,
                       lead_en + f"The price rose {pct_size(cp)} in {count(span, 'month')} "
                       f"({pct_size(p)}/month), only through burns; the value of a point fell "
                       f"{pct_size(cv)} ({pct_size(v)}/month; {COMPOUND_EN}; {MEDIAN_EN})."
                       + sure_en + again_en, figures)
    burns_zh = "两者之差来自销毁。" if a.burns > 0 else ""
    burns_en = " The difference between them is the burns." if a.burns > 0 else ""
    return Verdict("trend", a.label,
                   lead_zh + f"积分价格在 {months} 个月内累计变化 {signed_pct(cp)}（平均每月 "
                   f"{signed_pct(p)}），每积分价值（按未销毁计）累计变化 {signed_pct(cv)}"
                   "（平均每月 "
                   f"{signed_pct(v)}；{COMPOUND_ZH}；{MEDIAN_ZH}）。" + burns_zh + sure_zh
                   + again_zh,
                   lead_en + f"The price changed {signed_pct(cp)} in {count(span, 'month')} "
                   f"({signed_pct(p)}/month on average) and the value of a point "
                   f"{signed_pct(cv)} ({signed_pct(v)}/month; {COMPOUND_EN}; {MEDIAN_EN})."
                   + burns_en + sure_en + again_en, figures)


def restart_text(a: PointAnalysis) -> tuple[str, str, dict[str, Any]]:
    """The price's change since the pool last emptied and the price started again, beside
    the change over the whole run: in the runs where every point was gone at some moment
    and points are held at the end (:func:`~profitpool.sim.analysis.since_restart`)."""
    got = [run.since_restart for run in a.per_run if run.since_restart is not None]
    if not got:
        return "", "", {}
    change = spread(item[0] for item in got)
    span = median(item[2] for item in got)
    months_zh, months_en = months_text(sorted({item[1] for item in got}))
    assert change.median is not None and span is not None
    start_zh = start_en = ""
    initial = rate(a.rules.get("initial_price", "1"))
    if a.rules.get("mint_mode") == "at_price" and initial is not None:
        start = price(int(initial * 1_000_000))
        start_zh = f"；按价发放，从头开始后的第一批积分按初始价格 {start} 元/积分铸造"
        start_en = (f"; minting at price, the first lot after it is minted at the initial "
                    f"price, {start} CNY/point")
    sure_zh, sure_en, sure = precision(a.runs, [
        ("since_restart", "自最后一次从头开始", "since the restart", change, as_signed)])
    runs = len(got)
    return (f"在积分曾全部退出、价格从头开始的 {runs} 次模拟中（最后一次发生在{months_zh}"
            f"{start_zh}），自那以后价格累计变化 {signed_pct(change.median)}（从那以后第一个有"
            f"价格的月末到最后一个月末，{number(span)} 个月；{MEDIAN_ZH}）。" + sure_zh,
            f" In the {count(runs, 'run')} in which every point was gone at some moment and the "
            f"price started again (the last time in {months_en}{start_en}), the price changed "
            f"{signed_pct(change.median)} since then (from the first month end with a price "
            f"after it to the last, {count(span, 'month')}; {MEDIAN_EN})." + sure_en,
            {"since_restart": {"runs": runs, "change": ratio(change.median),
                               "months": ratio(span), **sure}})


def _under_water(a: PointAnalysis) -> Verdict | None:
    """Remaining members whose holding plus what they received is below their contribution."""
    if a.holders == 0:
        return None
    part = Fraction(a.holders_under_water, a.holders)
    most_zh, most_en = ("多数", "Most remaining members are under water: ") if part > Fraction(
        1, 2) else ("", "")
    return Verdict(
        "under_water", a.label,
        f"{most_zh}期末仍持有积分的会员中，有 {pct(part)}（{a.holders_under_water:,} / "
        f"{a.holders:,} 人，全部模拟合计）处于亏损：所持积分的价值加上已领取的现金和商品，"
        "少于其本人订单注入收益池的金额。",
        f"{most_en}{pct(part)} of the members still holding points at the end "
        f"({a.holders_under_water:,} of {a.holders:,}, all runs) are under water: what their "
        "points are worth plus the cash and goods they received is less than what their own "
        "orders put into the pool.",
        {"holders": a.holders, "under_water": a.holders_under_water, "share": ratio(part)})


def _members_under_water(a: PointAnalysis) -> Verdict | None:
    """Every member, holding or not, under water at the end (outcomes.py; one definition:
    :func:`~profitpool.sim.funding.under_water`)."""
    o = a.outcomes
    if o.members == 0:
        return None
    part = Fraction(o.under_water, o.members)
    none_zh = none_en = ""
    if o.no_contribution:
        none_zh = (f"其中 {o.no_contribution:,} 人的订单没有向收益池注入任何金额（不会亏损，"
                   "也不计入按加入月份的回报分布）。")
        none_en = (f" {o.no_contribution:,} of them put nothing into the pool (they cannot be "
                   "under water and are left out of the returns by month joined).")
    return Verdict(
        "members_under_water", a.label,
        f"全部会员中（包括已不再持有积分的），有 {pct(part)}（{o.under_water:,} / "
        f"{o.members:,} 人，{o.runs} 次模拟合计）期末处于亏损：所持积分按期末价格的价值，"
        "加上已领取的现金和用积分抵现的商品，少于其本人订单注入收益池的金额。" + none_zh,
        f"Of all members, holding points or not, {pct(part)} ({o.under_water:,} of "
        f"{o.members:,}, {all_runs(o.runs)}) ended under water: their points at the final "
        "price plus the cash and goods they received is less than what their own orders put "
        "into the pool." + none_en,
        {"members": o.members, "under_water": o.under_water, "share": ratio(part),
         "no_contribution": o.no_contribution, "runs": o.runs})


def _member_returns(a: PointAnalysis) -> Verdict | None:
    """Returns by month joined, member by member (pooled over runs): the first, middle and
    last arrival months' p50, p25-p75 and p5-p95; the chart draws every month."""
    bands = a.outcomes.bands
    if not bands:
        return None
    picks = list({band.month: band for band in (
        bands[0], bands[len(bands) // 2], bands[-1])}.values())
    parts_zh, parts_en = [], []
    for band in picks:
        q = {k: pct(Fraction(v, 1_000_000)) for k, v in band.ppm.items()}
        parts_zh.append(f"第 {band.month} 个月加入的 {band.members:,} 人：中位数 {q[50]}，"
                        f"25%–75% 分位 {q[25]}–{q[75]}，5%–95% 分位 {q[5]}–{q[95]}")
        parts_en.append(f"the {band.members:,} who joined in month {band.month}: median "
                        f"{q[50]}, p25–p75 {q[25]}–{q[75]}, p5–p95 {q[5]}–{q[95]}")
    return Verdict(
        "member_returns", a.label,
        "每位会员拿回的（现金、用积分抵现的商品和期末持有积分的价值）÷ 其本人订单注入收益池的"
        f"金额，按加入月份（全部模拟的会员合在一起）：{'；'.join(parts_zh)}。"
        "100% 表示正好拿回自己注入的金额；低于 100% 即处于亏损。",
        "What each member got back (cash, goods paid with points, and their points at the "
        "final price) over what their own orders put into the pool, by month joined (the "
        f"members of all runs together): {'; '.join(parts_en)}. 100% is getting back exactly "
        "what they put in; below it, under water.",
        {"by_month": [{"month": band.month, "members": band.members,
                       "under_water": band.under_water,
                       **{f"p{k}": ratio(Fraction(v, 1_000_000)) for k, v in band.ppm.items()}}
                      for band in bands]})


def _waited(months: int | None) -> tuple[str, str]:
    if months is None or months == NEVER:
        return "为“未出局”", "never"
    return f"为 {months} 个月", count(months, "month")


def _time_to_exit(a: PointAnalysis) -> Verdict | None:
    """Months from mint to exit over every lot, those that never exited counted as never."""
    t = a.time_to_exit
    if t.lots == 0:
        return None
    (median_zh, median_en), (p90_zh, p90_en) = _waited(t.median), _waited(t.p90)
    never = Fraction(t.never, t.lots)
    return Verdict(
        "time_to_exit", a.label,
        f"从铸造到出局的时间，按每一批积分算（全部模拟合计 {t.lots:,} 批；到第 {a.months} 个月末"
        f"仍未出局的计为“未出局”）：中位数{median_zh}，90% 分位{p90_zh}；{pct(never)} 的批次"
        f"（{t.never:,} 批）从未出局：仍在持有，或已先被提现或用于消费。越晚铸造的批次，"
        "能等待的月数越少。",
        f"Time from mint to exit, lot by lot ({t.lots:,} lots in all runs; a lot not exited by "
        f"the end of month {a.months} counts as never): median {median_en}, p90 {p90_en}; "
        f"{pct(never)} of lots ({t.never:,}) never exited: still held, or withdrawn or spent "
        "first. Lots minted later had fewer months to wait.",
        {"lots": t.lots, "exited": t.exited, "never": t.never, "never_share": ratio(never),
         "median_months": None if t.median == NEVER else t.median,
         "p90_months": None if t.p90 == NEVER else t.p90,
         "median_never": t.median == NEVER, "p90_never": t.p90 == NEVER})


def _exit_in_yuan(a: PointAnalysis) -> Verdict | None:
    """An exit multiple in yuan, and as a multiple of the member's own contribution."""
    if a.lots_exited == 0:
        return None
    zh, en = multiple_phrase(a)
    per_lot = a.exits_paid_fen // a.lots_exited
    figures: dict[str, Any] = {"exits": a.lots_exited, "paid_fen": a.exits_paid_fen,
                               "promised_fen": a.exits_promised_fen,
                               "contributed_fen": a.exits_contributed_fen,
                               "paid_per_exit_fen": per_lot}
    own = share_of(a.exits_paid_fen, a.exits_contributed_fen)
    figures["paid_over_contributed"] = ratio(own)
    own_zh = own_en = ""
    if own is not None:
        own_zh = (f"这些积分所属订单当初注入收益池的金额合计 {cny(a.exits_contributed_fen)} 元，"
                  f"出局所得是它的 {ratio_text(own)} 倍。")
        own_en = (f" The orders behind those lots had put {cny(a.exits_contributed_fen)} CNY into "
                  f"the pool: an exit paid {ratio_text(own)}× the member's own contribution.")
    return Verdict(
        "exit_yuan", a.label,
        f"“达到{zh}”换算成钱：{a.lots_exited:,} 批出局积分的出局价值合计 "
        f"{cny(a.exits_promised_fen)} 元，实际支付 {cny(a.exits_paid_fen)} 元（平均每批 "
        f"{cny(per_lot)} 元，全部模拟合计）。" + own_zh,
        f"\"Reached {en}\" in money: the {a.lots_exited:,} lots that exited were advertised "
        f"as worth {cny(a.exits_promised_fen)} CNY at exit and paid {cny(a.exits_paid_fen)} "
        f"CNY ({cny(per_lot)} CNY a lot on average, all runs)." + own_en, figures)


def ratio_text(value: Fraction) -> str:
    """A multiple with two decimals, truncated: 1.6 -> '1.60'."""
    hundredths = int(value * 100)
    return f"{hundredths // 100:,}.{hundredths % 100:02d}"


def _at_price(a: PointAnalysis) -> Verdict | None:
    """The at-price mint keeps part of every inflow out of points: the price rises by design."""
    if a.rules.get("mint_mode") != "at_price":
        return None
    issued = rate(a.rules.get("mint_value_rate", "0.70"))
    if issued is None:
        return None
    kept = 1 - issued
    change = a.median_of("price_change")
    figures: dict[str, Any] = {"mint_value_rate": ratio(issued), "never_issued": ratio(kept),
                               "price_change": ratio(change)}
    rose_zh = rose_en = ""
    if change is not None:
        sure_zh, sure_en, sure = precision(a.runs, [("price_change", "价格累计变化", "price change",
                                             run_spread(a, "price_change"), as_signed)])
        again_zh, again_en, again = restart_text(a)
        figures.update(sure)
        figures.update(again)
        rose_zh = (f"本模拟中价格累计变化 {signed_pct(change)}（{MEDIAN_ZH}），"
                   "首先是这个设计的结果。" + sure_zh + again_zh)
        rose_en = (f" Here the price changed {signed_pct(change)} in all ({MEDIAN_EN}), first of "
                   "all because of this design." + sure_en + again_en)
    return Verdict(
        "at_price_mint", a.label,
        f"按价发放（at_price）：每笔订单只按其注入收益池金额的 {pct(issued)} 发放积分"
        f"（按注入前的价格），其余 {pct(kept)} 永远不发放积分，却留在池中，所以每一笔订单都会"
        "推高价格。价格上涨是规则的设计，不说明需求、利润或会员的回报。" + rose_zh,
        f"Minting at price: each order is issued points worth only {pct(issued)} of what it puts "
        f"into the pool (at the price before it); the other {pct(kept)} is never issued as "
        "points but stays in the pool, so every order raises the price. The rise is the rules' "
        "design; it says nothing about demand, profit or members' returns." + rose_en, figures)


def _cohorts(a: PointAnalysis) -> list[Verdict]:
    found = []
    for c in representative(a.cohorts):
        total, cash = pct(c.return_median), pct(c.cash_median)
        sure_zh, sure_en, sure = "", "", dict[str, Any]()
        if c.return_spread is not None and c.cash_spread is not None:
            sure_zh, sure_en, sure = precision(a.runs, [
                ("return", "拿回", "got back", c.return_spread, as_pct),
                ("cash", "现金", "cash", c.cash_spread, as_pct)])
        found.append(Verdict(
            f"cohort_{c.month}", a.label,
            f"第 {c.month} 个月加入的会员，拿回了其消费金额的 {total}（计入现金、用积分抵现的商品和"
            f"仍持有积分的价值；其中现金 {cash}；{MEDIAN_ZH}）。" + sure_zh,
            f"Members who joined in month {c.month} got back {total} of what they spent, "
            f"counting cash, goods paid with points and what their points are still worth "
            f"(cash {cash}; {MEDIAN_EN})." + sure_en,
            {"month": c.month, "runs": c.runs, "return": ratio(c.return_median),
             "cash": ratio(c.cash_median), "spent_median_fen": c.spent_median_fen, **sure}))
    return found


def _funded(a: PointAnalysis) -> Verdict:
    """Who was paid beyond their own money, and whose: :func:`funding.funded_statement`."""
    zh, en, figures = funded_statement(a)
    return Verdict("funded_later", a.label, zh, en, figures)


def _solvency(a: PointAnalysis) -> list[Verdict]:
    short = [run.short_months for run in a.per_run]
    k, j = sum(1 for months in short if months), sum(short)
    figures: dict[str, Any] = {"runs_short": k, "month_ends_short": j}
    if j == 0:
        pool = a.bands["pool_fen"][50][-1]
        held = a.bands["holdings_value_fen"][50][-1]
        promised = a.bands["promised_fen"][50][-1]
        payout = rate(a.rules.get("withdraw_payout_rate", "0.80")) or Fraction(4, 5)
        cash_out = int(held * payout)
        figures.update({"pool_fen": pool, "holdings_value_fen": held, "promised_fen": promised,
                        "full_cash_out_at_least_fen": cash_out})
        sure_zh, sure_en, sure = precision(a.runs, [
            ("pool_fen", "收益池", "pool", run_spread(a, "final_pool_fen"), as_cny),
            ("promised_fen", "出局价值合计", "exit values", run_spread(a, "final_promised_fen"),
             as_cny),
            ("holdings_value_fen", "持有价值", "holdings", run_spread(a, "final_holdings_fen"),
             as_cny)])
        figures.update(sure)
        found = [Verdict("solvency", a.label,
                         f"每个月末，收益池都足以同时兑付所有持有积分的价值（全部 {a.runs} 次模拟、"
                         f"{a.months} 个月）。这是按构造成立的：持有积分的价值就是按收益池 ÷ 份额"
                         "计算的，所以它说明不了会员能拿回多少。对照一下"
                         f"（第 {a.months} 个月末，{MEDIAN_ZH}）：收益池 {cny(pool)} 元；"
                         f"会员被告知的出局价值合计 {cny(promised)} 元；全部会员一起提现，"
                         f"每笔按 {pct(payout)} 支付，至少可得 {cny(cash_out)} 元"
                         f"（持有价值 {cny(held)} 元的 {pct(payout)}；"
                         "先提的人留下的部分会抬高后提者的价值）。" + sure_zh,
                         f"The pool covered every holding at every month end "
                         f"({all_runs(a.runs)}, {count(a.months, 'month')}). This is true by "
                         "construction: a holding is valued at pool ÷ shares, so it says nothing "
                         "about what members can get back. Beside it (end of month "
                         f"{a.months}, {MEDIAN_EN}): the pool held {cny(pool)} CNY; the exit "
                         f"values members were told of add up to {cny(promised)} CNY; if every "
                         "member "
                         f"cashed out, each withdrawal paying {pct(payout)}, they would get at "
                         f"least {cny(cash_out)} CNY ({pct(payout)} of holdings worth "
                         f"{cny(held)} CNY; what early withdrawers leave behind raises the "
                         "value of later ones)." + sure_en, figures)]
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
        cover_zh, cover_en, cover = precision(a.runs, [
            ("cover_final", "比例", "share", run_spread(a, "promised_cover_final"), as_pct)])
        found.append(Verdict(
            "promised", a.label,
            f"第 {a.months} 个月末，收益池{only_zh}在册积分批次宣传出局价值合计的 {pct(final)}"
            f"（{MEDIAN_ZH}；所有月末中最低 {pct(min(lows))}）。" + cover_zh,
            f"At the end of month {a.months} the pool held {only_en}{pct(final)} of what the "
            f"live lots' advertised exit values add up to ({MEDIAN_EN}; lowest at any month "
            f"end {pct(min(lows))})." + cover_en,
            {"cover_final_median": ratio(final), "cover_min": ratio(min(lows)), **cover}))
    return found


def _collapse(a: PointAnalysis) -> Verdict | None:
    s = a.after_collapse
    if s is None:
        return None
    share = pct(Fraction(s.runs_fell, a.runs))
    before = s.month - 1
    names = {"rose": ("上涨月数", "months risen", as_number),
             "fell": ("下跌月数", "months fallen", as_number),
             "price_end": ("期末价格", "final price", as_price),
             "value_end": ("期末每积分价值", "final value per point", as_price),
             "pool_end": ("期末收益池（元）", "final pool (CNY)", as_cny)}
    sure_zh, sure_en, sure = precision(a.runs, [
        (key, names[key][0], names[key][1], found, names[key][2])
        for key, found in s.spreads.items()])
    return Verdict(
        "collapse", a.label,
        f"第 {s.month} 个月起新消费停止或减少后：积分价格上涨 {number(s.rose_median)} 个月、"
        f"下跌 {number(s.fell_median)} 个月（{MEDIAN_ZH}）；{share}（{s.runs_fell}/{a.runs}）"
        f"的模拟中价格此后至少下跌过一次。第 {before} 个月末到第 {a.months} 个月末（中位数）："
        f"价格 {price(s.price_before)} → {price(s.price_end)}，每积分价值 "
        f"{price(s.value_before)} → {price(s.value_end)}，收益池 {cny(s.pool_before)} 元 → "
        f"{cny(s.pool_end)} 元。" + sure_zh,
        f"From month {s.month}, when new consumption stops or falls: the price rose in "
        f"{count(s.rose_median, 'month')} and fell in {count(s.fell_median, 'month')} "
        f"({MEDIAN_EN}); "
        f"in {share} of runs ({s.runs_fell} of {a.runs}) it fell at least once after that. "
        f"End of month {before} to end of month {a.months} (medians): price "
        f"{price(s.price_before)} → {price(s.price_end)}, value per point "
        f"{price(s.value_before)} → {price(s.value_end)}, pool {cny(s.pool_before)} → "
        f"{cny(s.pool_end)} CNY." + sure_en,
        {**sure, "month": s.month, "rose_median": ratio(s.rose_median),
         "fell_median": ratio(s.fell_median), "runs_fell": s.runs_fell,
         "price_before_micro": s.price_before, "price_end_micro": s.price_end,
         "value_before_micro": s.value_before, "value_end_micro": s.value_end,
         "pool_before_fen": s.pool_before, "pool_end_fen": s.pool_end})


def _refusal_parts(by_cause: dict[str, int]) -> tuple[int, int, int]:
    """(refused by the daily cap, with no lot eligible, for any other cause)."""
    capped = by_cause.get(CAP, 0)
    locked = sum(n for cause, n in by_cause.items()
                 if cause == NOT_ELIGIBLE or cause.startswith(NOT_ELIGIBLE + "/"))
    return capped, locked, sum(by_cause.values()) - capped - locked


def _bank_run(a: PointAnalysis) -> Verdict | None:
    """The bank-run month's refusals, every cause counted (not only the daily cap)."""
    b, c = a.bank_run, a.counts.bank_run
    figures: dict[str, Any] = {
        "month": b.month, "refused_cap_median": b.refused_median,
        "refused_cap_total": b.refused_total, "accepted_median": b.accepted_median,
        "refused_all_months_total": b.refused_all_months_total}
    if b.month is not None and c is not None:
        capped, locked, other = _refusal_parts(c.refused_by_cause)
        figures.update({"refused_median": c.refused_median, "refused_total": c.refused_total,
                        "refused_by_cause": c.refused_by_cause, "attempts_total":
                        c.attempts_total, "paid_median": c.paid_median})
        of = pct(share(c.refused_total, c.attempts_total))
        other_zh = f"，其他原因 {other:,} 次" if other else ""
        other_en = f", {other:,} for other causes" if other else ""
        sure_zh, sure_en, sure = precision(a.runs, [
            (name, zh, en, found, as_number) for name, zh, en, found in (
                ("refused", "被拒绝次数", "refused", c.refused_spread),
                ("paid", "获准笔数", "paid", c.paid_spread)) if found is not None])
        figures.update(sure)
        return Verdict(
            "bank_run", a.label,
            f"第 {b.month} 个月（挤兑月）有 {c.refused_median:,} 次提现尝试被拒绝（中位数；"
            f"全部模拟合计 {c.refused_total:,} 次，占当月 {c.attempts_total:,} 次尝试的 {of}："
            f"因每日提现上限 {capped:,} 次，因没有可提现的积分批次 {locked:,} 次{other_zh}），"
            f"当月获准的提现为 {c.paid_median:,} 笔（中位数）。{sure_zh}",
            f"In month {b.month}, the bank-run month, {c.refused_median:,} withdrawal attempts "
            f"were refused (median across runs; {c.refused_total:,} in all runs, {of} of the "
            f"month's {c.attempts_total:,} attempts: {capped:,} by the daily cap, {locked:,} "
            f"because no lot was eligible{other_en}), and {c.paid_median:,} were paid (median)."
            + sure_en,
            figures)
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
    below, young = a.counts.refused_total(BELOW_GAIN), a.counts.refused_total(TOO_YOUNG)
    figures = {"attempts": tried, "paid": paid, "refused_cap": capped, "refused_not_eligible":
               locked, "withdraw_min_gain": gain, "min_hold_days": hold,
               "refused_below_gain": below, "refused_too_young": young}
    if gain is None:
        gate_zh = f"规则只允许持有满 {hold} 天、未质押的积分批次提现，不设增值门槛"
        gate_en = (f"the rules allow a lot out once it is {hold} days old and not pledged; "
                   "there is no gain gate")
    else:
        gate_zh = (f"规则只允许在每份额价值不低于铸造时的 (1 + {gain}) 倍、且持有满 {hold} 天后"
                   "提现")
        gate_en = (f"the rules allow a lot out only once the value per share is at least "
                   f"(1 + {gain}) times its value at mint, and after {hold} days")
    gates_zh = gates_en = ""
    if locked and below + young:  # the runs recorded which gate kept the oldest lot
        parts = [(f"{pct(Fraction(below, locked))} 是最早一批积分的每份额价值未达增值门槛",
                  f"{pct(Fraction(below, locked))} had the oldest lot's value per share below "
                  "the gain gate")] if below else []
        parts += [(f"{pct(Fraction(young, locked))} 是最早一批积分持有未满 {hold} 天",
                   f"{pct(Fraction(young, locked))} had it held fewer than {hold} days")
                  ] if young else []
        gates_zh = "没有可提现批次的拒绝中，" + "，".join(zh for zh, _ in parts) + "。"
        gates_en = (" Of the refusals with no lot eligible, "
                    + " and ".join(en for _, en in parts) + ".")
    return Verdict(
        "withdrawals", a.label,
        f"会员共尝试提现 {tried:,} 次（全部模拟合计）：{pct(Fraction(paid, tried))} 获得支付，"
        f"{pct(Fraction(locked, tried))} 因没有可提现的积分批次被拒绝（{gate_zh}），"
        f"{pct(Fraction(capped, tried))} 因每日提现上限被拒绝。" + gates_zh,
        f"Members tried to withdraw {tried:,} times (all runs): {pct(Fraction(paid, tried))} "
        f"were paid, {pct(Fraction(locked, tried))} were refused because no lot was eligible "
        f"({gate_en}), and {pct(Fraction(capped, tried))} were refused by the daily cap."
        + gates_en, figures)


def _moves(a: PointAnalysis) -> list[Verdict]:
    """Transfers and pledges, one short line each, when the runs sent any."""
    m = a.moves
    found: list[Verdict] = []
    given, refused = m.get("transfers", 0), m.get("transfers_refused", 0)
    if given + refused:
        off = not a.rules.get("transfers_enabled", False)
        found.append(Verdict(
            "transfers", a.label,
            f"会员之间转赠积分 {given:,} 次获准，{refused:,} 次被拒绝（全部模拟合计"
            + ("；规则未允许转赠" if off else "") + "）。",
            f"Members gave points to other members {given:,} times; {refused:,} transfers "
            "were refused (all runs" + ("; the rules do not allow transfers" if off else "")
            + ").", {"transfers": given, "transfers_refused": refused}))
    figures = {name: m.get(name, 0) for name in ("pledges", "pledges_refused", "releases",
                                                 "releases_refused", "seizures",
                                                 "seizures_refused", "paid_seizures_fen")}
    if figures["pledges"] + figures["pledges_refused"]:
        refused = (figures["pledges_refused"] + figures["releases_refused"]
                   + figures["seizures_refused"])
        found.append(Verdict(
            "pledges", a.label,
            f"会员向贷款机构质押积分 {figures['pledges']:,} 次获准；贷款机构解除质押 "
            f"{figures['releases']:,} 次，处置质押 {figures['seizures']:,} 次，处置共支付 "
            f"{cny(figures['paid_seizures_fen'])} 元；被拒绝的质押、解除和处置共 {refused:,} 次"
            "（全部模拟合计）。",
            f"Members pledged points to the lender {figures['pledges']:,} times; the lender "
            f"released {figures['releases']:,} pledges and seized {figures['seizures']:,}, "
            f"which paid {cny(figures['paid_seizures_fen'])} CNY; {refused:,} pledges, releases "
            "and seizures were refused (all runs).", figures))
    return found


def _locked(a: PointAnalysis) -> Verdict | None:
    """With a gain gate: the share of attempts refused month by month, and why."""
    gain = a.rules.get("withdraw_min_gain")
    c = a.counts
    tried = sum(c.attempts)
    if gain is None or tried == 0:
        return None
    refused = [c.refused_in(index) for index in range(c.months)]
    months = [index for index in range(c.months) if c.attempts[index]]
    shares = {index: Fraction(refused[index], c.attempts[index]) for index in months}
    first, last = months[0], months[-1]
    worst = max(months, key=lambda index: (shares[index], -index))
    below = c.refused_total(BELOW_GAIN)
    total = sum(refused)
    figures: dict[str, Any] = {
        "withdraw_min_gain": gain, "attempts": tried, "refused": total,
        "refused_below_gain": below, "attempts_by_month": c.attempts,
        "refused_by_month": refused, "refused_by_cause": {
            cause: sum(counts) for cause, counts in c.refused.items()},
        "share_by_month": [ratio(shares.get(index)) for index in range(c.months)]}
    zh = (f"设有增值门槛（每份额价值 V 须达到该批积分铸造时 V 的 (1 + {gain}) 倍才能提现）："
          f"{tried:,} 次提现尝试中有 {pct(Fraction(total, tried))} 被拒绝（全部模拟合计）。"
          f"逐月看（见图）：第 {first + 1} 个月 {pct(shares[first])}，第 {last + 1} 个月 "
          f"{pct(shares[last])}，最高为第 {worst + 1} 个月的 {pct(shares[worst])}。")
    en = (f"With a gain gate (a lot may go only once the value per share V is (1 + {gain}) "
          f"times its V at mint), {pct(Fraction(total, tried))} of {tried:,} withdrawal "
          f"attempts were refused (all runs). Month by month (see the chart): "
          f"{pct(shares[first])} in month {first + 1}, {pct(shares[last])} in month "
          f"{last + 1}, highest {pct(shares[worst])} in month {worst + 1}.")
    if below and total:
        zh += f"其中 {pct(Fraction(below, total))} 的拒绝是因为最早一批积分的 V 未达门槛。"
        en += (f" {pct(Fraction(below, total))} of the refusals were the oldest lot's V below "
               "the gate.")
        values = a.bands["value_micro"][50]
        present = [index for index, value in enumerate(values) if value > 0]
        if present:
            start, end = present[0], present[-1]
            figures.update({"value_start_micro": values[start], "value_end_micro": values[end]})
            moved_zh = (f"每积分价值（按未销毁计，与 V 成正比）从第 {start + 1} 个月末的 "
                        f"{price(values[start])} 元变为第 {end + 1} 个月末的 "
                        f"{price(values[end])} 元（{MEDIAN_ZH}）。")
            moved_en = (f"the value per point (as if never burned, proportional to V) went from "
                        f"{price(values[start])} CNY at the end of month {start + 1} to "
                        f"{price(values[end])} CNY at the end of month {end + 1} ({MEDIAN_EN}).")
            ends = a.month_ends.get("value_micro", [])
            if len(ends) > end:
                sure_zh, sure_en, sure = precision(a.runs, [
                    ("value_start", f"第 {start + 1} 个月末", f"end of month {start + 1}",
                     ends[start], as_price),
                    ("value_end", f"第 {end + 1} 个月末", f"end of month {end + 1}", ends[end],
                     as_price)])
                moved_zh += sure_zh
                moved_en += sure_en
                figures.update(sure)
            if a.rules.get("mint_mode", "fixed") == "fixed" and a.burns > 0:
                zh += ("原因：固定铸造模式下每元消费铸造的积分数不变，而份额 = 积分 ÷ 指数；"
                       "每次销毁都使指数下降，之后的订单每元就铸造更多份额，于是每份额价值 V "
                       "逐渐低于较早批次铸造时的 V，门槛越来越难达到（V 也随每笔订单的利润率"
                       "上下波动，在 V 偏高时铸造的批次，V 一回落就被锁住）：" + moved_zh)
                en += (" Why: under the fixed mint each yuan spent mints the same points, and "
                       "shares = points ÷ index; every burn lowers the index, so later orders "
                       "mint more shares per yuan and V per share drifts below older lots' V at "
                       "mint, out of the gate's reach (V also moves with each order's margin, "
                       "so a lot minted while V stood high is locked as soon as V dips): "
                       + moved_en)
            else:
                zh += moved_zh
                en += " Meanwhile " + moved_en
    return Verdict("locked", a.label, zh, en, figures)


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
    figures: dict[str, Any] = {"events": [list(event) for event in a.pool_remainder]}
    sure_zh = sure_en = ""
    if a.first_remainder is not None:
        sure_zh, sure_en, sure = precision(a.runs, [
            ("pool_left", f"第 {month} 个月末的余额", f"the pool left at the end of month {month}",
             a.first_remainder, as_cny)])
        figures.update(sure)
    return Verdict("pool_remainder", a.label,
                   zh + sure_zh + f"出现这种情况的月份：{months_zh}。",
                   en + sure_en + f" This happened at the end of {months_en}.", figures)


def _emptied(a: PointAnalysis) -> Verdict | None:
    """Every time the last points left the pool, inside a month, not only at month ends."""
    c = a.counts
    events = sum(c.emptied)
    if events == 0:
        return None
    months = [index + 1 for index in range(c.months) if c.emptied[index]]
    months_zh, months_en = months_text(months)
    left, taken = sum(c.left_fen), sum(c.taken_fen)
    return Verdict(
        "pool_emptied", a.label,
        f"收益池中的积分在月中全部退出了 {events:,} 次（全部模拟合计；{c.runs_emptied}/{a.runs} "
        f"次模拟中出现；发生在{months_zh}），那些时刻收益池仍有合计 {cny(left)} 元。"
        "按规则（docs/rules.md 第 2 节），余额留在池中，由下一批铸造的积分全部拥有："
        f"此后铸造的第一批积分共接手了 {cny(taken)} 元。",
        f"The last points left the pool {events:,} time{'s' if events != 1 else ''} during "
        f"the months (all runs; in {c.runs_emptied} of {a.runs} runs; in {months_en}), while "
        f"the pool still held {cny(left)} CNY in all at those moments. Under docs/rules.md "
        "section 2 that money stays in the pool and the next lot minted owns all of it: the "
        f"first lots minted afterwards took over {cny(taken)} CNY.",
        {"events": events, "runs": c.runs_emptied, "left_fen": left, "taken_fen": taken,
         "by_month": c.emptied})


def _zero_points(a: PointAnalysis) -> Verdict | None:
    """Orders that settled and minted nothing, counted whenever they happen."""
    c = a.counts
    zero, settled = sum(c.zero_points), sum(c.settled)
    if zero == 0:
        return None
    months_zh, months_en = months_text(
        [index + 1 for index in range(c.months) if c.zero_points[index]])
    of = pct(share(zero, settled))
    return Verdict(
        "zero_points", a.label,
        f"有 {zero:,} 笔订单（占已结算订单的 {of}；{c.zero_points_runs}/{a.runs} 次模拟中出现；"
        f"发生在{months_zh}）注入了收益池却没有铸造任何积分：积分只保留 4 位小数并向下取整，"
        "积分价格越高，同样的注入换到的积分越少，小额订单就什么也得不到。",
        f"{zero:,} order{'s' if zero != 1 else ''} ({of} of settled orders; in "
        f"{c.zero_points_runs} of {a.runs} runs; in {months_en}) put money into the pool and "
        "minted no points at all: points are kept to 4 decimals and rounded down, so the "
        "higher the price, the fewer points the same money mints, and small orders get "
        "nothing.",
        {"orders": zero, "settled": settled, "runs": c.zero_points_runs,
         "by_month": c.zero_points})


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
    _runs_note, _price_fell, _drawdown, _multiple, _exits, _trend, _cohorts, _funded, _solvency,
    _collapse, _bank_run, _withdrawals, _moves, _remainder, _invariants,
    _under_water, _members_under_water, _member_returns, _time_to_exit, _exit_in_yuan,
    _at_price,
    _locked, _emptied, _zero_points,
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
