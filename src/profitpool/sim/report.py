"""``profitpool simulate``'s output folder: the report page, its charts and the raw figures.

:func:`write_report` writes, from one :class:`~profitpool.sim.results.Simulation`:

- ``report.html``: one self-contained page (inline CSS and SVG, no network);
- ``charts/*.png``: the page's charts as images, in Chinese (``NAME.png``) and in
  English (``NAME.en.png``);
- ``monthly.csv`` and ``monthly.parquet``: one row per point x run x month, every
  :data:`~profitpool.sim.results.MONTHLY_COLUMNS` column as a 64-bit integer;
- ``cohorts.csv``: one row per point x run x arrival cohort;
- ``summary.json``: per point, the analysis, the statements and the red lines.

The same simulation gives the same bytes (charts included), so a report can be
checked by regenerating it. The raw files let an analyst redo any figure.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .analysis import PointAnalysis, analyse
from .cohorts import split_of
from .display import ratio
from .redlines import DISCLAIMER, red_lines_for
from .report_charts import render_charts
from .report_html import page
from .results import MONTHLY_COLUMNS, RunResult, Simulation
from .sensitivity import sensitivity
from .verdicts import verdicts_for

COHORT_COLUMNS: tuple[str, ...] = (
    "month", "members", "spent_fen", "contributed_fen", "received_cash_fen",
    "received_goods_fen", "holding_value_fen", "lots_minted", "lots_exited",
    "received_beyond_own_fen", "funded_own_fen", "funded_earlier_fen", "funded_later_fen",
)
"""Integer columns of cohorts.csv (then ``funded_by``: the row, ';'-separated)."""


def point_columns(sim: Simulation) -> list[tuple[str, str]]:
    """(point key, column name): variant, the swept keys, then any other key of a point.

    A key that would clash with a fixed column is written as ``point_<key>``.
    """
    keys = list(dict.fromkeys(["variant", *sim.swept, *(k for p in sim.points for k in p)]))
    taken = {"scenario", "seed", "run", *MONTHLY_COLUMNS, *COHORT_COLUMNS, "funded_by"}
    return [(key, f"point_{key}" if key in taken else key) for key in keys]


def _point_cells(run: RunResult, columns: list[tuple[str, str]]) -> list[str]:
    return [str(run.point.get(key, "")) for key, _ in columns]


def monthly_rows(sim: Simulation) -> Iterator[list[Any]]:
    """monthly.csv's rows (header first): strings for names, ints for figures."""
    columns = point_columns(sim)
    yield ["scenario", *(name for _, name in columns), "seed", "run", *MONTHLY_COLUMNS]
    for run in sim.runs:
        lead = [run.scenario, *_point_cells(run, columns), run.seed, run.run]
        months = len(run.monthly["month"])
        for index in range(months):
            yield lead + [int(run.monthly[name][index]) for name in MONTHLY_COLUMNS]


def cohort_rows(sim: Simulation) -> Iterator[list[Any]]:
    """cohorts.csv's rows (header first)."""
    columns = point_columns(sim)
    yield ["scenario", *(name for _, name in columns), "seed", "run", *COHORT_COLUMNS,
           "funded_by"]
    for run in sim.runs:
        lead = [run.scenario, *_point_cells(run, columns), run.seed, run.run]
        for cohort in run.cohorts:
            split = split_of(cohort)
            yield lead + [cohort.month, cohort.members, cohort.spent_fen, cohort.contributed_fen,
                          cohort.received_cash_fen, cohort.received_goods_fen,
                          cohort.holding_value_fen, cohort.lots_minted, cohort.lots_exited,
                          cohort.received_beyond_own_fen, split.own_fen, split.earlier_fen,
                          split.later_fen, ";".join(str(fen) for fen in cohort.funded_by)]


def _write_csv(path: Path, rows: Iterator[list[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _write_parquet(path: Path, sim: Simulation) -> None:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    rows = monthly_rows(sim)
    header = next(rows)
    values: list[list[Any]] = [[] for _ in header]
    for row in rows:
        for column, value in zip(values, row, strict=True):
            column.append(value)
    texts = 1 + len(point_columns(sim))  # scenario and the point's keys
    arrays = [pa.array(column, type=pa.string() if index < texts else pa.int64())
              for index, column in enumerate(values)]
    pq.write_table(pa.Table.from_arrays(arrays, names=header), path)


def plain(value: Any) -> Any:
    """Analysis objects as JSON-ready data: dataclasses as dicts, fractions as floats."""
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, Fraction):
        return ratio(value)
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def summary(sim: Simulation, analyses: list[PointAnalysis]) -> dict[str, Any]:
    """summary.json's content: per point its figures, statements and red lines."""
    said, lines = verdicts_for(analyses), red_lines_for(analyses, sim)
    points = []
    for a in analyses:
        figures = plain(a)
        figures.pop("rules")
        figures.pop("point")
        figures.update(exit_share=ratio(a.exit_share))
        points.append({
            "label": a.label, "point": plain(a.point), "rules": plain(a.rules),
            "analysis": figures,
            "verdicts": [plain(v) for v in said if v.point == a.label],
            "red_lines": [plain(line) for line in lines if line.point == a.label],
        })
    return {
        "scenario": sim.scenario, "title": sim.title, "description": sim.description,
        "start": sim.start, "months": sim.months, "swept": list(sim.swept),
        "collapse_month": sim.collapse_month, "bank_run_month": sim.bank_run_month,
        "points": points, "sensitivity": plain(sensitivity(sim, analyses)),
        "disclaimer": {"zh": DISCLAIMER[0], "en": DISCLAIMER[1]},
    }


def write_report(sim: Simulation, out_dir: Path) -> dict[str, Path]:
    """Write the report files into ``out_dir`` (created if needed); name -> path written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "charts").mkdir(exist_ok=True)
    analyses = analyse(sim)
    sweeps = sensitivity(sim, analyses)
    charts = render_charts(analyses, sweeps)
    written: dict[str, Path] = {}

    def put(name: str, content: str | bytes) -> None:
        path = out_dir / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="\n")
        written[name] = path

    put("report.html", page(sim, analyses, verdicts_for(analyses), red_lines_for(analyses, sim),
                            charts, sweeps))
    for chart in charts:  # Chinese first (docs/simulator.md: fonts), English beside it
        put(f"charts/{chart.name}.png", chart.png)
        put(f"charts/{chart.name}.en.png", chart.png_en)
    for name, rows in (("monthly.csv", monthly_rows(sim)), ("cohorts.csv", cohort_rows(sim))):
        _write_csv(out_dir / name, rows)
        written[name] = out_dir / name
    _write_parquet(out_dir / "monthly.parquet", sim)
    written["monthly.parquet"] = out_dir / "monthly.parquet"
    put("summary.json", json.dumps(summary(sim, analyses), ensure_ascii=False, indent=2,
                                   allow_nan=False) + "\n")
    return written
