"""How fast the REST service takes orders and answers reads, over HTTP on loopback.

Run ``python benchmarks/api.py`` (about 1.5 minutes) or ``python benchmarks/api.py
--smoke`` (tiny sizes, seconds: keeps this script from rotting in CI). It starts
``profitpool serve --rate 0`` (no rate limit) in a subprocess on a fresh SQLite
database in a temporary directory, registers merchants, creates their keys and
an auditor key for reads, then prints, and asserts nothing about speed:

1. single orders: ``--clients`` concurrent clients each posting ``POST /v1/orders``
   as fast as the answers come back (closed loop) -> orders/s, p50/p99 latency
   (target: at least 3,000 orders/s); then the same for a shorter time through
   ``httpx.AsyncClient``, to show what the client itself costs;
2. the batch endpoint: a few clients posting ``POST /v1/orders:batch`` with 1,000
   orders each -> orders/s, p50/p99 per batch (target: at least 30,000 orders/s);
3. a fixed offered load: 1,000 orders/s sent on a schedule (open loop: latency is
   measured from the scheduled send time, so a late send counts against the
   service, not for it) (target: p99 under 50 ms) while another task reads
   ``GET /v1/members/{id}`` for random existing members at 100/s (target: p99
   under 20 ms). A service that cannot keep up would make this section last
   until the backlog drains: once 5 s of the offered load is unanswered, no more
   is sent, and it says so.

Orders go to members ``u0`` .. ``u99999`` at random, with amounts from 37.50 to
2,000.00 CNY and 10-40% margins, as exact decimal strings. Each section runs a
short untimed warm-up first.

The client is raw HTTP/1.1 over keep-alive asyncio connections (on uvloop when
installed): httpx's pure-Python HTTP stack costs over ten times the CPU per
request (measured: 1-2 ms against 50-70 us), and the client shares this machine
with the server, so through httpx it would mostly measure itself (section 1
prints both). Since both run on the same cores, each section prints the CPU
time the client process, the server process and every other process used (from
/proc), the server's per order and split by thread (the event loop: HTTP,
routing, validation, JSON; the writer: engine, hashing, signing, SQLite; the
thread pool that runs FastAPI's synchronous dependencies and routes), and how
many blocks the server wrote (``GET /v1/pool`` -> ``block``), i.e. how many
entries each group commit took. At the end the server is stopped with SIGINT
and ``profitpool verify`` checks the log it wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

import orjson

from common import cpu_model

FULL = {"clients": 32, "single_s": 20.0, "httpx_s": 8.0, "batch_clients": 4,
        "batch_size": 1000, "batch_s": 15.0, "rate": 1000, "read_rate": 100, "fixed_s": 30.0,
        "warmup_s": 2.0}
SMOKE = {"clients": 4, "single_s": 1.0, "httpx_s": 0.5, "batch_clients": 2,
         "batch_size": 100, "batch_s": 1.0, "rate": 200, "read_rate": 20, "fixed_s": 1.0,
         "warmup_s": 0.2}
MEMBERS = 100_000
MERCHANTS = 4
HOST = "127.0.0.1"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60
MAX_CONNECTIONS = 256  # per pool: the open-loop section's requests queue for one beyond
BACKLOG_S = 5.0  # the open loop stops offering load once this many seconds of it are unanswered
KEEP_ALIVE_S = 4.0  # uvicorn closes connections idle for 5 s
TARGET_SINGLE = 3_000  # orders/s
TARGET_BATCH = 30_000  # orders/s
TARGET_WRITE_P99_MS = 50  # at 1,000 orders/s
TARGET_READ_P99_MS = 20  # under that write load
TICKS = os.sysconf("SC_CLK_TCK")
HTTP_WORKER = "profitpool-http"  # their name in /proc (service/processes.py)


# output ---------------------------------------------------------------------------


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


@dataclass
class Summary:
    """The figures of the final block, each beside its target."""

    rows: list[str] = field(default_factory=list)
    rates: dict[str, float] = field(default_factory=dict)
    """Orders/s of the single and batch sections (ratios between --workers runs)."""

    def add(self, label: str, figure: str, target: str = "") -> None:
        self.rows.append(f"  {label}: {figure}" + (f"   [{target}]" if target else ""))


@dataclass
class Latency:
    p50: float
    p99: float
    top: float
    """All in milliseconds."""

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        if not seconds:
            return cls(float("nan"), float("nan"), float("nan"))
        ms = sorted(s * 1000 for s in seconds)
        p99 = (statistics.quantiles(ms, n=100, method="inclusive")[98] if len(ms) > 1
               else ms[0])
        return cls(statistics.median(ms), p99, ms[-1])

    def __str__(self) -> str:
        return f"p50 {self.p50:.2f} ms, p99 {self.p99:.2f} ms, max {self.top:.2f} ms"


def statuses_text(statuses: Counter[int]) -> str:
    return ", ".join(f"{count:,} x {status}" for status, count in sorted(statuses.items()))


# CPU time from /proc --------------------------------------------------------------


def _stat(path: str) -> tuple[str, float, int]:
    """(name, user + system CPU seconds, start time in ticks) of a process or thread."""
    with open(path) as file:
        data = file.read()
    name = data[data.index("(") + 1:data.rindex(")")]
    fields = data[data.rindex(")") + 2:].split()  # fields[0] is field 3 (state)
    return name, (int(fields[11]) + int(fields[12])) / TICKS, int(fields[19])


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    with open("/proc/stat") as file:
        values = [int(v) for v in file.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # without guest time, already counted in user
    return (total - idle) / TICKS, total / TICKS


def children(pid: int) -> list[int]:
    """The processes ``pid`` started."""
    found = []
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{tid}/children") as file:
                found += [int(child) for child in file.read().split()]
    return found


@dataclass
class CpuSample:
    at: float
    client: float
    server: dict[int, tuple[str, float, int]]
    machine: tuple[float, float]
    workers: dict[int, float] = field(default_factory=dict)
    """CPU seconds of each HTTP worker process of the server (``--workers N``, N >= 2; its
    other children, the events process, count as other processes)."""

    @classmethod
    def take(cls, pid: int) -> CpuSample:
        threads = {}
        with contextlib.suppress(OSError):
            for tid in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(OSError):
                    threads[int(tid)] = _stat(f"/proc/{pid}/task/{tid}/stat")
        workers = {}
        for child in children(pid):
            with contextlib.suppress(OSError):
                name, cpu, _ = _stat(f"/proc/{child}/stat")
                if name == HTTP_WORKER:
                    workers[child] = cpu
        return cls(perf_counter(), _stat("/proc/self/stat")[1], threads, machine_busy(),
                   workers)


def cpu_lines(pid: int, before: CpuSample, after: CpuSample, orders: int) -> list[str]:
    """Who used the CPU between two samples: client, server (by thread), the rest of the
    machine; and the server's CPU per order accepted."""
    wall = after.at - before.at

    def used(tid: int) -> float:
        return after.server[tid][1] - before.server.get(tid, ("", 0.0, 0))[1]

    # The writer is the first thread the server starts (at startup, before any request);
    # libuv's workers resolve names; every later Python thread is the pool that runs
    # FastAPI's synchronous dependencies and routes.
    others = sorted((start, tid) for tid, (name, _, start) in after.server.items()
                    if tid != pid and name != "libuv-worker")
    writer = others[0][1] if others else None
    pool = [tid for _, tid in others[1:]]
    loop = used(pid) if pid in after.server else 0.0
    write = used(writer) if writer is not None else 0.0
    threads = sum(used(tid) for tid in pool)
    server = sum(used(tid) for tid in after.server)
    http = sum(cpu - before.workers.get(child, 0.0) for child, cpu in after.workers.items())
    server += http
    client = after.client - before.client
    busy = after.machine[0] - before.machine[0]
    total = after.machine[1] - before.machine[1]
    cores = os.cpu_count() or 1
    rest = max(0.0, busy - client - server)

    def share(seconds: float) -> str:
        return f"{seconds:.1f} s = {100 * seconds / wall:.0f}% of a core"

    def us(seconds: float) -> str:
        return f"{1e6 * seconds / orders:,.0f}" if orders else "-"

    lines = [
        f"  CPU over {wall:.1f} s: client {share(client)}; server {share(server)}; other "
        f"processes {share(rest)}; machine {100 * busy / total if total else 0:.0f}% busy "
        f"of {cores} cores",
    ]
    if after.workers:  # serve --workers N: HTTP in the children, the writer in the parent
        writer_process = server - http
        lines.append(f"  server CPU per order accepted: {us(server)} us = HTTP processes "
                     f"{us(http)} ({len(after.workers)}) + writer process "
                     f"{us(writer_process)} (its writer thread {us(write)})")
        return lines
    lines.append(f"  server CPU per order accepted: {us(server)} us = event loop {us(loop)} + "
                 f"writer thread {us(write)} + thread pool {us(threads)} ({len(pool)} threads)")
    return lines


