"""The simulator from Python (a notebook, a script): one run of a scenario as a table.

``monthly_frame("fresh-food", variant="vendor", seed=3)`` runs the scenario once, through
the one engine as ``profitpool simulate`` does (:func:`~profitpool.sim.model.simulate_run`),
and returns its monthly series as a :class:`pyarrow.Table`: a ``period`` column
(``YYYY-MM``) and every column of ``monthly.csv`` (docs/simulator.md), exact integers
(fen, millionths of a CNY, ten-thousandths of a point) as in the report's files. In a
notebook with pandas, ``.to_pandas()`` gives a DataFrame. Many runs, sweeps and the
report stay with ``profitpool simulate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..times import format_period
from .model import month_of, simulate_run
from .results import MONTHLY_COLUMNS, RunResult
from .scenario import Scenario, ScenarioError, load_scenario


def monthly_frame(scenario: Scenario | str | Path, variant: str | None = None,
                  seed: int = 1) -> Any:
    """One run of ``scenario`` (a :class:`Scenario`, a bundled name or a TOML file's path)
    under ``variant`` (one of its ``[[variants]]``; None: its ``[rules]``) with ``seed``,
    as a :class:`pyarrow.Table` with one row per month.

    Raises:
        ScenarioError: the scenario cannot be read or checked, or it has no such variant.
    """
    import pyarrow as pa  # type: ignore[import-untyped]

    checked = scenario if isinstance(scenario, Scenario) else load_scenario(str(scenario))
    names = [known.name for known in checked.variants]
    if variant is not None and variant not in names:
        raise ScenarioError(checked.file, "variant", f"no variant {variant!r}; the scenario "
                            f"has {', '.join(names) or 'none'}")
    run = simulate_run(checked, variant, seed)
    return pa.table(frame_columns(checked, run))


def frame_columns(scenario: Scenario, run: RunResult) -> dict[str, list[Any]]:
    """A run's monthly series by column: ``period``, then ``month`` and every column of
    :data:`~profitpool.sim.results.MONTHLY_COLUMNS` in their order."""
    months = len(run.monthly["month"])
    columns: dict[str, list[Any]] = {
        "period": [format_period(month_of(scenario.start, number))
                   for number in range(1, months + 1)]}
    for name in ("month", *MONTHLY_COLUMNS):
        if name in run.monthly and name not in columns:
            columns[name] = list(run.monthly[name])
    return columns
