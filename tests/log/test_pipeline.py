"""One pipeline from entries to a sealed block: replay.py, seal.py and verify's registry.

The writer seals blocks with :func:`seal`; sealing the replayed entries again
must give every stored header field for field. The replay is the one restart,
``verify`` and the monthly report read the log with.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import orjson
import pytest
from loghelpers import Log  # type: ignore[attr-defined]
from sqlalchemy import delete

from profitpool.chain.block import BlockHeader
from profitpool.engine import dump_state
from profitpool.log import verify
from profitpool.log.replay import Replay, ReplayError, from_genesis
from profitpool.log.seal import PendingBlock, Tip, seal
from profitpool.log.verify import Divergence, first_divergence, verify_log
from profitpool.log.writer import LogWriter
from profitpool.store.schema import entries
from profitpool.workload import realistic

LOG_PACKAGE = Path(verify.__file__).parent


@pytest.fixture
def built(log: Log) -> Log:
    log.init()
    commands, _ = realistic(300, seed=7)
    lines = b"\n".join(orjson.dumps(command) for command in commands)
    result = log.cli("apply", "-", "--block-size", "40", input=lines)
    assert result.exit_code == 0, result.output
    return log


def test_sealing_the_replayed_entries_again_gives_every_stored_header(built: Log) -> None:
    store = built.store()
    replay = Replay(from_genesis(store.meta()), store.iter_entries())
    tip = Tip()
    for block in store.iter_blocks():
        pending = PendingBlock()
        for step in replay.take(block.header.count):
            pending.add(step.command, step.effects)
        sealed = seal(tip, replay.ledger, pending)
        assert sealed.header == block.header
        assert sealed.entries == [data for _, data in store.iter_entries(
            block.header.first_index, block.header.tree_size)]
    assert replay.next_stored() is None


def test_verify_compares_every_field_of_a_block_header() -> None:
    compared = [name for name, _ in verify.HEADER_FIELDS]
    assert sorted(compared) == sorted(f.name for f in dataclasses.fields(BlockHeader))


def test_replay_until_stops_before_the_first_entry_at_that_time_and_goes_on_from_it(
        built: Log) -> None:
    store = built.store()
    middle = store.block(3)
    assert middle is not None
    cut = middle.header.time
    replay = Replay(from_genesis(store.meta()), store.iter_entries())
    before = [step.command.at for step in replay.until(cut)]
    assert before and max(before) < cut
    after = [step.command.at for step in replay.until(None)]
    assert after[0] >= cut
    assert len(before) + len(after) == store.entry_count()
    writer = LogWriter.open(built.url, built.key)
    assert dump_state(replay.ledger) == dump_state(writer.ledger)
    writer.discard()


def test_a_missing_entry_stops_the_replay_and_names_it(built: Log) -> None:
    with built.engine().begin() as connection:
        connection.execute(delete(entries).where(entries.c.idx == 57))
    store = built.store()
    replay = Replay(from_genesis(store.meta()), store.iter_entries())
    with pytest.raises(ReplayError) as stopped:
        for _ in replay:
            pass
    assert (stopped.value.index, stopped.value.field) == (57, "entries")
    assert replay.next_index == 57  # every entry before it was applied


def test_taking_past_the_end_of_the_log_names_the_first_missing_entry(built: Log) -> None:
    store = built.store()
    size = store.entry_count()
    replay = Replay(from_genesis(store.meta()), store.iter_entries())
    with pytest.raises(ReplayError, match="the log ends early") as stopped:
        list(replay.take(size + 5))
    assert stopped.value.index == size


def test_checks_return_divergences_and_the_runner_keeps_the_first_in_registry_order() -> None:
    first = Divergence(1, None, "root", "differs")
    second = Divergence(2, None, "time", "differs")

    def sees_nothing(_subject: object) -> list[Divergence]:
        return []

    def sees_two(_subject: object) -> list[Divergence]:
        return [first, second]

    def sees_one(_subject: object) -> list[Divergence]:
        return [second]

    assert first_divergence([sees_nothing, sees_two, sees_one], None) == first
    assert first_divergence([sees_nothing, sees_one, sees_two], None) == second
    assert first_divergence([sees_nothing], None) is None


def test_a_command_that_no_longer_parses_is_a_divergence_naming_its_entry(built: Log) -> None:
    store = built.store()
    data = store.entry(100)
    assert data is not None
    entry = orjson.loads(data)
    entry["command"]["op"] = "bogus"
    with built.engine().begin() as connection:
        connection.execute(entries.update().where(entries.c.idx == 100).values(
            data=orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)))
    report = verify_log(store)
    assert report.divergence is not None
    assert (report.divergence.block, report.divergence.entry, report.divergence.field) == \
        (100 // 40 + 1, 100, "command")
    assert "unknown op 'bogus'" in report.divergence.message


def test_a_writer_without_an_events_hook_stores_no_events(log: Log) -> None:
    log.init()
    writer = LogWriter.open(log.url, log.key)
    try:
        writer.submit({"op": "merchant", "id": "m1", "at": "2026-01-05T12:00:00+08:00"})
        assert writer.commit() is not None
        rows, _ = writer.store.outbox.read(0, 100)
        assert rows == []
    finally:
        writer.close()


def test_the_log_package_imports_no_layer_above_it() -> None:
    allowed = {"chain", "engine", "errors", "gcpause", "money", "rules", "store", "times", "log"}
    for path in LOG_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2 and node.module:
                assert node.module.split(".")[0] in allowed, (path.name, node.module)
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert not node.module.startswith("profitpool."), (path.name, node.module)
