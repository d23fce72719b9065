"""custody and disclosure: figures put in the log beside the pool, changing nothing else."""

from __future__ import annotations

from profitpool.chain.canonical import command_json, effect_json
from profitpool.engine import dump_state, parse_command
from profitpool.engine.effects import CustodyRecorded, DisclosurePublished, parties
from programs import Program

ROOT = "ab" * 32
REPORT = "cd" * 32


def test_custody_shows_a_shortfall_and_changes_nothing_else(program: Program) -> None:
    program.order("o1", "u1", amount="100.00", profit="20.00")  # pool 6.00
    before = dump_state(program.ledger)
    (covered,) = program.run("custody", id="c1", amount="6.00", reference="bank stmt 1")
    assert covered == CustodyRecorded("c1", 600, "bank stmt 1", 600, 0)
    (short,) = program.run("custody", id="c2", amount="5.50", reference="bank stmt 2")
    assert short.shortfall == 50 and short.pool_after == 600
    after = dump_state(program.ledger)
    assert {key: value for key, value in after.items() if key not in ("custody", "now")} == \
        {key: value for key, value in before.items() if key not in ("custody", "now")}
    assert sorted(after["custody"]) == ["c1", "c2"]
    assert effect_json(short) == {"type": "custody_recorded", "custody": "c2", "amount": "5.50",
                                  "reference": "bank stmt 2", "pool_after": "6.00",
                                  "shortfall": "0.50"}
    assert parties([short]) == {"disclosures"}


def test_custody_retries_conflicts_and_bad_amounts(program: Program) -> None:
    program.run("custody", id="c1", amount="10.00", reference="r")
    program.advance(hours=1)
    assert program.run("custody", id="c1", amount="10.00", reference="r") == []  # a retry
    program.reject("conflict", "custody", id="c1", amount="11.00", reference="r")
    for amount in ("-1.00", "1.001", "ten", 10):
        program.reject("invalid_amount", "custody", id="c2", amount=amount, reference="r")
    program.reject("invalid_command", "custody", id="c3", amount="1.00", reference=7)
    program.reject("invalid_command", "custody", id="c3", amount="1.00")
    program.reject("invalid_command", "custody", id="c3", amount="1.00", reference="  ")


def test_a_disclosure_is_once_per_ended_month(program: Program) -> None:
    program.at("2026-02-01T00:00:00+08:00")
    (published,) = program.run("disclosure", period="2026-01", report_sha256=REPORT,
                               pol_root=ROOT, pol_total="0.00")
    assert published == DisclosurePublished("2026-01", REPORT, ROOT, 0, 0)
    assert program.run("disclosure", period="2026-01", report_sha256=REPORT, pol_root=ROOT,
                       pol_total="0.00") == []
    program.reject("conflict", "disclosure", period="2026-01", report_sha256="ef" * 32,
                   pol_root=ROOT, pol_total="0.00")
    program.reject("invalid_period", "disclosure", period="2026-02", report_sha256=REPORT,
                   pol_root=ROOT, pol_total="0.00")  # not ended yet
    program.reject("invalid_period", "disclosure", period="2026-13", report_sha256=REPORT,
                   pol_root=ROOT, pol_total="0.00")
    for bad in ("AB" * 32, "ab" * 31, "zz" * 32, 5):
        program.reject("invalid_command", "disclosure", period="2025-12", report_sha256=bad,
                       pol_root=ROOT, pol_total="0.00")
    program.reject("invalid_amount", "disclosure", period="2025-12", report_sha256=REPORT,
                   pol_root=ROOT, pol_total="-3.00")
    assert list(dump_state(program.ledger)["disclosures"]) == ["2026-01"]


def test_both_commands_round_trip_through_their_canonical_json(program: Program) -> None:
    program.at("2026-03-02T10:00:00+08:00")
    for command in (program.command("custody", id="c9", amount="12.34", reference="ref 9"),
                    program.command("disclosure", period="2026-02", report_sha256=REPORT,
                                    pol_root=ROOT, pol_total="1.00")):
        parsed = parse_command(command)
        assert parse_command(command_json(parsed)) == parsed
