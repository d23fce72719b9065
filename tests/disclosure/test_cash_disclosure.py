"""Cash in the monthly disclosure (docs/rules.md section 10): what is owed, in flight and
settled at the month's end, custody needed against the last custody figure, and a proof of
liabilities that counts what each party is owed beside the value of its points.

The log is the worked example's January (docs/rules.md section 9.1: u1 is paid 2.66 for
a withdrawal; at the month's end the pool is 18.34, u1's points are worth 3.80 and u2's
14.53; in February u2 pays m1, which receives 1.74) with payouts added. Every expected
figure below is worked out by hand in the comments, and checked against the engine first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reporthelpers import Log

from profitpool.bootstrap import open_writer
from profitpool.cli import main
from profitpool.disclosure import pol
from profitpool.disclosure.month import holdings, month_figures
from profitpool.disclosure.publish import (
    Prepared,
    assemble,
    member_proof,
    prepare,
    prepared_report,
    save,
    stored_report,
)
from profitpool.disclosure.render import render_html
from profitpool.engine import Ledger, apply
from profitpool.engine.cash import cash_of, total_owed
from profitpool.store.secrets import POL_SECRET, SecretStore
from profitpool.times import format_time, parse_time

WORKED = Path(__file__).resolve().parents[2] / "examples" / "worked.jsonl"
NOW = parse_time("2030-01-01T00:00:00+08:00")


def _at(day: str) -> str:
    return f"2026-{day}T10:00:00+08:00"


def commands() -> list[dict[str, Any]]:
    """The worked example's January, then payouts, custody figures and February."""
    worked = [json.loads(line) for line in WORKED.read_text().splitlines()]
    january = worked[:5]  # m1, m2, o1, o2, w1 (u1 is paid 2.66 on the 20th)
    return [
        *january,
        {"op": "custody", "id": "c1", "amount": "21.00", "reference": "stmt A",
         "at": "2026-01-20T11:00:00+08:00"},
        # u1 is owed 2.66: send 1.00, then 0.50 (owed 1.16, in flight 1.50)
        {"op": "payout", "id": "po1", "party": "member:u1", "amount": "1.00",
         "destination": "dst_a", "at": _at("01-21")},
        {"op": "payout", "id": "po2", "party": "member:u1", "amount": "0.50",
         "destination": "dst_a", "at": _at("01-22")},
        # the bank settles po1 (settled 1.00) and returns po2 (owed 1.66 again)
        {"op": "payout_settled", "payout": "po1", "reference": "B1", "at": _at("01-25")},
        {"op": "payout_returned", "payout": "po2", "reason": "AC04", "at": _at("01-28")},
        # 0.66 goes out again: owed 1.00, in flight 0.66
        {"op": "payout", "id": "po3", "party": "member:u1", "amount": "0.66",
         "destination": "dst_b", "at": _at("01-29")},
        {"op": "custody", "id": "c2", "amount": "19.50", "reference": "stmt B",
         "at": _at("01-30")},
        *worked[5:7],  # the burn on 1 February; u2 pays m1 5 points on the 3rd: m1 gets 1.74
        {"op": "payout_settled", "payout": "po3", "reference": "B3", "at": _at("02-04")},
        {"op": "payout", "id": "po4", "party": "merchant:m1", "amount": "1.00",
         "destination": "dst_m", "at": _at("02-05")},
        {"op": "custody", "id": "c3", "amount": "25.00", "reference": "stmt C",
         "at": _at("02-20")},
    ]


