"""Issue 20's small fixes and additions: rule changes mid-run, zipped sweeps, collapses
however a scenario says them, the red lines a run cannot speak to, charts in both languages."""

from __future__ import annotations

from dataclasses import replace

import pytest
from simhelpers import SMALL, small
from test_report import simulation

from profitpool.engine.commands import ChangeRules
from profitpool.sim.analysis import analyse
from profitpool.sim.model import month_start, simulate_run
from profitpool.sim.montecarlo import plan
from profitpool.sim.redlines import red_lines, red_lines_for
from profitpool.sim.report_charts import render_charts
from profitpool.sim.report_html import page
from profitpool.sim.scenario import ScenarioError, load_scenario, parse_scenario

BARE = """
months = {months}
{rules}
[arrivals]
pattern = "table"
per_month = {arrivals}

[[merchants]]
id = "shop"
margin = 0.2
order_value = 50.0
"""


def bare(months: int = 1, rules: str = "", arrivals: str = "[30]", tail: str = ""):
    text = BARE.format(months=months, rules=rules, arrivals=arrivals) + tail
    return parse_scenario(text, "bare.toml", "bare")


@pytest.mark.parametrize("rules", ["", "[rules]", "rules = {}"])
def test_a_scenario_without_rules_or_with_empty_rules_runs_on_the_defaults(rules: str) -> None:
    scenario = bare(rules=rules)
    recorded: list[object] = []
    result = simulate_run(scenario, None, seed=1, record=recorded.append)
    assert not any(isinstance(command, ChangeRules) for command in recorded)  # nothing to set
    assert result.rules["exit_multiple"] == "3" and result.rules["pool_share_of_profit"] == "0.3"
    assert result.monthly["orders"][0] >= 30                  # every arrival buys once


def _one_month_simulation():
    from profitpool.sim.montecarlo import execute_tasks, simulate

    scenario = bare()
    tasks = plan(scenario, [], runs=1, seed=1)
    return simulate(scenario, tasks, execute_tasks(tasks, workers=1), [])


def test_a_one_month_run_names_its_only_cohort_once() -> None:
    (line,) = [line for line in red_lines(_one_month_simulation())
               if line.key == "cohort_returns"]
    assert line.zh.count("第 1 个月加入") == 1 and line.en.count("month 1") == 1
    assert line.en.startswith("There is one arrival month.")


def test_a_scheduled_rule_change_is_a_rules_command_at_the_start_of_its_month() -> None:
    # from month 2 no profit share goes into the pool: the engine's own rule, changed
    tail = '\n[[rule_changes]]\nmonth = 2\nrules = { pool_share_of_profit = 0 }\n'
    scenario = bare(months=3, arrivals="[30, 30, 30]", tail=tail)
    recorded: list[object] = []
    result = simulate_run(scenario, None, seed=3, record=recorded.append)
    changes = [command for command in recorded if isinstance(command, ChangeRules)]
    assert len(changes) == 1
    assert changes[0].at == month_start(2026, 2)
    assert [name for name, _, _ in changes[0].changes] == ["pool_share_of_profit"]
    injected = result.monthly["injected_fen"]
    assert injected[0] > 0 and injected[1:] == [0, 0]
    assert result.monthly["pool_fen"][2] == result.monthly["pool_fen"][0] - sum(
        result.monthly[name][month] for name in ("paid_withdrawals_fen", "paid_exits_fen",
                                                 "paid_merchants_fen") for month in (1, 2))
    # the advertised multiple is what the point starts with, not a later change
    assert (scenario.rule_changes_scheduled[0].month,
            scenario.rule_changes_scheduled[0].rules) == (2, {"pool_share_of_profit": "0"})


