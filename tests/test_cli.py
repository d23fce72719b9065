"""`profitpool apply` and the streaming batch runner."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

from profitpool.batch import apply_lines, write_json
from profitpool.cli import main
from profitpool.engine import summary
from profitpool.texts import BURN_NOTE

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

RULES_SECTION_8_FINAL = {
    "pool": "16.60", "supply": "47.4700", "price": "0.349694", "index": "0.990000000000",
    "exits": 0,
    "members": {
        "u1": {"points": "10.8900", "value": "3.80", "paid": "2.66", "owed": "2.66",
               "in_flight": "0.00"},
        "u2": {"points": "36.5800", "value": "12.79", "paid": "0.00", "owed": "0.00",
               "in_flight": "0.00"},
    },
    "merchants": {
        "m1": {"contributed": "6.00", "received": "1.74", "owed": "1.74", "in_flight": "0.00"},
        "m2": {"contributed": "15.00", "received": "0.00", "owed": "0.00", "in_flight": "0.00"},
    },
    "lenders": {},
    "pledges": {},
    "totals": {"injected": "21.00", "paid_members": "2.66", "paid_merchants": "1.74",
               "paid_lenders": "0.00", "owed": "4.40", "in_flight": "0.00", "settled": "0.00"},
    "rejected": [{"line": 8, "error": "invalid_amount"}, {"line": 9, "error": "already_burned"}],
}


def test_apply_json_prints_the_final_state_of_the_worked_example() -> None:
    result = CliRunner().invoke(main, ["apply", str(EXAMPLES / "worked.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == RULES_SECTION_8_FINAL


def test_apply_reads_standard_input_for_dash() -> None:
    text = (EXAMPLES / "worked.jsonl").read_bytes()
    result = CliRunner().invoke(main, ["apply", "-", "--json"], input=text)
    assert json.loads(result.output) == RULES_SECTION_8_FINAL


def test_readable_summary_shows_tables_rejections_and_the_burn_note() -> None:
    result = CliRunner().invoke(main, ["apply", str(EXAMPLES / "worked.jsonl")])
    assert result.exit_code == 0
    for text in ("16.60", "47.4700", "0.349694", "u1", "10.8900", "Rejected lines",
                 "invalid_amount", "already_burned", BURN_NOTE.en):
        assert text in result.output, text


def test_readable_summary_limits_rows() -> None:
    lines = [json.dumps({"op": "merchant", "id": "m1", "at": "2026-01-01T00:00:00+08:00"})]
    lines += [json.dumps({"op": "order", "id": f"o{i}", "merchant": "m1", "member": f"u{i:03d}",
                          "amount": "10.00", "profit": "1.00",
                          "at": "2026-01-01T00:00:00+08:00"}) for i in range(30)]
    result = CliRunner().invoke(main, ["apply", "-", "--limit", "5"], input="\n".join(lines))
    assert "u004" in result.output and "u005" not in result.output
    assert "25 more members" in result.output


def test_malformed_lines_are_rejected_not_fatal() -> None:
    lines = [
        b'{"op": "merchant", "id": "m1", "at": "2026-01-01T00:00:00+08:00"}',
        b"not json",
        b"",
        b"   ",
        b"[1, 2]",
        b'{"op": "merchant"',
        b"\xff\xfe\x00",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"op": "order", "amount": ' + b"9" * 5000 + b"}",
        b'"just a string"',
        b'{"op": "tick", "at": "2026-01-02T00:00:00+08:00"}',
    ]
    result = apply_lines(lines)
    assert [(r.line, r.error) for r in result.rejected] == [
        (2, "invalid_json"), (5, "invalid_command"), (6, "invalid_json"), (7, "invalid_json"),
        (8, "invalid_json"), (9, "invalid_json"), (10, "invalid_command")]
    assert result.lines == 9 and result.accepted == 2
    assert all(r.message for r in result.rejected)


def test_a_line_that_names_a_field_twice_is_invalid_json_not_the_last_value() -> None:
    """A reader keeping the first "amount" would see another order than the one applied."""
    lines = [
        b'{"op": "merchant", "id": "m1", "at": "2026-01-01T00:00:00+08:00"}',
        b'{"op": "order", "id": "o1", "merchant": "m1", "member": "u1", "amount": "10.00", '
        b'"amount": "999.00", "profit": "1.00", "at": "2026-01-01T00:00:00+08:00"}',
        b'{"op": "rules", "rules": {"settle_days": 1, "settle_days": 0}, '
        b'"at": "2026-01-01T00:00:00+08:00"}',
    ]
    result = apply_lines(lines)
    assert [(r.line, r.error) for r in result.rejected] == [(2, "invalid_json"),
                                                            (3, "invalid_json")]
    assert "'amount' appears twice" in result.rejected[0].message
    assert result.ledger.orders == {} and result.ledger.pool == 0


def test_lines_are_applied_as_they_are_read() -> None:
    """A huge file never has to be held in memory: each line is applied before the next is read."""
    ledger_orders: list[int] = []
    result_holder: dict[str, object] = {}

    def lines() -> Iterator[bytes]:
        yield json.dumps({"op": "merchant", "id": "m1", "at": "2026-01-01T00:00:00+08:00"}).encode()
        for i in range(200):
            if i:
                ledger = result_holder.get("ledger")
                ledger_orders.append(0 if ledger is None else len(ledger.orders))  # type: ignore[attr-defined]
            yield json.dumps({"op": "order", "id": f"o{i}", "merchant": "m1", "member": "u1",
                              "amount": "1.00", "profit": "0.10",
                              "at": "2026-01-01T00:00:00+08:00"}).encode()

    from profitpool.engine import Ledger

    ledger = Ledger()
    result_holder["ledger"] = ledger
    apply_lines(lines(), ledger)
    # when line i+1 is pulled, line i has already been applied
    assert ledger_orders == list(range(1, 200))


def test_streamed_json_is_exactly_what_json_dumps_gives() -> None:
    import io

    with (EXAMPLES / "worked.jsonl").open("rb") as lines:
        result = apply_lines(lines)
    out = io.StringIO()
    write_json(result, out)
    whole = summary(result.ledger)
    whole["rejected"] = [{"line": r.line, "error": r.error} for r in result.rejected]
    assert out.getvalue() == json.dumps(whole) + "\n"


def test_apply_exits_0_when_lines_are_rejected_without_strict() -> None:
    result = CliRunner().invoke(main, ["apply", str(EXAMPLES / "worked.jsonl"), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["rejected"]


def test_apply_strict_exits_0_when_every_line_is_accepted() -> None:
    accepted = (EXAMPLES / "worked.jsonl").read_bytes().splitlines()[:7]  # lines 8, 9 fail
    result = CliRunner().invoke(main, ["apply", "-", "--strict", "--json"],
                                input=b"\n".join(accepted))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rejected"] == []


def test_apply_strict_exits_3_after_printing_the_whole_output() -> None:
    worked = str(EXAMPLES / "worked.jsonl")
    as_json = CliRunner().invoke(main, ["apply", worked, "--strict", "--json"])
    assert as_json.exit_code == 3
    assert json.loads(as_json.stdout) == RULES_SECTION_8_FINAL
    readable = CliRunner().invoke(main, ["apply", worked, "--strict"])
    assert readable.exit_code == 3
    assert readable.stdout == CliRunner().invoke(main, ["apply", worked]).stdout
    assert "Rejected lines" in readable.stdout and "already_burned" in readable.stdout


def test_the_console_script_exits_with_the_status_of_apply_strict() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "profitpool", "apply", str(EXAMPLES / "worked.jsonl"), "--json",
         "--strict"], capture_output=True, text=True)
    assert completed.returncode == 3
    assert json.loads(completed.stdout) == RULES_SECTION_8_FINAL


def test_python_m_profitpool_and_python_m_profitpool_cli_are_the_command() -> None:
    for module in ("profitpool", "profitpool.cli"):
        completed = subprocess.run(
            [sys.executable, "-m", module, "apply", str(EXAMPLES / "worked.jsonl"), "--json"],
            capture_output=True, text=True)
        assert completed.returncode == 0, (module, completed.stderr)
        assert json.loads(completed.stdout) == RULES_SECTION_8_FINAL, module


def test_apply_exits_1_with_one_line_when_the_file_cannot_be_read(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    for path, reason in ((missing, "No such file or directory"), (tmp_path, "Is a directory")):
        result = CliRunner().invoke(main, ["apply", str(path), "--strict"])
        assert result.exit_code == 1
        assert (result.stdout, result.stderr) == ("", f"Error: cannot read {path}: {reason}\n")


def test_apply_exits_1_with_one_line_when_the_log_cannot_be_opened(tmp_path: Path) -> None:
    worked = str(EXAMPLES / "worked.jsonl")
    for url in (f"sqlite:///{tmp_path / 'absent.db'}", "postgresql://nobody@127.0.0.1:9/none"):
        result = CliRunner().invoke(main, ["apply", worked, "--db", url, "--strict",
                                           "--key", str(tmp_path / "operator.key")])
        assert result.exit_code == 1, result.output
        assert result.stdout == "" and result.stderr.count("\n") == 1
        assert result.stderr.startswith("Error: ")


def test_apply_exits_2_on_a_usage_error() -> None:
    worked = str(EXAMPLES / "worked.jsonl")
    for args in (["apply"], ["apply", worked, "--limit", "-1"], ["apply", worked, "--no-such"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, args
        assert result.stdout == "" and "Usage: " in result.stderr


def test_apply_help_documents_its_exit_statuses() -> None:
    text = " ".join(CliRunner().invoke(main, ["apply", "--help"]).output.split())
    for status in ("0 every line was accepted", "1 the run failed", "2 usage error",
                   "3 with --strict: one or more lines were rejected"):
        assert status in text, status
    assert "docs/rules.md section 8" in text and "RULES" not in text


def test_every_command_has_help() -> None:
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0 and "apply" in top.output
    sub = runner.invoke(main, ["apply", "--help"])
    assert sub.exit_code == 0 and "--json" in sub.output and "standard input" in sub.output


HEAVY = ("sqlalchemy", "alembic", "psycopg", "cryptography", "pydantic", "fastapi", "starlette",
         "uvicorn", "httpx", "numpy", "matplotlib", "web3", "jinja2", "reportlab", "rich",
         "nats")


def modules_loaded_by(code: str) -> list[str]:
    """The heavy top-level packages (and profitpool.cli's command modules) in sys.modules
    after ``code`` runs in a fresh interpreter."""
    probe = (f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules "
             f"if m.split('.')[0] in {HEAVY} or m.startswith('profitpool.cli.'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_the_command_line_loads_no_heavy_library_until_a_command_needs_it() -> None:
    """`profitpool --help` starts fast: no command module is imported to list the commands,
    so no database, web, numeric or chain library is (a structural check, not a timed one)."""
    assert modules_loaded_by("import profitpool.cli") == []
    shown = ("import profitpool.cli\ntry:\n    profitpool.cli.main(['--help'])\n"
             "except SystemExit:\n    pass")
    assert modules_loaded_by(shown) == []
    assert modules_loaded_by("import profitpool.cli.apply") != []  # the probe can see them


def test_apply_in_memory_loads_no_database_library() -> None:
    """`profitpool apply FILE` without --db needs neither SQLAlchemy nor alembic."""
    code = (f"import profitpool.cli\ntry:\n    profitpool.cli.main(['apply', "
            f"{str(EXAMPLES / 'worked.jsonl')!r}, '--json'])\nexcept SystemExit:\n    pass")
    loaded = modules_loaded_by(code)
    assert "profitpool.cli.apply" in loaded
    assert not [name for name in loaded if name.split(".")[0] in ("sqlalchemy", "alembic")]


def test_the_listed_help_of_each_command_is_its_own() -> None:
    """profitpool --help lists each command with the first sentence of its own help,
    kept in cli.COMMANDS so that listing imports none of them."""
    from profitpool.cli import COMMANDS

    context = click.Context(main)
    for name, (_, _, text) in COMMANDS.items():
        command = main.get_command(context, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(10**6) == text, name
    listed = CliRunner().invoke(main, ["--help"]).output
    assert all(f"  {name} " in listed for name in COMMANDS)


def test_python_dash_m_profitpool_runs_the_command() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "profitpool", "apply", str(EXAMPLES / "vendor-variant.jsonl"),
         "--json"],
        capture_output=True, check=True, text=True,
    )
    assert json.loads(completed.stdout)["price"] == "1.867413"


def test_applying_commands_leaves_no_cyclic_garbage() -> None:
    """apply_lines pauses the cyclic collector: only safe if nothing it does makes cycles.

    Counted in a fresh interpreter: threads other tests leave behind (a Dask cluster
    closing, say) make garbage of their own, which this process's count would include.
    """
    code = _NO_CYCLES_SCRIPT
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True)
    assert completed.stdout.split() == ["exits>0", "rejected=1", "pl2=exited", "garbage=0",
                                        "enabled=True"]


_NO_CYCLES_SCRIPT = """
import gc, json
from profitpool.batch import apply_lines

at = "2026-01-01T00:00:00+08:00"
commands = [
    {"op": "rules", "transfers_enabled": True, "settle_days": 1, "at": at},
    {"op": "merchant", "id": "m1", "at": at},
    {"op": "lender", "id": "b1", "at": at},
]
commands += [{"op": "order", "id": f"o{i}", "merchant": "m1", "member": f"u{i % 3}",
              "amount": "100.00", "profit": "10.00", "at": at} for i in range(60)]
later = "2026-01-03T00:00:00+08:00"
commands += [
    {"op": "withdraw", "id": "w0", "member": "u0", "points": "9999", "at": later},  # rollback
    {"op": "withdraw", "id": "w1", "member": "u0", "points": "300", "at": later},  # sweeps
    {"op": "transfer", "id": "t1", "from": "u1", "to": "u9", "points": "30.5", "at": later},
    {"op": "pledge", "id": "pl1", "member": "u1", "lender": "b1", "points": "50",
     "loan": "5.00", "at": later},
    {"op": "pledge", "id": "pl2", "member": "u2", "lender": "b1", "points": "50",
     "loan": "5.00", "at": later},
    {"op": "seize", "pledge": "pl1", "at": later},
    {"op": "rules", "points_per_yuan": "0", "settle_days": 0, "at": later},
    {"op": "order", "id": "big", "merchant": "m1", "member": "s", "amount": "90000.00",
     "profit": "90000.00", "at": later},
]
gc.collect()
result = apply_lines([json.dumps(command).encode() for command in commands])
print("exits>0" if result.ledger.exits > 0 else "exits=0")
print(f"rejected={len(result.rejected)}")
print(f"pl2={result.ledger.pledges['pl2'].status}")
print(f"garbage={gc.collect()}")
print(f"enabled={gc.isenabled()}")
"""
