"""The report's charts, drawn with matplotlib (Agg) as SVG for the page and PNG for files.

One figure per chart kind and point, so the page can set points side by side
at any count; a kind's y axis has the same range for every point, so the
panels compare. Each chart is drawn twice, with its axes, legends and titles
in Chinese (``svg``, ``png``) and in English (``svg_en``, ``png_en``); the
page shows the Chinese one first and the other on the language switch. The
SVG keeps its text as text, so the browser draws the Chinese with its own
fonts; the PNGs need a CJK font on the machine (:data:`CJK_FONTS`, e.g.
WenQuanYi Micro Hei or Noto Sans CJK SC), and without one their Chinese
PNG is drawn in English. Output is deterministic: a fixed SVG hash salt, no
dates or software names in the metadata, and ids prefixed per chart so many
SVGs can share one HTML document. Floats appear only here, to place marks on
a canvas.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from .analysis import PointAnalysis
from .display import pct
from .sensitivity import OUTCOMES, SensitivityRow

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COLOURS = {"band": "#4c72b0", "median": "#1f3b73", "value": "#55a868", "pool": "#4c72b0",
           "holdings": "#55a868", "promised": "#c44e52", "withdrawals": "#4c72b0",
           "exits": "#c44e52", "merchants": "#8172b2", "cash": "#dd8452", "own": "#8c8c8c",
           "earlier": "#4c72b0", "later": "#c44e52"}
SIZE = (6.4, 3.8)
SHARE_WITHIN = 5
"""Panels of one kind share their y range while their tops are within this factor."""
DPI = 100
RC: dict[str, Any] = {"svg.fonttype": "none", "axes.unicode_minus": False, "font.size": 9,
                      "axes.spines.top": False, "axes.spines.right": False}
SVG_METADATA: dict[str, Any] = {"Format": None, "Type": None, "Creator": None, "Date": None}
PNG_METADATA: dict[str, Any] = {"Software": None}
CJK_FONTS: tuple[str, ...] = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC",
                              "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimHei")
"""Fonts with Chinese glyphs, tried in order after DejaVu Sans (the first one installed wins)."""
LANGUAGES: tuple[str, ...] = ("zh", "en")

_language: ContextVar[str] = ContextVar("chart_language", default="zh")


def tr(zh: str, en: str) -> str:
    """The text of the language being drawn: Chinese first, English on the switch."""
    return zh if _language.get() == "zh" else en


@cache
def cjk_font() -> str | None:
    """The first of :data:`CJK_FONTS` matplotlib can find on this machine, or None."""
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


Words = tuple[str, str]
"""A text in Chinese and in English."""


@dataclass(frozen=True)
class Chart:
    """One drawn chart: ``kind`` names its section, ``point`` its point (None for a sweep)."""

    kind: str
    name: str
    """File stem under charts/ and the prefix of its SVG ids."""
    point: str | None
    svg: str
    """Ready to inline: no XML prolog, no namespace URLs, ids prefixed. In Chinese."""
    png: bytes
    svg_en: str = ""
    """The same chart with English text (ids prefixed ``<name>-en``)."""
    png_en: bytes = b""


def chart_html(chart: Chart) -> str:
    """The chart's SVG in both languages, as the page's language switch expects them."""
    return (f'<div class="zh" lang="zh-CN">{chart.svg}</div>'
            f'<div class="en" lang="en">{chart.svg_en}</div>')


def ascii_text(text: str) -> str:
    """Text safe for the images' font: the middle dot becomes a comma, other non-ASCII '?'."""
    return text.replace(" · ", ", ").encode("ascii", "replace").decode("ascii")


