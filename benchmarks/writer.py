"""How fast ``profitpool apply`` writes, beside what it cannot beat, in one run.

Run ``python benchmarks/writer.py`` (a realistic 50k-command file, about a
minute on 2 cores) or ``python benchmarks/writer.py --smoke`` (2,000 lines,
seconds: keeps this script from rotting in CI). It prints, and asserts
nothing about speed, on one generated realistic file (profitpool.workload):

1. ``json.loads`` of every line (the standard library's C parser): the
   reference of ``apply`` in memory;
2. the storage limit: the same lines hash-chained (h = SHA-256(h || line)) and
   inserted 1,000 per durable transaction into SQLite (WAL, synchronous=FULL,
   as profitpool connects), no engine: the reference of ``apply --db``;
3. ``profitpool apply FILE --json`` in memory, as a subprocess (start-up,
   output and exit included), and its ratio to 1;
4. ``profitpool apply FILE --db sqlite:///… --json``, as a subprocess, into a
   log made by ``profitpool init`` (untimed), and its ratio to 2;
5. ``profitpool --help``, as a subprocess (the start-up every command pays);
6. the storage limit of the log's own bytes: the entries 4 wrote (each command
   with its effects, canonical JSON: several times the size of its input line)
   stored as 2 stores the input lines. What 4 costs beyond 6 is the writer's
   own work; 6 over 2 is what the entry format costs the database.

``--profile`` runs ``apply --db`` in process under cProfile instead and prints
where each line's time goes (docs/performance.md publishes that table).

Targets (issue "Performance and scale"): 3 within 8x of 1, 4 within 8x of 2,
5 under 0.25 s. Each timed figure is the best of ``--repeat`` runs (default
3), so other work on the machine disturbs the ratios less. Generating the file
and ``init`` are never timed. All files live in one temporary directory,
deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

from common import cpu_model
from log import bench_limit, sqlite_backend, sqlite_path
from profitpool.batch import apply_lines
from profitpool.bootstrap import linked_submit, open_directory, open_writer, prefetched
from profitpool.members.directory import OPERATOR
from profitpool.store.database import connect
from profitpool.workload import realistic, write_lines

FULL = {"lines": 50_000}
SMOKE = {"lines": 2_000}
TARGET_RATIO = 8
TARGET_HELP_S = 0.25


def profitpool(*args: str) -> float:
    """Seconds of wall time for ``python -m profitpool ARGS`` (stops the benchmark on failure)."""
    start = perf_counter()
    done = subprocess.run([sys.executable, "-m", "profitpool", *args],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"profitpool {' '.join(args)} failed ({done.returncode}):\n"
                 f"{done.stderr.decode(errors='replace')}")
    return seconds


def best(repeat: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(repeat))


def loads_lines(path: Path) -> float:
    loads = json.loads
    with open(path, "rb") as file:
        lines = file.readlines()
    start = perf_counter()
    for line in lines:
        loads(line)
    return perf_counter() - start


PROFILED = [
    # (label, file the function is in, function): cumulative times, nested rows indented
    ("parse the JSON line (jsontext.loads)", "profitpool/jsontext.py", "loads"),
    ("member ids to pseudonyms (prefetch, map)", "profitpool/members/directory.py",
     "prefetch_lines"),
    ("", "profitpool/members/directory.py", "map_command"),
    ("engine: parse_command", "profitpool/engine/commands.py", "parse_command"),
    ("engine: execute", "profitpool/engine/transition.py", "execute"),
    ("entry bytes (canonical encoding)", "profitpool/chain/canonical.py", "entry_bytes"),
    ("touched members (for the digest)", "profitpool/chain/digest.py", "touched_members"),
    ("seal: leaf hashes, tree, digest", "profitpool/log/seal.py", "seal"),
    ("  of which re-hashing holdings", "profitpool/chain/digest.py", "update"),
    ("sign header and checkpoint", "profitpool/log/keys.py", "sign_block"),
    ("", "profitpool/chain/note.py", "sign_checkpoint"),
    ("entry_parties rows (who each entry concerns)", "profitpool/engine/effects.py", "parties"),
    ("outbox rows (events.domain.block_events)", "profitpool/events/domain.py", "block_events"),
    ("store the block (one transaction)", "profitpool/store/repository.py", "append_block"),
    ("  of which the events (outbox) insert", "profitpool/store/outbox.py", "insert"),
    ("  of which COMMIT (fsync)", "~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    ("pseudonyms back to ids for the output", "profitpool/members/directory.py", "member_ids"),
    ("close: wait for the closing snapshot", "profitpool/log/writer.py", "close"),
]


def profile(path: Path, directory: Path, lines: int) -> None:
    """``apply --db`` in process under cProfile: where each line's time goes."""
    import cProfile
    import pstats

    backend = sqlite_backend(directory)
    url = backend.fresh("profile")
    key = directory / "profile.key"
    profitpool("init", "--db", url, "--key", str(key))

    def run() -> None:
        writer = open_writer(url, key)
        names = open_directory(writer, key)
        with open(path, "rb") as file:
            apply_lines(prefetched(file, names), writer.ledger, linked_submit(writer, names))
        writer.commit()
        names.member_ids(writer.ledger.members, OPERATOR)
        writer.close()

    profiler = cProfile.Profile()
    start = perf_counter()
    profiler.runcall(run)
    wall = perf_counter() - start
    stats: Any = pstats.Stats(profiler).stats
    cumulative: dict[tuple[str, str], float] = {}
    for (file, _, function), (_, _, _, cum, _) in stats.items():
        for _, suffix, name in PROFILED:
            if function == name and file.endswith(suffix):
                cumulative[suffix, name] = cumulative.get((suffix, name), 0.0) + cum
    print(f"apply --db in process under cProfile: {wall:.2f} s for {lines:,} lines "
          f"(cProfile slows Python code about 2x, C code not: read the shares)")
    print(f"  {'':<46} {'us/line':>8} {'share':>6}")
    label, total = "", 0.0
    for row, suffix, name in PROFILED:
        if row and label:
            print(f"  {label:<46} {1e6 * total / lines:8.1f} {100 * total / wall:5.1f}%")
            total = 0.0
        label = row or label
        total += cumulative.get((suffix, name), 0.0)
    print(f"  {label:<46} {1e6 * total / lines:8.1f} {100 * total / wall:5.1f}%")
    print(f"  {'all of it':<46} {1e6 * wall / lines:8.1f} 100.0%")
    backend.drop(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--lines", type=int, help="lines in the generated file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the best)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true",
                        help="profile apply --db in process instead (cProfile)")
    args = parser.parse_args()
    lines = args.lines or (SMOKE if args.smoke else FULL)["lines"]
    repeat = 1 if args.smoke else max(1, args.repeat)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Python {platform.python_version()} on {platform.platform()}; CPU {cpu_model()} "
          f"x{os.cpu_count()}; load average {load}; SQLite {sqlite3.sqlite_version}")
    total = perf_counter()
    with tempfile.TemporaryDirectory(prefix="profitpool-bench-writer-") as name:
        directory = Path(name)
        path = directory / "commands.jsonl"
        commands, members = realistic(lines, args.seed)
        write_lines(str(path), commands)
        del commands
        print(f"file: {lines:,} lines, {path.stat().st_size / 2**20:.1f} MB, {members:,} "
              f"members; each figure the best of {repeat}")
        if args.profile:
            profile(path, directory, lines)
            return
        backend = sqlite_backend(directory)

        parse = best(repeat, lambda: loads_lines(path))

        def limit() -> float:
            url = backend.fresh("limit")
            engine = connect(url, create=True)
            try:
                return bench_limit(engine, path).seconds
            finally:
                engine.dispose()
                backend.drop(url)

        storage = best(repeat, limit)
        memory = best(repeat, lambda: profitpool("apply", str(path), "--json"))
        key = directory / "operator.key"

        stored = directory / "entries.jsonl"

        def to_log() -> float:
            url = backend.fresh("log")
            profitpool("init", "--db", url, "--key", str(key))
            try:
                seconds = profitpool("apply", str(path), "--db", url, "--key", str(key),
                                     "--json")
                with sqlite3.connect(sqlite_path(url)) as log, open(stored, "wb") as out:
                    for (data,) in log.execute("SELECT data FROM entries ORDER BY idx"):
                        out.write(bytes(data) + b"\n")  # canonical JSON holds no newline
                return seconds
            finally:
                backend.drop(url)
                for made in directory.glob("operator*.key"):
                    made.unlink()

        logged = best(repeat, to_log)

        def entries_limit() -> float:
            url = backend.fresh("entries-limit")
            engine = connect(url, create=True)
            try:
                return bench_limit(engine, stored).seconds
            finally:
                engine.dispose()
                backend.drop(url)

        own_bytes = best(repeat, entries_limit)
        entry_size = stored.stat().st_size / lines
        helped = best(max(3, repeat), lambda: profitpool("--help"))

    def row(label: str, seconds: float, note: str = "") -> None:
        print(f"  {label:<44} {seconds:7.3f} s {1e6 * seconds / lines:8.1f} us/line  {note}")

    print("figures")
    row("[1] json.loads of the lines", parse)
    row("[2] storage limit (SQLite, 1,000 per commit)", storage)
    memory_ratio, log_ratio = memory / parse, logged / storage
    row("[3] apply in memory (subprocess)", memory,
        f"{memory_ratio:.1f}x [1]; target <= {TARGET_RATIO}x: "
        f"{'met' if memory_ratio <= TARGET_RATIO else 'NOT met'}")
    row("[4] apply --db sqlite (subprocess)", logged,
        f"{log_ratio:.1f}x [2]; target <= {TARGET_RATIO}x: "
        f"{'met' if log_ratio <= TARGET_RATIO else 'NOT met'}")
    print(f"  {'[5] profitpool --help':<44} {helped:7.3f} s  target < {TARGET_HELP_S} s: "
          f"{'met' if helped < TARGET_HELP_S else 'NOT met'}")
    row("[6] storage limit of the log's own entries", own_bytes,
        f"the entries apply --db wrote (command + effects, {entry_size:,.0f} bytes a line "
        f"on average), stored as [2]: {own_bytes / storage:.1f}x [2]; [4] is "
        f"{logged / own_bytes:.1f}x it")
    print(f"total {perf_counter() - total:.0f} s")


if __name__ == "__main__":
    main()
