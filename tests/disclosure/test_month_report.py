"""`profitpool report month`: figures equal `apply`'s, every PoL proof verifies, a custody
shortfall shows, and a report edited afterwards no longer matches its log entry."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from reporthelpers import Log

from profitpool.batch import apply_lines
from profitpool.cli import main
from profitpool.disclosure import pol
from profitpool.disclosure.job import DisclosureJob, program_start
from profitpool.disclosure.publish import member_proof, stored_report
from profitpool.engine.cash import cash_of
from profitpool.money import format_fen
from profitpool.times import format_time, parse_time

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def february() -> list[str]:
    """Orders, a withdrawal and a payment in February, after the worked example's January."""
    lines = [{"op": "order", "id": f"f{n}", "merchant": "m1" if n % 2 else "m2",
              "member": f"u{n % 5 + 1}", "amount": f"{100 + n}.00", "profit": "30.00",
              "at": f"2026-02-1{n % 9 + 1}T10:00:00+08:00"} for n in range(9)]
    lines.sort(key=lambda line: line["at"])
    lines.append({"op": "withdraw", "id": "fw1", "member": "u1", "points": "1",
                  "at": "2026-02-21T10:00:00+08:00"})
    lines.append({"op": "pay", "id": "fp1", "member": "u2", "merchant": "m1", "points": "2",
                  "at": "2026-02-22T10:00:00+08:00"})
    lines.append({"op": "order", "id": "march", "merchant": "m1", "member": "u9",
                  "amount": "50.00", "profit": "10.00", "at": "2026-03-02T10:00:00+08:00"})
    return [json.dumps(line) for line in lines]


@pytest.fixture
def log(tmp_path: Path) -> Log:
    made = Log(tmp_path)
    made.ok("init")
    worked = (EXAMPLES / "worked.jsonl").read_text().splitlines()
    made.ok("apply", "-", input="\n".join(worked + february()) + "\n")
    return made


def test_february_equals_apply_and_every_proof_verifies(log: Log, tmp_path: Path) -> None:
    out = tmp_path / "feb"
    said = log.ok("report", "month", "2026-02", "--out", str(out))
    report = json.loads((out / "report.json").read_bytes())
    # the same commands through `apply`, up to the end of February
    worked = (EXAMPLES / "worked.jsonl").read_text().splitlines()
    upto_feb = apply_lines(worked + february()[:-1]).ledger
    upto_jan = apply_lines(worked[:5]).ledger  # the worked example's January
    assert report["pool"]["end"] == format_fen(upto_feb.pool)
    assert report["pool"]["start"] == format_fen(upto_jan.pool)
    # February's orders are mine (the worked example's order of 2026-02-04 was refused)
    assert report["orders"]["count"] == 9
    assert report["orders"]["amount"] == format_fen(sum(100_00 + n * 100 for n in range(9)))
    assert report["orders"]["injected"] == format_fen(9 * 900)
    assert report["withdrawals"]["count"] == 1 and report["payments"]["count"] == 2
    assert [burn["period"] for burn in report["burns"]] == ["2026-01"]
    assert {row["merchant"] for row in report["orders"]["by_merchant"]} == {"m1", "m2"}
    assert report["holders"]["holding"] == sum(1 for m in upto_feb.members.values()
                                               if m.shares)
    # the report's hash and the tree's root are in the log
    digest = hashlib.sha256((out / "report.json").read_bytes()).hexdigest()
    assert f"report SHA-256 {digest}" in said
    assert "OK: the report is the one recorded for 2026-02" in log.ok(
        "report", "verify", "2026-02", str(out / "report.json"))
    store = log.store()
    root = bytes.fromhex(report["proof_of_liabilities"]["root"])
    total = 0
    for member_id, member in upto_feb.members.items():
        owed, in_flight, _ = cash_of(upto_feb, f"member:{member_id}")
        if not member.shares and not owed:
            continue
        proof = member_proof(store, "2026-02", log.pseudonym(member_id))
        value = pol.verify_proof(proof, expected_root=root)
        assert proof.points_fen == member.shares * upto_feb.pool // upto_feb.total_shares
        assert (proof.owed_fen, proof.in_flight_fen) == (owed, in_flight)
        assert value == proof.points_fen + owed + in_flight
        total += value
    for merchant_id in upto_feb.merchants:  # what the pool paid merchants is owed to them
        owed = cash_of(upto_feb, f"merchant:{merchant_id}")[0]
        proof = member_proof(store, "2026-02", f"merchant:{merchant_id}")
        assert (proof is None) == (owed == 0)
        if proof is not None:
            assert pol.verify_proof(proof, expected_root=root) == owed == proof.owed_fen
            total += owed
    assert format_fen(total) == report["proof_of_liabilities"]["total"]
    assert report["proof_of_liabilities"]["pool_covers_points"] is True
    assert report["format"] == 2
    assert member_proof(store, "2026-02", "nobody") is None
    # a member checks their own proof from the command line
    proof_file = tmp_path / "u1.json"
    proof_file.write_text(member_proof(store, "2026-02", log.pseudonym("u1")).to_json())
    checked = CliRunner().invoke(main, ["pol", "verify", str(proof_file), "--root", root.hex()])
    assert checked.exit_code == 0 and checked.output.startswith("OK: ")
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "2026-02" in (out / "report.html").read_text(encoding="utf-8")
    store.engine.dispose()