def slug(text: str) -> str:
    """A file-name-safe form of a point label."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_text(text).lower()).strip("-") or "point"


def inline_svg(svg: str, prefix: str) -> str:
    """matplotlib's SVG, made fit to sit inside an HTML page among other charts."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    svg = re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="chart"', svg, count=1)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', rf'url(#{prefix}-\1)', svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg).strip() + "\n"


def _render(kind: str, name: str, point: str | None, draw: Callable[[Figure], None],
            size: tuple[float, float] = SIZE) -> Chart:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = cjk_font()
    drawn: dict[str, tuple[str, bytes]] = {}
    for language in LANGUAGES:
        settings: Any = {**RC, "svg.hashsalt": f"profitpool-{name}",  # fixed salt: same ids
                         # a list of families, not font.sans-serif: matplotlib falls back
                         # glyph by glyph only along font.family (Chinese in the CJK font)
                         "font.family": ["DejaVu Sans", *([font] if font else [])]}
        token = _language.set(language)
        try:
            with matplotlib.rc_context(settings), warnings.catch_warnings():
                # no CJK font: the SVG still carries the Chinese text, which the browser
                # draws; matplotlib only measures it with boxes and would warn of each glyph
                warnings.filterwarnings("ignore", "Glyph .* missing from", UserWarning)
                figure = Figure(figsize=size, dpi=DPI, layout="constrained")
                draw(figure)
                svg, png = io.StringIO(), io.BytesIO()
                figure.savefig(svg, format="svg", metadata=SVG_METADATA)
                figure.savefig(png, format="png", metadata=PNG_METADATA)
        finally:
            _language.reset(token)
        prefix = name if language == "zh" else f"{name}-en"
        drawn[language] = inline_svg(svg.getvalue(), prefix), png.getvalue()
    zh_png = drawn["zh"][1] if font else drawn["en"][1]
    return Chart(kind, name, point, drawn["zh"][0], zh_png, drawn["en"][0], drawn["en"][1])


def _whole(ax: Axes, x: bool = True, y: bool = False) -> None:
    """Ticks at whole numbers only (months, runs, lots)."""
    from matplotlib.ticker import MaxNLocator

    if x:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if y:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def _grouped(ax: Axes) -> None:
    """Y tick labels as plain numbers with thousands separators (no '1e6' offset)."""
    from matplotlib.ticker import StrMethodFormatter

    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _below(ax: Axes) -> None:
    """The legend under the axes, so it never hides a bar."""
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16),
              ncols=3)


def _months(a: PointAnalysis) -> list[int]:
    return list(range(1, a.months + 1))


def _bands(ax: Axes, a: PointAnalysis, column: str, scale: float, colour: str) -> None:
    bands = a.bands[column]
    x = _months(a)
    ax.fill_between(x, [v / scale for v in bands[5]], [v / scale for v in bands[95]],
                    color=colour, alpha=0.18, linewidth=0, label=tr("5%–95% 分位", "p5-p95"))
    ax.fill_between(x, [v / scale for v in bands[25]], [v / scale for v in bands[75]],
                    color=colour, alpha=0.35, linewidth=0, label=tr("25%–75% 分位", "p25-p75"))
    ax.plot(x, [v / scale for v in bands[50]], color=colour, linewidth=1.6,
            label=tr("中位数", "median"))
    ax.set_xlabel(tr("月份", "month"))
    _whole(ax)
    ax.legend(loc="best", fontsize=8, frameon=False)


def _top(values: Sequence[float]) -> float:
    """An upper y limit a little above the data (1 when everything is 0)."""
    high = max(values, default=0.0)
    return high * 1.08 if high > 0 else 1.0


def y_limits(per_point: Sequence[Sequence[float]]) -> list[float]:
    """Each point's y limit: one shared range, unless the points differ more than fivefold.

    A shared range lets side-by-side panels compare at a glance; when one point's
    figures dwarf another's, a shared range would flatten the smaller to a line.
    """
    own = [_top(values) for values in per_point]
    shared = max(own, default=1.0)
    return [shared] * len(own) if min(own, default=1.0) * SHARE_WITHIN >= shared else own


def _band_charts(analyses: list[PointAnalysis], column: str, kind: str,
                 ylabel: Words, colour: str) -> list[Chart]:
    scale = 1_000_000.0
    tops = y_limits([[v / scale for v in a.bands[column][95]] for a in analyses])

    def chart(index: int, a: PointAnalysis) -> Chart:
        def draw(figure: Figure) -> None:
            ax = figure.add_subplot()
            _bands(ax, a, column, scale, colour)
            ax.set_ylim(0, tops[index])
            ax.set_ylabel(tr(*ylabel))
            ax.set_title(ascii_text(a.label), fontsize=9)
        return _render(kind, f"{kind}-{index + 1:02d}-{slug(a.label)}", a.label, draw)

    return [chart(index, a) for index, a in enumerate(analyses)]


