"""The simulator's report, checked on small simulations built by hand.

Two points ('origin' and 'vendor') x 4 runs x 6 months, every figure chosen so
each statement, red line and file can be checked exactly: a price that falls
once in one of four runs, burns that lift the price while the value falls,
cohorts funded by later ones, exits in two runs, a month with no point left.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from profitpool.rules import RULE_LABELS
from profitpool.sim.analysis import analyse, histogram_median, max_drawdown_ppm, months_fell
from profitpool.sim.display import cny, months_text, pct, signed_pct
from profitpool.sim.report import write_report
from profitpool.sim.report_charts import y_limits
from profitpool.sim.results import MONTHLY_COLUMNS, Cohort, MemberFunding, RunResult, Simulation
from profitpool.sim.sensitivity import sensitivity
from profitpool.sim.stats import percentile, percentile_int
from profitpool.sim.verdicts import Verdict, red_lines, verdicts

MONTHS = 6
ORIGIN = {"variant": "origin"}
VENDOR = {"variant": "vendor"}
ORIGIN_RULES = {"exit_multiple": "3", "exit_basis": "cost", "exit_payout_rate": "0.80"}
VENDOR_RULES = {"exit_multiple": "2", "exit_basis": "mint_value", "exit_payout_rate": "0.80"}


def cohorts() -> list[Cohort]:
    """Month 1 drew 3,000 of its 4,000 fen from later cohorts; month 2 drew 500 of 2,000."""
    return [
        Cohort(month=1, members=3, spent_fen=10_000, contributed_fen=1_500,
               received_cash_fen=3_000, received_goods_fen=1_000, holding_value_fen=2_000,
               lots_minted=3, lots_exited=0, received_beyond_own_fen=2_500,
               funded_by=[1_000, 2_000, 1_000]),
        Cohort(month=2, members=2, spent_fen=20_000, contributed_fen=3_000,
               received_cash_fen=2_000, received_goods_fen=0, holding_value_fen=8_000,
               lots_minted=2, lots_exited=0, received_beyond_own_fen=500,
               funded_by=[500, 1_000, 500]),
        Cohort(month=3, members=1, spent_fen=5_000, contributed_fen=750, holding_value_fen=4_000,
               lots_minted=1, funded_by=[0, 0, 0]),
    ]


def make_run(point: dict[str, Any], run: int, rules: dict[str, Any],
             **columns: list[int]) -> RunResult:
    """A run whose unnamed columns are all 0 (month counts 1..6)."""
    monthly = {name: [0] * MONTHS for name in MONTHLY_COLUMNS}
    monthly["month"] = list(range(1, MONTHS + 1))
    monthly.update(columns)
    assert all(len(values) == MONTHS for values in monthly.values())
    return RunResult(scenario="hand", point=dict(point), seed=100 + run, run=run, rules=rules,
                     monthly=monthly, cohorts=cohorts(), exit_months=[],
                     final={}, invariants_ok=True)


def origin_run(run: int) -> RunResult:
    """Price up every month (once down in run 3), value down 1/month, burns, no exits."""
    prices = [100, 110, 105, 130, 140, 150] if run == 3 else [100, 110, 120, 130, 140, 150]
    return make_run(ORIGIN, run, ORIGIN_RULES, price_micro=prices,
                    value_micro=[100, 99, 98, 97, 96, 95], burned=[0, 1, 1, 1, 1, 1],
                    lots_minted=[1] * MONTHS, pool_fen=[1_000] * MONTHS,
                    holdings_value_fen=[900] * MONTHS, promised_fen=[5_000] * MONTHS,
                    supply_points=[10_000] * MONTHS, paid_withdrawals_fen=[10, 20, 30, 40, 50, 60],
                    withdrawals_refused_cap=[0, 0, 0, 0, 7 if run % 2 else 3, 0],
                    withdrawals=[0, 0, 0, 0, 5, 0], withdrawals_refused_other=[0, 0, 0, 2, 0, 0])


def vendor_run(run: int) -> RunResult:
    """Price and value rising, no burns; exits in runs 0 and 1; run 0 ends with no points."""
    exits = [0, 0, 1, 0, 1, 0] if run < 2 else [0] * MONTHS
    result = make_run(VENDOR, run, VENDOR_RULES, price_micro=[200, 210, 220, 230, 240, 250],
                      value_micro=[200, 210, 220, 230, 240, 250], lots_minted=[2] * MONTHS,
                      exits=exits, pool_fen=[2_000, 2_000, 2_000, 2_000, 2_000, 37],
                      holdings_value_fen=[1_000, 1_000, 2_500 if run == 1 else 1_000, 1_000,
                                          1_000, 0],
                      promised_fen=[4_000] * MONTHS,
                      supply_points=[5_000] * (MONTHS - 1) + [0 if run == 0 else 5_000])
    result.exit_months = [[0, 1, 1], [0, 0, 2]][run] if run < 2 else []
    result.cohorts[0].lots_exited = 2 if run < 2 else 0    # both exits were month 1's lots
    return result


def simulation(**changes: Any) -> Simulation:
    runs = [origin_run(run) for run in range(4)] + [vendor_run(run) for run in range(4)]
    sim = Simulation(scenario="hand", title="Hand-made", description="Built by the tests.",
                     source="months: 6\n", months=MONTHS, start="2026-01",
                     points=[dict(ORIGIN), dict(VENDOR)], swept=[], runs=runs,
                     collapse_month=4, bank_run_month=5,
                     advertised_multiple={"origin": "3", "vendor": "2"})
    return replace(sim, **changes)


def said(found: list[Verdict], point: str, key: str) -> Verdict:
    (verdict,) = [v for v in found if v.point == point and v.key == key]
    return verdict


def test_exact_percentiles_drawdowns_and_falls() -> None:
    assert percentile_int([4, 1, 3, 2], 50) == 3            # 2.5, half up
    assert percentile_int([0, 10], 5) == 1                  # 0.5, half up
    assert percentile([1, 2, 3, 4], 25) == Fraction(7, 4)
    assert max_drawdown_ppm([100, 50, 200, 150, 0, 180]) == 500_000   # the 0 is no price
    assert months_fell([100, 90, 0, 80, 85, 70]) == (1, 2)  # moves to or from 0 are skipped
    assert months_fell([100, 90, 95, 80], first=2) == (1, 1)
    assert months_fell([100, 100, 100, 90]) == (0, 1)         # a flat month is no fall
    assert histogram_median([0, 1, 3]) == 2 and histogram_median([0, 1, 1]) == Fraction(3, 2)
    assert histogram_median([]) is None
    assert (pct(Fraction(2, 3)), pct(Fraction(-1, 8)), signed_pct(0.05)) == ("66.6%", "-12.5%",
                                                                             "+5.0%")
    assert cny(123_456_789) == "1,234,567.89" and cny(5) == "0.05"
    assert months_text([5, 1, 2, 3]) == ("第 1–3、5 个月", "months 1–3, 5")
    assert months_text([2]) == ("第 2 个月", "month 2")


def test_price_fell_in_one_run_of_four_says_25_percent_in_both_languages() -> None:
    found = verdicts(simulation())
    origin = said(found, "origin", "price_fell")
    assert "25.0%" in origin.zh and "4 次中的 1 次" in origin.zh
    assert origin.en.startswith("In 25.0% of runs (1 of 4) the price fell in at least one month")
    assert origin.figures["runs_price_fell"] == 1
    vendor = said(found, "vendor", "price_fell")
    # the vendor pool ends 98.1% below its peak: that leads, never "the price never fell"
    assert vendor.en.startswith("First: the pool ended 98.1% below its highest month end")
    assert "the price was never lower than the month before (all 4 runs)" in vendor.en
    assert "没有一个月低于上月末" in vendor.zh and "98.1%" in vendor.zh


def test_multiple_not_reached_and_reached_name_the_basis() -> None:
    found = verdicts(simulation())
    origin = said(found, "origin", "multiple")
    assert origin.en == "No lot reached 3× its cost within 6 months (in any of the 4 runs)."
    assert "没有一批积分达到其消费金额的 3 倍" in origin.zh
    vendor = said(found, "vendor", "multiple")
    assert "In 50.0% of runs (2 of 4) at least one lot reached 2× its value at mint" in vendor.en
    assert "8.3% of all lots did" in vendor.en and "An exit pays 80.0% of that value" in vendor.en
    assert "其铸造时价值的 2 倍" in vendor.zh


def test_exit_share_and_median_time_to_exit() -> None:
    found = verdicts(simulation())
    assert said(found, "vendor", "exits").en == (
        "8.3% of lots exited (4 of 48, all runs); median time to exit 2 months.")
    assert said(found, "origin", "exits").en == "No lot exited (24 lots minted in all runs)."
    (_, vendor) = analyse(simulation())
    assert vendor.exit_histogram == [0, 1, 3] and vendor.exit_share == Fraction(1, 12)


def test_burn_statement_only_when_price_rises_value_falls_and_burns_ran() -> None:
    found = verdicts(simulation())
    burn = said(found, "origin", "burn")   # (150/100)^(1/5) = +8.44%, (95/100)^(1/5) = -1.02%
    assert burn.en.startswith("The price rose 50.0% in 5 months (8.4%/month), only through "
                              "burns; the value of a point fell 5.0% (1.0%/month")
    assert "累计上涨 50.0%（平均每月 8.4%）" in burn.zh
    assert "累计下跌 5.0%（平均每月 1.0%" in burn.zh
    assert not [v for v in found if v.point == "vendor" and v.key == "burn"]
    assert "+4.5%/month" in said(found, "vendor", "trend").en   # (250/200)^(1/5)
    unburned = simulation()
    for run in unburned.runs:
        run.monthly["burned"] = [0] * MONTHS
    assert not [v for v in verdicts(unburned) if v.key == "burn"]


def test_cohort_returns_and_who_funded_whom() -> None:
    found = verdicts(simulation())
    first = said(found, "origin", "cohort_1")
    assert first.en.startswith("Members who joined in month 1 got back 60.0% of what they spent")
    assert "cash 30.0%" in first.en and "其中现金 30.0%" in first.zh
    assert "got back 50.0%" in said(found, "origin", "cohort_2").en
    assert "got back 80.0%" in said(found, "origin", "cohort_3").en
    funded = said(found, "origin", "funded_later")
    # the pool's mix by cohort still draws 3,000 + 500 of 6,000 fen per run from later cohorts;
    # the statement is member by member (tests/sim/test_verdicts_counts.py)
    assert funded.figures["cohort_mix_later_share"] == 0.583333


def test_solvency_promised_cover_and_the_month_with_no_points() -> None:
    found = verdicts(simulation())
    assert said(found, "origin", "solvency").en.startswith(
        "The pool covered every holding at every month end (all 4 runs, 6 months). This is "
        "true by construction")
    assert said(found, "vendor", "solvency").en.startswith(
        "At 1 month end in 1 run the pool held less than all holdings were worth")
    assert "held only 20.0% of what the live lots' advertised exit values add up to" in said(
        found, "origin", "promised").en
    remainder = said(found, "vendor", "pool_remainder")
    assert remainder.en.startswith("At the end of month 6, 1 run had no points left while the "
                                   "pool still held 0.37 CNY")
    assert "归下一批铸造的积分所有" in remainder.zh
    assert not [v for v in found if v.point == "origin" and v.key == "pool_remainder"]
    # 20 runs of which 5 end a month with no point: the figure says it comes from 5 runs
    sim = simulation()
    vendor = [run for run in sim.runs if run.point["variant"] == "vendor"] * 5
    twenty = replace(sim, points=[sim.points[1]],
                     runs=[replace(run, run=index) for index, run in enumerate(vendor)])
    remainder = said(verdicts(twenty), "vendor", "pool_remainder")
    assert ("owns all of it. Only 5 runs had this figure: no 95% interval of the median can be "
            "given (6 runs at least): more runs are needed. This happened") in remainder.en
    assert remainder.figures["intervals"]["pool_left"]["runs"] == 5


def test_after_collapse_and_bank_run() -> None:
    found = verdicts(simulation())
    collapse = said(found, "origin", "collapse")
    assert "the price rose in 3 months and fell in 0" in collapse.en
    assert "in 0.0% of runs (0 of 4)" in collapse.en
    assert "price 0.000120 → 0.000150" in collapse.en and "pool 10.00 → 10.00 CNY" in collapse.en
    bank = said(found, "origin", "bank_run")
    assert bank.en.startswith("In month 5, the bank-run month, 5 withdrawal attempts were "
                              "refused (median across runs; 20 in all runs, 50.0% of the "
                              "month's 40 attempts: 20 by the daily cap, 0 because no lot was "
                              "eligible), and 5 were paid")
    assert said(found, "origin", "invariants").figures == {"failed_runs": 0}


def test_withdrawal_attempts_paid_locked_and_capped() -> None:
    found = verdicts(simulation())
    tried = said(found, "origin", "withdrawals")
    # 4 runs: 20 paid, 3 + 7 + 3 + 7 = 20 capped, 4 x 2 = 8 with nothing eligible
    assert tried.figures["attempts"] == 48
    assert "tried to withdraw 48 times (all runs): 41.6% were paid, 16.6% were refused because " \
           "no lot was eligible" in tried.en
    assert "41.6% were refused by the daily cap" in tried.en
    assert "48 次" in tried.zh and "16.6%" in tried.zh
    assert not [v for v in found if v.point == "vendor" and v.key == "withdrawals"]
    # the rules name no gain gate (the default): the verdict does not invent one
    assert "there is no gain gate" in tried.en and "不设增值门槛" in tried.zh
    assert "(1 + " not in tried.en


def test_withdrawal_refusals_name_the_gain_gate_when_one_is_set() -> None:
    gated = [replace(run, rules={**run.rules, "withdraw_min_gain": "0.5"})
             for run in simulation().runs]
    tried = said(verdicts(simulation(runs=gated)), "origin", "withdrawals")
    assert "at least (1 + 0.5) times its value at mint" in tried.en
    assert "(1 + 0.5)" in tried.zh


def test_red_lines_measure_each_line_per_point() -> None:
    lines = red_lines(simulation())
    assert [line.key for line in lines] == ["later_funded"] * 2 + ["only_up"] * 2 + [
        "multiple_reached"] * 2 + ["cohort_returns"] * 2 + ["price_steering"] * 2 + [
        "team_rewards"] * 2
    by = {(line.key, line.point): line for line in lines}
    later = by["later_funded", "origin"]
    assert "资金主要不是来源于商品销售" in later.line_zh and "2018" in later.source_zh
    # the hand-built runs record no member's money: nobody is said to be paid by anyone
    assert later.en == "No member received any payout." and later.figures["later_share"] is None
    # member by member, as the verdict says it: 8 gainers of 40, 60.00 CNY from later members
    gains = MemberFunding(members=10, gainers=2, contributed_fen=10_000, received_fen=8_000,
                          beyond_own_fen=2_000, from_later_fen=1_500, from_earlier_fen=500)
    runs = [replace(run, member_funding=gains) for run in simulation().runs]
    funded = {line.point: line for line in red_lines(simulation(runs=runs))
              if line.key == "later_funded"}["origin"]
    assert funded.en.startswith("8 members (20.0% of members) got back more than their own")
    assert "60.00 CNY (18.7% of everything received) from members who joined after them" in \
        funded.en and "60.00 元（全部领取额的 18.7%）来自在他们之后加入" in funded.zh
    assert funded.figures["later_of_beyond_share"] == 0.75
    only_up = by["only_up", "origin"]
    assert "New consumption stops or falls from month 4" in only_up.en
    assert "只涨不跌" in only_up.line_zh and "737" in only_up.source_zh
    reached = by["multiple_reached", "vendor"]
    assert reached.en == (
        "The advertised exit is 2× its value at mint. 8.3% of lots reached it and exited (4 of "
        "48), paid at 80.0% of their value; the exited lots belonged to members who joined in "
        "month 1.")
    assert "出局的批次属于第 1 个月加入的会员" in reached.zh
    assert by["multiple_reached", "origin"].en == (
        "The advertised exit is 3× its cost. Within 6 months no lot reached it in any of the "
        "4 runs.")
    table = by["cohort_returns", "origin"].figures["cohorts"]
    assert [(row["month"], row["return"], row["cash"]) for row in table] == [
        (1, 0.6, 0.3), (2, 0.5, 0.1), (3, 0.8, 0.0)]
    assert "Of 3 arrival months, members of 0 got back all they spent" in by[
        "cohort_returns", "origin"].en
    no_collapse = red_lines(simulation(collapse_month=None))
    assert "run the bundled 'collapse' scenario" in [
        line for line in no_collapse if line.key == "only_up"][0].en


def test_sensitivity_groups_runs_by_the_swept_value(tmp_path: Path) -> None:
    low = [replace(origin_run(run), point={"variant": "origin", "exit_multiple": 2})
           for run in range(2)]
    high = [replace(vendor_run(run), point={"variant": "origin", "exit_multiple": 3})
            for run in range(2)]
    sim = simulation(points=[low[0].point, high[0].point], swept=["exit_multiple"],
                     runs=low + high, advertised_multiple={})
    rows = sensitivity(sim, analyse(sim))["exit_multiple"]
    assert [(row.value, row.runs) for row in rows] == [("2", 2), ("3", 2)]
    assert rows[0].medians["final_value_micro"] == 95 and rows[1].medians["exit_share"] == (
        Fraction(2, 12))
    assert rows[0].medians["months_price_fell"] == 0
    written = write_report(sim, tmp_path)
    assert "charts/sensitivity-01-exit-multiple.png" in written
    html = written["report.html"].read_text(encoding="utf-8")
    assert "<h3>exit_multiple</h3>" in html and "origin · exit_multiple=3" in html


def test_side_by_side_panels_share_a_y_range_unless_fivefold_apart() -> None:
    assert y_limits([[1.0, 2.0], [4.0]]) == [4.32, 4.32]          # 2.16 x 5 >= 4.32
    assert y_limits([[1.0], [10.0]]) == [1.08, 10.8]              # each its own range
    assert y_limits([[0.0], [0.0]]) == [1.0, 1.0]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_report(simulation(), tmp_path_factory.mktemp("report"))


def test_report_html_is_self_contained_bilingual_and_says_the_rules(
        written: dict[str, Path]) -> None:
    html = written["report.html"].read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "@import" not in html
    assert not re.search(r"\b(src|href)\s*=\s*[\"'](?!#)", html)   # only in-page links
    assert not re.search(r"url\((?!#)", html)
    # 8 kinds x 2 points, and the refusals of the one point with withdrawal attempts, each
    # in Chinese and in English
    assert html.count("<svg") == 34 and "<?xml" not in html
    assert '<html lang="zh-CN">' in html and ".en{display:none}" in html
    assert "销毁会抬高积分价格，但不会改变任何持有人的积分价值。" in html
    assert "A burn raises the price per point but changes no holding&#x27;s value." in html
    assert "不承诺任何收益" in html and "promises no return" in html
    assert "监管红线" in html and "Red lines" in html
    assert "以上为事实与数据，不构成法律意见" in html
    assert "Facts and figures, not legal advice" in html
    assert "At the end of month 6, 1 run had no points left" in html   # docs/rules.md section 2
    assert "In 25.0% of runs (1 of 4)" in html and "在 25.0% 的模拟中" in html
    for name in ORIGIN_RULES:   # each rule by its name for people, in both languages
        label = RULE_LABELS[name]
        assert f'<span class="zh" lang="zh-CN">{label.zh}</span>' in html
        assert f'<span class="en" lang="en">{label.en}</span> <code>{name}</code>' in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))                     # many SVGs, no clashing ids


def test_monthly_csv_and_parquet_round_trip(written: dict[str, Path]) -> None:
    import pyarrow.parquet as pq

    sim = simulation()
    with written["monthly.csv"].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * 4 * MONTHS
    table = pq.read_table(written["monthly.parquet"])
    assert table.num_rows == 2 * 4 * MONTHS
    assert table.column_names == ["scenario", "variant", "seed", "run", *MONTHLY_COLUMNS]
    assert all(str(table.schema.field(name).type) == "int64"
               for name in ("seed", "run", *MONTHLY_COLUMNS))
    data = table.to_pydict()
    for index, run in enumerate(sim.runs):
        window = slice(index * MONTHS, (index + 1) * MONTHS)
        assert data["variant"][window] == [run.point["variant"]] * MONTHS
        assert data["seed"][window] == [run.seed] * MONTHS
        for name in MONTHLY_COLUMNS:
            assert data[name][window] == run.monthly[name], name
            assert [int(row[name]) for row in rows[window]] == run.monthly[name]
    with written["cohorts.csv"].open(encoding="utf-8", newline="") as handle:
        cohort_rows = list(csv.DictReader(handle))
    assert len(cohort_rows) == 8 * 3
    assert (cohort_rows[0]["funded_later_fen"], cohort_rows[0]["funded_by"]) == (
        "3000", "1000;2000;1000")


def test_summary_json_holds_figures_verdicts_and_red_lines(written: dict[str, Path]) -> None:
    summary = json.loads(written["summary.json"].read_text(encoding="utf-8"))
    origin, vendor = summary["points"]
    assert (origin["label"], vendor["label"]) == ("origin", "vendor")
    assert origin["analysis"]["bands"]["price_micro"]["50"] == [100, 110, 120, 130, 140, 150]
    assert vendor["analysis"]["exit_share"] == round(1 / 12, 6)
    assert [line["key"] for line in origin["red_lines"]] == [
        "later_funded", "only_up", "multiple_reached", "cohort_returns", "price_steering",
        "team_rewards"]
    keys = [verdict["key"] for verdict in origin["verdicts"]]
    assert {"price_fell", "multiple", "burn", "funded_later", "collapse", "bank_run"} <= set(keys)
    assert summary["disclaimer"]["en"] == "Facts and figures, not legal advice."


def test_pngs_are_pngs_and_the_report_is_byte_for_byte_repeatable(
        written: dict[str, Path], tmp_path: Path) -> None:
    from matplotlib.image import imread

    pngs = sorted(name for name in written if name.startswith("charts/"))
    assert len(pngs) == 34 and "charts/price-01-origin.png" in pngs
    assert "charts/price-01-origin.en.png" in pngs
    first = written["charts/price-01-origin.png"].read_bytes()
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    assert imread(io.BytesIO(first)).shape[:2] == (380, 640)
    again = write_report(simulation(), tmp_path)
    for name in ["report.html", "summary.json", "monthly.csv", "cohorts.csv", *pngs]:
        assert again[name].read_bytes() == written[name].read_bytes(), name


def test_chinese_in_the_chinese_png_is_drawn_in_a_chinese_font() -> None:
    """Two different characters drawn alike are the font's missing-glyph box: a chart whose
    only text is 积 and one whose only text is 分 must differ, where a CJK font is installed."""
    from profitpool.sim.report_charts import _render, cjk_font

    if cjk_font() is None:
        pytest.skip("no CJK font on this machine (.ci/run installs fonts-wqy-microhei)")

    def titled(text: str) -> bytes:
        def draw(figure: Any) -> None:
            ax = figure.add_subplot()
            ax.set_axis_off()
            ax.set_title(text)
        return _render("test", "glyphs", None, draw, size=(1.0, 0.6)).png

    assert titled("积") != titled("分")
    assert titled("A") != titled("B")
