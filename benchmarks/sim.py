"""Simulated orders per second: ``profitpool simulate``'s throughput on this machine.

Two measures (issue 6's targets):

1. throughput: Monte Carlo runs of a 36-month program on every core until
   10 million simulated orders have gone through the engine (target: under
   2 minutes on the 2-core CI machine);
2. one big run: a 100,000-member x 36-month program, one process (target:
   under 60 s).

``--smoke`` runs both at a tiny size (CI), so the benchmark cannot rot.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).parent))

from common import cpu_model  # noqa: E402
from profitpool.sim.model import simulate_run  # noqa: E402
from profitpool.sim.montecarlo import execute_tasks, plan  # noqa: E402
from profitpool.sim.scenario import parse_scenario  # noqa: E402

PROGRAM = """
title = "benchmark program"
months = 36
[arrivals]
pattern = "plateau"
level = {level}
[purchases]
orders_per_member_month = {frequency}
monthly_churn = 0.03
[[merchants]]
id = "fresh"
margin = {{ dist = "uniform", low = 0.12, high = 0.24 }}
order_value = {{ dist = "lognormal", median = 85.0, sigma = 0.5, max = 2000.0 }}
[[merchants]]
id = "hotpot"
margin = {{ dist = "triangular", low = 0.22, mode = 0.32, high = 0.40 }}
order_value = {{ dist = "lognormal", median = 180.0, sigma = 0.45, max = 3000.0 }}
[behaviour]
withdraw_probability = 0.05
withdraw_gain_threshold = 0.5
pay_probability = 0.10
pay_share = 0.5
"""


def throughput(target_orders: int, level: int, workers: int) -> None:
    scenario = parse_scenario(PROGRAM.format(level=level, frequency=1.0), "bench", "bench")
    probe = simulate_run(scenario, None, 1_000_000)  # how many orders one run makes
    per_run = probe.final["orders"]
    runs = max(1, -(-target_orders // per_run))
    tasks = plan(scenario, [], runs, seed=1)
    started = perf_counter()
    results = execute_tasks(tasks, workers=workers)
    seconds = perf_counter() - started
    orders = sum(result.final["orders"] for result in results)
    print(f"throughput: {runs} runs x ~{per_run:,} orders = {orders:,} simulated orders "
          f"on {workers} processes in {seconds:.1f} s: {orders / seconds:,.0f} orders/s "
          f"(10M would take {10_000_000 / (orders / seconds):.0f} s)")


def big_run(members: int) -> None:
    level = members // 36
    scenario = parse_scenario(PROGRAM.format(level=level, frequency=1.0), "bench", "bench")
    started = perf_counter()
    result = simulate_run(scenario, None, 1)
    seconds = perf_counter() - started
    print(f"one run: {result.final['members']:,} members x 36 months, "
          f"{result.final['orders']:,} orders, {seconds:.1f} s "
          f"({result.final['orders'] / seconds:,.0f} orders/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if args.smoke:
        throughput(20_000, 40, args.workers)
        big_run(3_600)
    else:
        throughput(10_000_000, 2_800, args.workers)
        big_run(100_000)


if __name__ == "__main__":
    main()
