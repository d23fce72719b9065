"""Attacks on the stored log, made directly in the database: verify must name each.

Each attack edits the tables of a log built from a realistic stream (blocks of
50 entries), then runs ``profitpool verify`` and checks the first divergence
it prints: which block, which entry, which field. Where the attack leaves the
headers or the newest entries inconsistent, a writer must also refuse to
extend the log, and write nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from loghelpers import Log  # type: ignore[attr-defined]
from sqlalchemy import Connection, delete, select, update

from profitpool.chain.merkle import leaf_hash
from profitpool.chain.tiles import TileWriter
from profitpool.log.verify import Divergence, verify_log
from profitpool.log.writer import LogWriter
from profitpool.store.schema import blocks, entries, tiles
from profitpool.workload import realistic

BLOCK = 50


@pytest.fixture
def built(log: Log) -> Log:
    log.init()
    commands, _ = realistic(700, seed=2026)
    lines = b"\n".join(orjson.dumps(command) for command in commands)
    result = log.cli("apply", "-", "--block-size", str(BLOCK), input=lines)
    assert result.exit_code == 0, result.output
    assert verify_log(log.store()).ok
    return log


def entry_data(connection: Connection, index: int) -> Any:
    data = connection.execute(select(entries.c.data).where(entries.c.idx == index)).scalar_one()
    return orjson.loads(data)


def put_entry(connection: Connection, index: int, value: Any) -> None:
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)  # still canonical
    connection.execute(update(entries).where(entries.c.idx == index).values(data=data))


def find(connection: Connection, wanted: Callable[[Any], bool], after: int = 120) -> int:
    """The index of the first entry from ``after`` on that ``wanted`` accepts."""
    for index, data in connection.execute(
        select(entries.c.idx, entries.c.data).where(entries.c.idx >= after)
        .order_by(entries.c.idx)
    ):
        if wanted(orjson.loads(data)):
            return int(index)
    raise AssertionError("no such entry")


def block_of(index: int) -> int:
    return index // BLOCK + 1


def last_height(connection: Connection) -> int:
    return int(connection.execute(select(blocks.c.height).order_by(
        blocks.c.height.desc()).limit(1)).scalar_one())


# Each attack edits the database and returns the divergence verify must report
# (block, entry, field); a field ending in "*" matches by prefix.
def edit_amount(c: Connection) -> tuple[int | None, int | None, str]:
    index = find(c, lambda e: e["command"]["op"] == "order")
    entry = entry_data(c, index)
    amount = entry["command"]["amount"]
    entry["command"]["amount"] = f"{int(amount.split('.')[0]) + 1}.{amount.split('.')[1]}"
    put_entry(c, index, entry)
    return block_of(index), index, "effects*"


def edit_effect(c: Connection) -> tuple[int | None, int | None, str]:
    def minted(entry: Any) -> bool:
        return any(effect["type"] == "points_minted" for effect in entry["effects"])
    index = find(c, minted)
    entry = entry_data(c, index)
    position = next(i for i, e in enumerate(entry["effects"]) if e["type"] == "points_minted")
    points = entry["effects"][position]["points"]
    entry["effects"][position]["points"] = str(int(points.replace(".", "")) + 1)[:-4] + "." \
        + str(int(points.replace(".", "")) + 1)[-4:]
    put_entry(c, index, entry)
    return block_of(index), index, f"effects[{position}].points"


def edit_op(c: Connection) -> tuple[int | None, int | None, str]:
    index = find(c, lambda e: e["command"]["op"] == "order")
    entry = entry_data(c, index)
    entry["command"]["op"] = "0rder"  # no longer a command: named, not a crash
    put_entry(c, index, entry)
    return block_of(index), index, "command"


def edit_root(c: Connection) -> tuple[int | None, int | None, str]:
    c.execute(update(blocks).where(blocks.c.height == 3).values(root=bytes(32)))
    return 3, None, "root"


def edit_signature(c: Connection) -> tuple[int | None, int | None, str]:
    signature = c.execute(select(blocks.c.signature).where(blocks.c.height == 4)).scalar_one()
    flipped = bytes([signature[0] ^ 1]) + bytes(signature[1:])
    c.execute(update(blocks).where(blocks.c.height == 4).values(signature=flipped))
    return 4, None, "signature"


def edit_state_digest(c: Connection) -> tuple[int | None, int | None, str]:
    c.execute(update(blocks).where(blocks.c.height == 2).values(state_digest=bytes(32)))
    return 2, None, "state_digest"


def edit_checkpoint(c: Connection) -> tuple[int | None, int | None, str]:
    note = c.execute(select(blocks.c.checkpoint).where(blocks.c.height == 5)).scalar_one()
    origin, size, rest = note.split("\n", 2)
    c.execute(update(blocks).where(blocks.c.height == 5).values(
        checkpoint=f"{origin}\n{int(size) - 1}\n{rest}"))
    return 5, None, "checkpoint"


def delete_entry(c: Connection) -> tuple[int | None, int | None, str]:
    c.execute(delete(entries).where(entries.c.idx == 177))
    return block_of(177), 177, "entries"


def reorder_entries(c: Connection) -> tuple[int | None, int | None, str]:
    first, second = entry_data(c, 160), entry_data(c, 161)
    put_entry(c, 160, second)
    put_entry(c, 161, first)
    return block_of(160), 160, "*"


def drop_last_block_header(c: Connection) -> tuple[int | None, int | None, str]:
    height = last_height(c)
    first = c.execute(select(blocks.c.first_index).where(blocks.c.height == height)).scalar_one()
    c.execute(delete(blocks).where(blocks.c.height == height))
    return None, first, "entries"


def truncate_last_block(c: Connection) -> tuple[int | None, int | None, str]:
    height = last_height(c)
    first = c.execute(select(blocks.c.first_index).where(blocks.c.height == height)).scalar_one()
    c.execute(delete(blocks).where(blocks.c.height == height))
    c.execute(delete(entries).where(entries.c.idx >= first))
    return None, None, "tile 0/*"


def edit_tile(c: Connection) -> tuple[int | None, int | None, str]:
    data = c.execute(select(tiles.c.hashes).where(tiles.c.level == 0, tiles.c.idx == 1)
                     ).scalar_one()
    c.execute(update(tiles).where(tiles.c.level == 0, tiles.c.idx == 1).values(
        hashes=bytes(32) + bytes(data[32:])))
    return None, None, "tile 0/1"


ATTACKS = [edit_amount, edit_effect, edit_op, edit_root, edit_signature, edit_state_digest,
           edit_checkpoint, delete_entry, reorder_entries, drop_last_block_header,
           truncate_last_block, edit_tile]


def matches(divergence: Divergence | None, expected: tuple[int | None, int | None, str]) -> bool:
    if divergence is None:
        return False
    block, entry, field = expected
    if field.endswith("*"):
        field_ok = divergence.field.startswith(field[:-1])
    else:
        field_ok = divergence.field == field
    return (divergence.block, divergence.entry) == (block, entry) and field_ok


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda attack: attack.__name__)
def test_verify_names_where_the_log_was_edited(
    built: Log, attack: Callable[[Connection], tuple[int | None, int | None, str]]
) -> None:
    with built.engine().begin() as connection:
        expected = attack(connection)
    report = verify_log(built.store())
    assert matches(report.divergence, expected), (report.divergence, expected)
    result = built.cli("verify")
    assert result.exit_code == 1
    assert f"DIVERGENCE at {report.divergence}" in result.output
    assert "Traceback" not in result.output


HEADER_OR_TAIL_ATTACKS = [edit_root, edit_signature, edit_state_digest, edit_checkpoint,
                          drop_last_block_header, truncate_last_block]


@pytest.mark.parametrize("attack", [*HEADER_OR_TAIL_ATTACKS, edit_amount, edit_op,
                                    delete_entry, reorder_entries],
                         ids=lambda attack: attack.__name__)
def test_a_writer_refuses_to_extend_an_edited_log_and_writes_nothing(
    built: Log, attack: Callable[[Connection], Any]
) -> None:
    """No snapshot yet (under 10,000 entries), so a restart replays and checks
    every entry against the stored tree, and every header's signature."""
    assert built.store().latest_snapshot() is None
    with built.engine().begin() as connection:
        attack(connection)
    store = built.store()
    before = (store.entry_count(), store.block_count())
    late = {"op": "merchant", "id": "late", "name": "a shop", "at": "2031-01-01T00:00:00+08:00"}
    result = built.cli("apply", "-", input=orjson.dumps(late))
    assert result.exit_code == 1
    assert "run `profitpool verify`" in result.output
    assert (store.entry_count(), store.block_count()) == before


