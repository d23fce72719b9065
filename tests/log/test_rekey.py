"""Re-keying a log written with raw member ids (docs/privacy-existing-logs.md).

The old log here is written as logs were before pseudonyms: a raw LogWriter,
members under the ids the input used. ``profitpool rekey`` copies it into a new
log whose first entry names the old log's final checkpoint, members renamed to
pseudonyms, every figure the same.
"""

from __future__ import annotations

import base64
import contextlib

import orjson
import pytest
from loghelpers import Log  # type: ignore[attr-defined]
from sqlalchemy import update

from profitpool.chain.note import parse_checkpoint
from profitpool.engine import Ledger, apply, dump_state
from profitpool.errors import Rejected
from profitpool.log.rekey import renamed
from profitpool.log.verify import verify_log
from profitpool.log.writer import LogWriter
from profitpool.members.pseudonyms import is_pseudonym
from profitpool.store.schema import entries

MEMBERS = ("u00000", "u00001", "u00002")

COMMANDS = [
    {"op": "merchant", "id": "m1", "at": "2026-01-01T09:00:00+08:00"},
    {"op": "merchant", "id": "m2", "at": "2026-01-01T09:00:00+08:00"},
    {"op": "lender", "id": "bank", "at": "2026-01-01T09:00:00+08:00"},
    {"op": "order", "id": "o1", "merchant": "m1", "member": "u00000", "amount": "100.00",
     "profit": "20.00", "at": "2026-01-01T10:00:00+08:00"},
    {"op": "order", "id": "o2", "merchant": "m2", "member": "u00001", "amount": "200.00",
     "profit": "50.00", "at": "2026-01-01T11:00:00+08:00"},
    {"op": "withdraw", "id": "w1", "member": "u00000", "points": "10",
     "at": "2026-01-01T12:00:00+08:00"},
    {"op": "burn", "period": "2026-01", "at": "2026-01-02T09:00:00+08:00"},
    {"op": "pay", "id": "p1", "member": "u00001", "merchant": "m1", "points": "5",
     "at": "2026-01-02T10:00:00+08:00"},
    {"op": "order", "id": "o3", "merchant": "m1", "member": "u00000", "amount": "-5.00",
     "profit": "0.00", "at": "2026-01-02T10:30:00+08:00"},  # refused: not an entry
    {"op": "rules", "transfers_enabled": True, "at": "2026-01-02T11:00:00+08:00"},
    {"op": "transfer", "id": "t1", "from": "u00001", "to": "u00002", "points": "3",
     "at": "2026-01-02T12:00:00+08:00"},
    {"op": "pledge", "id": "pl1", "member": "u00001", "lender": "bank", "points": "5",
     "loan": "1.00", "at": "2026-01-03T09:00:00+08:00"},
    {"op": "seize", "pledge": "pl1", "at": "2026-01-04T09:00:00+08:00"},
    {"op": "order", "id": "o4", "merchant": "m2", "member": "u00002", "amount": "50.00",
     "profit": "10.00", "at": "2026-01-05T09:00:00+08:00"},
]


def write_old_log(log: Log) -> None:
    """A log as written before pseudonyms: members under their raw ids, in small blocks."""
    log.init()
    writer = LogWriter.open(log.url, log.key, block_size=4)
    for command in COMMANDS:
        with contextlib.suppress(Rejected):
            writer.submit(command)
    writer.close()


def old_ledger() -> Ledger:
    ledger = Ledger()
    for command in COMMANDS:
        with contextlib.suppress(Rejected):
            apply(ledger, command)
    return ledger


def ledger_of(log: Log) -> Ledger:
    """The ledger of the log, as its writer rebuilds it."""
    writer = LogWriter.open(log.url, log.key)
    writer.discard()
    return writer.ledger


def rekey(old: Log, new: Log, *extra: str) -> object:
    return old.cli("rekey", "--db", old.url, "--to", new.url, "--key", str(new.key), *extra)


@pytest.fixture
def old(log: Log) -> Log:
    write_old_log(log)
    assert any(b'"u00000"' in data for _, data in log.store().iter_entries())
    return log


def test_rekey_writes_a_log_that_verifies_and_names_no_member_by_id(old: Log) -> None:
    new = old.sibling("new")
    result = rekey(old, new)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    output = result.output  # type: ignore[attr-defined]
    assert "13 entries copied after the continues entry, 3 members re-keyed" in output
    assert "cannot be recalled" in output
    assert f"public key: {new.store().meta()['verifier_key']}" in output  # to publish
    assert new.cli("verify").exit_code == 0
    report = verify_log(new.store())
    assert report.ok and report.entries == 14
    for _, data in new.store().iter_entries():
        for member in MEMBERS:
            assert member.encode() not in data
    members = ledger_of(new).members
    assert len(members) == 3 and all(is_pseudonym(member) for member in members)


