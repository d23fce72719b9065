"""Scenario files: every bundled one loads; a bad one is refused with file, key and reason."""

from __future__ import annotations

import pytest
from simhelpers import SMALL, small

from profitpool.sim.scenario import (
    ScenarioError,
    bundled_names,
    load_scenario,
    parse_scenario,
    with_override,
)


def test_bundled_scenarios_cover_the_seed_and_both_readings() -> None:
    names = bundled_names()
    for name in ("fresh-food", "apparel", "hotpot", "scenic", "collapse", "double-points"):
        assert name in names
    for name in names:
        scenario = load_scenario(name)
        variants = {variant.name: variant.rules for variant in scenario.variants}
        assert variants["vendor"] == {"mint_mode": "at_price", "exit_basis": "mint_value",
                                      "exit_multiple": "2"}
        assert scenario.rules_of("vendor").mint_mode == "at_price"
        assert scenario.rules_of("origin").mint_mode == "fixed"
    assert load_scenario("collapse").collapse_month == 13
    double = load_scenario("double-points")
    assert double.campaigns[0].merchant is None and double.campaigns[0].multiplier == "2"


def test_arrival_patterns() -> None:
    growth = small()
    assert growth.arrivals == (40, 48, 58, 69)
    table = small(SMALL.replace('pattern = "growth"\nstart = 40\nmonthly_change = 0.2',
                                'pattern = "table"\nper_month = [5, 7]'))
    assert table.arrivals == (5, 7, 7, 7)
    decline = small(SMALL.replace('pattern = "growth"', 'pattern = "decline"')
                    .replace("monthly_change = 0.2", "monthly_change = 0.5"))
    assert decline.arrivals == (40, 20, 10, 5)
    plateau = small(SMALL.replace('pattern = "growth"\nstart = 40\nmonthly_change = 0.2',
                                  'pattern = "plateau"\nlevel = 9'))
    assert plateau.arrivals == (9, 9, 9, 9)


def test_shocks_multiply_purchases_from_their_month() -> None:
    scenario = small()
    assert [scenario.purchase_factor(month) for month in (1, 2, 3, 4)] == [1, 1, 0.5, 0.5]
    assert [scenario.arrivals_factor(month) for month in (2, 3)] == [1, 0]
    assert scenario.collapse_month == 3


def test_rules_are_decimal_text_as_written() -> None:
    scenario = small()
    assert scenario.rules == {"exit_multiple": "3", "daily_withdraw_cap_rate": "0.2"}
    assert scenario.rules_of(None).daily_withdraw_cap_rate == (1, 5)


@pytest.mark.parametrize(("change", "key", "reason"), [
    (("months = 4", "months = 4\ncolour = 1"), "colour", "unknown key"),
    (("monthly_churn = 0.1", "monthly_churn = -0.1"), "purchases.monthly_churn", "at least 0"),
    (("monthly_churn = 0.1", "monthly_churn = 1.5"), "purchases.monthly_churn", "at most 1"),
    (("withdraw_probability = 0.2", "withdraw_probability = -1"),
     "behaviour.withdraw_probability", "at least 0"),
    (('low = 0.1, high = 0.3', 'low = 0.3, high = 0.1'), "merchants[0].margin.low",
     "cannot be sampled"),
    (('median = 80.0, sigma = 0.5', 'median = -80.0, sigma = 0.5'),
     "merchants[0].order_value.median", "above 0"),
    (('dist = "lognormal"', 'dist = "pareto"'), "merchants[0].order_value.dist",
     "must be one of"),
    (("mode = 25.0", "mode = 70.0"), "merchants[1].order_value.mode", "cannot be sampled"),
    (("margin = 0.4", "margin = 1.4"), "merchants[1].margin.value", "at most 1"),
    (("exit_multiple = 3", "exit_multiple = 0.5"), "rules.exit_multiple", "above 1"),
    (("exit_multiple = 3", "exit_multplier = 3"), "rules.exit_multplier", "unknown key"),
    (('mint_mode = "at_price"', 'mint_mode = "magic"'), "variants[1].rules.mint_mode",
     "one of"),
    (('merchant = "cafe"', 'merchant = "bar"'), "campaigns[0].merchant", "no merchant"),
    (("end_month = 3", "end_month = 9"), "campaigns[0].end_month", "2..4"),
    (("month = 4, share", "month = 0, share"), "behaviour.bank_run.month", "1..4"),
    (("months = 4", "months = 4.5"), "months", "whole number"),
    (('start = "2026-01"', 'start = "2026-13"'), "start", "YYYY-MM"),
    (("from_month = 3", "from_month = 3\nto_month = 1"), "shocks[0].to_month", "3..4"),
])
def test_bad_scenarios_name_file_key_and_reason(change: tuple[str, str], key: str,
                                                reason: str) -> None:
    old, new = change
    assert old in SMALL
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL.replace(old, new, 1), "bad.toml", "bad")
    assert caught.value.file == "bad.toml"
    assert caught.value.key == key
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"bad.toml: {key}: ")


def test_not_toml_and_missing_file(tmp_path) -> None:
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_scenario("months = = 3", "x.toml", "x")
    with pytest.raises(ScenarioError, match="cannot read it.*fresh-food"):
        load_scenario(str(tmp_path / "nope.toml"))
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL.replace("[[merchants]]", "[[shops]]", 1), "m.toml", "m")
    assert caught.value.key == "shops"


def test_override_a_rule_or_a_key_and_refuse_unknown() -> None:
    scenario = small()
    swept = with_override(scenario, "exit_multiple", 2.5)
    assert swept.rules["exit_multiple"] == "2.5"
    assert "exit_multiple" not in swept.variant("vendor").rules  # the sweep holds everywhere
    assert scenario.rules["exit_multiple"] == "3"  # the original is untouched
    deeper = with_override(scenario, "behaviour.withdraw_probability", 0.5)
    assert deeper.withdraw_probability == 0.5
    with pytest.raises(ScenarioError, match="not a rule name"):
        with_override(scenario, "behaviour.colour", 1)
    with pytest.raises(ScenarioError) as caught:
        with_override(scenario, "pool_share_of_profit", 2)
    assert caught.value.key == "rules.pool_share_of_profit"
