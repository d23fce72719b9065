"""`profitpool simulate` from the command line: report files, replay by `apply`, bad input."""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner
from simhelpers import SMALL

from profitpool.cli import main


def _scenario(tmp_path, text: str = SMALL):
    path = tmp_path / "small.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_simulate_writes_the_report_and_says_the_verdicts(tmp_path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(main, [
        "simulate", str(_scenario(tmp_path)), "--runs", "2", "--workers", "1",
        "--sweep", "exit_multiple=2,3", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    for name in ("report.html", "monthly.csv", "monthly.parquet", "cohorts.csv",
                 "summary.json"):
        assert (out / name).stat().st_size > 0
    assert list((out / "charts").glob("*.png"))
    assert "[origin · exit_multiple=2]" in result.output
    assert "模拟" in result.output and "runs" in result.output
    with (out / "monthly.csv").open(encoding="utf-8") as rows:
        table = list(csv.DictReader(rows))
    assert len(table) == 2 * 2 * 2 * 4  # variants x sweep values x runs x months
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary  # the machine-readable twin exists and parses
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "exit_multiple" in html and "<svg" in html


def test_a_simulated_run_replays_through_apply_to_the_same_state(tmp_path) -> None:
    out = tmp_path / "report"
    commands = tmp_path / "run.jsonl"
    runner = CliRunner()
    simulated = runner.invoke(main, [
        "simulate", str(_scenario(tmp_path)), "--runs", "1", "--variant", "vendor",
        "--seed", "9", "--commands", str(commands), "--out", str(out), "--quiet"])
    assert simulated.exit_code == 0, simulated.output
    replayed = runner.invoke(main, ["apply", str(commands), "--json"])
    assert replayed.exit_code == 0, replayed.output
    state = json.loads(replayed.output)
    with (out / "monthly.csv").open(encoding="utf-8") as rows:
        table = list(csv.DictReader(rows))
    last = table[-1]
    pool_fen = int(state["pool"].replace(".", ""))
    assert pool_fen == int(last["pool_fen"])
    assert int(state["price"].replace(".", "")) == int(last["price_micro"])
    assert state["exits"] == sum(int(row["exits"]) for row in table)


def test_a_bad_scenario_names_file_key_and_reason_and_writes_nothing(tmp_path) -> None:
    out = tmp_path / "report"
    bad = _scenario(tmp_path, SMALL.replace("monthly_churn = 0.1", "monthly_churn = -0.1"))
    result = CliRunner().invoke(main, ["simulate", str(bad), "--out", str(out)])
    assert result.exit_code == 1
    assert f"{bad}: purchases.monthly_churn: must be at least 0" in result.output
    assert not out.exists()
    swept = CliRunner().invoke(main, ["simulate", str(_scenario(tmp_path)), "--sweep",
                                      "burn_rate=0.5,1", "--out", str(out)])
    assert swept.exit_code == 1
    assert "rules.burn_rate" in swept.output and "below 1" in swept.output
    assert not out.exists()
    missing = CliRunner().invoke(main, ["simulate", "no-such-scenario"])
    assert missing.exit_code == 1 and "bundled scenarios are: apparel" in missing.output
    nothing = CliRunner().invoke(main, ["simulate"])
    assert nothing.exit_code == 2 and "--list" in nothing.output


def test_list_names_every_bundled_scenario() -> None:
    result = CliRunner().invoke(main, ["simulate", "--list"])
    assert result.exit_code == 0
    for name in ("fresh-food", "apparel", "hotpot", "scenic", "collapse", "double-points"):
        assert name in result.output


def test_an_unreachable_cluster_is_one_clear_line(tmp_path) -> None:
    result = CliRunner().invoke(main, ["simulate", str(_scenario(tmp_path)), "--runs", "1",
                                       "--cluster", "tcp://127.0.0.1:9", "--quiet",
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output