@pytest.mark.parametrize(("tail", "key", "reason"), [
    ("[[rule_changes]]\nmonth = 2\nrules = { exit_multiple = 0.5 }\n",
     "rule_changes[0].rules.exit_multiple", "exit_multiple"),
    ("[[rule_changes]]\nmonth = 2\nrules = {}\n", "rule_changes[0].rules",
     "must change at least one rule"),
    ("[[rule_changes]]\nmonth = 1\nrules = { exit_multiple = 2 }\n", "rule_changes[0].month",
     "must be 2..3"),
    ("[[rule_changes]]\nmonth = 3\nrules = { exit_multiple = 2 }\n"
     "[[rule_changes]]\nmonth = 2\nrules = { exit_multiple = 3 }\n", "rule_changes[1].month",
     "must not come before"),
    ("[rule_changes]\nmonth = 2\n", "rule_changes", "must be [[rule_changes]] tables"),
])
def test_a_bad_rule_change_is_refused_before_anything_runs(tail: str, key: str,
                                                            reason: str) -> None:
    with pytest.raises(ScenarioError) as refused:
        bare(months=3, tail="\n" + tail)
    assert refused.value.key == key and reason in refused.value.reason


def test_zipped_keys_give_pairs_not_a_grid() -> None:
    scenario = small()
    zipped = [("exit_multiple", [2, 3]), ("pool_share_of_profit", [0.2, 0.3])]
    tasks = plan(scenario, [], runs=1, seed=1, variant="origin", zipped=zipped)
    points = [task.point for task in tasks]
    assert points == [
        {"variant": "origin", "exit_multiple": "2", "pool_share_of_profit": "0.2"},
        {"variant": "origin", "exit_multiple": "3", "pool_share_of_profit": "0.3"}]
    assert [task.scenario.rules_of("origin").to_json()["pool_share_of_profit"]
            for task in tasks] == ["0.2", "0.3"]
    crossed = plan(scenario, [("withdraw_payout_rate", [0.7, 0.8])], runs=1, seed=1,
                   variant="origin", zipped=zipped)
    assert len(crossed) == 4                                     # the pairs x the grid
    with pytest.raises(ScenarioError, match="same number of values"):
        plan(scenario, [], runs=1, seed=1, zipped=[("exit_multiple", [2, 3]),
                                                   ("pool_share_of_profit", [0.2])])


def test_a_collapse_is_recognised_however_the_scenario_says_it() -> None:
    # arrivals falling to 0 in a table: no one new from month 3
    table = bare(months=5, arrivals="[10, 10, 0]")
    assert table.collapse_month == 3
    assert table.collapse == (3, "第 3 个月起不再有新会员加入",
                              "no new member arrives from month 3 on")
    # a shock that only stops arrivals
    only_arrivals = bare(months=5, arrivals="[10]",
                         tail="[[shocks]]\nfrom_month = 4\narrivals_factor = 0.0\n")
    assert only_arrivals.collapse == (4, "不再有新会员", "no new members")
    # the earlier of the two, and the shock's words
    both = parse_scenario(SMALL, "small.toml", "small")
    assert both.collapse == (3, "消费降至原来的 50%，不再有新会员",
                             "purchases fall to 50%, no new members")
    assert bare(months=5, arrivals="[10, 0, 10]").collapse_month is None   # they come back
    assert load_scenario("collapse").collapse_month == 13


def test_the_only_up_line_names_the_cause_of_the_collapse() -> None:
    sim = simulation(collapse_cause=("不再有新会员", "no new members"))
    lines = {line.point: line for line in red_lines(sim) if line.key == "only_up"}
    assert "New consumption stops or falls from month 4 (no new members)." in lines["origin"].en
    assert "第 4 个月起新消费停止或减少（不再有新会员）。" in lines["origin"].zh
    assert lines["origin"].figures["cause_en"] == "no new members"


def test_the_red_lines_say_which_lines_the_runs_cannot_speak_to() -> None:
    lines = red_lines(simulation())
    team = [line for line in lines if line.key == "team_rewards"]
    assert len(team) == 2 and all(line.figures == {"simulated": False} for line in team)
    assert "cannot speak to it" in team[0].en and "无法对它作出判断" in team[0].zh
    assert "团队计酬" in team[0].line_zh and "444" in team[0].source_zh
    (steady,) = [line for line in lines if line.key == "price_steering" and
                 line.point == "origin"]
    assert "did not change the rules" in steady.en and steady.figures["rule_changes"] == []