def _price_value_charts(analyses: list[PointAnalysis]) -> list[Chart]:
    """Price and value per point on one chart: the gap between them is what burns did."""
    scale = 1_000_000.0
    tops = y_limits([[v / scale for column in ("price_micro", "value_micro")
                      for v in a.bands[column][95]] for a in analyses])

    def chart(index: int, a: PointAnalysis) -> Chart:
        def draw(figure: Figure) -> None:
            ax = figure.add_subplot()
            x = _months(a)
            for column, name, colour in (
                    ("price_micro", tr("积分价格", "price"), COLOURS["band"]),
                    ("value_micro", tr("每个上线时积分的价值", "value per launch point"),
                     COLOURS["value"])):
                bands = a.bands[column]
                ax.fill_between(x, [v / scale for v in bands[5]], [v / scale for v in bands[95]],
                                color=colour, alpha=0.15, linewidth=0)
                ax.fill_between(x, [v / scale for v in bands[25]],
                                [v / scale for v in bands[75]], color=colour, alpha=0.3,
                                linewidth=0)
                ax.plot(x, [v / scale for v in bands[50]], color=colour, linewidth=1.6,
                        label=name + tr("（中位数）", " (median)"))
            ax.set_xlabel(tr("月份", "month"))
            _whole(ax)
            ax.set_ylim(0, tops[index])
            ax.set_ylabel(tr("元/积分（色带：25–75%、5–95% 分位）",
                             "CNY per point (bands: p25-p75, p5-p95)"))
            _below(ax)
            ax.set_title(ascii_text(a.label), fontsize=9)
        return _render("price", f"price-{index + 1:02d}-{slug(a.label)}", a.label, draw)

    return [chart(index, a) for index, a in enumerate(analyses)]


def _flow_charts(analyses: list[PointAnalysis]) -> list[Chart]:
    panels: list[tuple[Words, list[tuple[str, Words, str]], float]] = [
        (("月末收益池（元）", "pool at month end (CNY)"),
         [("pool_fen", ("收益池", "pool"), "pool")], 100.0),
        (("流通积分", "points in circulation"),
         [("supply_points", ("流通积分", "supply"), "band")], 10_000.0),
        (("每月支付（元）", "paid per month (CNY)"),
         [("paid_withdrawals_fen", ("提现", "withdrawals"), "withdrawals"),
          ("paid_exits_fen", ("出局", "exits"), "exits"),
          ("paid_merchants_fen", ("商家收款", "merchants"), "merchants")], 100.0),
        (("每月强制出局的批次", "lots forced out per month"),
         [("exits", ("出局", "exits"), "exits")], 1.0),
    ]
    tops = [y_limits([[v / scale for column, _, _ in lines for v in a.bands[column][50]]
                   for a in analyses]) for _, lines, scale in panels]

    def chart(index: int, a: PointAnalysis) -> Chart:
        def draw(figure: Figure) -> None:
            axes = figure.subplots(2, 2)
            for ax, (title, lines, scale), top in zip(axes.flat, panels, tops, strict=True):
                for column, label, colour in lines:
                    ax.plot(_months(a), [v / scale for v in a.bands[column][50]],
                            color=COLOURS[colour], linewidth=1.4, label=tr(*label))
                ax.set_ylim(0, top[index])
                _whole(ax, y=scale == 1.0)
                if top[index] >= 10:
                    _grouped(ax)
                ax.set_title(tr(*title), fontsize=8)
                if len(lines) > 1:
                    ax.legend(fontsize=7, frameon=False)
            figure.suptitle(tr(f"{ascii_text(a.label)}：各次模拟的中位数",
                               f"{ascii_text(a.label)}: medians across runs"), fontsize=9)
        return _render("flows", f"flows-{index + 1:02d}-{slug(a.label)}", a.label, draw,
                       (6.4, 4.8))

    return [chart(index, a) for index, a in enumerate(analyses)]


def _exit_charts(analyses: list[PointAnalysis]) -> list[Chart]:
    width = max((len(a.exit_histogram) for a in analyses), default=0)

    def chart(index: int, a: PointAnalysis) -> Chart:
        def draw(figure: Figure) -> None:
            ax = figure.add_subplot()
            counts = a.exit_histogram + [0] * (width - len(a.exit_histogram))
            ax.bar(range(len(counts)), counts, color=COLOURS["exits"])
            ax.set_xlim(-0.5, max(width, 1) - 0.5)
            ax.set_ylim(bottom=0)
            _whole(ax, y=True)
            ax.set_xlabel(tr("从铸造到强制出局的月数", "months from mint to forced exit"))
            ax.set_ylabel(tr("批次（全部模拟）", "lots (all runs)"))
            share = pct(a.exit_share) if a.exit_share is not None else "n/a"
            ax.set_title(tr(f"{ascii_text(a.label)}：{share} 的批次出局"
                            f"（{a.lots_exited} / {a.lots_minted}）",
                            f"{ascii_text(a.label)}: {share} of lots exited "
                            f"({a.lots_exited} of {a.lots_minted})"), fontsize=9)
        return _render("exits", f"exits-{index + 1:02d}-{slug(a.label)}", a.label, draw)

    return [chart(index, a) for index, a in enumerate(analyses)]