def test_a_report_edited_afterwards_no_longer_matches_its_entry(log: Log, tmp_path: Path) -> None:
    out = tmp_path / "feb"
    log.ok("report", "month", "2026-02", "--out", str(out))
    edited = json.loads((out / "report.json").read_bytes())
    edited["pool"]["end"] = "99999.99"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(edited, indent=2, sort_keys=True))
    result = log.cli("report", "verify", "2026-02", str(forged))
    assert result.exit_code == 1 and "MISMATCH" in result.output
    assert "the report was changed after it was disclosed" in result.output
    # running the month again gives the same report: nothing new, nothing replaced
    again = log.ok("report", "month", "2026-02", "--out", str(tmp_path / "again"))
    assert (tmp_path / "again" / "report.json").read_bytes() == (out / "report.json").read_bytes()
    assert "recorded in the log" in again


def test_custody_shortfall_shows_in_the_report(log: Log, tmp_path: Path) -> None:
    said = log.ok("custody", "record", "--amount", "1.00", "--reference", "bank stmt 7",
                  "--id", "c1")
    assert "SHORTFALL" in said
    covered = log.ok("custody", "record", "--amount", "100000.00", "--reference", "s8",
                     "--id", "c2")
    assert "covered" in covered
    bad = log.cli("custody", "record", "--amount", "ten", "--reference", "x", "--id", "c3")
    assert bad.exit_code == 1 and "invalid_amount" in bad.output or "amount" in bad.output
    store = log.store()
    assert "c3" not in {json.loads(store.entry(i))["command"].get("id", "")
                        for i in range(store.entry_count())}
    store.engine.dispose()


def test_months_not_closed_or_before_the_program_are_refused(log: Log) -> None:
    store = log.store()
    count = store.entry_count()
    before = log.cli("report", "month", "2025-06")
    assert before.exit_code == 1 and "had not started" in before.output
    future = log.cli("report", "month", "2099-01")
    assert future.exit_code == 1 and "has not ended yet" in future.output
    wrong = log.cli("report", "month", "2026-13")
    assert wrong.exit_code == 1
    assert store.entry_count() == count and stored_report(store, "2025-06") is None
    store.engine.dispose()


def test_months_at_the_ends_of_the_calendar_are_refused_cleanly(log: Log) -> None:
    for period in ("0000-01", "9999-12"):
        result = log.cli("report", "month", period)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output


def test_the_service_job_dates_the_program_from_its_first_entry(log: Log) -> None:
    """One ``apply`` wrote January to March in a single block, whose own time is March's:
    the job still sees that the program ran in January and that January is due."""
    store = log.store()
    try:
        first_block = store.block(1)
        assert first_block is not None
        assert format_time(first_block.header.time).startswith("2026-03")
        assert format_time(program_start(store) or 0).startswith("2026-01")
        in_february = parse_time("2026-02-05T00:00:00+08:00")
        job = DisclosureJob(store, lambda command: (201, {}), lambda: in_february)
        assert job.due()
        before_the_program = parse_time("2025-12-20T00:00:00+08:00")
        assert not DisclosureJob(store, lambda command: (201, {}),
                                 lambda: before_the_program).due()
    finally:
        store.engine.dispose()
