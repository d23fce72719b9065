"""Many runs: seeds, sweeps, variants, on local processes or a Dask cluster.

A *point* is one set of rules and parameters: a variant of the scenario (its
``[[variants]]``, e.g. the origin document's reading and the vendors') times
one value of every swept key. Each point runs ``runs`` times with seeds
``seed, seed + 1, ...``; every point uses the same seeds, so two points differ
only by their rules, never by luck.

A run is a pure function of (scenario, point, seed): it shares nothing with
other runs, so it gives the same result in this process, in a worker process
or on a Dask worker, in any order. Results come back ordered by point, then run.
"""

from __future__ import annotations

import itertools
import os
import tomllib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

from ..errors import ProfitpoolError
from ..times import format_period
from .model import simulate_run
from .results import RunResult, Simulation, point_label
from .scenario import Scenario, ScenarioError, with_override


@dataclass(frozen=True)
class Task:
    """One run to do: everything it needs travels with it (it is pickled to workers)."""

    scenario: Scenario
    variant: str | None
    point: dict[str, Any]
    seed: int
    run: int
    order: int
    """Position of the point, for ordering results."""


class BrokenInvariant(ProfitpoolError):
    """A run broke an invariant of the engine: a bug (the engine's tests say it never does)."""


def run_task(task: Task) -> RunResult:
    """Do one run (in whatever process or worker receives the task)."""
    return simulate_run(task.scenario, task.variant, task.seed, task.run, task.point)


def parse_sweep(text: str) -> tuple[str, list[Any]]:
    """``key=v1,v2,...`` -> (key, values); values read as TOML (numbers, true/false, text).

    Raises:
        ValueError: no '=' or no value.
    """
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise ValueError(f"--sweep wants key=value,value,... not {text!r}")
    parsed = []
    for value in values.split(","):
        value = value.strip()
        try:
            parsed.append(tomllib.loads(f"v = {value}")["v"])
        except tomllib.TOMLDecodeError:
            parsed.append(value)
    return key, parsed


def plan(scenario: Scenario, sweeps: Sequence[tuple[str, list[Any]]], runs: int, seed: int,
         variant: str | None = None,
         zipped: Sequence[tuple[str, list[Any]]] = ()) -> list[Task]:
    """Every run of every point, checked before anything runs.

    ``sweeps`` make a grid (every combination of their values); ``zipped`` keys
    move together (their first values form one point, their second the next,
    ...), and that row of pairs is crossed with the grid.

    Raises:
        ScenarioError: a swept key or value the scenario's checks refuse, zipped
            lists of different lengths, or an unknown variant.
    """
    if runs < 1:
        raise ScenarioError(scenario.file, "--runs", "must be at least 1")
    if variant is not None:
        names = [known.name for known in scenario.variants]
        if variant not in names:
            raise ScenarioError(scenario.file, "--variant", f"no variant {variant!r} "
                                f"(the scenario has: {', '.join(names) or 'none'})")
        variants: list[str | None] = [variant]
    else:
        variants = [known.name for known in scenario.variants] or [None]
    keys = [key for key, _ in sweeps] + [key for key, _ in zipped]
    if len(set(keys)) != len(keys):
        raise ScenarioError(scenario.file, "--sweep", "the same key is swept twice")
    lengths = {len(values) for _, values in zipped}
    if len(lengths) > 1:
        raise ScenarioError(scenario.file, "--zip", "zipped keys need the same number of "
                            "values (" + ", ".join(f"{key}: {len(values)}"
                                                   for key, values in zipped) + ")")
    pairs = list(zip(*(values for _, values in zipped), strict=True)) or [()]
    tasks = []
    combinations = (grid + pair for grid in itertools.product(*(values for _, values in sweeps))
                    for pair in pairs)
    order = 0
    for values in combinations:
        swept = scenario
        for key, value in zip(keys, values, strict=True):
            swept = with_override(swept, key, value)
        for name in variants:
            point: dict[str, Any] = {"variant": name or "base"}
            point.update({key: str(value) for key, value in zip(keys, values, strict=True)})
            for run in range(runs):
                tasks.append(Task(swept, name, point, seed + run, run, order))
            order += 1
    return tasks