def _cohort_charts(analyses: list[PointAnalysis]) -> list[Chart]:
    tops = y_limits([[float(c.return_median) * 100 for c in a.cohorts] + [100.0]
                  for a in analyses])

    def chart(index: int, a: PointAnalysis) -> Chart:
        def draw(figure: Figure) -> None:
            ax = figure.add_subplot()
            months = [c.month for c in a.cohorts]
            ax.bar([m - 0.2 for m in months], [float(c.return_median) * 100 for c in a.cohorts],
                   width=0.4, color=COLOURS["band"],
                   label=tr("现金 + 商品 + 持有价值", "cash + goods + holding"))
            ax.bar([m + 0.2 for m in months], [float(c.cash_median) * 100 for c in a.cohorts],
                   width=0.4, color=COLOURS["cash"], label=tr("仅现金", "cash only"))
            ax.axhline(100, color="#333333", linewidth=0.8, linestyle="--")
            ax.set_ylim(0, tops[index])
            _whole(ax)
            ax.set_xlabel(tr("加入月份", "month of arrival"))
            ax.set_ylabel(tr("占消费金额的 %（中位数）", "% of money spent (median)"))
            _below(ax)
            ax.set_title(ascii_text(a.label), fontsize=9)
        return _render("cohorts", f"cohorts-{index + 1:02d}-{slug(a.label)}", a.label, draw)

    return [chart(index, a) for index, a in enumerate(analyses)]


def _outcome_charts(analyses: list[PointAnalysis]) -> list[Chart]:
    """Per point with per-member outcomes: each arrival month's members (all runs) as a band
    of (got back ÷ put in): p5-p95, p25-p75 and the median, beside the 100% line."""
    shown = [a for a in analyses if a.outcomes.bands]
    tops = y_limits([[band.ppm[95] / 10_000 for band in a.outcomes.bands] + [100.0]
                     for a in shown])

    def chart(index: int, a: PointAnalysis) -> Chart:
        def draw(figure: Figure) -> None:
            ax = figure.add_subplot()
            bands = a.outcomes.bands
            x = [band.month for band in bands]

            def line(q: int) -> list[float]:
                return [band.ppm[q] / 10_000 for band in bands]

            colour = COLOURS["band"]
            ax.fill_between(x, line(5), line(95), color=colour, alpha=0.18, linewidth=0,
                            step="mid", label=tr("5%–95% 分位", "p5-p95"))
            ax.fill_between(x, line(25), line(75), color=colour, alpha=0.35, linewidth=0,
                            step="mid", label=tr("25%–75% 分位", "p25-p75"))
            ax.plot(x, line(50), color=COLOURS["median"], linewidth=1.6, drawstyle="steps-mid",
                    label=tr("中位数", "median"))
            ax.axhline(100, color="#333333", linewidth=0.8, linestyle="--",
                       label=tr("拿回 = 注入", "got back = put in"))
            ax.set_ylim(0, tops[index])
            _whole(ax)
            ax.set_xlabel(tr("加入月份", "month of arrival"))
            ax.set_ylabel(tr("拿回 ÷ 本人注入（%）", "got back ÷ own contribution (%)"))
            _below(ax)
            ax.set_title(ascii_text(a.label), fontsize=9)
        return _render("outcomes", f"outcomes-{index + 1:02d}-{slug(a.label)}", a.label, draw)

    return [chart(index, a) for index, a in enumerate(shown)]


