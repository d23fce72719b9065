"""init, apply --db, verify and log show/proof, end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import signal
import stat
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from loghelpers import EXAMPLES, Log, entry_lines  # type: ignore[attr-defined]
from sqlalchemy import delete, update

from profitpool.chain import merkle
from profitpool.chain.canonical import command_json, dumps
from profitpool.chain.note import Verifier, open_checkpoint
from profitpool.cli import main
from profitpool.engine import dump_state, parse_command
from profitpool.errors import Rejected
from profitpool.log import writer as writer_module
from profitpool.log.genesis import genesis_meta
from profitpool.log.keys import load_key, sign_snapshot
from profitpool.log.verify import verify_log
from profitpool.log.writer import LogWriter
from profitpool.rules import Rules
from profitpool.store.database import StoreError
from profitpool.store.repository import LogStore
from profitpool.store.schema import log_meta, snapshots
from profitpool.workload import realistic

WORKED = EXAMPLES / "worked.jsonl"


def lines_of(count: int, seed: int) -> list[bytes]:
    commands, _ = realistic(count, seed)
    return [orjson.dumps(command) for command in commands]


def newest(log: Log) -> dict[str, object]:
    result = log.cli("log", "show")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_init_creates_a_private_key_and_publishes_its_public_half(log: Log) -> None:
    public = log.init()
    assert stat.S_IMODE(os.stat(log.key).st_mode) == 0o600
    verifier = Verifier.parse(public)
    assert verifier.name == "profitpool.local/log"
    assert log.store().meta() == {"origin": "profitpool.local/log", "verifier_key": public,
                                  **genesis_meta()}
    again = log.cli("init")
    assert again.exit_code == 0 and "already initialised" in again.output
    assert public in again.output
    assert log.store().meta()["verifier_key"] == public


def test_a_fresh_log_records_its_format_and_the_rules_it_starts_from(log: Log) -> None:
    log.init()
    meta = log.store().meta()
    assert meta["format"] == "2"
    assert json.loads(meta["genesis_rules"]) == Rules().to_json()
    assert meta["genesis_rules"] == json.dumps(Rules().to_json(), sort_keys=True,
                                               separators=(",", ":"), ensure_ascii=False)


def test_init_again_leaves_the_recorded_rules_alone_and_adds_none_to_an_old_log(
        log: Log) -> None:
    log.init()
    store = log.store()
    older = dumps({**Rules().to_json(), "burn_rate": "0.05"}).decode()  # older defaults
    store.set_meta({"genesis_rules": older})
    assert log.cli("init").exit_code == 0
    assert (store.meta()["format"], store.meta()["genesis_rules"]) == ("2", older)
    with store.engine.begin() as connection:  # a log made before they were recorded
        connection.execute(delete(log_meta).where(log_meta.c.key.in_(["format",
                                                                     "genesis_rules"])))
    assert log.cli("init").exit_code == 0
    assert "format" not in store.meta() and "genesis_rules" not in store.meta()


def test_init_refuses_a_key_that_does_not_sign_the_log(log: Log) -> None:
    log.init()
    absent = log.tmp / "absent.key"
    result = log.cli("init", "--key", str(absent))  # the log exists: init creates no key
    assert result.exit_code == 0 and "already initialised" in result.output
    assert not absent.exists()
    other = log.sibling("other")
    other.init()
    refused = log.cli("init", "--key", str(other.key))
    assert refused.exit_code == 1
    assert "does not sign the log in this database" in refused.output


def test_apply_db_keeps_exactly_the_state_of_apply_in_memory(log: Log) -> None:
    log.init()
    memory = CliRunner().invoke(main, ["apply", str(WORKED), "--json"])
    stored = log.cli("apply", str(WORKED), "--json", "--block-size", "3")
    assert stored.exit_code == 0, stored.output
    assert json.loads(stored.stdout) == json.loads(memory.stdout)
    commands = [json.loads(line) for line in WORKED.read_text().splitlines() if line.strip()]
    kept, _ = entry_lines(commands)
    store = log.store()
    assert store.entry_count() == len(kept) < len(commands)  # rejected lines are not entries
    assert store.block_count() == math.ceil(len(kept) / 3)
    for (_, data), line in zip(store.iter_entries(), kept, strict=True):
        stored = orjson.loads(data)["command"]
        assert not {"u1", "u2"} & set(stored.values())  # members by pseudonym only
        assert log.unlinked(stored) == command_json(parse_command(orjson.loads(line)))
    verified = log.cli("verify")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.startswith(f"OK: {store.block_count()} blocks, {len(kept)} entries")


def test_apply_strict_with_db_commits_the_accepted_lines_and_exits_3(log: Log) -> None:
    log.init()
    result = log.cli("apply", str(WORKED), "--strict", "--block-size", "3")
    assert result.exit_code == 3
    commands = [json.loads(line) for line in WORKED.read_text().splitlines() if line.strip()]
    kept, _ = entry_lines(commands)
    assert f"log {log.url}: {len(kept)} entries in 3 blocks" in result.stdout
    assert "Rejected lines" in result.stdout
    store = log.store()
    assert store.entry_count() == len(kept) < len(commands)
    verified = log.cli("verify")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.startswith(f"OK: 3 blocks, {len(kept)} entries")
    again = log.cli("apply", str(WORKED), "--strict")  # every accepted line is a retry now
    assert again.exit_code == 3 and store.entry_count() == len(kept)


def test_apply_strict_with_db_exits_0_when_every_line_is_accepted(log: Log) -> None:
    log.init()
    accepted = WORKED.read_bytes().splitlines()[:7]  # lines 8 and 9 are refused
    result = log.cli("apply", "-", "--strict", input=b"\n".join(accepted))
    assert result.exit_code == 0, result.output
    assert log.store().entry_count() == 7


def test_apply_with_db_exits_1_in_one_line_when_the_log_cannot_be_opened(log: Log) -> None:
    other = log.sibling("other")
    other.init()
    never_initialised = log.cli("apply", str(WORKED), "--strict", "--key", str(other.key))
    assert never_initialised.exit_code == 1 and never_initialised.stdout == ""
    assert never_initialised.stderr.startswith("Error: ")  # no file (SQLite), no schema
    assert never_initialised.stderr.endswith(": run `profitpool init` first\n")
    assert never_initialised.stderr.count("\n") == 1
    no_key = log.cli("apply", str(WORKED), "--strict", "--key", str(log.tmp / "absent.key"))
    assert no_key.exit_code == 1 and no_key.stderr.startswith("Error: no key at ")
    log.init()
    wrong_key = log.cli("apply", str(WORKED), "--strict", "--key", str(other.key))
    assert wrong_key.exit_code == 1 and wrong_key.stderr.count("\n") == 1
    assert "does not sign this log" in wrong_key.stderr
    assert log.store().entry_count() == 0


def test_a_log_built_in_several_runs_equals_one_built_in_one(log: Log) -> None:
    lines = lines_of(1500, seed=7)
    one = log.sibling("one")
    one.init()
    assert one.cli("apply", "-", "--block-size", "100", input=b"\n".join(lines)).exit_code == 0
    log.init()
    checkpoints = []
    for part in (lines[:400], lines[400:401], lines[401:1100], lines[1100:]):
        result = log.cli("apply", "-", "--block-size", "100", input=b"\n".join(part))
        assert result.exit_code == 0, result.output
        checkpoints.append(newest(log)["checkpoint"])
    a, b = one.store(), log.store()
    # The same entries but for the pseudonyms each log drew (at random) for each member,
    # who kept theirs across the runs.
    assert [one.unlinked(orjson.loads(data)) for _, data in a.iter_entries()] == \
        [log.unlinked(orjson.loads(data)) for _, data in b.iter_entries()]
    last_a, last_b = a.last_block(), b.last_block()
    assert last_a is not None and last_b is not None
    assert last_a.header.tree_size == last_b.header.tree_size
    # Each run ends with a short block, so the second log has more blocks.
    assert b.block_count() > a.block_count()

    # Consistency proofs across the restarts, checked against the signed checkpoints.
    verifier = Verifier.parse(b.meta()["verifier_key"])
    seen = [open_checkpoint(note, verifier) for note in checkpoints]  # type: ignore[arg-type]
    for old in seen:
        for new in seen:
            if old.size > new.size:
                continue
            result = log.cli("log", "proof", "--from", str(old.size), "--to", str(new.size))
            proof = json.loads(result.output)
            assert bytes.fromhex(proof["old_root"]) == old.root
            assert bytes.fromhex(proof["new_root"]) == new.root
            path = [bytes.fromhex(node) for node in proof["proof"]]
            assert merkle.verify_consistency(old.size, new.size, old.root, new.root, path)
            if path:
                path[0] = bytes(32)
                assert not merkle.verify_consistency(old.size, new.size, old.root, new.root,
                                                     path)
    paths = [log.tmp / f"cp{n}.txt" for n in range(len(checkpoints))]
    for path, note in zip(paths, checkpoints, strict=True):
        path.write_text(note)  # type: ignore[arg-type]
    result = log.cli("verify", *[arg for path in paths for arg in ("--checkpoint", str(path))])
    assert result.exit_code == 0, result.output


def test_inclusion_proofs_verify_against_the_signed_checkpoint(log: Log) -> None:
    log.init()
    assert log.cli("apply", "-", "--block-size", "64",
                   input=b"\n".join(lines_of(700, seed=3))).exit_code == 0
    block = newest(log)
    store = log.store()
    verifier = Verifier.parse(store.meta()["verifier_key"])
    checkpoint = open_checkpoint(block["checkpoint"], verifier)  # type: ignore[arg-type]
    size = checkpoint.size
    for index in (0, 1, 255, 256, size // 2, size - 1):
        proof = json.loads(log.cli("log", "proof", "--entry", str(index)).output)
        entry = json.loads(log.cli("log", "show", "--entry", str(index)).output)
        data = store.entry(index)
        assert data is not None and orjson.loads(data) == entry["entry"]
        leaf = merkle.leaf_hash(data)
        assert proof["leaf_hash"] == entry["leaf_hash"] == leaf.hex()
        path = [bytes.fromhex(node) for node in proof["proof"]]
        assert merkle.verify_inclusion(leaf, index, size, path, checkpoint.root)
        assert not merkle.verify_inclusion(leaf, index ^ 1, size, path, checkpoint.root)
    # An older tree size: the root is the one signed in that block's checkpoint.
    first = json.loads(log.cli("log", "show", "--block", "1").output)
    old = open_checkpoint(first["checkpoint"], verifier)
    proof = json.loads(log.cli("log", "proof", "--entry", "5", "--size", str(old.size)).output)
    assert bytes.fromhex(proof["root"]) == old.root
    path = [bytes.fromhex(node) for node in proof["proof"]]
    assert merkle.verify_inclusion(merkle.leaf_hash(store.entry(5) or b""), 5, old.size, path,
                                   old.root)


@pytest.mark.parametrize("args, message", [
    (("log", "proof", "--entry", "99999"), "is not in a tree of size"),
    (("log", "proof", "--entry", "1", "--size", "99999"), "tree size 99999 is not between"),
    (("log", "proof", "--from", "99999"), "old size 99999 is not between"),
    (("log", "proof"), "give --entry (inclusion) or --from (consistency)"),
    (("log", "show", "--block", "99999"), "there is no block 99999"),
    (("log", "show", "--entry", "99999"), "there is no entry 99999"),
])
def test_reading_what_is_not_there_is_a_clear_error(log: Log, args: tuple[str, ...],
                                                    message: str) -> None:
    log.init()
    assert log.cli("apply", str(WORKED)).exit_code == 0
    result = log.cli(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_restart_from_a_snapshot_gives_the_same_ledger(log: Log) -> None:
    log.init()
    lines = lines_of(1200, seed=11)
    result = log.cli("apply", "-", "--block-size", "50", "--snapshot-every", "200",
                     input=b"\n".join(lines))
    assert result.exit_code == 0, result.output
    store = log.store()
    snapshot = store.latest_snapshot()
    assert snapshot is not None and 0 < snapshot.tree_size
    _, memory = entry_lines([orjson.loads(line) for line in lines])
    writer = LogWriter.open(log.url, log.key)
    assert writer.snapshot_size == snapshot.tree_size
    assert log.unlinked(dump_state(writer.ledger)) == dump_state(memory)
    writer.close()


def test_a_snapshot_edited_in_the_database_is_refused(log: Log) -> None:
    log.init()
    result = log.cli("apply", "-", "--snapshot-every", "100", "--block-size", "50",
                     input=b"\n".join(lines_of(600, seed=5)))
    assert result.exit_code == 0
    engine = log.engine()
    with engine.begin() as connection:
        connection.execute(update(snapshots).values(tree_size=snapshots.c.tree_size - 50))
    size = log.store().entry_count()
    again = log.cli("apply", str(WORKED))
    assert again.exit_code == 1
    assert "is not signed by this log's key" in again.output
    assert log.store().entry_count() == size


def test_a_block_that_fails_to_store_stops_the_writer_and_keeps_the_log_whole(
    log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A block that fails to store stops the writer and leaves only whole
    blocks, from which a new writer goes on."""
    log.init()
    lines, memory = entry_lines([orjson.loads(line) for line in lines_of(600, seed=8)])
    real = LogStore.append_block
    calls = []

    def failing(self: LogStore, block: Any, *rest: Any) -> None:
        calls.append(block.header.height)
        if block.header.height == 3:
            raise StoreError("block 3 was not stored: disk full (simulated)")
        real(self, block, *rest)

    monkeypatch.setattr(LogStore, "append_block", failing)
    writer = LogWriter.open(log.url, log.key, block_size=100)
    with pytest.raises(StoreError, match="disk full"):
        for line in lines:
            writer.submit(orjson.loads(line))
        writer.close()
    with pytest.raises(StoreError, match="disk full"):  # and it stays stopped
        writer.submit(orjson.loads(lines[-1]))
    writer.discard()
    assert calls[:3] == [1, 2, 3]
    monkeypatch.setattr(LogStore, "append_block", real)
    store = log.store()
    assert store.block_count() == 2 and store.entry_count() == 200
    assert verify_log(store).ok
    again = LogWriter.open(log.url, log.key, block_size=100)
    for line in lines[200:]:
        again.submit(orjson.loads(line))
    again.close()
    assert verify_log(store).ok
    reopened = LogWriter.open(log.url, log.key)
    assert log.unlinked(dump_state(reopened.ledger)) == dump_state(memory)
    reopened.close()


