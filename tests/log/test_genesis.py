"""A log records the rules it starts from, so a change of defaults never changes an old log.

A log of format 2 records its format and its genesis rules when it is created;
a log without them (format 1, written before) replays with the defaults it was
written under: a gain gate of 0, and exit triggers from the lots' rounded shares.
"""

from __future__ import annotations

import json
from fractions import Fraction

import orjson
from loghelpers import Log  # type: ignore[attr-defined]
from sqlalchemy import delete, update

from profitpool.chain.canonical import dumps
from profitpool.log.genesis import FORMAT_1_RULES, genesis_ledger
from profitpool.log.writer import LogWriter
from profitpool.rules import Rules
from profitpool.store.schema import log_meta

# u1's lot is minted at V = 6.00/21; u2's order without profit lowers V below it,
# so a gain gate of 0 refuses u1's withdrawal and no gate lets it through. After a
# burn three lots are minted that tie exactly; a sponsor's profit forces them out.
COMMANDS = [
    {"op": "merchant", "id": "m1", "at": "2026-01-01T09:00:00+08:00"},
    {"op": "order", "id": "o1", "merchant": "m1", "member": "u1", "amount": "100.00",
     "profit": "20.00", "at": "2026-01-01T09:01:00+08:00"},
    {"op": "order", "id": "o2", "merchant": "m1", "member": "u2", "amount": "100.00",
     "profit": "0.00", "at": "2026-01-01T09:02:00+08:00"},
    {"op": "withdraw", "id": "w1", "member": "u1", "points": "1",
     "at": "2026-01-01T09:03:00+08:00"},
    {"op": "burn", "period": "2026-01", "at": "2026-01-01T09:04:00+08:00"},
    {"op": "burn", "period": "2026-02", "at": "2026-02-01T09:04:00+08:00"},
    {"op": "burn", "period": "2026-03", "at": "2026-03-01T09:04:00+08:00"},
    {"op": "order", "id": "o3", "merchant": "m1", "member": "u3", "amount": "100.00",
     "profit": "0.00", "at": "2026-03-01T09:05:00+08:00"},
    {"op": "order", "id": "o4", "merchant": "m1", "member": "u4", "amount": "33.33",
     "profit": "0.00", "at": "2026-03-01T09:06:00+08:00"},
    {"op": "order", "id": "o5", "merchant": "m1", "member": "u5", "amount": "50.00",
     "profit": "0.00", "at": "2026-03-01T09:07:00+08:00"},
    {"op": "rules", "points_per_yuan": "0", "at": "2026-03-01T09:08:00+08:00"},
    {"op": "order", "id": "sponsor", "merchant": "m1", "member": "s", "amount": "100000.00",
     "profit": "100000.00", "at": "2026-03-01T09:09:00+08:00"},
]


def run(log: Log) -> list[dict[str, object]]:
    """Apply COMMANDS to the log; return its entries as JSON, members named as in COMMANDS
    (the log names them by pseudonyms)."""
    lines = "".join(json.dumps(command) + "\n" for command in COMMANDS)
    result = log.cli("apply", "-", "--json", input=lines)
    assert result.exit_code == 0, result.output
    store = log.store()
    entries = [orjson.loads(data) for _, data in store.iter_entries()]
    return log.unlinked(entries)  # type: ignore[no-any-return]


def as_format_1(log: Log) -> None:
    """Make a freshly initialised, still empty log one of format 1 (created before)."""
    with log.engine().begin() as connection:
        connection.execute(delete(log_meta).where(log_meta.c.key.in_(["format",
                                                                      "genesis_rules"])))


def exited(entries: list[dict[str, object]]) -> list[str]:
    return [effect["member"] for entry in entries for effect in entry["effects"]  # type: ignore[attr-defined]
            if effect["type"] == "lot_exited"]


def test_a_new_log_records_its_format_and_the_rules_it_starts_from(log: Log) -> None:
    log.init()
    meta = log.store().meta()
    assert meta["format"] == "2"
    assert meta["genesis_rules"] == dumps(Rules().to_json()).decode()
    assert genesis_ledger(meta).rules == Rules()


def test_a_log_of_format_2_lets_members_cash_out_and_ties_exit_oldest_first(log: Log) -> None:
    log.init()
    entries = run(log)
    ops = [entry["command"]["op"] for entry in entries]  # type: ignore[index]
    assert "withdraw" in ops  # no gate: u1 cashed out
    # the lots minted after the burns tie, below the older lots' trigger: oldest first
    assert exited(entries) == ["u3", "u4", "u5", "u1", "u2"]
    assert log.cli("verify").exit_code == 0


def test_a_log_of_format_1_replays_with_the_defaults_it_was_written_under(log: Log) -> None:
    log.init()
    as_format_1(log)
    entries = run(log)
    ops = [entry["command"]["op"] for entry in entries]  # type: ignore[index]
    assert "withdraw" not in ops  # the gain gate of 0 refused it, as it did then
    # format 1 ordered these ties by their rounded shares: 50.00 first, then 33.33
    assert exited(entries) == ["u5", "u4", "u3", "u1", "u2"]
    minted = [effect for entry in entries for effect in entry["effects"]  # type: ignore[attr-defined]
              if effect["type"] == "points_minted" and effect["member"] == "u3"]
    numerator, denominator = (int(part) for part in minted[0]["trigger"].split("/"))
    assert Fraction(numerator, denominator) == Fraction(3 * 10000 * 10**24,
                                                        int(minted[0]["shares"]))
    result = log.cli("verify")
    assert result.exit_code == 0, result.output

    writer = LogWriter.open(log.url, log.key)  # a restart keeps the log's own rules
    try:
        rules = writer.ledger.rules
        assert rules.withdraw_min_gain == FORMAT_1_RULES.withdraw_min_gain == (0, 1)
        assert writer.ledger.legacy_exits
    finally:
        writer.close()


def test_genesis_rules_edited_in_the_database_fail_verification(log: Log) -> None:
    log.init()
    run(log)
    edited = dumps({**Rules().to_json(), "withdraw_min_gain": "0"}).decode()
    with log.engine().begin() as connection:
        connection.execute(update(log_meta).where(log_meta.c.key == "genesis_rules")
                           .values(value=edited))
    result = log.cli("verify")
    assert result.exit_code == 1
    assert "block 1" in result.output


def test_a_log_of_an_unknown_format_is_refused_with_a_reason(log: Log) -> None:
    log.init()
    with log.engine().begin() as connection:
        connection.execute(update(log_meta).where(log_meta.c.key == "format").values(value="9"))
    result = log.cli("verify")
    assert result.exit_code == 1 and "format 9" in result.output
    result = log.cli("apply", "-", input=json.dumps(COMMANDS[0]) + "\n")
    assert result.exit_code == 1 and "format 9" in result.output