def _funding_charts(analyses: list[PointAnalysis]) -> list[Chart]:
    def chart(index: int, a: PointAnalysis) -> Chart:
        def draw(figure: Figure) -> None:
            ax = figure.add_subplot()
            months = [c.month for c in a.cohorts]
            bottom = [0.0] * len(months)
            names = {"own": ("来自同月加入者", "from own cohort"),
                     "earlier": ("来自更早加入者", "from earlier cohorts"),
                     "later": ("来自更晚加入者", "from later cohorts")}
            for part in ("own", "earlier", "later"):
                shares = [float(getattr(c.funding, f"{part}_share") or 0) * 100
                          for c in a.cohorts]
                ax.bar(months, shares, bottom=bottom, color=COLOURS[part],
                       label=tr(*names[part]))
                bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
            ax.set_ylim(0, 100)
            _whole(ax)
            ax.set_xlabel(tr("领取者的加入月份", "receiver's month of arrival"))
            ax.set_ylabel(tr("占该月份加入者所得支付的 %", "% of the cohort's payouts"))
            _below(ax)
            ax.set_title(ascii_text(a.label), fontsize=9)
        return _render("funding", f"funding-{index + 1:02d}-{slug(a.label)}", a.label, draw)

    return [chart(index, a) for index, a in enumerate(analyses)]


def _solvency_charts(analyses: list[PointAnalysis]) -> list[Chart]:
    lines = (("pool_fen", ("收益池", "pool"), "pool"),
             ("holdings_value_fen", ("全部持有积分的价值", "all holdings' value"), "holdings"),
             ("promised_fen", ("宣传的出局价值", "advertised exit values"), "promised"))
    tops = y_limits([[v / 100 for column, _, _ in lines for v in a.bands[column][50]]
                  for a in analyses])

    def chart(index: int, a: PointAnalysis) -> Chart:
        def draw(figure: Figure) -> None:
            ax = figure.add_subplot()
            for column, label, colour in lines:
                ax.plot(_months(a), [v / 100 for v in a.bands[column][50]],
                        color=COLOURS[colour], linewidth=1.4, label=tr(*label))
            ax.set_ylim(0, tops[index])
            ax.set_xlabel(tr("月份", "month"))
            _whole(ax)
            ax.set_ylabel(tr("月末金额（元，中位数）", "CNY at month end (median)"))
            if tops[index] >= 10:
                _grouped(ax)
            _below(ax)
            ax.set_title(ascii_text(a.label), fontsize=9)
        return _render("solvency", f"solvency-{index + 1:02d}-{slug(a.label)}", a.label, draw)

    return [chart(index, a) for index, a in enumerate(analyses)]


