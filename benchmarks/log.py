"""How fast the signed log persists, verifies, restarts and proves, beside the alternatives.

Run ``python benchmarks/log.py`` (full sizes: a 1M-line file and a 10M-entry
log for proofs; 15-20 minutes on 2 cores, about 2 GB of memory, at most about
1 GB of disk at a time: each database is deleted once measured)
or ``python benchmarks/log.py --smoke`` (tiny sizes, seconds: keeps this
script from rotting in CI). PostgreSQL is measured when ``--postgres URL`` or
``$PROFITPOOL_TEST_POSTGRES`` names a server; each log gets a fresh schema
there, dropped once measured. It prints, and asserts nothing about speed, on one
generated realistic file (profitpool.workload):

1. ``apply --db`` into SQLite in blocks of 1,000 entries: lines/s and
   entries/s, as the CLI in a subprocess (``init`` before, untimed) and in
   process (``bootstrap.open_writer`` + ``apply_lines``, the outbox wired as in the CLI);
2. the same into PostgreSQL;
3. the conventional design on the same lines: the same engine computes each
   command, then each accepted command is stored in its own durable
   transaction (INSERT the command and its effects as JSON, UPDATE one
   ``pool`` row), through the database driver directly (its best case);
   ours / conventional is compared on the same lines (target: at least 8x on
   SQLite). At full size only a prefix of the file is run this way;
4. the storage limit: the same lines merely hash-chained (h = SHA-256(h || line))
   and inserted 1,000 per transaction, no engine; ours as a percentage of it;
5. ``verify`` of the SQLite log, in process and as the CLI;
6. restart: ``LogWriter.open`` on that log from its newest snapshot, then
   with the snapshots deleted (a full replay) (target: under 10 s at 1M);
7. inclusion proof latency on a synthetic SQLite log of ``--proof-size``
   entries (made without the engine, unsigned), with a fresh ``LogReader``
   per proof (cold tile cache) and with one long-lived reader (warm)
   (target: under 5 ms).

Generating the file, ``init`` and building the synthetic log are never timed.
All files live in one temporary directory, deleted at the end.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import platform
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from random import Random
from time import perf_counter
from typing import Any

import orjson
import psycopg
from sqlalchemy import Engine, delete

from common import GcWatch, cpu_model
from profitpool.batch import apply_lines
from profitpool.bootstrap import open_writer
from profitpool.chain.block import GENESIS_HASH, BlockHeader
from profitpool.chain.canonical import effect_json
from profitpool.chain.merkle import leaf_hash, verify_inclusion
from profitpool.chain.tiles import TileWriter
from profitpool.engine import Ledger, apply
from profitpool.errors import Rejected
from profitpool.log.reader import LogReader
from profitpool.log.verify import verify_log
from profitpool.log.writer import LogWriter
from profitpool.store.database import connect, migrate
from profitpool.store.repository import LogStore, StoredBlock
from profitpool.store.schema import snapshots
from profitpool.workload import realistic, write_lines

FULL = {"lines": 1_000_000, "proof_size": 10_000_000, "conventional": 100_000, "proofs": 200}
SMOKE = {"lines": 3_000, "proof_size": 50_000, "conventional": 3_000, "proofs": 50}
BLOCK_SIZE = 1_000
PROOF_BLOCK = 100_000
PROOF_BYTES_PER_ENTRY = 70  # measured: 15-byte entry + its row, 32-byte leaf hash in a tile
POSTGRES_ENV = "PROFITPOOL_TEST_POSTGRES"
SYNTHETIC_START_US = 1_767_196_800_000_000  # 2026-01-01T00:00:00+08:00
TARGET_RATIO = 8
TARGET_APPLY = {"SQLite": 30_000, "PostgreSQL": 15_000}  # commands/s, blocks of 1,000
TARGET_VERIFY = 50_000  # entries/s
TARGET_RESTART_S = 10
TARGET_PROOF_MS = 5


# machine and output ---------------------------------------------------------------


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def mb(size: int) -> str:
    return f"{size / 2**20:,.1f} MB"


def file_size(path: Path) -> int:
    """A SQLite database's bytes, with its WAL if one is left."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