# a small HTTP/1.1 client ----------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = perf_counter()

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(HOST, port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        self.writer.write(head + body if body else head)
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        lower = header.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError(f"no Content-Length in the answer: {header[:200]!r}")
        end = lower.index(b"\r\n", at + 2)
        length = int(lower[at + 17:end])
        data = await self.reader.readexactly(length)
        self.used = perf_counter()
        return status, data

    def close(self) -> None:
        self.writer.close()


class RawPool:
    """Keep-alive connections to the server, opened as needed, with one API key.

    uvicorn closes a connection idle for 5 s: one idle for ``KEEP_ALIVE_S`` is dropped,
    and a request on a reused connection that the server closed is sent once more on a
    new one (safe here: an order's id makes it idempotent, and reads change nothing)."""

    name = "raw asyncio HTTP/1.1"

    def __init__(self, port: int, key: str | None = None, limit: int = MAX_CONNECTIONS) -> None:
        self.port = port
        auth = f"Authorization: Bearer {key}\r\n" if key else ""
        self.headers = f"Host: {HOST}:{port}\r\n{auth}".encode()
        self.idle: list[Connection] = []
        self.slots = asyncio.Semaphore(limit)
        self.opened = 0

    async def _connection(self) -> tuple[Connection, bool]:
        """A connection, and whether it was used before."""
        while self.idle:
            connection = self.idle.pop()
            if perf_counter() - connection.used < KEEP_ALIVE_S:
                return connection, True
            connection.close()
        self.opened += 1
        return await Connection.open(self.port), False

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        head = (f"{method} {path} HTTP/1.1\r\n".encode() + self.headers
                + (b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                   if body else b"\r\n"))
        async with self.slots:
            connection, reused = await self._connection()
            try:
                answer = await connection.request(head, body)
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                connection.close()
                if not reused or getattr(error, "partial", b""):
                    raise
                self.opened += 1
                connection = await Connection.open(self.port)
                answer = await connection.request(head, body)
            except BaseException:
                connection.close()
                raise
            self.idle.append(connection)
            return answer

    async def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


class HttpxPool:
    """The same requests through httpx.AsyncClient (keep-alive, one pool)."""

    name = "httpx.AsyncClient"

    def __init__(self, port: int, key: str, limit: int) -> None:
        import httpx

        self.client = httpx.AsyncClient(
            base_url=f"http://{HOST}:{port}", headers={"Authorization": f"Bearer {key}"},
            limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
            timeout=60.0)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body else None
        answer = await self.client.request(method, path, content=body or None, headers=headers)
        return answer.status_code, answer.content

    async def close(self) -> None:
        await self.client.aclose()


Pool = RawPool | HttpxPool


async def call(pool: Pool, method: str, path: str, body: Any = None,
               expect: int = 200) -> dict[str, Any]:
    """One request whose answer must be ``expect``; its JSON."""
    status, data = await pool.request(method, path,
                                      b"" if body is None else orjson.dumps(body))
    if status != expect:
        sys.exit(f"{method} {path} answered {status}, not {expect}: {data[:500]!r}")
    return orjson.loads(data)  # type: ignore[no-any-return]


# the server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """``profitpool serve`` in a subprocess, on a fresh SQLite log in ``directory``."""

    def __init__(self, directory: Path, extra: list[str]) -> None:
        self.url = f"sqlite:///{directory / 'api.db'}"
        self.key = directory / "operator.key"
        self.port = free_port()
        self.output = directory / "serve.out"
        self.errors = directory / "serve.err"
        self.command = ["serve", "--db", self.url, "--key", str(self.key), "--host", HOST,
                        "--port", str(self.port), "--rate", "0", *extra]
        self.process: subprocess.Popen[bytes] | None = None
        self.admin = ""

    def start(self) -> None:
        with open(self.output, "wb") as out, open(self.errors, "wb") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "profitpool.cli",
                                             *self.command], stdout=out, stderr=err)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def show_errors(self) -> None:
        """The end of what the server wrote to stderr (its JSON logs)."""
        if self.errors.exists():
            print("the server's stderr ends with:", file=sys.stderr)
            print(self.errors.read_text(errors="replace")[-3000:], file=sys.stderr)

    def fail(self, why: str) -> None:
        """Stop the benchmark (main then shows the server's stderr)."""
        sys.exit(f"profitpool {' '.join(self.command)}: {why}")

    async def ready(self) -> float:
        """Wait until the admin key is printed and /v1/pool answers; seconds it took."""
        assert self.process is not None
        start = perf_counter()
        marker = "admin key (shown once, keep it): "
        while perf_counter() - start < START_TIMEOUT_S:
            if self.process.poll() is not None:
                self.fail(f"exited with {self.process.returncode}")
            if not self.admin:
                for line in self.output.read_text(errors="replace").splitlines():
                    if line.startswith(marker):
                        self.admin = line[len(marker):].strip()
            if self.admin:
                pool = RawPool(self.port)
                try:
                    status, _ = await pool.request("GET", "/v1/pool")
                    if status == 200:
                        return perf_counter() - start
                except OSError:
                    pass
                finally:
                    await pool.close()
            await asyncio.sleep(0.05)
        self.fail(f"not ready after {START_TIMEOUT_S} s")
        return 0.0

    def stop(self) -> tuple[float, int | None]:
        """SIGINT, then wait: (seconds it took, exit status)."""
        if self.process is None or self.process.poll() is not None:
            return 0.0, None if self.process is None else self.process.returncode
        start = perf_counter()
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
            print(f"  the server did not stop within {STOP_TIMEOUT_S} s of SIGINT: killed")
        return perf_counter() - start, code


