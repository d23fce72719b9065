"""The simulator from Python: one run as a table, the same run `profitpool simulate` makes."""

from __future__ import annotations

import pytest

from profitpool.sim.frame import monthly_frame
from profitpool.sim.model import simulate_run
from profitpool.sim.results import MONTHLY_COLUMNS
from profitpool.sim.scenario import ScenarioError, parse_scenario

SMALL = """
title = "small"
months = 4
start = "2026-11"
[arrivals]
pattern = "plateau"
level = 6
[[merchants]]
id = "shop"
margin = 0.2
order_value = 100.0
[behaviour]
withdraw_probability = 0.3
[[variants]]
name = "vendor"
rules = { mint_mode = "at_price", exit_basis = "mint_value", exit_multiple = 2 }
"""


def test_a_run_as_a_table_is_the_run_simulate_makes() -> None:
    scenario = parse_scenario(SMALL, "small.toml", "small")
    table = monthly_frame(scenario, "vendor", seed=7)
    run = simulate_run(scenario, "vendor", 7)
    assert table.num_rows == 4
    assert table.column("period").to_pylist() == ["2026-11", "2026-12", "2027-01", "2027-02"]
    for name in MONTHLY_COLUMNS:
        assert table.column(name).to_pylist() == run.monthly[name], name
    # another seed, another run; the same seed, the same figures
    assert monthly_frame(scenario, "vendor", seed=7).equals(table)
    assert not monthly_frame(scenario, "vendor", seed=8).equals(table)


def test_a_variant_the_scenario_lacks_is_refused_with_the_ones_it_has() -> None:
    scenario = parse_scenario(SMALL, "small.toml", "small")
    with pytest.raises(ScenarioError, match="no variant 'origin'; the scenario has vendor"):
        monthly_frame(scenario, "origin")
    with pytest.raises(ScenarioError, match="unknown scenario|cannot"):
        monthly_frame("no-such-scenario")