@dataclass
class Summary:
    """The figures of the final block, each beside its target."""

    rows: list[str] = field(default_factory=list)

    def add(self, label: str, figure: str, target: str = "") -> None:
        self.rows.append(f"  {label}: {figure}" + (f"   [{target}]" if target else ""))


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


# databases ------------------------------------------------------------------------


def with_schema(url: str, schema: str) -> str:
    """``url`` with every unqualified table name resolved in ``schema``."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


class Postgres:
    """Fresh schemas on one server, all dropped by :meth:`close`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.schemas: list[str] = []
        self.admin = psycopg.connect(url, autocommit=True)
        self.version = str(self.admin.execute("SHOW server_version").fetchone()[0])

    def fresh(self) -> str:
        schema = f"bench_{secrets.token_hex(6)}"
        self.admin.execute(f"CREATE SCHEMA {schema}")
        self.schemas.append(schema)
        return with_schema(self.url, schema)

    def size(self, url: str) -> int:
        schema = url.rsplit("%3D", 1)[1]
        row = self.admin.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'", (schema,)).fetchone()
        return int(row[0]) if row else 0

    def drop(self, url: str) -> None:
        schema = url.rsplit("%3D", 1)[1]
        self.admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.schemas.remove(schema)

    def close(self) -> None:
        for schema in self.schemas:
            self.admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.admin.close()


@dataclass
class Backend:
    """Where the logs of one database system go."""

    name: str
    fresh: Callable[[str], str]
    """A new, empty database URL, given a short name for it."""
    size: Callable[[str], int]
    drop: Callable[[str], None]
    """Delete a database once measured (they add up to gigabytes at full size)."""


def sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite:///"):])


def sqlite_backend(directory: Path) -> Backend:
    def fresh(name: str) -> str:
        return f"sqlite:///{directory / name}.db"

    def drop(url: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path(url)}{suffix}").unlink(missing_ok=True)

    return Backend("SQLite", fresh, lambda url: file_size(sqlite_path(url)), drop)


def postgres_backend(server: Postgres) -> Backend:
    return Backend("PostgreSQL", lambda _name: server.fresh(), server.size, server.drop)


def placeholder(engine: Engine) -> str:
    return "?" if engine.dialect.name == "sqlite" else "%s"


# the CLI --------------------------------------------------------------------------


def cli(*args: str) -> str:
    """Run ``profitpool ARGS`` in a subprocess; its stdout (stops the benchmark on failure)."""
    done = subprocess.run([sys.executable, "-m", "profitpool.cli", *args],
                          capture_output=True, check=False)
    if done.returncode != 0:
        sys.exit(f"profitpool {' '.join(args)} failed ({done.returncode}):\n"
                 f"{done.stderr.decode(errors='replace')}")
    return done.stdout.decode()


def init(url: str, key: Path) -> None:
    cli("init", "--db", url, "--key", str(key))


def log_size(url: str) -> tuple[int, int]:
    """(entries, blocks) of the log at ``url``."""
    engine = connect(url)
    try:
        last = LogStore(engine).last_block()
    finally:
        engine.dispose()
    return (0, 0) if last is None else (last.header.tree_size, last.header.height)


# 1, 2: apply --db -----------------------------------------------------------------


@dataclass
class Run:
    lines: int
    entries: int
    seconds: float
    prefix_seconds: float = 0.0
    """In process only: time until the first ``--conventional`` lines were applied
    (their last block, up to 999 entries, not yet committed)."""
    note: str = ""

    def show(self) -> str:
        return (f"{self.seconds:.2f} s = {per_second(self.lines, self.seconds):,.0f} lines/s, "
                f"{per_second(self.entries, self.seconds):,.0f} entries/s"
                + (f" ({self.note})" if self.note else ""))