# By hand. January's end: pool 18.34 (section 9.1); u1 was paid 2.66, of which 1.00 settled,
# 0.66 in flight, 1.00 owed. Custody needed 18.34 + 1.00 + 0.66 = 20.00; the last figure
# 19.50 (c2) is 0.50 short, although against the pool alone (the engine's shortfall) it
# covers. Injected 21.00 = 18.34 + 1.00 + 0.66 + 1.00.
JANUARY_CASH = {
    "end": {"pool": "18.34", "owed": "1.00", "in_flight": "0.66", "settled": "1.00",
            "custody_needed": "20.00", "injected": "21.00"},
    "owed_by": {"members": "1.00", "merchants": "0.00", "lenders": "0.00"},
    "in_flight_by": {"members": "0.66", "merchants": "0.00", "lenders": "0.00"},
    "payouts": {"sent": {"count": 3, "amount": "2.16"},  # 1.00 + 0.50 + 0.66
                "settled": {"count": 1, "amount": "1.00"},
                "returned": {"count": 1, "amount": "0.50"}},
    "custody": {"needed": "20.00", "recorded": "19.50", "id": "c2", "at": _at("01-30"),
                "reference": "stmt B", "difference": "-0.50"},
}
# February's end: pool 16.60; po3 settled (settled 1.66), u1 still owed 1.00; m1 received
# 1.74 and 1.00 of it is in flight (owed 0.74). Owed 1.74, in flight 1.00; custody needed
# 16.60 + 1.74 + 1.00 = 19.34; c3's 25.00 is 5.66 more. 16.60 + 1.74 + 1.00 + 1.66 = 21.00.
FEBRUARY_CASH = {
    "end": {"pool": "16.60", "owed": "1.74", "in_flight": "1.00", "settled": "1.66",
            "custody_needed": "19.34", "injected": "21.00"},
    "owed_by": {"members": "1.00", "merchants": "0.74", "lenders": "0.00"},
    "in_flight_by": {"members": "0.00", "merchants": "1.00", "lenders": "0.00"},
    "payouts": {"sent": {"count": 1, "amount": "1.00"},
                "settled": {"count": 1, "amount": "0.66"},
                "returned": {"count": 0, "amount": "0.00"}},
    "custody": {"needed": "19.34", "recorded": "25.00", "id": "c3", "at": _at("02-20"),
                "reference": "stmt C", "difference": "5.66"},
}


def test_the_hand_figures_are_the_engine_s() -> None:
    """The engine, run directly, agrees with the figures worked out above."""
    ledger = Ledger()
    end_of_january = parse_time("2026-02-01T00:00:00+08:00")
    for command in commands():
        if parse_time(command["at"]) >= end_of_january:
            break
        apply(ledger, command)
    assert ledger.pool == 1834 and total_owed(ledger) == 100
    assert (ledger.in_flight, ledger.settled) == (66, 100)
    assert cash_of(ledger, "member:u1") == (100, 66, 100)
    assert dict(holdings(ledger)) == {"u1": 380, "u2": 1453}
    assert ledger.injected == ledger.pool + total_owed(ledger) + ledger.in_flight \
        + ledger.settled == 2100
    for command in commands():
        if parse_time(command["at"]) >= end_of_january:
            apply(ledger, command)
    assert (ledger.pool, total_owed(ledger), ledger.in_flight, ledger.settled) == \
        (1660, 174, 100, 166)
    assert cash_of(ledger, "merchant:m1") == (74, 100, 0)
    assert dict(holdings(ledger)) == {"u1": 380, "u2": 1279}


@pytest.fixture
def log(tmp_path: Path) -> Log:
    made = Log(tmp_path)
    made.ok("init")
    made.ok("apply", "-", input="".join(json.dumps(line) + "\n" for line in commands()))
    return made


def _report(log: Log, period: str, out: Path) -> dict[str, Any]:
    log.ok("report", "month", period, "--out", str(out))
    report: dict[str, Any] = json.loads((out / "report.json").read_bytes())
    return report


def test_the_report_shows_cash_at_the_month_s_end_and_custody_needed(
        log: Log, tmp_path: Path) -> None:
    january = _report(log, "2026-01", tmp_path / "jan")
    assert january["format"] == 2
    assert january["cash"] == JANUARY_CASH
    # the custody list is kept as it was: the engine's shortfall, against the pool alone
    assert [(row["id"], row["amount"], row["pool"], row["shortfall"])
            for row in january["custody"]] == [("c1", "21.00", "18.34", "0.00"),
                                               ("c2", "19.50", "18.34", "0.00")]
    february = _report(log, "2026-02", tmp_path / "feb")
    assert february["cash"] == FEBRUARY_CASH
    assert "OK: the report is the one recorded for 2026-01" in log.ok(
        "report", "verify", "2026-01", str(tmp_path / "jan" / "report.json"))


