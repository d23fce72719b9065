"""A small scenario for tests: a few months, a few hundred members, both readings."""

from __future__ import annotations

from profitpool.sim.scenario import Scenario, parse_scenario

SMALL = """
title = "test program"
months = 4
start = "2026-01"

[arrivals]
pattern = "growth"
start = 40
monthly_change = 0.2

[purchases]
orders_per_member_month = 1.5
monthly_churn = 0.1

[[merchants]]
id = "shop"
industry = "grocery"
margin = { dist = "uniform", low = 0.1, high = 0.3 }
order_value = { dist = "lognormal", median = 80.0, sigma = 0.5, max = 1000.0 }

[[merchants]]
id = "cafe"
weight = 0.5
margin = 0.4
order_value = { dist = "triangular", low = 10.0, mode = 25.0, high = 60.0 }

[[campaigns]]
id = "double"
merchant = "cafe"
multiplier = 2
start_month = 2
end_month = 3
share_of_orders = 0.5

[rules]
exit_multiple = 3
daily_withdraw_cap_rate = 0.2

[[variants]]
name = "origin"
rules = {}

[[variants]]
name = "vendor"
rules = { mint_mode = "at_price", exit_basis = "mint_value", exit_multiple = 2 }

[behaviour]
withdraw_probability = 0.2
withdraw_gain_threshold = 0.1
pay_probability = 0.2
pay_share = 0.5
bank_run = { month = 4, share_of_members = 0.5 }

[[shocks]]
from_month = 3
purchase_factor = 0.5
arrivals_factor = 0.0
"""


def small(text: str = SMALL) -> Scenario:
    return parse_scenario(text, "small.toml", "small")


MOVES = SMALL.replace("[rules]\n", "[rules]\ntransfers_enabled = true\n").replace(
    "bank_run = { month = 4, share_of_members = 0.5 }", """\
bank_run = { month = 4, share_of_members = 0.5 }
transfer_probability = 0.3
transfer_share = 0.25
withdraw_after_fall = { drop = 0.001, probability = 0.5 }
buy_more_after_rise = { rise = 0.001, factor = 2 }
pledge = { probability = 0.3, share = 0.5, loan_share = 0.6, months = 1, seize_probability = 0.5 }
""")
"""SMALL with every behaviour that moves points: transfers, pledges (released and seized),
withdrawals after a fall and more orders after a rise."""


def moves(text: str = MOVES) -> Scenario:
    return parse_scenario(text, "moves.toml", "moves")