def test_price_steering_reports_each_scheduled_change_with_the_price_around_it() -> None:
    # origin's price is 100, 110, 120, ... micro-CNY at month ends 1, 2, 3, ...
    sim = simulation(rule_changes=[(3, {"exit_multiple": "2"})])
    (line,) = [line for line in red_lines_for(analyse(sim), sim)
               if line.key == "price_steering" and line.point == "origin"]
    assert line.figures["rule_changes"] == [{"month": 3, "rules": {"exit_multiple": "2"},
                                             "price_before_micro": 110,
                                             "price_after_micro": 120}]
    assert ("at the start of month 3 it changed exit_multiple, and the price (median) went "
            "from 0.000110 at the end of month 2 to 0.000120 at the end of month 3") in line.en
    assert "第 3 个月初修改了 exit_multiple" in line.zh
    assert "95% interval" not in line.en   # 4 runs: the point's own note says "more runs"
    # 20 runs alike: the two month-end medians come with their intervals
    runs = [replace(run, run=index) for index, run in enumerate(
        [run for run in sim.runs if run.point["variant"] == "origin"] * 5)]
    twenty = replace(sim, runs=runs, points=[sim.points[0]])
    (line,) = [line for line in red_lines_for(analyse(twenty), twenty)
               if line.key == "price_steering"]
    assert ("to 0.000120 at the end of month 3. 95% interval of the median: end of month 2 "
            "0.000110–0.000110, end of month 3 0.000120–0.000120. Each change") in line.en
    assert "中位数的 95% 区间：第 2 个月末 0.000110–0.000110，第 3 个月末 0.000120–0.000120。" \
        in line.zh


def test_charts_are_drawn_in_chinese_and_in_english() -> None:
    analyses = analyse(simulation())
    charts = render_charts(analyses, {})
    cohort = next(chart for chart in charts if chart.kind == "cohorts")
    assert "加入月份" in cohort.svg and "month of arrival" not in cohort.svg
    assert "month of arrival" in cohort.svg_en and "加入月份" not in cohort.svg_en
    assert cohort.png_en.startswith(b"\x89PNG") and cohort.png.startswith(b"\x89PNG")
    flows = next(chart for chart in charts if chart.kind == "flows")
    assert "月末收益池（元）" in flows.svg and "pool at month end (CNY)" in flows.svg_en


def test_the_page_has_the_scenario_in_both_languages_and_explains_the_readings() -> None:
    sim = simulation(title="手工", title_en="Hand-made", description="测试构造的。",
                     description_en="Built by the tests.", rule_changes=[(3, {"burn_rate": "0"})])
    analyses = analyse(sim)
    html = page(sim, analyses, [], red_lines_for(analyses, sim), render_charts(analyses, {}),
                {})
    assert ('<h1><span class="zh" lang="zh-CN">手工</span><span class="en" lang="en">Hand-made'
            in html)
    assert '<p class="zh" lang="zh-CN">测试构造的。</p><p class="en" lang="en">Built by the ' \
           'tests.</p>' in html
    assert "origin（原文读法）" in html and "vendor: what systems sold under the same name" in html
    assert "Rules changed at the start of month 3" in html and "burn_rate = 0" in html
    assert '<div class="zh" lang="zh-CN"><svg' in html and '<div class="en" lang="en"><svg' in html
    assert "max-width:760px" in html                 # a lone chart is no wider than a pair's


def test_bundled_scenarios_have_both_languages_and_cite_nothing_outside_the_project() -> None:
    from profitpool.sim.scenario import bundled_names

    for name in bundled_names():
        scenario = load_scenario(name)
        assert scenario.title_en and scenario.description_en, name
        assert any("\u4e00" <= char <= "\u9fff" for char in scenario.description), name
        for text in (scenario.description, scenario.description_en):
            assert "design.md" not in text and "RULES" ".md" not in text, name


def test_a_simulation_of_swept_months_reports_the_longest(tmp_path) -> None:
    from profitpool.sim.montecarlo import execute_tasks, simulate

    scenario = bare(months=1)
    tasks = plan(scenario, [("months", [2, 3])], runs=1, seed=1)
    sim = simulate(scenario, tasks, execute_tasks(tasks, workers=1), ["months"])
    assert sim.months == 3 and [a.months for a in analyse(sim)] == [2, 3]
    assert replace(sim, runs=[]).months == 3
