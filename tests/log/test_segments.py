"""``verify --jobs`` / ``--cluster``: segments between snapshots, replayed in parallel.

A log of 700 realistic commands in blocks of 50, with data-only snapshots at
blocks 4 and 9 (entries 200 and 450), is verified in one process and in
segments (1 job, 2 and 3 processes, a local Dask cluster of 2 workers): the
verdict and the first divergence must be the sequential verify's, whatever
is edited in a middle segment, and whatever a forged snapshot holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from loghelpers import Log  # type: ignore[attr-defined]
from sqlalchemy import delete, update

from profitpool.engine import Ledger, apply
from profitpool.errors import Rejected
from profitpool.log import snapshot
from profitpool.log.keys import load_key, sign_snapshot
from profitpool.log.replay import Replay, from_genesis
from profitpool.log.segments import Segment, plan, verify_segments
from profitpool.log.verify import Report, verify_log
from profitpool.store.repository import thinned
from profitpool.store.schema import entries, snapshots
from profitpool.workload import realistic

BLOCK = 50
CUTS = (4, 9)  # snapshots at the end of these blocks: segments 1-4, 5-9, 10-14


def ledger_after(store_log: Log, height: int) -> tuple[Ledger, int]:
    """The ledger replayed from genesis to the end of block ``height``, and its tree size."""
    store = store_log.store()
    block = store.block(height)
    assert block is not None
    size = block.header.tree_size
    replay = Replay(from_genesis(store.meta()), store.iter_entries(0, size))
    for _ in replay:
        pass
    return replay.ledger, size


def put_snapshot(log: Log, height: int, ledger: Ledger) -> None:
    store = log.store()
    block = store.block(height)
    assert block is not None
    with log.engine().begin() as connection:
        connection.execute(delete(snapshots).where(snapshots.c.height == height))
    store.put_snapshot(snapshot.take(ledger, height, block.header.tree_size,
                                     load_key(log.key)))


@pytest.fixture
def segmented(tmp_path: Path) -> Iterator[Log]:
    log = Log(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key", tmp_path)
    try:
        log.init()
        commands, _ = realistic(700, seed=2026)
        lines = b"\n".join(orjson.dumps(command) for command in commands)
        result = log.cli("apply", "-", "--block-size", str(BLOCK), "--snapshot-every",
                         "100000", input=lines)
        assert result.exit_code == 0, result.output
        with log.engine().begin() as connection:
            connection.execute(delete(snapshots))
        for height in CUTS:
            put_snapshot(log, height, ledger_after(log, height)[0])
        assert [height for height, _ in log.store().snapshot_places()] == list(CUTS)
        yield log
    finally:
        log.close()


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local.scheduler_address


def outcome(report: Report) -> tuple[object, ...]:
    return (report.ok, report.divergence, report.blocks, report.entries, report.root,
            report.state_digest)


def every_way(log: Log, cluster: str | None = None) -> list[Report]:
    reports = [verify_log(log.store())]
    reports += [verify_segments(log.url, jobs=jobs) for jobs in (1, 2, 3)]
    if cluster is not None:
        reports.append(verify_segments(log.url, cluster=cluster))
    return reports


# The data-only snapshot format ------------------------------------------------------


def test_a_snapshot_reads_back_as_the_same_ledger_and_goes_on_the_same() -> None:
    commands, _ = realistic(600, seed=5)
    ledger = Ledger()
    for command in commands[:400]:
        try:
            apply(ledger, command)
        except Rejected:
            pass
    data = snapshot.encode_state(ledger)
    copy = snapshot.decode_state(data)
    assert snapshot.encode_state(copy) == data
    assert copy.members.keys() == ledger.members.keys() and copy.pool == ledger.pool > 0
    member = next(iter(copy.members.values()))
    assert all(lot.member is member for lot in member.lots)  # one object again, not copies
    for command in commands[400:]:  # the copy behaves as the original, effect for effect
        try:
            expected = apply(ledger, command).effects
        except Rejected as error:
            with pytest.raises(Rejected) as refused:
                apply(copy, command)
            assert refused.value.code == error.code
            continue
        assert apply(copy, command).effects == expected
    assert snapshot.encode_state(copy) == snapshot.encode_state(ledger)


def test_one_fen_of_difference_is_a_different_state_hash() -> None:
    ledger = Ledger()
    apply(ledger, {"op": "merchant", "id": "m1", "name": "", "at": "2026-01-05T12:00:00+08:00"})
    before = snapshot.state_hash(ledger)
    ledger.merchants["m1"].received += 1
    assert snapshot.state_hash(ledger) != before


def test_a_snapshot_names_only_the_engines_own_classes() -> None:
    data = bytearray(snapshot.encode_state(Ledger()))
    assert b"Rules" not in data  # the rules are a list of values, not a class name
    evil = orjson.loads(data)
    evil[17] = ["o1", ["os.system", "echo hi"], "pending", 0, 1, [1, 1]]  # an order
    with pytest.raises(ValueError, match="not a ledger's data"):
        snapshot.decode_state(orjson.dumps(evil))
    for junk in (b"", b"[]", b"{}", b"\x80\x05K\x01.", b"[1.5]"):
        with pytest.raises(ValueError):
            snapshot.decode_state(junk)


def test_an_older_versions_pickled_snapshot_is_unreadable_not_unpickled() -> None:
    stored = snapshot.StoredSnapshot(1, 10, b"", b"x\x9c" + b"\x00" * 10)
    with pytest.raises(snapshot.UnreadableSnapshot, match="another format"):
        snapshot.state_bytes(stored)


# Planning and keeping snapshots -----------------------------------------------------


def test_segments_are_cut_at_snapshots_nearest_equal_shares() -> None:
    blocks = [(height, height * 100) for height in range(1, 11)]  # 1,000 entries
    snapshots_at = [(2, 200), (4, 400), (5, 500), (7, 700), (10, 1000)]
    assert plan(blocks, snapshots_at, 2) == [Segment(0, 0, 5, True), Segment(5, 500, None, False)]
    assert plan(blocks, snapshots_at, 3) == [
        Segment(0, 0, 4, True), Segment(4, 400, 7, True), Segment(7, 700, None, False)]
    assert plan(blocks, [(3, 250)], 2) == [Segment(0, 0, None, False)]  # not a block's end
    assert plan(blocks, [], 4) == [Segment(0, 0, None, False)]


def test_snapshots_kept_are_the_newest_two_and_the_widest_spread() -> None:
    places = [(height, height * 10) for height in range(1, 7)]  # sizes 10..60
    assert thinned(places, 4) == [1, 3]  # left: 20, 40, 50, 60
    assert thinned(places, 8) == []
    assert sorted(thinned(places, 1)) == [1, 2, 3, 4]  # the newest two stay


# Verdicts ---------------------------------------------------------------------------


def test_an_untouched_log_verifies_the_same_every_way(segmented: Log, cluster: str) -> None:
    reports = every_way(segmented, cluster)
    assert reports[0].ok and reports[0].entries == 700
    assert {outcome(report) for report in reports} == {outcome(reports[0])}
    assert "verified in 3 segments on 3 processes" in reports[3].notes
    assert not any("set aside" in note for report in reports for note in report.notes)
    assert "verified in 2 segments on the Dask cluster at " + cluster in reports[4].notes[0]


def test_an_entry_edited_in_a_middle_segment_gives_the_same_first_divergence(
    segmented: Log, cluster: str
) -> None:
    with segmented.engine().begin() as connection:
        index, data = next(
            (row.idx, orjson.loads(row.data)) for row in connection.execute(
                entries.select().where(entries.c.idx >= 300).order_by(entries.c.idx))
            if orjson.loads(row.data)["command"]["op"] == "order")
        assert index < 450  # in the segment of blocks 5-9
        yuan, fen = data["command"]["amount"].split(".")
        data["command"]["amount"] = f"{int(yuan) + 1}.{fen}"
        connection.execute(update(entries).where(entries.c.idx == index).values(
            data=orjson.dumps(data, option=orjson.OPT_SORT_KEYS)))
    reports = every_way(segmented, cluster)
    first = reports[0].divergence
    assert first is not None and (first.block, first.entry) == (index // BLOCK + 1, index)
    assert {outcome(report) for report in reports} == {outcome(reports[0])}


def test_a_forged_snapshot_is_caught_at_its_seam_and_changes_no_verdict(
    segmented: Log, cluster: str
) -> None:
    """The operator signs a snapshot at block 9 holding one fen more in the pool: the
    segment after it replays from it without a divergence, but its start is not the
    state the replay before it reaches, so it is set aside and replayed again."""
    ledger, _ = ledger_after(segmented, 9)
    ledger.pool += 1
    put_snapshot(segmented, 9, ledger)
    reports = every_way(segmented, cluster)
    assert reports[0].ok
    assert {outcome(report) for report in reports} == {outcome(reports[0])}
    for report in reports[2:]:
        assert any("the snapshot at block 9 does not hold the ledger the replay reaches"
                   in note for note in report.notes)


def test_a_forged_snapshot_and_an_entry_edited_after_it_give_the_sequential_divergence(
    segmented: Log,
) -> None:
    ledger, _ = ledger_after(segmented, 9)
    ledger.pool += 1
    put_snapshot(segmented, 9, ledger)
    with segmented.engine().begin() as connection:
        connection.execute(delete(entries).where(entries.c.idx == 600))  # block 13
    reports = every_way(segmented)
    assert reports[0].divergence is not None and reports[0].divergence.entry == 600
    assert {outcome(report) for report in reports} == {outcome(reports[0])}


def test_an_unsigned_or_unreadable_snapshot_is_set_aside(segmented: Log) -> None:
    with segmented.engine().begin() as connection:
        connection.execute(update(snapshots).where(snapshots.c.height == 4).values(
            signature=bytes(64)))
        garbage = snapshot.MAGIC + b"not zlib"
        signature = sign_snapshot(load_key(segmented.key), 9, 450,
                                  hashlib.sha256(garbage).digest())
        connection.execute(update(snapshots).where(snapshots.c.height == 9).values(
            data=garbage, signature=signature))
    sequential, parallel = verify_log(segmented.store()), verify_segments(segmented.url, jobs=3)
    assert sequential.ok and outcome(parallel) == outcome(sequential)
    notes = " ".join(parallel.notes)
    assert "the snapshot at block 4 could not be used (SnapshotError" in notes
    assert "the snapshot at block 9 could not be used (UnreadableSnapshot" in notes


def test_the_cli_verifies_in_segments(segmented: Log) -> None:
    result = segmented.cli("verify", "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert "verified in 2 segments on 2 processes" in result.output
    assert "OK: 14 blocks, 700 entries" in result.output


def test_a_public_copy_carries_the_data_only_snapshots_and_verifies_in_segments(
    segmented: Log, tmp_path: Path
) -> None:
    from profitpool.store.public import export_public

    with segmented.engine().begin() as connection:  # an older version's pickle: left out
        connection.execute(snapshots.insert().values(height=12, tree_size=600,
                                                     signature=b"", data=b"\x80\x05K\x01."))
    out = tmp_path / "public.db"
    summary = export_public(segmented.engine(), out)
    assert summary.rows["snapshots"] == 2
    copy = verify_segments(f"sqlite:///{out}", jobs=3)
    assert copy.ok and "verified in 3 segments on 3 processes" in copy.notes
    assert outcome(copy) == outcome(verify_log(segmented.store()))
