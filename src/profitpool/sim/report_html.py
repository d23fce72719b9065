"""report.html: one self-contained page, Chinese first, English one click away.

Everything is inline (CSS, SVG charts, one line of script that switches the
language); nothing is fetched from anywhere, so the page opens offline and
reads the same in ten years. Every text exists in both languages as sibling
elements of class ``zh`` and ``en``; CSS hides English by default, and
without script both show, Chinese first. All data text is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from ..rules import RULE_LABELS
from ..texts import BURN_NOTE
from .analysis import PointAnalysis
from .display import DASH, cny, number, pct, price
from .redlines import DISCLAIMER, RedLine
from .report_charts import Chart, chart_html
from .results import Simulation
from .sensitivity import SensitivityRow
from .verdicts import Verdict, remainder_text

NO_PROMISE = ("本报告只陈述模拟得出的事实与数据，不承诺任何收益；积分价格可能下跌。",
              "This report states facts and figures from simulated runs and promises no "
              "return; the price can fall.")
VALUE_TITLE = ("每积分价值：上线时的一个积分（经过销毁后）现在值多少元",
               "Value of one launch point, burns included (CNY)")
BANDS_NOTE = ("浅色带：5%–95% 分位；深色带：25%–75% 分位；线：中位数（各次模拟）。"
              "并排的图使用相同的纵轴范围，除非数值相差五倍以上。",
              "Light band: p5–p95; dark band: p25–p75; line: median (across runs). Panels side "
              "by side share their y range unless their values differ more than fivefold.")

OUTCOMES_TITLE = ("每位会员拿回的 ÷ 其本人注入收益池的金额，按加入月份（全部模拟的会员）",
                  "What each member got back ÷ what their own orders put into the pool, by "
                  "month joined (members of all runs)")

READINGS: dict[str, tuple[str, str]] = {
    "origin": ("origin（原文读法）：按这些规则所出自的那篇营销文章（不在本项目中，见项目文档 "
               "docs/rules.md 的引言）来读——每 100 元消费得 21 积分，积分价值达到消费金额的 3 倍时"
               "出局。",
               "origin: the rules as read from the marketing article they come from (not part of "
               "this project; the project's docs/rules.md describes it in its introduction): 21 "
               "points per 100 CNY spent, and a lot exits when it is worth 3 times the money "
               "spent."),
    "vendor": ("vendor（供应商读法）：以同一名称出售的系统的做法——按当前价格铸造积分"
               "（mint_mode = at_price），积分价值达到铸造时价值的 2 倍时出局"
               "（exit_basis = mint_value，exit_multiple = 2）。",
               "vendor: what systems sold under the same name do: points minted at the current "
               "price (mint_mode = at_price), and a lot exits at 2 times its value at mint "
               "(exit_basis = mint_value, exit_multiple = 2)."),
}
"""What the bundled scenarios' variant names mean, said where the report first uses them."""

SHOWN_REMAINDERS = 4
"""Month ends with no point left shown in full before the rest are folded away."""

CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1240px;padding:0 1rem 3rem;
color:#1d1d1d;line-height:1.5}
.en{display:none}body.en-mode .zh{display:none}body.en-mode .en{display:revert}
header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem}
#lang{font:inherit;padding:.2rem .8rem;cursor:pointer}
.banner{background:#fff4d6;border:1px solid #e0b84c;padding:.6rem 1rem;margin:1rem 0}
.note{background:#eef3fb;border-left:4px solid #4c72b0;padding:.4rem .8rem}
.remainder{background:#f3efe2;border-left:4px solid #8c6d1f;padding:.4rem .8rem}
.points{display:flex;flex-wrap:wrap;gap:1rem}
.points>figure{flex:1 1 440px;min-width:0;max-width:760px;margin:0}
figcaption{font-weight:600}
svg.chart{width:100%;height:auto}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0;display:block;max-width:100%;
overflow-x:auto}
th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left;min-width:6em}
pre{background:#f6f6f6;padding:.8rem;overflow-x:auto;font-size:.85rem}
.source{color:#555;font-size:.9rem}
.redline{border:1px solid #c44e52;padding:.2rem 1rem;margin:1rem 0}
footer{margin-top:2rem;font-weight:600}
"""
NOSCRIPT = "<noscript><style>.en{display:revert}#lang{display:none}</style></noscript>"
SWITCH = ('<button type="button" id="lang" '
          "onclick=\"document.body.classList.toggle('en-mode')\">"
          '<span class="zh">English</span><span class="en">中文</span></button>')


def both(zh: str, en: str, tag: str = "span") -> str:
    """The same text in both languages (already-escaped HTML in, HTML out)."""
    return (f'<{tag} class="zh" lang="zh-CN">{zh}</{tag}>'
            f'<{tag} class="en" lang="en">{en}</{tag}>')


def text(zh: str, en: str, tag: str = "span") -> str:
    """:func:`both` for plain text: escapes it first."""
    return both(escape(zh), escape(en), tag)


def heading(zh: str, en: str, anchor: str) -> str:
    return f'<h2 id="{anchor}">{text(zh, en)}</h2>'


def side_by_side(items: Iterable[tuple[str, str]]) -> str:
    """Panels (caption, HTML) next to each other, wrapping on narrow screens."""
    return '<div class="points">' + "".join(
        f"<figure><figcaption>{escape(caption)}</figcaption>{body}</figure>"
        for caption, body in items) + "</div>"


def table(head: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]]) -> str:
    """A table: bilingual column heads, plain-text cells (escaped here)."""
    heads = "".join(f"<th>{text(zh, en)}</th>" for zh, en in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>"


def said(verdicts: list[Verdict], point: str, keys: Sequence[str]) -> str:
    """The statements of one point whose key is one of ``keys`` (prefix match), as a list."""
    chosen = [v for v in verdicts if v.point == point
              and any(v.key == key or v.key.startswith(key + "_") for key in keys)]
    if not chosen:
        return ""
    return "<ul>" + "".join(f"<li>{text(v.zh, v.en)}</li>" for v in chosen) + "</ul>"


def charts_of(charts: list[Chart], kind: str, analyses: list[PointAnalysis],
              verdicts: list[Verdict] | None = None, keys: Sequence[str] = ()) -> str:
    """One kind's charts side by side, each with that point's matching statements under it."""
    by_point = {chart.point: chart for chart in charts if chart.kind == kind}
    return side_by_side(
        (a.label, chart_html(by_point[a.label])
         + (said(verdicts, a.label, keys) if verdicts else ""))
        for a in analyses if a.label in by_point)


def _overview(sim: Simulation, analyses: list[PointAnalysis]) -> str:
    runs = ", ".join(f"{a.label}: {a.runs}" for a in analyses)
    months = "、".join(dict.fromkeys(str(a.months) for a in analyses)) or str(sim.months)
    rows = [("情景", "Scenario", sim.scenario), ("开始月份", "First month", sim.start),
            ("月数", "Months", months), ("每个变体的模拟次数", "Runs per point", runs),
            ("扫描的规则与参数", "Swept rules and settings", ", ".join(sim.swept) or "—"),
            ("新消费停止或减少", "New consumption stops or falls",
             str(sim.collapse_month) if sim.collapse_month is not None else "—"),
            ("挤兑月", "Bank-run month",
             str(sim.bank_run_month) if sim.bank_run_month is not None else "—")]
    rows += [(f"第 {month} 个月初修改规则", f"Rules changed at the start of month {month}",
              ", ".join(f"{name} = {value}" for name, value in sorted(body.items())))
             for month, body in sim.rule_changes]
    body = "".join(f"<tr><th>{text(zh, en)}</th><td>{escape(value)}</td></tr>"
                   for zh, en, value in rows)
    description = text(sim.description.strip(), (sim.description_en or sim.description).strip(),
                       "p")
    variants = dict.fromkeys(str(a.point.get("variant", "")) for a in analyses)
    readings = [READINGS[name] for name in variants if name in READINGS]
    explained = ("<ul>" + "".join(f"<li>{text(zh, en)}</li>" for zh, en in readings) + "</ul>"
                 if readings else "")
    return f"{description}{explained}<table><tbody>{body}</tbody></table>"


def _findings(analyses: list[PointAnalysis], verdicts: list[Verdict]) -> str:
    return side_by_side(
        (a.label, "<ul>" + "".join(f"<li>{text(v.zh, v.en)}</li>"
                                   for v in verdicts if v.point == a.label) + "</ul>")
        for a in analyses)


def _remainders(analyses: list[PointAnalysis]) -> str:
    """docs/rules.md section 2, said in each month it happened (past the first few, folded)."""
    notes = []
    for a in analyses:
        for month, runs, pool in a.pool_remainder:
            zh, en = remainder_text(month, runs, pool)
            notes.append(f'<p class="remainder">{escape(a.label)}: {text(zh, en)}</p>')
    if len(notes) <= SHOWN_REMAINDERS:
        return "".join(notes)
    more = text(f"其余 {len(notes) - SHOWN_REMAINDERS} 个月", f"{len(notes) - SHOWN_REMAINDERS} "
                "more month ends")
    return ("".join(notes[:SHOWN_REMAINDERS])
            + f"<details><summary>{more}</summary>{''.join(notes[SHOWN_REMAINDERS:])}</details>")


def _cohort_table(a: PointAnalysis) -> str:
    head = [("加入月份", "Month joined"), ("模拟次数", "Runs"),
            ("会员数（中位数）", "Members (median)"), ("消费（中位数，元）", "Spent (median, CNY)"),
            ("拿回（中位数）", "Got back (median)"),
            ("其中现金（中位数）", "Cash (median)"), ("铸造批次", "Lots minted"),
            ("出局批次", "Lots exited"),
            ("池中资金构成：来自更晚加入月份", "Pool mix: later cohorts' money")]
    rows = [[str(c.month), str(c.runs), f"{c.members_median:,}", cny(c.spent_median_fen),
             pct(c.return_median), pct(c.cash_median), f"{c.lots_minted:,}",
             f"{c.lots_exited:,}", pct(c.funding.later_share)] for c in a.cohorts]
    summary = text("按加入月份的明细（全部模拟）", "By month joined (all runs)")
    return f"<details><summary>{summary}</summary>{table(head, rows)}</details>"


def _price_or_dash(row: SensitivityRow) -> str:
    value = row.medians["final_value_micro"]
    return DASH if value is None else price(int(value))


def _sensitivity(charts: list[Chart], sweeps: dict[str, list[SensitivityRow]]) -> str:
    if not any(sweeps.values()):
        return ""
    head = [("变体", "Variant"), ("取值", "Value"), ("模拟次数", "Runs"),
            ("最终每积分价值", "Final value per launch point"), ("出局批次占比", "Lots exited"),
            ("由更晚加入者出资的领取额占比", "Received, paid by later members"),
            ("价格下跌月数", "Months the price fell")]
    parts = [heading("敏感性", "Sensitivity", "sensitivity"),
             text("每个取值下各次模拟的中位数（其他扫描规则取各点的值）。",
                  "Medians across runs at each value (other swept rules as the points have "
                  "them).", "p")]
    sweep_charts = [chart for chart in charts if chart.kind == "sensitivity"]
    for (key, rows), chart in zip(((k, r) for k, r in sweeps.items() if r), sweep_charts,
                                  strict=True):
        cells = [[row.variant, row.value, str(row.runs), _price_or_dash(row),
                  pct(row.medians["exit_share"]), pct(row.medians["later_share"]),
                  number(row.medians["months_price_fell"])] for row in rows]
        parts += [f"<h3>{escape(key)}</h3>", chart_html(chart), table(head, cells)]
    return "".join(parts)


def _red_lines(lines: list[RedLine], analyses: list[PointAnalysis]) -> str:
    parts = [heading("监管红线", "Red lines", "red-lines")]
    for key in dict.fromkeys(line.key for line in lines):
        group = [line for line in lines if line.key == key]
        first = group[0]
        facts = side_by_side((line.point, text(line.zh, line.en, "p")) for line in group)
        if key == "cohort_returns":
            facts += side_by_side((a.label, _cohort_table(a)) for a in analyses)
        parts.append(
            f'<section class="redline"><h3>{text(first.line_zh, first.line_en)}</h3>'
            f'<p class="source">{text("来源：" + first.source_zh, "Source: " + first.source_en)}'
            f"</p>{facts}</section>")
    parts.append(f"<p><strong>{text(*DISCLAIMER)}</strong></p>")
    return "".join(parts)


def _rules(sim: Simulation, analyses: list[PointAnalysis]) -> str:
    rules = "".join(
        f"<details><summary>{escape(a.label)}</summary>{_rules_table(a.rules)}</details>"
        for a in analyses)
    return (heading("情景与规则", "Scenario and rules", "scenario") + rules
            + f"<details><summary>{text('情景文件', 'Scenario file')}</summary>"
            f"<pre>{escape(sim.source)}</pre></details>")


def _rules_table(rules: dict[str, object]) -> str:
    """The rules of one point: each one's name for people (both languages), name, value."""
    names = [name for name in RULE_LABELS if name in rules]
    names += sorted(name for name in rules if name not in RULE_LABELS)
    rows = []
    for name in names:
        label = RULE_LABELS.get(name)
        shown = text(label.zh, label.en) if label is not None else ""
        value = rules[name]
        value_text = ("—" if value is None else str(value).lower() if isinstance(value, bool)
                      else str(value))
        rows.append(f"<tr><th>{shown} <code>{escape(name)}</code></th>"
                    f"<td>{escape(value_text)}</td></tr>")
    return f'<table class="rules">{"".join(rows)}</table>'


def _refusals(charts: list[Chart], analyses: list[PointAnalysis],
              verdicts: list[Verdict]) -> list[str]:
    """Withdrawals refused month by month, by cause, when any point had attempts."""
    if not any(chart.kind == "refusals" for chart in charts):
        return []
    return [heading("被拒绝的提现", "Refused withdrawals", "refusals"),
            charts_of(charts, "refusals", analyses, verdicts,
                      ("withdrawals", "transfers", "pledges", "locked"))]


def page(sim: Simulation, analyses: list[PointAnalysis], verdicts: list[Verdict],
         lines: list[RedLine], charts: list[Chart],
         sweeps: dict[str, list[SensitivityRow]]) -> str:
    """The whole report as one HTML string."""
    title = escape(sim.title or sim.scenario)
    heading_title = text(sim.title or sim.scenario, sim.title_en or sim.title or sim.scenario)
    collapse = any(a.after_collapse for a in analyses)
    bank = any(a.bank_run.month is not None or a.bank_run.refused_all_months_total
               for a in analyses)
    body = [
        f"<header><h1>{heading_title}</h1>{SWITCH}</header>",
        f'<div class="banner">{text(*NO_PROMISE)}</div>',
        _overview(sim, analyses),
        heading("结论", "Findings", "findings"), _findings(analyses, verdicts),
        heading("积分价格与每积分价值", "Price and value per point", "price"),
        f'<p class="note">{text(*BURN_NOTE)}</p>', text(*BANDS_NOTE, "p"),
        f"<h3>{text('积分价格（元/积分）', 'Price (CNY per point)')}</h3>",
        charts_of(charts, "price", analyses, verdicts, ("burn", "trend")),
        f"<h3>{text(*VALUE_TITLE)}</h3>", charts_of(charts, "value", analyses),
        _remainders(analyses),
        heading("收益池、流通积分与支付", "Pool, points and payouts", "flows"),
        charts_of(charts, "flows", analyses),
        heading("强制出局", "Forced exits", "exits"),
        charts_of(charts, "exits", analyses, verdicts, ("multiple", "exits", "time_to_exit")),
        heading("按加入月份的回报", "Returns by month joined", "cohorts"),
        charts_of(charts, "cohorts", analyses, verdicts, ("cohort",)),
        f"<h3>{text(*OUTCOMES_TITLE)}</h3>",
        charts_of(charts, "outcomes", analyses, verdicts,
                  ("members_under_water", "member_returns")),
        heading("谁的钱付给了谁", "Who funded whom", "funding"),
        charts_of(charts, "funding", analyses, verdicts, ("funded",)),
        *_refusals(charts, analyses, verdicts),
        heading("偿付能力", "Solvency", "solvency"),
        charts_of(charts, "solvency", analyses, verdicts, ("solvency", "promised")),
        heading("价格下跌与最大跌幅", "Falls and drawdowns", "risk"),
        charts_of(charts, "risk", analyses, verdicts, ("price_fell", "drawdown")),
    ]
    if collapse or bank:
        body += [heading("冲击之后", "After the shocks", "shocks"),
                 side_by_side((a.label, said(verdicts, a.label, ("collapse", "bank_run",
                                                                  "cap_refusals")))
                              for a in analyses)]
    body += [_sensitivity(charts, sweeps), _red_lines(lines, analyses), _rules(sim, analyses),
             f"<footer>{text(*DISCLAIMER)} {text(*NO_PROMISE)}</footer>"]
    return ("<!DOCTYPE html>\n"
            f'<html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{CSS}</style>{NOSCRIPT}</head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body></html>\n")
