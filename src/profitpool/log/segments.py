"""``profitpool verify --jobs N`` / ``--cluster``: the log verified in segments, in parallel.

The stored snapshots cut the log into **segments**: segment 1 runs from
genesis to the first snapshot used, segment k+1 from the snapshot that ends
segment k to the next one (or to the end of the log). Each segment is replayed
and checked in its own process (a local process pool, or a Dask cluster) with
the very checks of the sequential :func:`~profitpool.log.verify.verify_log`
(:class:`~profitpool.log.verify.BlockRun`): every entry's bytes, every header
field, every signature and checkpoint.

A verifier does not trust the copy it checks, snapshots included. So:

* a snapshot is read as data only (snapshot.py: never a pickle), and only to
  *start* a segment early, never as a fact;
* **the seams are checked in full**: the state that replaying segment k
  reaches, the whole ledger (every member, lot, order, pledge, payout…), is
  encoded (:func:`~profitpool.log.snapshot.encode_state`) and its SHA-256
  must equal that of the bytes segment k+1 started from; likewise the log's
  tip there (height, previous header hash, the tree's size and unfinished
  tiles, every member's holding hash). Segment 1 starts at genesis. So,
  segment by segment, each start is the state the sequential replay from
  genesis reaches there;
* a start that is not (a forged or stale snapshot, one that cannot be read or
  is not signed with the log's key, a tile that does not match) is noted and
  set aside: the segment before it is replayed again, on through the next
  segment, from its own checked start, as the sequential verify would. A
  divergence found by a segment whose start did not check out is discarded
  with it.

So ``verify --jobs`` gives the verdict of the sequential verify, and the same
first divergence: the first segment (in log order) with a divergence is one
whose start checked out, and no later segment counts before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from time import perf_counter, process_time
from typing import NamedTuple

from ..chain.digest import Holdings
from ..chain.note import Verifier
from ..chain.tiles import TileWriter
from ..gcpause import paused_gc
from ..store.repository import LogStore, open_store
from . import snapshot
from .replay import Replay, Start
from .seal import Tip
from .verify import (
    LOG_CHECKS,
    BlockRun,
    Divergence,
    LogEnd,
    Report,
    first_divergence,
    open_log,
    verify_log,
)


class Segment(NamedTuple):
    """Blocks ``after + 1 .. through`` of a log, replayed from the state after block ``after``."""

    after: int
    """The block the segment starts after (0: genesis; else a snapshot's block)."""
    start: int
    """The entries before the segment (the snapshot's tree size; 0 at genesis)."""
    through: int | None
    """The last block of the segment (None: the log's last)."""
    hash_end: bool
    """Whether to hash the state at its end (there is a segment after it)."""


class SegmentResult(NamedTuple):
    """What replaying one segment gave (plain data: it travels between processes)."""

    segment: Segment
    divergence: Divergence | None
    """The first divergence in the segment (None: every block verified)."""
    start_problem: str | None
    """Why the segment's start could not be used (then nothing else counts)."""
    start_state: bytes
    """SHA-256 of the ledger the segment started from (b"" at genesis)."""
    start_tip: bytes
    """Fingerprint of the log's tip it started from (:func:`tip_fingerprint`)."""
    end_state: bytes
    """SHA-256 of the ledger at its end (b"" unless ``hash_end`` and no divergence)."""
    end_tip: bytes
    run: BlockRun
    """Its blocks' figures, roots and tile hashes."""
    next_stored: int | None
    """For the last segment: the first stored entry after the last block."""
    seconds: float
    """Wall time of the segment, in its process."""
    cpu_seconds: float
    """CPU time of its process (the benchmark's figure on a machine with other work)."""


def tip_fingerprint(tip: Tip) -> bytes:
    """SHA-256 of all that the next block is sealed onto: the height, the previous
    header's hash, the tree (size and unfinished tiles) and every member's holding hash."""
    digest = hashlib.sha256(b"%d %d " % (tip.height, tip.tree.size) + tip.prev_hash)
    for tile in tip.tree.edge_tiles():
        digest.update(len(tile).to_bytes(4, "big") + tile)
    digest.update(tip.holdings.digest())
    for member, record in sorted(tip.holdings.record_hashes.items()):
        digest.update(member.encode() + b"\0" + record)
    return digest.digest()


def run_segment(url: str, key: str, segment: Segment) -> SegmentResult:
    """Replay and check one segment of the log at ``url`` with the verifier ``key``.

    Raises:
        whatever the sequential verify would raise on the segment's blocks, when the
        segment starts at genesis (from a snapshot, any failure is a ``start_problem``).
    """
    began = perf_counter(), process_time()
    with paused_gc(), open_store(url) as store:
        verifier = Verifier.parse(key)
        report = Report()
        opened = open_log(store, verifier, report)
        if isinstance(opened, Divergence):
            return _result(segment, began, BlockRun(), opened)
        run = BlockRun()
        if segment.after == 0:
            start, tip, start_state, start_tip = opened[1], Tip(), b"", b""
            return _replay(store, segment, start, tip, run, verifier, report.origin, began,
                           start_state, start_tip)
        try:
            start, tip, start_state = _snapshot_start(store, verifier, segment)
            start_tip = tip_fingerprint(tip)
        except Exception as error:  # untrusted input: any failure only sets the start aside
            return _result(segment, began, run, None, f"{type(error).__name__}: {error}")
        try:
            return _replay(store, segment, start, tip, run, verifier, report.origin, began,
                           start_state, start_tip)
        except Exception as error:  # a forged start may derail the engine: the seam decides
            return _result(segment, began, run, None,
                           f"replaying from it failed ({type(error).__name__}: {error})",
                           start_state, start_tip)


def _snapshot_start(store: LogStore, verifier: Verifier,
                    segment: Segment) -> tuple[Start, Tip, bytes]:
    """The ledger and tip a segment starts from, read from the snapshot at its start.

    Raises:
        SnapshotError, ValueError: the snapshot is missing, unsigned, unreadable, or names
            another place than the block it is stored for.
    """
    stored = store.snapshot(segment.after)
    block = store.block(segment.after)
    if stored is None or block is None:
        raise ValueError(f"no snapshot or no block {segment.after} any more")
    if stored.tree_size != segment.start or block.header.tree_size != segment.start:
        raise ValueError(f"the snapshot at block {segment.after} is not at its block's end")
    snapshot.check_signature(stored, verifier)
    data = snapshot.state_bytes(stored)
    ledger = snapshot.read(stored, data)
    tree = TileWriter.restore(segment.start, lambda level, index: store.tile(level, index)
                              or b"")
    tip = Tip(segment.after, block.header.hash(), tree, Holdings.of(ledger))
    return Start(ledger, segment.start), tip, hashlib.sha256(data).digest()


def _replay(store: LogStore, segment: Segment, start: Start, tip: Tip, run: BlockRun,
            verifier: Verifier, origin: str, began: tuple[float, float], start_state: bytes,
            start_tip: bytes) -> SegmentResult:
    replay = Replay(start, store.iter_entries(start.tree_size))
    found = run.blocks(store.iter_blocks(after=segment.after, through=segment.through),
                       replay, tip, verifier, origin)
    end_state = end_tip = b""
    if found is None and segment.hash_end:
        end_state = snapshot.state_hash(replay.ledger)
        end_tip = tip_fingerprint(tip)
    next_stored = replay.next_stored() if found is None and segment.through is None else None
    return SegmentResult(segment, found, None, start_state, start_tip, end_state, end_tip, run,
                         next_stored, perf_counter() - began[0], process_time() - began[1])


def _result(segment: Segment, began: tuple[float, float], run: BlockRun,
            divergence: Divergence | None, problem: str | None = None,
            start_state: bytes = b"", start_tip: bytes = b"") -> SegmentResult:
    return SegmentResult(segment, divergence, problem, start_state, start_tip, b"", b"", run,
                         None, perf_counter() - began[0], process_time() - began[1])


# Planning ----------------------------------------------------------------------------


def plan(blocks: Sequence[tuple[int, int]], snapshots: Sequence[tuple[int, int]],
         segments: int) -> list[Segment]:
    """Up to ``segments`` segments of the log whose blocks end at ``blocks`` ((height, tree
    size), in order), cut at stored snapshots ((height, tree size)) that end a block
    before the last, each cut the one nearest an equal share of the entries."""
    if not blocks:
        return [Segment(0, 0, None, False)]
    total = blocks[-1][1]
    usable = [(height, size) for height, size in snapshots
              if 0 < height < len(blocks) and blocks[height - 1] == (height, size)]
    cuts: list[tuple[int, int]] = []
    for part in range(1, segments):
        target = total * part // segments
        candidates = [place for place in usable if not cuts or place[0] > cuts[-1][0]]
        if not candidates:
            break
        best = min(candidates, key=lambda place: (abs(place[1] - target), place[0]))
        if best not in cuts:
            cuts.append(best)
    cuts.sort()
    starts = [(0, 0), *cuts]
    ends: list[int | None] = [height for height, _ in cuts]
    ends.append(None)
    return [Segment(after, size, through, through is not None)
            for (after, size), through in zip(starts, ends, strict=True)]


# Running -----------------------------------------------------------------------------


Runner = Callable[[str, str, Sequence[Segment]], list[SegmentResult]]


def on_processes(jobs: int) -> Runner:
    """Run segments in ``jobs`` local processes."""

    def run(url: str, key: str, segments: Sequence[Segment]) -> list[SegmentResult]:
        if len(segments) == 1:
            return [run_segment(url, key, segments[0])]
        # fork where there is one: a spawned child would import the whole CLI again
        # (seconds); the parent has closed its database connections before this
        method = "fork" if "fork" in get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(max_workers=min(jobs, len(segments)),
                                 mp_context=get_context(method)) as pool:
            futures = [pool.submit(run_segment, url, key, segment) for segment in segments]
            return [future.result() for future in futures]

    return run


def on_dask(address: str) -> Runner:
    """Run segments on the Dask cluster whose scheduler is at ``address``."""

    def run(url: str, key: str, segments: Sequence[Segment]) -> list[SegmentResult]:
        from distributed import Client

        try:
            client = Client(address, timeout="10s", set_as_default=False)  # type: ignore[no-untyped-call]
        except OSError as error:
            raise ConnectionError(
                f"cannot reach the Dask scheduler at {address}: {error}") from None
        with client:
            futures = [client.submit(run_segment, url, key, segment, pure=False)
                       for segment in segments]
            results: list[SegmentResult] = client.gather(futures)  # type: ignore[no-untyped-call]
            return results

    return run


def dask_workers(address: str) -> int:
    """How many workers the Dask cluster at ``address`` has (at least 1)."""
    from distributed import Client

    try:
        client = Client(address, timeout="10s", set_as_default=False)  # type: ignore[no-untyped-call]
    except OSError as error:
        raise ConnectionError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    with client:
        return max(1, len(client.scheduler_info()["workers"]))


def absolute_url(url: str) -> str:
    """``url`` with a relative SQLite path made absolute (workers may run elsewhere)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url[len(prefix):].startswith("/"):
        return prefix + str(Path(url[len(prefix):]).resolve())
    return url


def verify_segments(url: str, trusted: Verifier | None = None,
                    checkpoints: Sequence[str] = (), *, jobs: int = 1,
                    cluster: str | None = None) -> Report:
    """Verify the log at ``url`` as :func:`~profitpool.log.verify.verify_log` does, in
    segments run on ``jobs`` local processes or on the Dask cluster at ``cluster``.

    Same verdict, same first divergence as the sequential verify (module docstring).
    """
    url = absolute_url(url)
    report = Report()
    with open_store(url) as store:
        opened = open_log(store, trusted, report)
        if isinstance(opened, Divergence):
            report.divergence = opened
            return report
        verifier = opened[0]
        blocks = [(block.header.height, block.header.tree_size) for block in store.iter_blocks()]
        workers = jobs if cluster is None or jobs > 1 else dask_workers(cluster)
        segments = plan(blocks, store.snapshot_places(), workers)
        if len(segments) == 1 and cluster is None:
            report = verify_log(store, trusted, checkpoints)
            if workers > 1:
                report.notes.append("no stored snapshot starts a segment: verified in one "
                                    "process")
            return report
    # the store is closed while the workers run: a forked one inherits no connection
    runner = on_dask(cluster) if cluster is not None else on_processes(jobs)
    results = runner(url, verifier.key_string(), segments)
    where = (f"on the Dask cluster at {cluster}" if cluster
             else f"on {min(jobs, len(segments))} processes")
    report.notes.append(f"verified in {len(segments)} segments {where}")
    report.segment_cpu = [result.cpu_seconds for result in results]
    found, last = _join(url, verifier.key_string(), results, report)
    if found is not None:
        report.divergence = found
        return report
    assert last is not None
    with open_store(url) as store:
        end = LogEnd(store, last.next_stored, _merged_tiles(results), _merged_roots(results),
                     report.entries, verifier, report.origin, checkpoints)
        report.divergence = first_divergence(LOG_CHECKS, end)
    return report


def _join(url: str, key: str, results: list[SegmentResult],
          report: Report) -> tuple[Divergence | None, SegmentResult | None]:
    """Walk the segments in log order, checking each seam; the first divergence, or the
    last segment's result. A seam that does not check out is replayed again here, from
    the start of the segment before it (a checked start), through the segment after it."""
    current = results[0]
    accepted: list[SegmentResult] = []
    position = 0
    while True:
        if current.start_problem is not None:  # replaying from a checked start failed:
            return _sequential_problem(current), None  # as the sequential verify would
        if current.divergence is not None:
            return current.divergence, None
        following = results[position + 1] if position + 1 < len(results) else None
        if following is None:
            accepted.append(current)
            break
        problem = _seam(current, following)
        if problem is None:
            accepted.append(current)
            current = following
        else:
            report.notes.append(f"the snapshot at block {following.segment.after} {problem}; "
                                "set aside: its segment was replayed again from the one "
                                "before it")
            merged = Segment(current.segment.after, current.segment.start,
                             following.segment.through, following.segment.hash_end)
            current = run_segment(url, key, merged)
        position += 1
    for result in accepted:
        result.run.into(report)
    results[:] = accepted
    return None, accepted[-1]


def _sequential_problem(result: SegmentResult) -> Divergence:
    """A segment that started from a checked snapshot and still failed to replay: the
    engine failed where the sequential verify would fail too."""
    raise RuntimeError(f"replaying the log failed after block {result.segment.after}: "
                       f"{result.start_problem}")


def _seam(before: SegmentResult, after: SegmentResult) -> str | None:
    """Why ``after`` did not start where ``before`` ended (None: it did, in full)."""
    if after.start_problem is not None:
        return f"could not be used ({after.start_problem})"
    if before.end_state != after.start_state:
        return "does not hold the ledger the replay reaches there"
    if before.end_tip != after.start_tip:
        return "does not start from the log's tip the replay reaches there"
    return None


def _merged_tiles(results: list[SegmentResult]) -> dict[tuple[int, int], bytes]:
    merged: dict[tuple[int, int], bytes] = {}
    for result in results:
        merged.update(result.run.tile_hashes)
    return merged


def _merged_roots(results: list[SegmentResult]) -> dict[int, bytes]:
    merged: dict[int, bytes] = {}
    for result in results:
        merged.update(result.run.roots)
    return merged