def test_the_continues_entry_names_the_old_checkpoint_exactly(old: Log) -> None:
    new = old.sibling("new")
    assert rekey(old, new).exit_code == 0  # type: ignore[attr-defined]
    last = old.store().last_block()
    assert last is not None
    checkpoint = parse_checkpoint(last.checkpoint.split("\n\n", 1)[0] + "\n")
    first = orjson.loads(next(iter(new.store().iter_entries()))[1])
    assert first == {"command": {
        "op": "continues", "origin": checkpoint.origin, "tree_size": checkpoint.size,
        "root": base64.b64encode(checkpoint.root).decode(),
        "at": COMMANDS[0]["at"]}, "effects": []}
    assert checkpoint.size == 13 and checkpoint.root == last.header.root
    assert new.store().meta()["origin"] == f"{checkpoint.origin}/rekeyed"


def test_every_figure_of_the_new_log_is_the_old_one_s_up_to_members_names(old: Log) -> None:
    new = old.sibling("new")
    assert rekey(old, new).exit_code == 0  # type: ignore[attr-defined]
    assert new.unlinked(dump_state(ledger_of(new))) == renamed(dump_state(old_ledger()), {})
    copied = [new.unlinked(orjson.loads(data)) for _, data in new.store().iter_entries(1)]
    assert copied == [orjson.loads(data) for _, data in old.store().iter_entries()]


def test_a_tampered_old_log_is_refused_and_nothing_is_written(old: Log) -> None:
    with old.engine().begin() as connection:
        data = orjson.loads(connection.execute(
            entries.select().where(entries.c.idx == 5)).one().data)
        data["command"]["points"] = "1.0000"
        connection.execute(update(entries).where(entries.c.idx == 5).values(
            data=orjson.dumps(data, option=orjson.OPT_SORT_KEYS)))
    new = old.sibling("new")
    result = rekey(old, new)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "the old log does not verify" in result.output  # type: ignore[attr-defined]
    assert not new.key.exists()


def test_a_new_log_that_holds_entries_is_refused(old: Log) -> None:
    new = old.sibling("new")
    new.init()
    assert new.cli("apply", "-", input=orjson.dumps(COMMANDS[0])).exit_code == 0
    result = rekey(old, new)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "holds 1 entry already" in result.output  # type: ignore[attr-defined]
    assert new.store().entry_count() == 1


def test_the_new_log_needs_an_origin_of_its_own(old: Log) -> None:
    new = old.sibling("new")
    result = rekey(old, new, "--origin", old.store().meta()["origin"])
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "an origin of its own" in result.output  # type: ignore[attr-defined]


CONTINUES = {"op": "continues", "origin": "shop.example/log", "tree_size": 13,
             "root": base64.b64encode(bytes(32)).decode(), "at": "2026-01-01T08:00:00+08:00"}


def test_continues_is_refused_anywhere_but_first_and_changes_nothing() -> None:
    ledger = Ledger()
    apply(ledger, COMMANDS[0])
    before = dump_state(ledger)
    with pytest.raises(Rejected) as refused:
        apply(ledger, {**CONTINUES, "at": "2026-01-02T08:00:00+08:00"})
    assert refused.value.code == "continues_not_first"
    assert dump_state(ledger) == before
    first = Ledger()
    assert apply(first, CONTINUES).effects == []
    with pytest.raises(Rejected) as again:
        apply(first, CONTINUES)
    assert again.value.code == "continues_not_first"


@pytest.mark.parametrize("field, value", [
    ("root", "AAAA"), ("root", base64.b64encode(bytes(32)).decode().rstrip("=")),
    ("tree_size", 0), ("tree_size", "13"), ("tree_size", True), ("origin", ""),
    ("origin", "a\nb"),
])
def test_continues_takes_only_a_checkpoint_s_fields(field: str, value: object) -> None:
    with pytest.raises(Rejected) as refused:
        apply(Ledger(), {**CONTINUES, field: value})
    assert refused.value.code == "invalid_command"


def test_a_log_that_begins_with_continues_verifies_and_refuses_a_second_one(log: Log) -> None:
    log.init()
    lines = b"\n".join(orjson.dumps(command) for command in
                       [CONTINUES, COMMANDS[0], {**CONTINUES, "at": COMMANDS[0]["at"]}])
    result = log.cli("apply", "-", "--json", input=lines)
    assert result.exit_code == 0, result.output
    assert '"continues_not_first"' in result.output
    assert log.store().entry_count() == 2
    assert verify_log(log.store()).ok