def marked(lines: Iterable[bytes], mark: int, times: list[float]) -> Iterator[bytes]:
    """The lines; records the time once line ``mark`` has been consumed."""
    for number, line in enumerate(lines, 1):
        yield line
        if number == mark:
            times.append(perf_counter())


def apply_cli(path: Path, url: str, key: Path, lines: int) -> Run:
    init(url, key)
    start = perf_counter()
    cli("apply", str(path), "--db", url, "--key", str(key), "--json")
    seconds = perf_counter() - start
    return Run(lines, log_size(url)[0], seconds)


def apply_in_process(path: Path, url: str, key: Path, prefix: int) -> Run:
    init(url, key)
    times: list[float] = []
    with open(path, "rb") as file, GcWatch() as collector:
        start = perf_counter()
        writer = open_writer(url, key, block_size=BLOCK_SIZE)
        result = apply_lines(marked(file, prefix, times), writer.ledger, writer.submit)
        applied = perf_counter()
        writer.close()
        seconds = perf_counter() - start
    note = f"close, with its snapshot: {start + seconds - applied:.2f} s; {collector}"
    run = Run(result.lines, writer.size, seconds, (times[0] if times else perf_counter()) - start,
              note)
    del writer, result
    gc.collect()
    return run


def apply_in_memory(path: Path) -> Run:
    with open(path, "rb") as file:
        start = perf_counter()
        result = apply_lines(file)
        seconds = perf_counter() - start
    run = Run(result.lines, result.accepted - result.replays, seconds)
    del result
    gc.collect()
    return run


def bench_apply(number: int, backend: Backend, path: Path, directory: Path, lines: int,
                prefix: int) -> tuple[Run, str]:
    """Both runs into fresh databases; the in-process run and its database URL."""
    print(f"[{number}] apply --db into {backend.name}, blocks of {BLOCK_SIZE:,}")
    if number == 1:
        print(f"  for reference, no log (apply_lines in memory):       "
              f"{apply_in_memory(path).show()}")
    url = backend.fresh(f"cli-{number}")
    run = apply_cli(path, url, directory / f"cli-{number}.key", lines)
    backend.drop(url)
    print(f"  CLI subprocess (start-up and --json output included): {run.show()}")
    url = backend.fresh(f"log-{number}")
    inner = apply_in_process(path, url, directory / f"log-{number}.key", prefix)
    entries, blocks = log_size(url)
    print(f"  in process (open_writer + apply_lines):               {inner.show()}")
    print(f"  log: {entries:,} entries in {blocks:,} blocks, {mb(backend.size(url))}")
    return inner, url


# 3: the conventional design -------------------------------------------------------


