"""Many runs: the same results in this process, in worker processes and on a Dask cluster."""

from __future__ import annotations

import pytest
from simhelpers import small

from profitpool.sim.montecarlo import execute_tasks, parse_sweep, plan, simulate
from profitpool.sim.scenario import ScenarioError


def test_parse_sweep_reads_toml_values() -> None:
    assert parse_sweep("exit_multiple=2,2.5,3") == ("exit_multiple", [2, 2.5, 3])
    assert parse_sweep("mint_mode = fixed, at_price") == ("mint_mode", ["fixed", "at_price"])
    assert parse_sweep("transfers_enabled=true") == ("transfers_enabled", [True])
    with pytest.raises(ValueError, match="key=value"):
        parse_sweep("exit_multiple")
    with pytest.raises(ValueError, match="key=value"):
        parse_sweep("exit_multiple=")


def test_plan_is_variants_times_sweep_with_shared_seeds() -> None:
    tasks = plan(small(), [parse_sweep("exit_multiple=2,3"),
                           parse_sweep("pool_share_of_profit=0.2,0.3")], runs=3, seed=10)
    assert len(tasks) == 2 * 2 * 2 * 3
    points = []
    for task in tasks:
        if task.point not in points:
            points.append(task.point)
    assert points[0] == {"variant": "origin", "exit_multiple": "2", "pool_share_of_profit": "0.2"}
    assert points[1] == {"variant": "vendor", "exit_multiple": "2", "pool_share_of_profit": "0.2"}
    assert len(points) == 8
    assert sorted({task.seed for task in tasks}) == [10, 11, 12]
    vendor = next(task for task in tasks if task.point["variant"] == "vendor")
    # the swept value holds in the vendor reading too (it overrides the variant's 2)
    assert vendor.scenario.rules_of("vendor").exit_multiple == (2, 1)
    only = plan(small(), [], runs=2, seed=1, variant="vendor")
    assert {task.variant for task in only} == {"vendor"}


def test_bad_sweeps_are_refused_before_anything_runs() -> None:
    with pytest.raises(ScenarioError, match="rules.exit_multiple"):
        plan(small(), [parse_sweep("exit_multiple=0.5,2")], runs=1, seed=1)
    with pytest.raises(ScenarioError, match="not a rule name"):
        plan(small(), [parse_sweep("colour=1,2")], runs=1, seed=1)
    with pytest.raises(ScenarioError, match="no variant 'bank'"):
        plan(small(), [], runs=1, seed=1, variant="bank")
    with pytest.raises(ScenarioError, match="twice"):
        plan(small(), [parse_sweep("burn_rate=0"), parse_sweep("burn_rate=0.1")], 1, 1)


def test_local_processes_give_what_one_process_gives() -> None:
    tasks = plan(small(), [parse_sweep("exit_multiple=2,3")], runs=2, seed=5)
    finished: list[int] = []
    here = execute_tasks(tasks, workers=1, progress=finished.append)
    assert sum(finished) == len(tasks) == len(here)
    spread = execute_tasks(tasks, workers=2)
    assert spread == here
    assert [(result.point, result.run) for result in here] == \
        [(task.point, task.run) for task in tasks]
    simulation = simulate(small(), tasks, here, ["exit_multiple"])
    assert len(simulation.points) == 4
    assert simulation.advertised_multiple["vendor · exit_multiple=2"] == "2"
    assert simulation.collapse_month == 3 and simulation.bank_run_month == 4
    assert simulation.runs_of(simulation.points[0]) == here[:2]


@pytest.mark.filterwarnings("ignore")  # Dask's own start-up warnings (ports, scratch dirs)
def test_a_dask_cluster_gives_the_same_results(tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    tasks = plan(small(), [], runs=3, seed=8)
    here = execute_tasks(tasks, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, local_directory=str(tmp_path),
                                  host="127.0.0.1") as cluster:
        finished: list[int] = []
        remote = execute_tasks(tasks, cluster=cluster.scheduler_address,
                               progress=finished.append)
    assert remote == here
    assert sum(finished) == len(tasks)

