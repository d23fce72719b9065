"""How much memory each order costs: the engine alone, and ``profitpool serve``.

Run ``python benchmarks/memory.py`` (100k orders a phase, a few minutes) or
``python benchmarks/memory.py --smoke`` (tiny sizes, seconds: keeps this script
from rotting in CI); ``--orders N`` sets the size of a phase. It prints, and
asserts nothing:

1. the engine alone (``Ledger`` + ``apply`` in this process): resident memory
   (RSS, from /proc) and the bytes tracemalloc sees, before and after each of two
   phases of ``--orders`` orders each: in phase A members arrive (30% of the
   orders come from new members, as in ``profitpool.workload.realistic``); in
   phase B the same members keep buying and no new member comes. A ledger that
   keeps only live holdings would grow in A and stay flat in B. Then where the
   bytes are: a walk of the ledger (``sys.getsizeof`` of every object reachable
   from each of its fields, each object counted once, for the first field that
   reaches it, in the order printed), per order;
2. ``profitpool serve`` on a fresh SQLite database (a subprocess, fed over HTTP
   with ``POST /v1/orders:batch`` of 1,000 orders, as benchmarks/api.py does):
   the server's RSS after start-up and after each of the same two phases;
3. where the server's bytes go (skipped with ``--no-breakdown``): a second
   server, run under tracemalloc (which slows it several times), takes phase A
   at a fifth of the size; the memory it holds after the phase, less what it
   held before, grouped by source file and by line, per order.

RSS counts what the process holds from the system: freed memory is not always
given back, so RSS growth is an upper bound of what is kept, and tracemalloc
(Python allocations still alive) a lower bound. Both run the default rules, whose
refund window is 0 days (``settle_days``): every order settles as it is placed,
so every order record kept is one past its refund window.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import signal
import subprocess
import sys
import tempfile
import tracemalloc
from collections import Counter
from pathlib import Path
from random import Random
from time import perf_counter, sleep
from typing import Any

import orjson

from api import HOST, HTTP_WORKER, RawPool, Server, call, children, event_loop_factory, money
from common import cpu_model
from profitpool.engine import Ledger, apply
from profitpool.errors import Rejected
from profitpool.workload import Stream

FULL = {"orders": 100_000, "batch": 1_000, "clients": 2}
SMOKE = {"orders": 2_000, "batch": 200, "clients": 2}
NEW_MEMBERS = 0.3  # share of phase A's orders that come from a new member
MERCHANTS = 4
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss(pid: int | str = "self") -> int:
    """Resident bytes of a process."""
    with open(f"/proc/{pid}/statm") as file:
        return int(file.read().split()[1]) * PAGE


def http_workers(pid: int) -> list[int]:
    """The HTTP worker processes of a server started with ``--workers N`` (N >= 2)."""
    found = []
    for child in children(pid):
        try:
            with open(f"/proc/{child}/comm") as file:
                if file.read().strip() == HTTP_WORKER:
                    found.append(child)
        except OSError:
            pass
    return found


def server_rss(pid: int) -> int:
    """Resident bytes of the server: its process and its HTTP worker processes."""
    return rss(pid) + sum(rss(child) for child in http_workers(pid))


def kb(size: float) -> str:
    return f"{size / 1024:,.2f} KB"


def mb(size: float) -> str:
    return f"{size / 2**20:,.1f} MB"


def growth_line(label: str, before: int, after: int, orders: int) -> str:
    return (f"  {label}: {mb(before)} -> {mb(after)} = +{mb(after - before)}, "
            f"{kb((after - before) / max(1, orders))} per order")


# the engine ----------------------------------------------------------------------


def phase_commands(stream: Stream, rng: Random, count: int, new: float) -> list[dict[str, Any]]:
    """``count`` orders; a share ``new`` of them from new members, the rest from members
    the stream already made."""
    commands = []
    for _ in range(count):
        fresh = stream.members == 0 or rng.random() < new
        commands.append(stream.order(None if fresh else f"u{rng.randrange(stream.members)}"))
    return commands


def run_phase(ledger: Ledger, commands: list[dict[str, Any]]) -> Counter[str]:
    rejected: Counter[str] = Counter()
    for command in commands:
        try:
            apply(ledger, command)
        except Rejected as error:
            rejected[error.code] += 1
    return rejected


def deep_size(root: object, seen: set[int]) -> Counter[str]:
    """Bytes of every object reachable from ``root`` not in ``seen`` (which it fills), by
    type: containers, and objects with ``__slots__`` or ``__dict__``, are followed; types,
    functions and modules are not (they are not the ledger's)."""
    total: Counter[str] = Counter()
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type | type(len) | type(deep_size)
                                         | type(sys)):
            continue
        seen.add(id(item))
        total[type(item).__name__] += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif not isinstance(item, str | bytes | int | float | bool) and item is not None:
            for kind in type(item).__mro__:
                for name in getattr(kind, "__slots__", ()):
                    if hasattr(item, name):
                        stack.append(getattr(item, name))
            if hasattr(item, "__dict__"):
                stack.append(item.__dict__)
    return total