def test_a_signed_snapshot_this_version_cannot_read_is_skipped(log: Log) -> None:
    """Signed by the operator but unreadable (another profitpool wrote it):
    the writer replays from genesis instead, and still checks the result."""
    log.init()
    lines = lines_of(800, seed=12)
    assert log.cli("apply", "-", "--block-size", "50", "--snapshot-every", "300",
                   input=b"\n".join(lines)).exit_code == 0
    store = log.store()
    stored = store.latest_snapshot()
    assert stored is not None
    signer = load_key(log.key)
    garbage = b"not a pickle of a ledger"
    signature = sign_snapshot(signer, stored.height, stored.tree_size,
                              hashlib.sha256(garbage).digest())
    with log.engine().begin() as connection:
        connection.execute(update(snapshots).where(snapshots.c.height == stored.height)
                           .values(data=garbage, signature=signature))
    writer = LogWriter.open(log.url, log.key)
    assert writer.snapshot_size == 0  # replayed from genesis
    _, memory = entry_lines([orjson.loads(line) for line in lines])
    assert log.unlinked(dump_state(writer.ledger)) == dump_state(memory)
    writer.discard()


def test_a_writer_does_not_wait_for_a_snapshot_still_being_taken(log: Log) -> None:
    """A snapshot only shortens a restart: while the one before is still being taken, the
    writer goes on without one (waiting stalled a million-payout run for tens of seconds),
    and takes it at the next block once that one is done; closing waits for it."""
    log.init()
    lines = [orjson.loads(line) for line in lines_of(30, seed=3)]
    writer = LogWriter.open(log.url, log.key, block_size=1_000, snapshot_every=1,
                            fork_snapshots=True)

    def block(commands: list[dict[str, Any]]) -> None:
        for command in commands:
            with contextlib.suppress(Rejected):
                writer.submit(command)
        writer.commit()

    try:
        block(lines[:10])
        writer._reap_snapshot()
        assert writer.snapshot_size == writer.tiles.size
        busy = os.fork()
        if busy == 0:  # stands for a snapshot child still pickling a large ledger
            time.sleep(60)
            os._exit(0)
        writer._snapshot_child = busy
        before, started = writer.snapshot_size, time.monotonic()
        block(lines[10:20])  # a block: it asks for a snapshot
        assert writer.snapshot_size == before < writer.tiles.size
        assert time.monotonic() - started < 30  # it did not wait for the busy one
        assert writer._snapshot_child == busy
        os.kill(busy, signal.SIGKILL)
        while Path(f"/proc/{busy}/stat").read_text().split()[2] != "Z":  # dead, not reaped
            time.sleep(0.01)
        block(lines[20:])  # the busy one is gone: this block takes one
        writer._reap_snapshot()
        assert writer.snapshot_size == writer.tiles.size
        assert log.store().latest_snapshot().tree_size == writer.tiles.size
    finally:
        writer.close()