def test_the_proof_of_liabilities_counts_owed_and_in_flight(log: Log, tmp_path: Path) -> None:
    january = _report(log, "2026-01", tmp_path / "jan")
    liabilities = january["proof_of_liabilities"]
    # u1: 3.80 + 1.00 owed + 0.66 in flight; u2: 14.53. Total 19.99, above c2's 19.50,
    # below custody needed (20.00: the pool also holds the 0.01 the floors leave).
    assert {key: liabilities[key] for key in (
        "format", "total", "points", "owed", "in_flight", "pool", "pool_covers_points",
        "custody_needed", "custody", "custody_covers", "members", "parties", "leaves")} == {
        "format": "pol-leaf-v2", "total": "19.99", "points": "18.33", "owed": "1.00",
        "in_flight": "0.66", "pool": "18.34", "pool_covers_points": True,
        "custody_needed": "20.00", "custody": "19.50", "custody_covers": False,
        "members": 2, "parties": {"members": 2, "merchants": 0, "lenders": 0}, "leaves": 4}
    store = log.store()
    root = bytes.fromhex(liabilities["root"])
    proof = member_proof(store, "2026-01", log.pseudonym("u1"))
    assert proof is not None and proof.version == 2
    assert (proof.kind, proof.points_fen, proof.owed_fen, proof.in_flight_fen) == \
        ("member", 380, 100, 66)
    assert pol.verify_proof(proof, root, 1999) == 546
    u2 = member_proof(store, "2026-01", log.pseudonym("u2"))
    assert u2 is not None and pol.verify_proof(u2, root, 1999) == 1453 == u2.points_fen
    # February: m1's leaves hold its 0.74 owed and 1.00 in flight; u1 is owed 1.00
    february = _report(log, "2026-02", tmp_path / "feb")["proof_of_liabilities"]
    assert (february["total"], february["parties"]) == (
        "19.33", {"members": 2, "merchants": 1, "lenders": 0})  # 3.80 + 1.00 + 12.79 + 1.74
    feb_root = bytes.fromhex(february["root"])
    m1 = member_proof(store, "2026-02", "merchant:m1")
    assert m1 is not None and (m1.kind, m1.pseudonym, m1.owed_fen, m1.in_flight_fen) == \
        ("merchant", "m1", 74, 100)
    assert pol.verify_proof(m1, feb_root, 1933) == 174
    u1 = member_proof(store, "2026-02", log.pseudonym("u1"))
    assert u1 is not None and (u1.points_fen, u1.owed_fen, u1.in_flight_fen) == (380, 100, 0)
    store.engine.dispose()
    # the member checks it on their own machine
    proof_file = tmp_path / "u1.json"
    proof_file.write_text(proof.to_json())
    checked = CliRunner().invoke(main, ["pol", "verify", str(proof_file), "--root",
                                        root.hex(), "--total", "19.99"])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith(
        f"OK: member:{log.pseudonym('u1')} is owed 5.46 CNY in all (points 3.80, owed "
        "1.00, in flight 0.66) in the tree of 2026-01")
    assert json.loads(proof_file.read_text())["format"] == "profitpool-pol-proof-v2"


def test_a_proof_that_moves_money_between_points_and_owed_fails(log: Log,
                                                               tmp_path: Path) -> None:
    _report(log, "2026-01", tmp_path / "jan")
    store = log.store()
    proof = member_proof(store, "2026-01", log.pseudonym("u1"))
    store.engine.dispose()
    assert proof is not None
    document = json.loads(proof.to_json())
    document["points_fen"], document["owed_fen"] = "480", "0"  # same sum, other split
    with pytest.raises(pol.PolError, match="lead to different roots|differs from the proof's"):
        pol.verify_proof(pol.MemberProof.from_json(json.dumps(document)))
    document = json.loads(proof.to_json())
    document["owed_fen"] = "0"
    with pytest.raises(pol.PolError, match="the parts add up to 546 fen, but points, owed "
                                           "and in flight are 446 fen"):
        pol.verify_proof(pol.MemberProof.from_json(json.dumps(document)))