WALK = ["orders", "members", "exit_queue", "pending"]
"""The ledger's fields walked first, in this order (orders first: an order record holds its
command, the lots hold their order's id, and so on); the rest of its fields follow."""


def walk_ledger(ledger: Ledger, orders: int) -> None:
    seen: set[int] = set()
    names = WALK + [name for name in Ledger.__slots__ if name not in WALK]
    kinds = {name: deep_size(getattr(ledger, name), seen) for name in names}
    sizes = {name: kinds[name].total() for name in names}
    total = sum(sizes.values())
    lots = sum(len(member.lots) for member in ledger.members.values())
    print(f"  the ledger, walked ({len(ledger.orders):,} order records, "
          f"{len(ledger.members):,} members holding {lots:,} lots, {len(ledger.pending):,} "
          f"pending, exit queue {len(ledger.exit_queue):,}): {mb(total)}, "
          f"{kb(total / max(1, orders))} per order")
    for name, size in sorted(sizes.items(), key=lambda pair: -pair[1]):
        if size >= total / 1000:
            print(f"    {name:<12} {mb(size):>10}  {kb(size / max(1, orders)):>10} per order"
                  f"  {100 * size / total:5.1f}%")
            print("      " + ", ".join(f"{kind} {kb(part / max(1, orders))}" for kind, part
                                      in kinds[name].most_common(6)))


def bench_engine(count: int, seed: int) -> None:
    print(f"[1] the engine alone: phase A {count:,} orders ({NEW_MEMBERS:.0%} from new "
          f"members), then phase B {count:,} orders from the same members")
    rng = Random(seed)
    stream = Stream(Random(seed), step=60)
    commands_a = [*stream.setup(), *phase_commands(stream, rng, count, NEW_MEMBERS)]
    members_a = stream.members
    commands_b = phase_commands(stream, rng, count, 0.0)
    # The commands are made before anything is measured and stay alive to the end, so
    # their bytes are in no growth figure.
    # RSS without tracemalloc (whose own records of each allocation would count), then
    # the same phases again on a fresh ledger under tracemalloc.
    ledger = Ledger()
    gc.collect()
    marks = [rss()]
    start = perf_counter()
    rejected = run_phase(ledger, commands_a)
    gc.collect()
    marks.append(rss())
    rejected += run_phase(ledger, commands_b)
    gc.collect()
    marks.append(rss())
    seconds = perf_counter() - start
    print(f"  applied in {seconds:.1f} s; rejected: {dict(rejected) or 'none'}; members "
          f"{members_a:,} after A, {len(ledger.members):,} after B")
    walk_ledger(ledger, 2 * count)
    del ledger
    gc.collect()
    traced = Ledger()
    tracemalloc.start()
    sizes = [tracemalloc.get_traced_memory()[0]]
    run_phase(traced, commands_a)
    gc.collect()
    sizes.append(tracemalloc.get_traced_memory()[0])
    run_phase(traced, commands_b)
    gc.collect()
    sizes.append(tracemalloc.get_traced_memory()[0])
    tracemalloc.stop()
    for number, phase in enumerate(("A (members arrive)", "B (no new member)")):
        print(growth_line(f"phase {phase}, RSS", marks[number], marks[number + 1], count))
        print(growth_line(f"phase {phase}, tracemalloc (a second run)", sizes[number],
                          sizes[number + 1], count))