def test_a_consistently_truncated_log_fails_against_a_checkpoint_seen_before(built: Log) -> None:
    """Cut the last block away cleanly (entries, header and tiles as they were
    before it): replay alone cannot tell, a checkpoint saved earlier can."""
    saved = built.tmp / "seen.txt"
    store = built.store()
    last = store.last_block()
    assert last is not None
    saved.write_text(last.checkpoint)
    first = last.header.first_index
    tree = TileWriter()
    tree.extend(leaf_hash(data) for _, data in store.iter_entries(0, first))
    with built.engine().begin() as connection:
        connection.execute(delete(blocks).where(blocks.c.height == last.header.height))
        connection.execute(delete(entries).where(entries.c.idx >= first))
        connection.execute(delete(tiles))
        connection.execute(tiles.insert(), [
            {"level": level, "idx": index, "hashes": data}
            for (level, index), data in tree.take_dirty().items()
        ])
    assert verify_log(store).ok  # a shorter log is a valid log
    result = built.cli("verify", "--checkpoint", str(saved))
    assert result.exit_code == 1
    assert f"is signed for {last.header.tree_size:,} entries but the log holds only " \
        f"{first:,}: the log was cut back" in result.output


def test_a_log_signed_by_another_key_fails_against_the_published_key(built: Log) -> None:
    published = built.store().meta()["verifier_key"]
    forged = built.sibling("forged")
    forged.init()
    # The original's entries, pseudonyms and all, written again under another key.
    lines = b"\n".join(orjson.dumps(orjson.loads(data)["command"])
                       for _, data in built.store().iter_entries())
    writer = LogWriter.open(forged.url, forged.key, block_size=BLOCK)
    for line in lines.splitlines():
        writer.submit(orjson.loads(line))
    writer.close()
    # Same entries, same roots, consistent in itself ...
    assert [d for _, d in forged.store().iter_entries()] == \
        [d for _, d in built.store().iter_entries()]
    assert forged.cli("verify").exit_code == 0
    # ... but not signed by the key the operator published.
    result = forged.cli("verify", "--public-key", published)
    assert result.exit_code == 1
    assert "DIVERGENCE at block 1: signature: does not verify with the log's key" \
        in result.output
    assert "the database names the key" in result.output
    # And the operator's key cannot extend it.
    refused = forged.cli("apply", "-", "--key", str(built.key), input=lines[:10])
    assert refused.exit_code == 1 and "does not sign this log" in refused.output


