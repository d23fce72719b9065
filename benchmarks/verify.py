"""How fast ``profitpool verify`` replays a log: per entry beside ``json.loads``; 1 vs N processes.

Run ``python benchmarks/verify.py`` (200,000 realistic lines; a few minutes on
2 cores) or ``python benchmarks/verify.py --smoke`` (3,000 lines, seconds: keeps
this script from rotting in CI). It prints, asserting nothing about speed, on one
generated realistic file (profitpool.workload) written into a SQLite log in
blocks of 1,000 entries with a snapshot every quarter of the file (untimed):

CPU times are printed beside wall times: with other work on the machine the
ratios of CPU times are the figures that mean something.

1. ``json.loads`` (the standard library's, C) of every stored entry (its
   command and effects): the reference per entry, measured in this run; and,
   for comparison, of every input command line (shorter: no effects);
2. ``verify_log`` in this process: seconds, µs per entry and the ratio to
   ``json.loads`` (target: within 8x);
3. ``verify_segments`` with ``--jobs`` processes (default 2), the log cut at
   the snapshot nearest each equal share: seconds, and the speed-up over (2)
   (target: at least 1.7x with 2 processes on 2 cores); process start-up and
   the seam checks (hashing the state at each cut, reading it back) included;
   and, since other work on the machine makes wall time say little, each
   segment process's CPU time beside the single process's;
4. what a seam costs: encoding the ledger at the middle snapshot
   (``snapshot.encode_state``) and reading it back (``decode_state``).

Generating the file, ``init`` and writing the log are never timed. Everything
lives in one temporary directory, deleted at the end.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter, process_time

import orjson

from common import GcWatch, cpu_model
from profitpool.batch import apply_lines
from profitpool.bootstrap import open_writer
from profitpool.log import snapshot
from profitpool.log.segments import verify_segments
from profitpool.log.verify import verify_log
from profitpool.store.repository import open_store
from profitpool.workload import realistic

FULL = 200_000
SMOKE = 3_000
BLOCK_SIZE = 1_000
TARGET_RATIO = 8
TARGET_SPEEDUP = 1.7


def build(directory: Path, lines: int, seed: int) -> tuple[str, list[bytes]]:
    commands, members = realistic(lines, seed)
    command_lines = [orjson.dumps(command) for command in commands]
    url = f"sqlite:///{directory / 'log.db'}"
    key = directory / "log.key"
    subprocess.run([sys.executable, "-m", "profitpool", "init", "--db", url, "--key", str(key)],
                   check=True, capture_output=True)
    writer = open_writer(url, key, block_size=min(BLOCK_SIZE, max(1, lines // 8)),
                         snapshot_every=max(1, lines // 4), fork_snapshots=False)
    apply_lines(command_lines, writer.ledger, writer.submit)
    writer.close()
    with open_store(url) as store:
        places = store.snapshot_places()
    print(f"log: {lines:,} lines, {members:,} members, {writer.size:,} entries; snapshots at "
          + ", ".join(f"{size:,}" for _, size in places) + " entries (built untimed)")
    del writer, commands
    gc.collect()
    return url, command_lines


def bench_json(url: str) -> tuple[tuple[float, float], int]:
    with open_store(url) as store:
        data = [item for _, item in store.iter_entries()]
    return time_loads(data), len(data)


def time_loads(data: list[bytes]) -> tuple[float, float]:
    """Wall and CPU seconds of ``json.loads`` of each item."""
    loads = json.loads
    start, cpu = perf_counter(), process_time()
    for item in data:
        loads(item)
    return perf_counter() - start, process_time() - cpu


def bench_seam(url: str) -> None:
    with open_store(url) as store:
        places = store.snapshot_places()
        middle = places[len(places) // 2 - 1] if len(places) > 1 else places[0]
        stored = store.snapshot(middle[0])
    assert stored is not None
    data = snapshot.state_bytes(stored)
    gc.disable()
    try:
        start = perf_counter()
        ledger = snapshot.decode_state(data)
        read = perf_counter() - start
        start = perf_counter()
        snapshot.state_hash(ledger)
        hashed = perf_counter() - start
    finally:
        gc.enable()
    per = 1e6 / max(1, middle[1])
    print(f"[4] a seam at {middle[1]:,} entries ({len(data) / 2**20:,.1f} MB of state): "
          f"reading it {read:.2f} s ({read * per:.1f} us per entry before it), hashing the "
          f"state replayed there {hashed:.2f} s ({hashed * per:.1f} us per entry before it)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny size, for CI")
    parser.add_argument("--lines", type=int, help=f"lines in the file [default {FULL:,}]")
    parser.add_argument("--jobs", type=int, default=2, help="processes for (3) [default 2]")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    lines = args.lines or (SMOKE if args.smoke else FULL)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Python {platform.python_version()} on {platform.platform()}; CPU {cpu_model()} "
          f"x{os.cpu_count()}; load average {load} (other work running makes ratios of one "
          "run the figures to quote)")
    with tempfile.TemporaryDirectory(prefix="profitpool-bench-verify-") as name:
        url, command_lines = build(Path(name), lines, args.seed)
        (parse, parse_cpu), count = bench_json(url)
        per_json, per_json_cpu = parse / count * 1e6, parse_cpu / count * 1e6
        per_line = time_loads(command_lines)[1] / len(command_lines) * 1e6
        print(f"[1] json.loads of each of the {count:,} stored entries (command and effects): "
              f"{parse:.2f} s = {per_json:.2f} us per entry, CPU {per_json_cpu:.2f} us; of "
              f"each input command line: CPU {per_line:.2f} us")
        with open_store(url) as store, GcWatch() as collector:
            start, cpu = perf_counter(), process_time()
            one = verify_log(store)
            sequential, sequential_cpu = perf_counter() - start, process_time() - cpu
        per_entry = sequential / count * 1e6
        per_entry_cpu = sequential_cpu / count * 1e6
        ratio = per_entry_cpu / per_json_cpu
        verdict = "ok" if one.ok else f"DIVERGENCE {one.divergence}"
        print(f"[2] verify, 1 process: {sequential:.2f} s = {per_entry:.1f} us per entry "
              f"(wall; {per_entry / per_json:.1f}x json.loads); CPU {per_entry_cpu:.1f} us per "
              f"entry = {ratio:.1f}x json.loads   [target within {TARGET_RATIO}x: "
              f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}] ({verdict}; {collector}); "
              f"{per_entry_cpu / per_line:.1f}x json.loads of the command line")
        gc.collect()
        start = perf_counter()
        many = verify_segments(url, jobs=args.jobs)
        parallel = perf_counter() - start
        speedup = sequential / parallel
        same = (many.ok, many.root, many.state_digest) == (one.ok, one.root, one.state_digest)
        print(f"[3] verify --jobs {args.jobs}: {parallel:.2f} s = {speedup:.2f}x one process "
              f"[target >= {TARGET_SPEEDUP}x with 2 on 2 cores: "
              f"{'met' if speedup >= TARGET_SPEEDUP else 'NOT met'}]; same verdict: {same}; "
              + "; ".join(many.notes))
        slowest = max(many.segment_cpu, default=sequential_cpu)
        print(f"    CPU seconds (what other work on the machine changes least): one process "
              f"{sequential_cpu:.2f} s; the segments' processes "
              + ", ".join(f"{cpu:.2f} s" for cpu in many.segment_cpu)
              + f"; one / the slowest segment = {sequential_cpu / slowest:.2f}x, the speed-up "
              "on cores of its own (the set-up in the parent, under a second, aside)")
        bench_seam(url)


if __name__ == "__main__":
    main()