def execute_tasks(tasks: list[Task], workers: int | None = None, cluster: str | None = None,
                  progress: Callable[[int], None] | None = None) -> list[RunResult]:
    """Run every task: here (workers=1), on local processes, or on a Dask cluster.

    ``workers`` None means every local core. ``progress`` is called with the
    number of runs just finished.
    """
    done = progress or (lambda count: None)
    if cluster is not None:
        results = list(_on_dask(tasks, cluster, done))
    else:
        workers = workers or os.cpu_count() or 1
        if workers == 1 or len(tasks) == 1:
            results = []
            for task in tasks:
                results.append((run_task(task), task))
                done(1)
        else:
            results = list(_on_processes(tasks, workers, done))
    position = {(task.order, task.run): index for index, task in enumerate(tasks)}
    ordered: list[RunResult | None] = [None] * len(tasks)
    for result, task in results:
        ordered[position[(task.order, task.run)]] = result
    return [result for result in ordered if result is not None]


def require_invariants(results: Sequence[RunResult]) -> None:
    """Raises: BrokenInvariant: some run broke an invariant of docs/rules.md section 7."""
    broken = [result for result in results if not result.invariants_ok]
    if broken:  # the engine's invariants held in every test; say so loudly if not
        raise BrokenInvariant(f"{len(broken)} run(s) broke an invariant of docs/rules.md "
                              "section 7; please report this")


def write_commands(task: Task, path: Path) -> None:
    """Run ``task`` once more, writing its commands to ``path`` as the JSONL `apply` reads."""
    from ..chain.canonical import command_json

    with path.open("wb") as out:

        def record(command: Any) -> None:
            out.write(orjson.dumps(command_json(command)) + b"\n")

        simulate_run(task.scenario, task.variant, task.seed, task.run, task.point, record)


def _on_processes(tasks: list[Task], workers: int,
                  done: Callable[[int], None]) -> Iterator[tuple[RunResult, Task]]:
    # spawn, not fork: the parent may have threads (the progress bar's), and a
    # forked child would inherit their locks.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_task, task): task for task in tasks}
        for future in as_completed(futures):
            yield future.result(), futures[future]
            done(1)


def _on_dask(tasks: list[Task], address: str,
             done: Callable[[int], None]) -> Iterator[tuple[RunResult, Task]]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    try:
        client = Client(address, timeout="10s", set_as_default=False)  # type: ignore[no-untyped-call]
    except OSError as error:
        raise ConnectionError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    with client:
        futures = client.map(run_task, tasks, pure=False)
        task_of = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        for future in dask_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
            yield future.result(), task_of[future.key]
            done(1)


def simulate(scenario: Scenario, tasks: list[Task], results: list[RunResult],
             swept: list[str]) -> Simulation:
    """Gather a finished simulation for the report."""
    points: list[dict[str, Any]] = []
    advertised: dict[str, str] = {}
    for task in tasks:
        if task.point not in points:
            points.append(task.point)
    for task in tasks:  # the rules a point starts with, before any scheduled change
        advertised.setdefault(point_label(task.point),
                              task.scenario.rules_of(task.variant).to_json()["exit_multiple"])
    months = max((task.scenario.months for task in tasks), default=scenario.months)
    collapse = scenario.collapse
    return Simulation(
        scenario=scenario.name, title=scenario.title, description=scenario.description,
        source=scenario.source, months=months,
        start=format_period(scenario.start), points=points, swept=swept,
        runs=results, collapse_month=scenario.collapse_month,
        bank_run_month=scenario.bank_run_month, advertised_multiple=advertised,
        title_en=scenario.title_en, description_en=scenario.description_en,
        collapse_cause=(collapse[1], collapse[2]) if collapse else None,
        rule_changes=[(change.month, dict(change.rules))
                      for change in scenario.rule_changes_scheduled],
    )
