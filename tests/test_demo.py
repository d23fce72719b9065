"""`profitpool demo`: a realistic program, in a log that verifies, with a key per role."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

from profitpool.cli import main
from profitpool.demo import SHOPS, demo_commands
from profitpool.disclosure.publish import recorded_disclosures
from profitpool.log.datakey import DataKey, data_key_path
from profitpool.members.directory import OPERATOR, Directory, merchant_scope
from profitpool.members.pseudonyms import is_pseudonym
from profitpool.store.apikeys import KeyStore, key_id_of
from profitpool.store.database import connect
from profitpool.store.repository import LogStore
from profitpool.times import format_time, parse_time

END = parse_time("2026-11-25T12:00:00+08:00")


def test_the_demo_is_the_same_for_the_same_seed_and_lies_in_the_past() -> None:
    first = list(demo_commands(END, 4, 300, seed=7))
    assert first == list(demo_commands(END, 4, 300, seed=7))
    assert first != list(demo_commands(END, 4, 300, seed=8))
    times = [parse_time(command["at"]) for command in first]
    assert times == sorted(times) and times[-1] < END
    assert format_time(times[0]).startswith("2026-08-01T00:00:00")
    burns = [command["period"] for command in first if command["op"] == "burn"]
    assert burns == ["2026-08", "2026-09", "2026-10"]  # each month that ended, once


def test_demo_builds_a_verifiable_log_of_the_four_industries_and_keys_for_each_role(
        tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    runner = CliRunner()
    result = runner.invoke(main, ["demo", "--db", db, "--key", str(tmp_path / "demo.key"),
                                  "--members", "400", "--months", "4", "--no-serve"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    roles = [line.split(" key: ")[0].strip() for line in result.output.splitlines()
             if " key: pp_" in line]
    assert roles == ["admin", "auditor", "merchant fresh", "member u00000", "lender bank"]
    verified = runner.invoke(main, ["verify", "--db", db])
    assert verified.exit_code == 0 and verified.output.startswith("OK")
    engine = connect(db)
    try:
        ops: Counter[str] = Counter()
        effects: Counter[str] = Counter()
        industries = set()
        members: set[str] = set()
        for _, data in LogStore(engine).iter_entries():
            entry = orjson.loads(data)
            ops[entry["command"]["op"]] += 1
            if entry["command"]["op"] == "order":
                members.add(entry["command"]["member"])
            if entry["command"]["op"] == "merchant":
                industries.add(entry["command"]["industry"])
            effects.update(effect["type"] for effect in entry["effects"])
        # Members are pseudonyms in the log; each merchant has its own link to the ids it
        # sent, as through the API, and the operator has every member's.
        assert members and all(map(is_pseudonym, members))
        directory = Directory(engine, DataKey.load(data_key_path(tmp_path / "demo.key")))
        fresh = directory.member_ids(members, merchant_scope("fresh"))
        everyone = directory.member_ids(members, OPERATOR)
        assert len(everyone) == len(members) and 0 < len(fresh) < len(members)
        assert all(everyone[name] == fresh[name] for name in fresh)
    finally:
        engine.dispose()
    assert industries == {shop.industry for shop in SHOPS}
    assert ops["campaign"] == 1 and ops["pledge"] == 1 and ops["burn"] == 3
    assert ops["order"] > 1000 and ops["withdraw"] > 0 and ops["pay"] > 0
    assert effects["member_joined"] > 300
    # Every month that is over is disclosed, not only the last: the months burned.
    burned = sorted(entry["command"]["period"] for _, entry in _entries(db)
                    if entry["command"]["op"] == "burn")
    engine = connect(db)
    try:
        assert sorted(recorded_disclosures(LogStore(engine))) == burned
    finally:
        engine.dispose()
    assert f"disclosed {', '.join(burned)}" in result.output
    first_keys = {line.split(" key: ")[0].strip(): line.split(" key: ")[1]
                  for line in result.output.splitlines() if " key: pp_" in line}
    # Run again: the log is kept and served as it is, with new keys; the old ones stop
    # working, and nothing is disclosed twice.
    again = runner.invoke(main, ["demo", "--db", db, "--key", str(tmp_path / "demo.key"),
                                 "--no-serve"], catch_exceptions=False)
    assert again.exit_code == 0 and "already holds a log" in again.output
    assert "disclosed" not in again.output
    engine = connect(db)
    try:
        keys = KeyStore(engine)
        live = {key.key_id for key in keys.list(include_revoked=False)}
        assert not any(key_id_of(key) in live for key in first_keys.values())
        assert len(live) == len(first_keys)
        assert len(recorded_disclosures(LogStore(engine))) == len(burned)
    finally:
        engine.dispose()


def _entries(db: str) -> list[tuple[int, Any]]:
    engine = connect(db)
    try:
        return [(index, orjson.loads(data)) for index, data in LogStore(engine).iter_entries()]
    finally:
        engine.dispose()