def bench_conventional(engine: Engine, path: Path, count: int) -> Run:
    """Engine per command, then one durable transaction per accepted command."""
    p = placeholder(engine)
    sqlite = engine.dialect.name == "sqlite"
    connection = engine.raw_connection()
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE commands (id INTEGER PRIMARY KEY, command TEXT NOT NULL, "
                   "effects TEXT NOT NULL)" if sqlite else
                   "CREATE TABLE commands (id BIGINT PRIMARY KEY, command TEXT NOT NULL, "
                   "effects TEXT NOT NULL)")
    # total_shares (units of 1e-24 share) outgrows 64 bits: text in SQLite, NUMERIC in PG.
    cursor.execute("CREATE TABLE pool (id INTEGER PRIMARY KEY, pool BIGINT NOT NULL, "
                   f"total_shares {'TEXT' if sqlite else 'NUMERIC(60)'} NOT NULL)")
    cursor.execute(f"INSERT INTO pool VALUES (1, 0, {p})", ("0",) if sqlite else (0,))
    connection.commit()
    insert = f"INSERT INTO commands VALUES ({p}, {p}, {p})"
    update = f"UPDATE pool SET pool = {p}, total_shares = {p} WHERE id = 1"
    ledger = Ledger()
    loads = orjson.loads
    seen = accepted = 0
    gc.collect()
    gc.disable()  # as apply_lines does: the engine makes no cyclic garbage
    try:
        with open(path, "rb") as file:
            start = perf_counter()
            for line in islice(file, count):
                seen += 1
                try:
                    applied = apply(ledger, loads(line))
                except (ValueError, Rejected):
                    continue
                if applied.replay:
                    continue
                accepted += 1
                effects = orjson.dumps([effect_json(effect) for effect in applied.effects])
                shares = str(ledger.total_shares) if sqlite else ledger.total_shares
                cursor.execute(insert, (accepted, line.rstrip(b"\n").decode(), effects.decode()))
                cursor.execute(update, (ledger.pool, shares))
                connection.commit()
            seconds = perf_counter() - start
    finally:
        gc.enable()
        connection.close()
    return Run(seen, accepted, seconds)


# 4: the storage limit -------------------------------------------------------------


def bench_limit(engine: Engine, path: Path) -> Run:
    """The lines hash-chained and inserted a block per transaction: no engine, no Merkle tree."""
    p = placeholder(engine)
    key = "INTEGER" if engine.dialect.name == "sqlite" else "BIGINT"
    blob = "BLOB" if engine.dialect.name == "sqlite" else "BYTEA"
    connection = engine.raw_connection()
    cursor = connection.cursor()
    cursor.execute(f"CREATE TABLE chain (idx {key} PRIMARY KEY, data {blob} NOT NULL, "
                   f"hash {blob} NOT NULL)")
    connection.commit()
    insert = f"INSERT INTO chain VALUES ({p}, {p}, {p})"
    sha256 = hashlib.sha256
    chain = GENESIS_HASH
    count = 0
    try:
        with open(path, "rb") as file:
            start = perf_counter()
            while True:
                rows = []
                for line in islice(file, BLOCK_SIZE):
                    data = line.rstrip(b"\n")
                    chain = sha256(chain + data).digest()
                    rows.append((count, data, chain))
                    count += 1
                if not rows:
                    break
                cursor.executemany(insert, rows)
                connection.commit()
            seconds = perf_counter() - start
    finally:
        connection.close()
    return Run(count, count, seconds)


def bench_conventional_section(backends: list[tuple[Backend, Run]], path: Path, prefix: int,
                               summary: Summary) -> None:
    for backend, ours in backends:
        url = backend.fresh("conventional")
        engine = connect(url, create=True)  # profitpool's settings: WAL, synchronous=FULL
        try:
            conventional = bench_conventional(engine, path, prefix)
        finally:
            engine.dispose()
            backend.drop(url)
        rate = per_second(conventional.lines, conventional.seconds)
        # On the whole file, ours includes closing the writer (last block, snapshot).
        whole = conventional.lines >= ours.lines
        ours_rate = per_second(conventional.lines,
                               ours.seconds if whole else ours.prefix_seconds)
        ratio = ours_rate / rate
        part = "the whole file" if whole else (
            f"the first {conventional.lines:,} lines only (a prefix, to keep the run short)")
        print(f"[3] conventional design on {backend.name}: {part}")
        print(f"  {conventional.seconds:.2f} s = {rate:,.0f} commands/s "
              f"({per_second(conventional.entries, conventional.seconds):,.0f} accepted/s, "
              f"one transaction each: {conventional.entries:,})")
        closing = ", closing the writer included" if whole else ""
        print(f"  ours in process on the same lines{closing}: {ours_rate:,.0f} commands/s = "
              f"{ratio:.1f}x the conventional design")
        target = "no target"
        if backend.name == "SQLite":
            target = f"target >= {TARGET_RATIO}x: {verdict(ratio >= TARGET_RATIO)}"
        summary.add(f"ours / conventional, {backend.name}",
                    f"{ratio:.1f}x ({ours_rate:,.0f} vs {rate:,.0f} commands/s)", target)