def test_the_page_shows_cash_and_a_custody_shortfall_in_red(log: Log, tmp_path: Path) -> None:
    _report(log, "2026-01", tmp_path / "jan")
    html = (tmp_path / "jan" / "report.html").read_text(encoding="utf-8")
    for words in ("待付、在途与托管应有", "Owed, in flight and custody needed",
                  "托管应有 = 收益池 + 待付 + 在途", "Custody needed = pool + owed + in flight",
                  "20.00", "19.50", "2.16", "负债合计", "Total of all liabilities", "19.99",
                  "只与收益池比较", "compares the money held with the pool alone"):
        assert words in html, words
    assert '<td class="num shortfall">0.50</td>' in html
    february = render_html(_report(log, "2026-02", tmp_path / "feb"))
    assert "盈余（元）" in february and '<td class="num">5.66</td>' in february
    assert "num shortfall" not in february


# --- months recorded before cash was reported ---------------------------------------------


def _format_1(log: Log, period: tuple[int, int]) -> Prepared:
    """The month's report as profitpool wrote it before format 2: a tree of holdings alone."""
    store = log.store()
    figures = month_figures(store, period, NOW)
    secret = SecretStore(store.engine).get_or_create(POL_SECRET)
    tree = pol.build(figures.period, secret, ((member, member, value)
                                              for member, value in holdings(figures.ledger)))
    prepared = prepared_report(figures, tree, assemble(store, figures, tree))
    store.engine.dispose()
    return prepared


def test_a_month_recorded_in_format_1_stays_as_it_was(log: Log, tmp_path: Path) -> None:
    old = _format_1(log, (2026, 1))
    assert "format" not in old.report and "cash" not in old.report
    assert set(old.report["proof_of_liabilities"]) == {"root", "total", "leaves", "members",
                                                       "pool", "covered"}
    store = log.store()
    save(store, old)
    writer = open_writer(log.url, log.key)
    writer.submit(old.command(format_time(NOW)))
    writer.close()
    # running the month again gives the recorded report back, byte for byte
    out = tmp_path / "again"
    said = log.ok("report", "month", "2026-01", "--out", str(out))
    assert "recorded in the log" in said
    assert (out / "report.json").read_bytes() == old.report_json
    assert prepare(store, (2026, 1), NOW).sha256 == old.sha256
    assert "OK: the report is the one recorded for 2026-01" in log.ok(
        "report", "verify", "2026-01", str(out / "report.json"))
    # its stored tree still serves version 1 proofs of the recorded root
    stored = stored_report(store, "2026-01")
    assert stored is not None and stored.pol_root == old.tree.root.hex()
    proof = member_proof(store, "2026-01", log.pseudonym("u1"))
    assert proof is not None and proof.version == 1
    assert json.loads(proof.to_json())["format"] == "profitpool-pol-proof-v1"
    assert pol.verify_proof(proof, old.tree.root, old.tree.total_fen) == 380
    proof_file = tmp_path / "old.json"
    proof_file.write_text(proof.to_json())
    checked = CliRunner().invoke(main, ["pol", "verify", str(proof_file), "--root",
                                        old.tree.root.hex(), "--total", "18.33"])
    assert checked.exit_code == 0 and "holds 3.80 CNY" in checked.stdout
    # the format 1 page still renders, and says nothing of cash
    page = render_html(json.loads(old.report_json))
    assert "所有持有的价值合计" in page and "待付、在途与托管应有" not in page
    # a later month, not yet recorded, is of format 2
    assert prepare(store, (2026, 2), NOW).report["format"] == 2
    store.engine.dispose()
