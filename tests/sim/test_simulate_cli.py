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


def test_an_unknown_name_is_called_unknown_and_the_bundled_ones_listed() -> None:
    result = CliRunner().invoke(main, ["simulate", "nosuch"])
    assert result.exit_code == 1
    assert "nosuch: -: unknown scenario" in result.output
    assert "bundled scenarios are: apparel, collapse, double-points, fresh-food" in result.output
    assert "No such file" not in result.output


def test_a_months_sweep_prints_the_months_it_runs_and_zip_gives_pairs(tmp_path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(main, [
        "simulate", str(_scenario(tmp_path)), "--runs", "1", "--workers", "1",
        "--variant", "origin", "--sweep", "months=4,5", "--zip", "exit_multiple=2,3",
        "--zip", "pool_share_of_profit=0.2,0.3", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "4 point(s) x 1 run(s), 4/5 months" in result.output
    with (out / "monthly.csv").open(encoding="utf-8") as rows:
        table = list(csv.DictReader(rows))
    pairs = {(row["months"], row["exit_multiple"], row["pool_share_of_profit"]) for row in table}
    assert pairs == {("4", "2", "0.2"), ("4", "3", "0.3"), ("5", "2", "0.2"), ("5", "3", "0.3")}
    assert len(table) == 2 * (4 + 5)                  # two pairs, at 4 months and at 5
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["months"] == 5 and summary["swept"] == ["months", "exit_multiple",
                                                            "pool_share_of_profit"]