# the service ---------------------------------------------------------------------


DUMP = """
import os, signal, sys
if os.environ.get("PROFITPOOL_MEMORY_TRACE"):
    import tracemalloc
    tracemalloc.start()
def dump(*_):
    import gc, tracemalloc
    gc.collect()
    path = os.environ["PROFITPOOL_MEMORY_DUMP"]
    if tracemalloc.is_tracing():
        tracemalloc.take_snapshot().dump(path + ".part")
    else:
        sys.path.insert(0, os.environ["PROFITPOOL_MEMORY_BENCH"])
        import json, memory
        with open(path + ".part", "w") as file:
            json.dump(memory.owners(), file)
    os.replace(path + ".part", path)
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["profitpool", *sys.argv[1:]]
from profitpool.cli import run
run()
"""
"""``profitpool serve`` with a SIGUSR1 handler that writes to $PROFITPOOL_MEMORY_DUMP a
tracemalloc snapshot (when $PROFITPOOL_MEMORY_TRACE is set: the server runs under
tracemalloc) or else the sizes of what the server keeps, by owner (``owners``)."""


def owners() -> list[tuple[str, int]]:
    """Run inside the server: bytes reachable from the ledger, then from each field of the
    read model, the idempotency answers and the member directory's caches (each object
    counted once, for the first owner that reaches it)."""
    from profitpool.members.directory import Directory
    from profitpool.service.readmodel import ReadModel
    from profitpool.service.sequencer import Sequencer

    found: dict[type, list[Any]] = {Ledger: [], ReadModel: [], Sequencer: [], Directory: []}
    gc.unfreeze()  # the server freezes its ledger: gc.get_objects() skips frozen objects
    for item in gc.get_objects():
        if type(item) in found:
            found[type(item)].append(item)
    gc.freeze()
    seen: set[int] = set()
    sizes = [("engine: the ledger (every field)",
              sum(deep_size(ledger, seen).total() for ledger in found[Ledger]))]
    for model in found[ReadModel]:
        sizes += [(f"read model: {name}", deep_size(value, seen).total())
                  for name, value in vars(model).items() if name != "lock"]
    for sequencer in found[Sequencer]:
        sizes.append(("sequencer: recent idempotency answers (_recent)",
                      deep_size(sequencer._recent, seen).total()))
    for directory in found[Directory]:
        sizes += [(f"member directory: {name}", deep_size(getattr(directory, name),
                                                           seen).total())
                  for name in ("_cache", "_names", "_pending")]
    return sizes