def bench_limit_section(backends: list[tuple[Backend, Run]], path: Path,
                        summary: Summary) -> None:
    for backend, ours in backends:
        url = backend.fresh("limit")
        engine = connect(url, create=True)
        try:
            limit = bench_limit(engine, path)
        finally:
            engine.dispose()
            backend.drop(url)
        rate = per_second(limit.lines, limit.seconds)
        ours_rate = per_second(ours.lines, ours.seconds)
        print(f"[4] storage limit on {backend.name}: {limit.lines:,} lines hash-chained, "
              f"{BLOCK_SIZE:,} per transaction, no engine")
        print(f"  {limit.seconds:.2f} s = {rate:,.0f} lines/s; ours in process: "
              f"{ours_rate:,.0f} lines/s = {100 * ours_rate / rate:.1f}% of it")
        summary.add(f"ours as % of the storage limit, {backend.name}",
                    f"{100 * ours_rate / rate:.1f}% ({ours_rate:,.0f} of {rate:,.0f} lines/s)",
                    "no target")


# 5, 6: verify and restart ---------------------------------------------------------


def bench_verify(url: str, summary: Summary) -> None:
    print("[5] verify the SQLite log (replay with the engine, every byte checked)")
    engine = connect(url)
    try:
        with GcWatch() as collector:
            start = perf_counter()
            report = verify_log(LogStore(engine))
            seconds = perf_counter() - start
    finally:
        engine.dispose()
    state = "ok" if report.ok else f"DIVERGENCE: {report.divergence}"
    rate = per_second(report.entries, seconds)
    print(f"  in process (verify_log): {seconds:.2f} s = {rate:,.0f} entries/s "
          f"({report.entries:,} entries, {report.blocks:,} blocks, {state}; {collector})")
    del report
    gc.collect()
    start = perf_counter()
    line = cli("verify", "--db", url).strip()
    print(f"  CLI subprocess: {perf_counter() - start:.2f} s wall; it printed:\n    {line}")
    summary.add("verify (in process)", f"{rate:,.0f} entries/s",
                f"target >= {TARGET_VERIFY:,} entries/s: {verdict(rate >= TARGET_VERIFY)}")


def time_open(url: str, key: Path) -> tuple[float, int, GcWatch]:
    with GcWatch() as collector:
        start = perf_counter()
        writer = LogWriter.open(url, key, block_size=BLOCK_SIZE)
        seconds = perf_counter() - start
    size = writer.size
    writer.store.engine.dispose()  # not close(): that may store a snapshot
    del writer
    gc.collect()
    return seconds, size, collector


def bench_restart(url: str, key: Path, summary: Summary) -> None:
    engine = connect(url)
    try:
        stored = LogStore(engine).latest_snapshot()
    finally:
        engine.dispose()
    seconds, size, collector = time_open(url, key)
    print(f"[6] restart: LogWriter.open on the SQLite log of {size:,} entries")
    if stored is None:
        print(f"  no snapshot stored (the writer leaves one at close after 10,000 entries): "
              f"{seconds:.2f} s, a full replay ({collector})")
    else:
        print(f"  from the snapshot at {stored.tree_size:,} entries ({mb(len(stored.data))}) "
              f"+ {size - stored.tree_size:,} entries replayed: {seconds:.2f} s ({collector})")
    label = "restart, no snapshot stored" if stored is None else "restart from the newest snapshot"
    summary.add(label, f"{seconds:.2f} s at {size:,} entries",
                f"target < {TARGET_RESTART_S} s: {verdict(seconds < TARGET_RESTART_S)}")
    engine = connect(url)
    try:
        with engine.begin() as connection:
            connection.execute(delete(snapshots))
    finally:
        engine.dispose()
    replay, _, collector = time_open(url, key)
    print(f"  snapshots deleted, full replay of {size:,} entries: {replay:.2f} s "
          f"= {per_second(size, replay):,.0f} entries/s ({collector})")
    summary.add("restart, full replay (no snapshot)", f"{replay:.2f} s", "for comparison")