def test_a_wrong_public_key_is_a_clear_error(built: Log) -> None:
    result = built.cli("verify", "--public-key", "not-a-key")
    assert result.exit_code == 1
    assert "--public-key is not a verifier key" in result.output


def test_the_same_extension_of_an_unedited_log_is_written(built: Log) -> None:
    """The control for the refusals above: nothing edited, the command is an entry."""
    store = built.store()
    before = store.entry_count()
    late = {"op": "merchant", "id": "late", "name": "a shop", "at": "2031-01-01T00:00:00+08:00"}
    assert built.cli("apply", "-", input=orjson.dumps(late)).exit_code == 0
    assert store.entry_count() == before + 1
    assert verify_log(store).ok


@pytest.fixture
def snapshotted(log: Log) -> Log:
    """The log of ``built``, with a signed snapshot at its last block: every attack below
    edits what lies before the newest snapshot."""
    log.init()
    commands, _ = realistic(700, seed=2026)
    lines = b"\n".join(orjson.dumps(command) for command in commands)
    result = log.cli("apply", "-", "--block-size", str(BLOCK), "--snapshot-every", "1",
                     input=lines)
    assert result.exit_code == 0, result.output
    store = log.store()
    snapshot, last = store.latest_snapshot(), store.last_block()
    assert snapshot is not None and last is not None
    assert snapshot.tree_size == last.header.tree_size
    return log


BEFORE_SNAPSHOT_ATTACKS = [edit_amount, edit_effect, delete_entry, reorder_entries, edit_tile]


@pytest.mark.parametrize("attack", BEFORE_SNAPSHOT_ATTACKS, ids=lambda attack: attack.__name__)
def test_a_writer_refuses_a_log_edited_before_its_newest_snapshot(
    snapshotted: Log, attack: Callable[[Connection], Any]
) -> None:
    """A restart starts from the snapshot, yet hashes every stored entry into a tree built
    afresh and compares each block's root with its signed header, and every stored tile
    with the tile the entries give: what verify refuses, the writer does not extend."""
    with snapshotted.engine().begin() as connection:
        attack(connection)
    store = snapshotted.store()
    assert not verify_log(store).ok
    before = (store.entry_count(), store.block_count())
    late = {"op": "merchant", "id": "late", "name": "a shop", "at": "2031-01-01T00:00:00+08:00"}
    result = snapshotted.cli("apply", "-", input=orjson.dumps(late))
    assert result.exit_code == 1, result.output
    assert "run `profitpool verify`" in result.output
    assert "Traceback" not in result.output
    assert (store.entry_count(), store.block_count()) == before


def test_an_unedited_snapshotted_log_is_extended(snapshotted: Log) -> None:
    """The control: the same log, nothing edited, restarts from its snapshot and grows."""
    store = snapshotted.store()
    before = store.entry_count()
    late = {"op": "merchant", "id": "late", "name": "a shop", "at": "2031-01-01T00:00:00+08:00"}
    assert snapshotted.cli("apply", "-", input=orjson.dumps(late)).exit_code == 0
    assert store.entry_count() == before + 1
    assert verify_log(store).ok


def test_a_signed_snapshot_that_disagrees_with_its_block_is_refused(built: Log) -> None:
    """A snapshot signed with the operator's key but holding another state than its block's
    signed state digest (a bug, or a key in the wrong hands) is named, not built upon."""
    from profitpool.log import snapshot
    from profitpool.log.keys import load_key
    from profitpool.log.replay import Replay, from_genesis

    store = built.store()
    header = store.block(3)
    assert header is not None
    replay = Replay(from_genesis(store.meta()), store.iter_entries(0, header.header.tree_size))
    for _ in replay:
        pass
    ledger = replay.ledger
    ledger.pool += 1  # one fen more than the log says
    store.put_snapshot(snapshot.take(ledger, 3, header.header.tree_size, load_key(built.key)))
    late = {"op": "merchant", "id": "late", "name": "a shop", "at": "2031-01-01T00:00:00+08:00"}
    result = built.cli("apply", "-", input=orjson.dumps(late))
    assert result.exit_code == 1
    assert "the snapshot at block 3 does not hold the state that block's signed state " \
        "digest names" in result.output