def test_the_closing_snapshot_starts_before_close_and_close_waits_for_it(
        log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    """``leave_snapshot`` commits what is pending and starts the snapshot ``close`` would
    leave, in a child, so ``apply --db`` reads its members' ids meanwhile; ``close`` waits
    for it and takes no second one. Through the command, the log ends with a snapshot of
    its every entry, and its output names members as the file did."""
    monkeypatch.setattr(writer_module, "CLOSE_SNAPSHOT_AFTER", 5)
    log.init()
    writer = LogWriter.open(log.url, log.key, fork_snapshots=True)
    for command in lines_of(40, seed=5):
        with contextlib.suppress(Rejected):
            writer.submit(orjson.loads(command))
    assert writer.pending and writer.height == 0
    writer.leave_snapshot()
    assert not writer.pending and writer.height == 1
    assert writer._snapshot_child is not None  # being taken while the caller goes on
    assert writer.snapshot_size == writer.tiles.size
    writer.close()
    assert writer._snapshot_child is None and writer.snapshot_failures == 0
    stored = log.store().latest_snapshot()
    assert stored is not None and stored.tree_size == writer.tiles.size

    other = log.sibling("other")
    other.init()
    memory = CliRunner().invoke(main, ["apply", str(WORKED), "--json"])
    applied = other.cli("apply", str(WORKED), "--json")
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout) == json.loads(memory.stdout)
    stored = other.store().latest_snapshot()
    assert stored is not None and stored.tree_size == other.store().entry_count() > 5