# 7: proofs ------------------------------------------------------------------------


def build_proof_log(url: str, size: int) -> tuple[LogStore, bytes]:
    """A log of ``size`` tiny synthetic entries; its store and root. Headers are
    well formed but unsigned and carry a zero state digest: nothing verifies this log."""
    engine = connect(url, create=True)
    migrate(engine)
    store = LogStore(engine)
    tiles = TileWriter()
    prev_hash = GENESIS_HASH
    for height, first in enumerate(range(0, size, PROOF_BLOCK), 1):
        data = [b"leaf %010d" % index for index in range(first, min(size, first + PROOF_BLOCK))]
        tiles.extend(leaf_hash(item) for item in data)
        header = BlockHeader(
            height=height, prev_hash=prev_hash, time=SYNTHETIC_START_US + first,
            first_index=first, count=len(data), tree_size=tiles.size, root=tiles.root(),
            state_digest=bytes(32),
        )
        store.append_block(StoredBlock(header, b"", ""), data, tiles.take_dirty())
        prev_hash = header.hash()
    return store, tiles.root()


def latency(label: str, times: list[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in times)
    median, p99 = statistics.median(ms), statistics.quantiles(ms, n=100, method="inclusive")[98]
    print(f"  {label}: median {median:.2f} ms, p99 {p99:.2f} ms, max {ms[-1]:.2f} ms")
    return median, p99


def bench_proofs(directory: Path, size: int, count: int, seed: int, summary: Summary) -> None:
    path = directory / "proofs.db"
    print(f"[7] inclusion proofs on a synthetic SQLite log of {size:,} entries "
          f"(15-byte entries, blocks of {PROOF_BLOCK:,}; no engine, unsigned, never verified)")
    needed, free = size * PROOF_BYTES_PER_ENTRY, shutil.disk_usage(directory).free
    print(f"  needs about {mb(needed)} of disk; {mb(free)} free in {directory}")
    if free < 2 * needed:
        print("  skipped: not enough free disk")
        summary.add(f"proof latency at {size:,} entries", "skipped (disk)", "")
        return
    start = perf_counter()
    store, root = build_proof_log(f"sqlite:///{path}", size)
    built = perf_counter() - start
    print(f"  built in {built:.1f} s (untimed below) = {per_second(size, built):,.0f} entries/s; "
          f"{mb(file_size(path))} on disk")
    rng = Random(seed)
    indices = [rng.randrange(size) for _ in range(count)]
    proofs: list[dict[str, Any]] = []
    cold = []
    for index in indices:
        begin = perf_counter()
        proofs.append(LogReader(store).inclusion(index))
        cold.append(perf_counter() - begin)
    reader = LogReader(store)
    for _ in range(count):  # a server that has been answering for a while
        reader.inclusion(rng.randrange(size))
    warm = []
    for index in indices:
        begin = perf_counter()
        reader.inclusion(index)
        warm.append(perf_counter() - begin)
    good = sum(
        verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["index"], proof["tree_size"],
                         [bytes.fromhex(node) for node in proof["proof"]], root)
        for proof in proofs
    )
    print(f"  {good:,} of {count:,} proofs verify against the root computed while building")
    cold_median, cold_p99 = latency(
        f"cold (a fresh LogReader per proof: no tile cached; SQLite's page cache and the OS's "
        f"are not emptied), {count} random entries", cold)
    warm_median, warm_p99 = latency(f"warm (one LogReader, {count} proofs served before)", warm)
    store.engine.dispose()
    target = f"target < {TARGET_PROOF_MS} ms"
    summary.add(f"proof latency at {size:,} entries, cold",
                f"median {cold_median:.2f} ms, p99 {cold_p99:.2f} ms",
                f"{target}: {verdict(cold_p99 < TARGET_PROOF_MS)}")
    summary.add(f"proof latency at {size:,} entries, warm",
                f"median {warm_median:.2f} ms, p99 {warm_p99:.2f} ms",
                f"{target}: {verdict(warm_p99 < TARGET_PROOF_MS)}")