class DumpingServer(Server):
    """A server started through ``DUMP``; ``traced``: under tracemalloc."""

    def __init__(self, directory: Path, traced: bool, extra: list[str] | None = None) -> None:
        super().__init__(directory, extra or [])
        self.dump = directory / "dump"
        self.traced = traced

    def start(self) -> None:
        env = dict(os.environ, PROFITPOOL_MEMORY_DUMP=str(self.dump),
                   PROFITPOOL_MEMORY_BENCH=str(Path(__file__).resolve().parent))
        if self.traced:
            env["PROFITPOOL_MEMORY_TRACE"] = "1"
        with open(self.output, "wb") as out, open(self.errors, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-c", DUMP, *self.command], stdout=out, stderr=err, env=env)

    def signal_dump(self) -> Path:
        self.dump.unlink(missing_ok=True)
        os.kill(self.pid, signal.SIGUSR1)
        while not self.dump.exists():
            if self.process is not None and self.process.poll() is not None:
                self.fail(f"exited with {self.process.returncode}")
            sleep(0.1)
        return self.dump

    def snapshot(self) -> tracemalloc.Snapshot:
        return tracemalloc.Snapshot.load(str(self.signal_dump()))

    def owners(self) -> list[tuple[str, int]]:
        return [(name, size) for name, size in orjson.loads(self.signal_dump().read_bytes())]


class Feeder:
    """Orders over HTTP in batches, to members ``u0`` .. as phase A and B say."""

    def __init__(self, server: Server, seed: int, batch: int, clients: int) -> None:
        self.server = server
        self.rng = Random(seed)
        self.batch = batch
        self.clients = clients
        self.members = 0
        self.serial = 0
        self.pools: list[RawPool] = []

    async def setup(self) -> None:
        await self.server.ready()
        admin = RawPool(self.server.port, self.server.admin)
        for i in range(MERCHANTS):
            await call(admin, "POST", "/v1/merchants", {"id": f"m{i}", "name": f"shop m{i}"},
                       expect=201)
            key = (await call(admin, "POST", "/v1/keys", {"role": "merchant",
                                                          "party": f"m{i}"}, expect=201))["key"]
            self.pools.append(RawPool(self.server.port, key))
        await admin.close()

    def order(self, new: float) -> dict[str, str]:
        rng = self.rng
        self.serial += 1
        if self.members == 0 or rng.random() < new:
            member = f"u{self.members}"
            self.members += 1
        else:
            member = f"u{rng.randrange(self.members)}"
        amount = rng.randint(3_750, 200_000)
        return {"id": f"o{self.serial}", "member": member, "amount": money(amount),
                "profit": money(amount * rng.randint(10, 40) // 100)}

    async def phase(self, count: int, new: float) -> tuple[int, float]:
        """Send ``count`` orders; (orders accepted, seconds)."""
        bodies = [orjson.dumps({"orders": [self.order(new) for _ in range(
            min(self.batch, count - at))]}) for at in range(0, count, self.batch)]
        accepted = 0
        turn = iter(range(len(bodies)))

        async def client(pool: RawPool) -> None:
            nonlocal accepted
            for number in turn:
                status, data = await pool.request("POST", "/v1/orders:batch", bodies[number])
                if status != 200:
                    sys.exit(f"POST /v1/orders:batch answered {status}: {data[:300]!r}")
                accepted += int(orjson.loads(data)["accepted"])

        start = perf_counter()
        await asyncio.gather(*(client(self.pools[i % len(self.pools)])
                               for i in range(self.clients)))
        return accepted, perf_counter() - start

    async def close(self) -> None:
        for pool in self.pools:
            await pool.close()


def settle(pid: int) -> int:
    """The server's RSS (with its HTTP worker processes) once its writer has caught up (it
    no longer moves for 1 s)."""
    last, now = -1, server_rss(pid)
    while now != last:
        sleep(1.0)
        last, now = now, server_rss(pid)
    return now


async def serve_phases(server: DumpingServer, sizes: dict[str, int], seed: int) -> None:
    count = sizes["orders"]
    feeder = Feeder(server, seed, sizes["batch"], sizes["clients"])
    server.start()
    await feeder.setup()
    marks = [settle(server.pid)]
    print(f"  after start-up and setup ({MERCHANTS} merchants, keys): {mb(marks[0])}")
    for label, new in (("A (members arrive)", NEW_MEMBERS), ("B (no new member)", 0.0)):
        accepted, seconds = await feeder.phase(count, new)
        marks.append(settle(server.pid))
        print(f"  phase {label}: {accepted:,} of {count:,} orders accepted in {seconds:.1f} s "
              f"({accepted / seconds:,.0f}/s); members {feeder.members:,}")
        print(growth_line(f"phase {label}, server RSS", marks[-2], marks[-1], count))
        workers = http_workers(server.pid)
        if workers:
            print(f"    of which the writer process {mb(rss(server.pid))}, the HTTP processes "
                  + ", ".join(mb(rss(child)) for child in workers))
    await feeder.close()
    sizes = server.owners()
    total = sum(size for _, size in sizes)
    orders = 2 * count
    print(f"  what the server keeps after both phases, by owner (sys.getsizeof walk, each "
          f"object counted once, for the first owner listed that reaches it): {mb(total)}, "
          f"{kb(total / orders)} per order")
    for name, size in sizes:
        if size >= total / 1000:
            print(f"    {kb(size / orders):>10} per order  {mb(size):>10}  {name}")


async def serve_breakdown(server: DumpingServer, sizes: dict[str, int], seed: int) -> None:
    count = sizes["orders"]
    feeder = Feeder(server, seed, sizes["batch"], sizes["clients"])
    server.start()
    await feeder.setup()
    settle(server.pid)
    before = server.snapshot()
    accepted, seconds = await feeder.phase(count, NEW_MEMBERS)
    settle(server.pid)
    after = server.snapshot()
    await feeder.close()
    grown = after.compare_to(before, "filename")
    total = sum(stat.size_diff for stat in grown)
    print(f"  phase A under tracemalloc: {accepted:,} orders in {seconds:.1f} s; Python "
          f"allocations alive after it, less before: +{mb(total)} = {kb(total / count)} per "
          f"order")
    print("  by file (where the objects were allocated), per order:")
    for stat in grown[:14]:
        print(f"    {kb(stat.size_diff / count):>10}  {stat.count_diff / count:6.1f} objects  "
              f"{short(stat.traceback[0].filename)}")
    print("  by line, per order:")
    for stat in after.compare_to(before, "lineno")[:20]:
        frame = stat.traceback[0]
        print(f"    {kb(stat.size_diff / count):>10}  {stat.count_diff / count:6.1f} objects  "
              f"{short(frame.filename)}:{frame.lineno}")


def short(filename: str) -> str:
    for marker in ("/src/profitpool/", "/site-packages/", "/lib/python"):
        if marker in filename:
            return ("profitpool/" if "profitpool" in marker else "") + filename.split(
                marker, 1)[1]
    return filename


def bench_serve(sizes: dict[str, int], seed: int, breakdown: bool, workers: int = 1) -> None:
    factory, _ = event_loop_factory()
    count = sizes["orders"]
    print(f"[2] profitpool serve --workers {workers} (SQLite): phase A {count:,} orders "
          f"({NEW_MEMBERS:.0%} from new members), then phase B {count:,} from the same "
          f"members; POST /v1/orders:batch of {sizes['batch']:,}, {sizes['clients']} clients")
    with tempfile.TemporaryDirectory(prefix="profitpool-bench-memory-") as name:
        server = DumpingServer(Path(name), traced=False, extra=["--workers", str(workers)])
        try:
            with asyncio.Runner(loop_factory=factory) as runner:
                runner.run(serve_phases(server, sizes, seed))
        except BaseException:
            server.show_errors()
            raise
        finally:
            server.stop()
    if not breakdown:
        return
    small = dict(sizes, orders=max(sizes["batch"], count // 5))
    print(f"[3] where the server's bytes go: a server under tracemalloc, phase A of "
          f"{small['orders']:,} orders")
    with tempfile.TemporaryDirectory(prefix="profitpool-bench-memory-") as name:
        traced = DumpingServer(Path(name), traced=True)
        try:
            with asyncio.Runner(loop_factory=factory) as runner:
                runner.run(serve_breakdown(traced, small, seed))
        except BaseException:
            traced.show_errors()
            raise
        finally:
            traced.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--orders", type=int, help="orders in each phase")
    parser.add_argument("--no-breakdown", action="store_true",
                        help="skip section 3 (the server under tracemalloc)")
    parser.add_argument("--workers", type=int, default=1,
                        help="serve --workers N in section 2 (its RSS with its HTTP processes)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    sizes = dict(SMOKE if args.smoke else FULL)
    if args.orders:
        sizes["orders"] = args.orders
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on "
          f"{platform.platform()}; CPU {cpu_model()} x{os.cpu_count()}; load average {load}")
    print(f"sizes: {sizes}" + (" (smoke)" if args.smoke else "") + f"; server on {HOST}")
    total = perf_counter()
    bench_engine(sizes["orders"], args.seed)
    bench_serve(sizes, args.seed, not args.no_breakdown, args.workers)
    print(f"total {perf_counter() - total:.0f} s")


if __name__ == "__main__":
    main()