def _risk_charts(analyses: list[PointAnalysis]) -> list[Chart]:
    most = max((run.months_price_fell for a in analyses for run in a.per_run), default=0)

    def chart(index: int, a: PointAnalysis) -> Chart:
        def draw(figure: Figure) -> None:
            left, right = figure.subplots(1, 2)
            fell = [run.months_price_fell for run in a.per_run]
            left.bar(range(most + 1), [fell.count(k) for k in range(most + 1)],
                     color=COLOURS["exits"])
            _whole(left, y=True)
            left.set_xlabel(tr("价格下跌的月数", "months in which the price fell"))
            left.set_ylabel(tr("模拟次数", "runs"))
            bins = range(10)
            for offset, (name, colour) in ((-0.2, ("price", "band")), (0.2, ("value", "value"))):
                tenths = [min(9, getattr(run, f"{name}_drawdown_ppm") // 100_000)
                          for run in a.per_run]
                right.bar([b * 10 + 5 + offset * 10 for b in bins],
                          [tenths.count(b) for b in bins], width=4, color=COLOURS[colour],
                          label=tr("价格" if name == "price" else "每积分价值", name))
            right.set_xlim(0, 100)
            _whole(right, x=False, y=True)
            right.set_xlabel(tr("从高点算起的最大跌幅（%）", "largest fall from a peak (%)"))
            right.legend(fontsize=8, frameon=False)
            figure.suptitle(tr(f"{ascii_text(a.label)}：各次模拟的分布",
                               f"{ascii_text(a.label)}: distribution across runs"), fontsize=9)
        return _render("risk", f"risk-{index + 1:02d}-{slug(a.label)}", a.label, draw)

    return [chart(index, a) for index, a in enumerate(analyses)]


def _sensitivity_chart(key: str, rows: list[SensitivityRow], index: int) -> Chart:
    titles = {"final_value_micro": (("上线积分的最终价值（元）",
                                     "final value of a launch point (CNY)"), 1_000_000.0),
              "exit_share": (("出局批次占比（%）", "share of lots exited (%)"), 0.01),
              "later_share": (("由更晚加入者出资的领取额占比（%）",
                               "received, paid by later members (%)"), 0.01),
              "months_price_fell": (("价格下跌的月数", "months the price fell"), 1.0)}
    values = list(dict.fromkeys(row.value for row in rows))
    variants = list(dict.fromkeys(row.variant for row in rows))

    def draw(figure: Figure) -> None:
        axes = figure.subplots(2, 2)
        for ax, outcome in zip(axes.flat, OUTCOMES, strict=True):
            title, scale = titles[outcome]
            for variant in variants:
                got = {row.value: row.medians[outcome] for row in rows if row.variant == variant}
                xs = [i for i, value in enumerate(values) if got.get(value) is not None]
                ys = [float(got[values[i]] or 0) / scale for i in xs]
                ax.plot(xs, ys, marker="o", linewidth=1.2, label=ascii_text(variant))
            ax.set_xticks(range(len(values)), [ascii_text(value) for value in values])
            ax.set_ylim(bottom=0)
            _whole(ax, x=False, y=outcome == "months_price_fell")
            ax.set_title(tr(*title), fontsize=8)
            ax.set_xlabel(ascii_text(key), fontsize=8)
        axes.flat[0].legend(fontsize=7, frameon=False)
        figure.suptitle(tr(f"各次模拟的中位数，按 {ascii_text(key)}",
                           f"medians across runs, by {ascii_text(key)}"), fontsize=9)

    return _render("sensitivity", f"sensitivity-{index + 1:02d}-{slug(key)}", None, draw,
                   (6.4, 4.8))


def render_charts(analyses: list[PointAnalysis],
                  sweeps: dict[str, list[SensitivityRow]]) -> list[Chart]:
    """Every chart of the report, grouped by kind, points in order within a kind."""
    charts = [*_price_value_charts(analyses),
              *_band_charts(analyses, "value_micro", "value",
                            ("元/上线时的一个积分", "CNY per launch point"), COLOURS["value"]),
              *_flow_charts(analyses), *_exit_charts(analyses), *_cohort_charts(analyses),
              *_outcome_charts(analyses),
              *_funding_charts(analyses), *_solvency_charts(analyses), *_risk_charts(analyses)]
    charts += [_sensitivity_chart(key, rows, index)
               for index, (key, rows) in enumerate(sweeps.items()) if rows]
    charts += refusal_charts(analyses)
    return charts


REFUSAL_CAUSES: tuple[tuple[str, Words, str], ...] = (
    ("insufficient_points/below_gain", ("最早的批次未达增值门槛", "oldest lot below the gain gate"),
     "#c44e52"),
    ("insufficient_points/too_young", ("持有天数未满", "held too short"), "#dd8452"),
    ("insufficient_points", ("没有可提现的批次（其他原因）", "no lot eligible (other)"), "#8172b2"),
    ("daily_cap_reached", ("每日提现上限", "daily cap"), "#4c72b0"),
)
"""Causes of refused withdrawals drawn apart (counts.py), in stacking order; any other
cause is drawn as 'other'."""


def refusal_charts(analyses: list[PointAnalysis]) -> list[Chart]:
    """Per point with withdrawal attempts: the share refused each month, stacked by cause
    (all runs added up: refused / attempts in that month)."""
    shown = [a for a in analyses if sum(a.counts.attempts)]

    def chart(index: int, a: PointAnalysis) -> Chart:
        counts = a.counts

        def draw(figure: Figure) -> None:
            ax = figure.add_subplot()
            months = _months(a)
            named = {cause for cause, _, _ in REFUSAL_CAUSES}
            other = [sum(values[month] for cause, values in counts.refused.items()
                         if cause not in named) for month in range(a.months)]
            layers = [(counts.refused.get(cause, [0] * a.months), tr(*label), colour)
                      for cause, label, colour in REFUSAL_CAUSES]
            layers.append((other, tr("其他", "other"), "#8c8c8c"))
            bottom = [0.0] * a.months
            for values, label, colour in layers:
                if not any(values):
                    continue
                heights = [100 * values[month] / counts.attempts[month]
                           if counts.attempts[month] else 0.0 for month in range(a.months)]
                ax.bar(months, heights, bottom=bottom, color=colour, label=label)
                bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
            ax.set_ylim(0, 100)
            _whole(ax)
            ax.set_xlabel(tr("月份", "month"))
            ax.set_ylabel(tr("被拒绝的提现尝试（%）", "% of withdrawal attempts refused"))
            if any(bottom):
                _below(ax)
            ax.set_title(ascii_text(a.label), fontsize=9)
        return _render("refusals", f"refusals-{index + 1:02d}-{slug(a.label)}", a.label, draw)

    return [chart(index, a) for index, a in enumerate(shown)]