# main -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--lines", type=int, help="lines in the generated file")
    parser.add_argument("--proof-size", type=int, help="entries in the synthetic proof log")
    parser.add_argument("--conventional", type=int,
                        help="lines run through the conventional design (default: the "
                        "file, at most 100,000)")
    parser.add_argument("--restart-only", action="store_true",
                        help="only what section 6 needs: the SQLite log (section 1, timed "
                        "as ever) and its restarts")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get(POSTGRES_ENV),
                        help=f"a PostgreSQL server (default ${POSTGRES_ENV})")
    args = parser.parse_args()
    sizes = dict(SMOKE if args.smoke else FULL)
    if args.lines is not None:
        sizes["lines"] = args.lines
    if args.proof_size is not None:
        sizes["proof_size"] = args.proof_size
    sizes["conventional"] = min(sizes["lines"], args.conventional or sizes["conventional"])

    server = None
    if args.postgres and not args.restart_only:
        server = Postgres(args.postgres)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on "
          f"{platform.platform()}; CPU {cpu_model()} x{os.cpu_count()}; load average {load}")
    print(f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=FULL); PostgreSQL "
          + (f"{server.version} at {args.postgres}" if server else
             f"skipped: no --postgres URL and ${POSTGRES_ENV} is not set"))
    print(f"sizes: {sizes}" + (" (smoke)" if args.smoke else ""))
    total = perf_counter()
    summary = Summary()
    try:
        with tempfile.TemporaryDirectory(prefix="profitpool-bench-log-") as name:
            directory = Path(name)
            path = directory / "commands.jsonl"
            commands, members = realistic(sizes["lines"], args.seed)
            write_lines(str(path), commands)
            del commands
            gc.collect()
            print(f"file: {sizes['lines']:,} lines, {mb(path.stat().st_size)}, {members:,} "
                  f"members (generated untimed, in {directory})")
            backends = [sqlite_backend(directory)]
            if server is not None:
                backends.append(postgres_backend(server))
            runs = []
            sqlite_url = ""
            for number, backend in enumerate(backends, 1):
                ours, url = bench_apply(number, backend, path, directory, sizes["lines"],
                                        sizes["conventional"])
                rate = per_second(ours.lines, ours.seconds)
                wanted = TARGET_APPLY[backend.name]
                summary.add(f"apply --db {backend.name}, in process",
                            f"{rate:,.0f} lines/s, "
                            f"{per_second(ours.entries, ours.seconds):,.0f} entries/s",
                            f"target >= {wanted:,} commands/s: {verdict(rate >= wanted)}")
                runs.append((backend, ours))
                if number == 1:
                    sqlite_url = url  # kept for sections 5 and 6
                else:
                    backend.drop(url)
            if not args.restart_only:
                bench_conventional_section(runs, path, sizes["conventional"], summary)
                bench_limit_section(runs, path, summary)
                bench_verify(sqlite_url, summary)
            bench_restart(sqlite_url, directory / "log-1.key", summary)
            backends[0].drop(sqlite_url)
            if not args.restart_only:
                bench_proofs(directory, sizes["proof_size"], sizes["proofs"], args.seed,
                             summary)
    finally:
        if server is not None:
            server.close()
    print("summary")
    print("\n".join(summary.rows))
    print(f"total {perf_counter() - total:.0f} s")


if __name__ == "__main__":
    main()