def verify(url: str, *extra: str) -> str:
    done = subprocess.run([sys.executable, "-m", "profitpool.cli", "verify", "--db", url,
                           *extra], capture_output=True, check=False)
    line = done.stdout.decode(errors="replace").strip()
    if done.returncode != 0 or not line.startswith("OK"):
        sys.exit(f"profitpool verify failed ({done.returncode}):\n{line}\n"
                 f"{done.stderr.decode(errors='replace')}")
    return line


class ChainProcess:
    """``profitpool anchor devchain`` in a process of its own (not the client's: py-evm
    holds the GIL while it runs a transaction, which would stall the client's timers)."""

    def __init__(self) -> None:
        port = free_port()
        self.url = f"http://{HOST}:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "profitpool.cli", "anchor", "devchain", "--port", str(port)],
            stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.process.stdout.readline()
        self.key = self.process.stdout.readline().rsplit(": ", 1)[1].strip()

    def close(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(30)


def anchored(server: Server, directory: Path) -> ChainProcess:
    """Start a development chain, deploy the anchor contract for the server's log, and
    add the anchoring flags to its command line; the chain."""
    chain = ChainProcess()
    eth_key = directory / "publisher.eth"
    eth_key.write_text(chain.key)
    eth_key.chmod(0o600)
    for command in (["init", "--db", server.url, "--key", str(server.key)],
                    ["anchor", "deploy", "--db", server.url, "--rpc", chain.url,
                     "--eth-key", str(eth_key)]):
        subprocess.run([sys.executable, "-m", "profitpool.cli", *command], check=True,
                       capture_output=True)
    server.command += ["--anchor-rpc", chain.url, "--anchor-eth-key", str(eth_key),
                       "--anchor-every-blocks", "100", "--anchor-every-minutes", "0.1"]
    print(f"anchoring on: every 100 blocks or 6 s to a development chain (its own process) "
          f"at {chain.url}")
    return chain


# the workload ---------------------------------------------------------------------


def money(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class Orders:
    """Order bodies with ids that never repeat, spread over ``MEMBERS`` members."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0

    def one(self, prefix: str) -> tuple[str, dict[str, str]]:
        rng = self.rng
        self.serial += 1
        member = f"u{rng.randrange(MEMBERS)}"
        amount = rng.randint(3_750, 200_000)
        profit = amount * rng.randint(10, 40) // 100
        return member, {"id": f"{prefix}{self.serial}", "member": member,
                        "amount": money(amount), "profit": money(profit)}

    def single(self, prefix: str) -> tuple[str, bytes]:
        member, order = self.one(prefix)
        return member, orjson.dumps(order)

    def batch(self, prefix: str, size: int) -> tuple[list[str], bytes]:
        pairs = [self.one(prefix) for _ in range(size)]
        return [m for m, _ in pairs], orjson.dumps({"orders": [o for _, o in pairs]})


@dataclass
class Tally:
    """What one section's timed requests did."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    orders: int = 0
    """Orders the server accepted."""
    answered: int = 0
    """Bytes in the answers' bodies."""
    lags: list[float] = field(default_factory=list)
    """Open loop only: how late each request was sent, after its scheduled time."""
    unsent: int = 0
    """Open loop only: requests never sent, the service having fallen behind."""
    halted_after: float = 0.0


Once = Callable[[], Awaitable[tuple[int, int, int]]]
"""One request: (HTTP status, orders accepted, bytes in the answer's body)."""


async def closed_loop(clients: int, warmup: float, duration: float, once: Once, pid: int,
                      ) -> tuple[Tally, CpuSample, CpuSample]:
    """``clients`` tasks each sending as soon as its answer came; only requests started
    after ``warmup`` count. Ends once the requests started before the end are answered."""
    tally = Tally()
    begin = perf_counter()
    window, end = begin + warmup, begin + warmup + duration
    samples: list[CpuSample] = []

    async def worker() -> None:
        while True:
            start = perf_counter()
            if start >= end:
                return
            status, accepted, size = await once()
            if start >= window:
                tally.latencies.append(perf_counter() - start)
                tally.statuses[status] += 1
                tally.orders += accepted
                tally.answered += size

    async def mark() -> None:
        await asyncio.sleep(max(0.0, window - perf_counter()))
        samples.append(CpuSample.take(pid))

    await asyncio.gather(mark(), *(worker() for _ in range(clients)))
    return tally, samples[0], CpuSample.take(pid)


async def open_loop(rate: float, duration: float, once: Once, halt: asyncio.Event) -> Tally:
    """``rate`` requests a second on a fixed schedule, whatever the answers do; each
    latency runs from the scheduled send time. If ``BACKLOG_S`` seconds of requests are
    unanswered, the service has fallen behind: this loop sets ``halt`` and every loop
    sharing it stops sending (``unsent`` counts what was never sent)."""
    tally = Tally()
    count = max(1, round(rate * duration))
    tasks: set[asyncio.Task[None]] = set()

    async def fire(scheduled: float) -> None:
        tally.lags.append(perf_counter() - scheduled)
        status, accepted, size = await once()
        tally.latencies.append(perf_counter() - scheduled)
        tally.statuses[status] += 1
        tally.orders += accepted
        tally.answered += size

    start = perf_counter() + 0.01
    for number in range(count):
        scheduled = start + number / rate
        delay = scheduled - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(tasks) > rate * BACKLOG_S:
            halt.set()
        if halt.is_set():
            tally.unsent = count - number
            tally.halted_after = perf_counter() - start
            break
        task = asyncio.create_task(fire(scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks:
        await asyncio.gather(*list(tasks))
    return tally


# the sections ---------------------------------------------------------------------


@dataclass
class Bench:
    server: Server
    sizes: dict[str, Any]
    summary: Summary
    merchants: list[str]
    merchant_keys: list[str]
    merchant_pools: list[RawPool]
    auditor_key: str
    auditor: RawPool
    orders: Orders
    members: set[str] = field(default_factory=set)
    """Members known to exist (an order of theirs was accepted)."""

    async def head(self) -> tuple[int, int]:
        pool = await call(self.auditor, "GET", "/v1/pool")
        return int(pool["block"]), int(pool["tree_size"])

    async def blocks_line(self, before: tuple[int, int], orders: int) -> str:
        after = await self.head()
        blocks, entries = after[0] - before[0], after[1] - before[1]
        per = f"{entries / blocks:,.1f}" if blocks else "-"
        return (f"  server: {blocks:,} blocks for {entries:,} entries in the section, "
                f"{per} entries per block (group commit); {orders:,} orders accepted in "
                f"the timed part")

    async def singles(self, pools: list[Pool], duration: float) -> tuple[Tally, float, list[str],
                                                                          float]:
        """Section 1's closed loop through ``pools`` (one per merchant key, taken in turn):
        the tally, orders/s, the lines to print and the client's CPU us per request."""
        turn = iter(range(1 << 62))

        async def once() -> tuple[int, int, int]:
            member, body = self.orders.single("s")
            status, data = await pools[next(turn) % len(pools)].request("POST", "/v1/orders",
                                                                         body)
            if status == 201:
                self.members.add(member)
            return status, int(status == 201), len(data)

        before = await self.head()
        tally, first, last = await closed_loop(self.sizes["clients"], self.sizes["warmup_s"],
                                               duration, once, self.server.pid)
        seconds = last.at - first.at
        rate = per_second(tally.orders, seconds)
        requests = len(tally.latencies)
        lines = [f"  {requests:,} requests in {seconds:.1f} s ({statuses_text(tally.statuses)}): "
                 f"{rate:,.0f} orders/s; latency {Latency.of(tally.latencies)}; "
                 f"{tally.answered / max(1, requests):,.0f} bytes per answer",
                 *cpu_lines(self.server.pid, first, last, tally.orders),
                 await self.blocks_line(before, tally.orders)]
        client_us = 1e6 * (last.client - first.client) / max(1, requests)
        return tally, rate, lines, client_us

    async def section_single(self) -> None:
        clients, duration = self.sizes["clients"], self.sizes["single_s"]
        print(f"[1] single orders: {clients} concurrent clients, POST /v1/orders as fast as "
              f"answered, {duration:g} s (after {self.sizes['warmup_s']:g} s of warm-up)")
        tally, rate, lines, raw_us = await self.singles(self.merchant_pools, duration)
        opened = sum(pool.opened for pool in self.merchant_pools)
        print(f"  client: {RawPool.name} (keep-alive; {opened} connections opened)")
        print("\n".join(lines))
        print(f"  client CPU: {raw_us:,.0f} us per request")
        latency = Latency.of(tally.latencies)
        self.summary.rates["single orders"] = rate
        self.summary.add("single orders", f"{rate:,.0f} orders/s, {latency}",
                         f"target >= {TARGET_SINGLE:,} orders/s: {verdict(rate >= TARGET_SINGLE)}")
        try:
            import httpx  # noqa: F401
        except ImportError:
            print("  httpx is not installed: no comparison with httpx.AsyncClient")
            return
        duration = self.sizes["httpx_s"]
        pools = [HttpxPool(self.server.port, key, clients) for key in self.merchant_keys]
        try:
            tally, rate_x, lines, httpx_us = await self.singles(list(pools), duration)
        finally:
            for pool in pools:
                await pool.close()
        print(f"  the same through {HttpxPool.name}, {duration:g} s, for comparison:")
        print("\n".join(lines))
        print(f"  client CPU: {httpx_us:,.0f} us per request = {httpx_us / raw_us:.1f}x the raw "
              f"client's; the figures above are the raw client's")
        self.summary.add("single orders through httpx (comparison)",
                         f"{rate_x:,.0f} orders/s, {Latency.of(tally.latencies)}; client "
                         f"{httpx_us:,.0f} vs {raw_us:,.0f} us CPU per request (raw)")

    async def section_batch(self) -> None:
        clients, size, duration = (self.sizes["batch_clients"], self.sizes["batch_size"],
                                   self.sizes["batch_s"])
        print(f"[2] batch endpoint: {clients} concurrent clients, POST /v1/orders:batch with "
              f"{size:,} orders each, {duration:g} s")
        pools = self.merchant_pools
        turn = iter(range(1 << 62))

        async def once() -> tuple[int, int, int]:
            pool = pools[next(turn) % len(pools)]
            members, body = self.orders.batch("b", size)
            status, data = await pool.request("POST", "/v1/orders:batch", body)
            if status != 200:
                return status, 0, len(data)
            accepted = int(orjson.loads(data)["accepted"])
            if accepted == size:
                self.members.update(members)
            return status, accepted, len(data)

        before = await self.head()
        tally, first, last = await closed_loop(clients, self.sizes["warmup_s"], duration, once,
                                               self.server.pid)
        seconds = last.at - first.at
        rate = per_second(tally.orders, seconds)
        latency = Latency.of(tally.latencies)
        self.summary.rates["batch endpoint"] = rate
        print(f"  {len(tally.latencies):,} batches in {seconds:.1f} s "
              f"({statuses_text(tally.statuses)}): {rate:,.0f} orders/s; latency per batch "
              f"{latency}; {tally.answered / max(1, len(tally.latencies)) / 1e6:,.2f} MB per "
              f"answer")
        print("\n".join(cpu_lines(self.server.pid, first, last, tally.orders)))
        print(await self.blocks_line(before, tally.orders))
        self.summary.add(f"batch endpoint ({size:,} per batch)",
                         f"{rate:,.0f} orders/s, per batch {latency}",
                         f"target >= {TARGET_BATCH:,} orders/s: {verdict(rate >= TARGET_BATCH)}")

    async def section_fixed(self) -> None:
        rate, reads, duration = (self.sizes["rate"], self.sizes["read_rate"],
                                 self.sizes["fixed_s"])
        print(f"[3] fixed load: {rate:,} orders/s offered (open loop, scheduled send times) "
              f"and GET /v1/members/{{id}} at {reads:,}/s for random existing members, "
              f"{duration:g} s")
        if not self.members:
            print("  skipped: no order was accepted, so no member exists to read")
            return
        known = sorted(self.members)
        rng = random.Random(7)
        writers = RawPool(self.server.port, self.merchant_keys[0])
        readers = RawPool(self.server.port, self.auditor_key)

        async def write() -> tuple[int, int, int]:
            _, body = self.orders.single("f")
            status, data = await writers.request("POST", "/v1/orders", body)
            return status, int(status == 201), len(data)

        async def read() -> tuple[int, int, int]:
            status, data = await readers.request("GET", f"/v1/members/{rng.choice(known)}")
            return status, 0, len(data)

        warmup = self.sizes["warmup_s"]
        halt = asyncio.Event()
        await asyncio.gather(open_loop(rate, warmup, write, halt),
                             open_loop(reads, warmup, read, halt))
        before = await self.head()
        first = CpuSample.take(self.server.pid)
        written, answered = await asyncio.gather(open_loop(rate, duration, write, halt),
                                                 open_loop(reads, duration, read, halt))
        last = CpuSample.take(self.server.pid)
        await writers.close()
        await readers.close()
        w, r = Latency.of(written.latencies), Latency.of(answered.latencies)
        lag_w, lag_r = Latency.of(written.lags), Latency.of(answered.lags)
        seconds = last.at - first.at
        behind = halt.is_set()
        if behind:
            print(f"  the service fell behind: {BACKLOG_S:g} s of offered load unanswered "
                  f"after {max(written.halted_after, answered.halted_after):.1f} s (or in the "
                  f"warm-up), so no more was sent: {written.unsent:,} writes and "
                  f"{answered.unsent:,} reads never sent; the figures below are of those sent")
        print(f"  writes: {len(written.latencies):,} ({statuses_text(written.statuses)}) in "
              f"{seconds:.1f} s = {per_second(written.orders, seconds):,.0f} orders/s accepted; "
              f"latency {w}")
        print(f"  reads:  {len(answered.latencies):,} ({statuses_text(answered.statuses)}) of "
              f"{len(known):,} members; latency {r}")
        print(f"  send lag (client scheduling, included above): writes {lag_w}; reads {lag_r}; "
              f"connections opened: {writers.opened} for writes, {readers.opened} for reads "
              f"(at most {MAX_CONNECTIONS} at a time each)")
        print("\n".join(cpu_lines(self.server.pid, first, last, written.orders)))
        print(await self.blocks_line(before, written.orders))
        note = " (fell behind)" if behind else ""
        self.summary.add(f"write latency at {rate:,} orders/s offered", f"{w}{note}",
                         f"target p99 < {TARGET_WRITE_P99_MS} ms: "
                         f"{verdict(w.p99 < TARGET_WRITE_P99_MS and not behind)}")
        self.summary.add(f"read latency at {reads:,}/s under that load", f"{r}{note}",
                         f"target p99 < {TARGET_READ_P99_MS} ms: "
                         f"{verdict(r.p99 < TARGET_READ_P99_MS and not behind)}")


async def bench(server: Server, sizes: dict[str, Any], seed: int, summary: Summary) -> None:
    server.start()
    seconds = await server.ready()
    command = " ".join(server.command).replace(server.url, "<db>")
    print(f"server: pid {server.pid}, ready in {seconds:.1f} s: profitpool {command}"
          .replace(str(server.key.parent), "<tmp>"))
    admin = RawPool(server.port, server.admin)
    merchants = [f"m{i}" for i in range(MERCHANTS)]
    keys = []
    for merchant in merchants:
        await call(admin, "POST", "/v1/merchants",
                   {"id": merchant, "name": f"bench shop {merchant}"}, expect=201)
        keys.append((await call(admin, "POST", "/v1/keys",
                                {"role": "merchant", "party": merchant}, expect=201))["key"])
    auditor_key = (await call(admin, "POST", "/v1/keys", {"role": "auditor"}, expect=201))["key"]
    await admin.close()
    print(f"setup: {len(merchants)} merchants with a key each (clients take them in turn), "
          f"an auditor key for reads; orders to {MEMBERS:,} members u0..u{MEMBERS - 1}")
    state = Bench(server, sizes, summary, merchants, keys,
                  [RawPool(server.port, key) for key in keys], auditor_key,
                  RawPool(server.port, auditor_key), Orders(seed))
    try:
        await state.section_single()
        await state.section_batch()
        await state.section_fixed()
        block, size = await state.head()
        print(f"log: {size:,} entries in {block:,} blocks; {len(state.members):,} members "
              f"known to hold points")
    finally:
        for pool in [*state.merchant_pools, state.auditor]:
            await pool.close()


def event_loop_factory() -> tuple[Callable[[], asyncio.AbstractEventLoop] | None, str]:
    try:
        import uvloop
    except ImportError:
        return None, "asyncio's default event loop"
    return uvloop.new_event_loop, f"uvloop {uvloop.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--clients", type=int, help="concurrent clients in section 1")
    parser.add_argument("--duration", type=float,
                        help="seconds each timed part runs (the httpx comparison: a third)")
    parser.add_argument("--rate", type=int, help="orders/s offered in section 3")
    parser.add_argument("--block-entries", type=int, help="passed to serve")
    parser.add_argument("--block-wait-ms", type=float, help="passed to serve")
    parser.add_argument("--workers", default="1", metavar="N[,N...]",
                        help="passed to serve; several (1,2): the whole benchmark once for "
                        "each, one after the other, and the ratios to the first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--anchor", action="store_true",
                        help="serve with anchoring on: every 100 blocks or 6 s to a "
                        "development chain (eth-tester over HTTP, in a process of its own)")
    args = parser.parse_args()
    sizes = dict(SMOKE if args.smoke else FULL)
    if args.clients is not None:
        sizes["clients"] = args.clients
    if args.duration is not None:
        sizes.update(single_s=args.duration, batch_s=args.duration, fixed_s=args.duration,
                     httpx_s=round(args.duration / 3, 1))
    if args.rate is not None:
        sizes["rate"] = args.rate
    extra = []
    if args.block_entries is not None:
        extra += ["--block-entries", str(args.block_entries)]
    if args.block_wait_ms is not None:
        extra += ["--block-wait-ms", str(args.block_wait_ms)]

    factory, loop_name = event_loop_factory()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on "
          f"{platform.platform()}; CPU {cpu_model()} x{os.cpu_count()}; load average {load}")
    print(f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=FULL); server and client on this "
          f"machine, over loopback; client: {RawPool.name} on {loop_name}")
    print(f"sizes: {sizes}" + (" (smoke)" if args.smoke else ""))
    total = perf_counter()
    counts = [int(n) for n in args.workers.split(",")]
    summaries = []
    for workers in counts:
        summary = Summary()
        summaries.append(summary)
        print(f"== serve --workers {workers}")
        with tempfile.TemporaryDirectory(prefix="profitpool-bench-api-") as name:
            server = Server(Path(name), [*extra, "--workers", str(workers)])
            chain = anchored(server, Path(name)) if args.anchor else None
            try:
                with asyncio.Runner(loop_factory=factory) as runner:
                    runner.run(bench(server, sizes, args.seed, summary))
            except BaseException:
                server.show_errors()
                raise
            finally:
                seconds, code = server.stop()
            print(f"server stopped by SIGINT in {seconds:.1f} s (exit status {code})")
            start = perf_counter()
            line = verify(server.url)
            print(f"profitpool verify --db <db> ({perf_counter() - start:.1f} s):\n  {line}")
            if chain is not None:
                line = verify(server.url, "--rpc", chain.url, "--no-replay")
                print(f"profitpool verify --rpc <chain> --no-replay:\n  {line}")
                chain.close()
    for workers, summary in zip(counts, summaries, strict=True):
        print(f"summary, serve --workers {workers}")
        print("\n".join(summary.rows))
    for workers, summary in zip(counts[1:], summaries[1:], strict=False):
        ratios = "; ".join(
            f"{label} {rate / summaries[0].rates[label]:.2f}x"
            for label, rate in summary.rates.items() if summaries[0].rates.get(label))
        print(f"--workers {workers} against --workers {counts[0]}, same run: {ratios}")
    print(f"total {perf_counter() - total:.0f} s")


if __name__ == "__main__":
    main()
