"""``profitpool simulate``: the command line of the simulator.

Heavy imports (numpy, matplotlib, Dask) happen inside the command, so the rest
of the ``profitpool`` command starts as fast as before.
"""

from __future__ import annotations

import sys
from pathlib import Path
from time import perf_counter
from typing import Any

import click

from ..errors import ProfitpoolError


@click.command("simulate")
@click.argument("scenario", required=False)
@click.option("--runs", default=20, show_default=True, type=click.IntRange(1, 100_000),
              help="Runs per point (seeds SEED, SEED+1, ...).")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the first run.")
@click.option("--sweep", "sweeps", multiple=True, metavar="KEY=V1,V2,...",
              help="Run every value of a rule (docs/rules.md section 3), a scenario key "
                   "(e.g. behaviour.withdraw_probability), margin_factor or "
                   "order_value_factor (every merchant's), or merchants.ID.margin or "
                   "merchants.ID.order_value (a fixed figure); repeat for a grid.")
@click.option("--zip", "zips", multiple=True, metavar="KEY=V1,V2,...",
              help="Like --sweep, but zipped keys move together: two --zip options of "
                   "two values each give two points (the pairs), not four.")
@click.option("--variant", default=None, metavar="NAME",
              help="Run only this [[variants]] entry (default: all, side by side).")
@click.option("--workers", default=None, type=click.IntRange(1, 1024),
              help="Local processes [default: every core].")
@click.option("--cluster", default=None, metavar="tcp://HOST:PORT",
              help="Run on this Dask distributed scheduler instead of local processes.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Report folder [default: simulation-<scenario>].")
@click.option("--commands", "commands_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the first run's commands as JSONL, for "
                                 "`profitpool apply` (one point only).")
@click.option("--list", "list_bundled", is_flag=True, help="List the bundled scenarios.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def simulate_command(scenario: str | None, runs: int, seed: int, sweeps: tuple[str, ...],
                     zips: tuple[str, ...], variant: str | None, workers: int | None,
                     cluster: str | None, out_dir: Path | None, commands_file: Path | None,
                     list_bundled: bool, quiet: bool) -> None:
    """Simulate a program before launch and write an honest report.

    SCENARIO is a TOML file (docs/simulator.md) or the name of a bundled one
    (--list). Every run goes through the same engine as `apply` and `serve`.
    The report (report.html, charts/*.png, monthly.csv, monthly.parquet,
    cohorts.csv, summary.json) states what happened; it promises nothing.
    """
    from ..sim.scenario import ScenarioError, bundled_names, load_scenario

    if list_bundled:
        for name in bundled_names():
            found = load_scenario(name)
            english = f" · {found.title_en}" if found.title_en else ""
            click.echo(f"{name:<20} {found.title}{english}")
        return
    if scenario is None:
        raise click.UsageError("give a scenario file or a bundled name (see --list)")
    from ..sim.montecarlo import parse_sweep, plan, require_invariants, simulate, write_commands

    try:
        loaded = load_scenario(scenario)
        parsed = [parse_sweep(text) for text in sweeps]
        zipped = [parse_sweep(text) for text in zips]
        tasks = plan(loaded, parsed, runs, seed, variant, zipped)
    except ScenarioError as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if commands_file is not None:
        write_commands(tasks[0], commands_file)
    points = len({task.order for task in tasks})
    months = sorted({task.scenario.months for task in tasks})  # --sweep months=12,24
    click.echo(f"{loaded.title}: {points} point(s) x {runs} run(s), "
               f"{'/'.join(str(month) for month in months)} months", err=True)
    started = perf_counter()
    try:
        results = _run_with_progress(tasks, workers, cluster, quiet)
    except ConnectionError as error:
        raise click.ClickException(str(error)) from None
    elapsed = perf_counter() - started
    orders = sum(result.final["orders"] for result in results)
    click.echo(f"{len(results)} runs, {orders:,} simulated orders in {elapsed:.1f} s "
               f"({orders / elapsed:,.0f} orders/s)", err=True)
    try:
        require_invariants(results)
    except ProfitpoolError as error:
        raise click.ClickException(str(error)) from None
    simulation = simulate(loaded, tasks, results, [key for key, _ in [*parsed, *zipped]])

    from ..sim.report import write_report
    from ..sim.verdicts import verdicts

    folder = out_dir or Path(f"simulation-{loaded.name}")
    written = write_report(simulation, folder)
    for verdict in verdicts(simulation):
        click.echo(f"[{verdict.point}] {verdict.zh}")
        click.echo(f"[{verdict.point}] {verdict.en}")
    click.echo(f"report: {written['report.html']}")
    for name, path in written.items():
        if name != "report.html":
            click.echo(f"        {path}", err=True)


def _run_with_progress(tasks: list[Any], workers: int | None, cluster: str | None,
                       quiet: bool) -> list[Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from ..sim.montecarlo import execute_tasks

    if quiet or not sys.stderr.isatty():
        return execute_tasks(tasks, workers, cluster)
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, transient=True) as progress:
        bar = progress.add_task("simulating", total=len(tasks))
        return execute_tasks(tasks, workers, cluster,
                             lambda count: progress.advance(bar, count))
