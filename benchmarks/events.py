"""How fast events go out, and what sending them costs the service that takes orders.

Run ``python benchmarks/events.py`` (about 3 minutes) or ``--smoke`` (seconds, for CI).
Receivers are one process of their own: a raw asyncio HTTP/1.1 server (uvloop when
installed) that answers 200 at once and notes, for each delivery, how long after the
event's ``timestamp`` (when the service accepted the command) it arrived. It prints,
and asserts nothing about speed:

1. the webhook dispatcher alone (in this process, as the events process runs it):
   a log of ``--events-n`` orders' events is written first; one admin endpoint then
   receives them all -> events/s; then ten merchant endpoints at once, each its
   merchant's events -> events/s in total;
2. the stream alone: the same events published to NATS JetStream (``$PROFITPOOL_TEST_NATS``
   or ``--nats``; skipped without a server) -> events/s;
3. ``profitpool serve`` without events (``--no-webhooks``), then with ten merchant
   endpoints and ``--events nats://…``, each measured the same way: single orders
   (closed loop, ``--clients`` clients) and the batch endpoint (closed loop, batches of
   1,000) -> orders/s, with events on as a percentage of off (target: within 10%);
4. with events on, first on that server (so no backlog of section 3 is waiting), a
   fixed load of 1,000 orders/s (open loop, as benchmarks/api.py) for ``--fixed-s``
   seconds -> each delivery's latency from acceptance to the receiver (target: p99
   under 1 s), and whether every endpoint caught up.

The merchant endpoints hear every event their merchant may (``--types`` narrows
them), including one ``block.committed`` per block each.

Orders go to ten merchants in turn and settle at once (the default rules), so each
order tells three or four events: placed, settled, minted (and a first order's
member.joined), plus a block.committed per block.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from time import perf_counter
from typing import Any

import orjson

from api import (
    Latency,
    Orders,
    RawPool,
    Server,
    Summary,
    call,
    closed_loop,
    event_loop_factory,
    open_loop,
    per_second,
    statuses_text,
    verdict,
)
from common import cpu_model

FULL = {"events_n": 20_000, "clients": 32, "single_s": 15.0, "batch_s": 15.0,
        "batch_size": 1000, "batch_clients": 4, "warmup_s": 2.0, "rates": [1000, 500],
        "fixed_s": 30.0}
SMOKE = {"events_n": 300, "clients": 4, "single_s": 1.0, "batch_s": 1.0, "batch_size": 100,
         "batch_clients": 2, "warmup_s": 0.2, "rates": [100], "fixed_s": 1.0}
MERCHANTS = 10
TARGET_SHARE = 0.90
TARGET_P99_S = 1.0
DRAIN_TIMEOUT_S = 120.0


# the receiver: a process of its own -----------------------------------------------


def receiver_main(port_pipe: Any) -> None:
    """Answer every POST with 200 at once; GET /stats says what arrived (and resets)."""
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    asyncio.run(_receive(port_pipe))


async def _receive(port_pipe: Any) -> None:
    latencies: list[float] = []
    ids: set[str] = set()
    count = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count, latencies, ids
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, event_id = 0, ""
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"webhook-id":
                        event_id = value.strip().decode()
                body = await reader.readexactly(length) if length else b""
                now = time.time()
                if head.startswith(b"GET /stats"):
                    answer = orjson.dumps({"count": count, "unique": len(ids),
                                           "latencies": latencies})
                    latencies, ids, count = [], set(), 0
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s"
                                 % (len(answer), answer))
                else:
                    count += 1
                    ids.add(event_id)
                    at = _timestamp(body)
                    if at is not None:
                        latencies.append(now - at)
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=1024)
    port_pipe.send(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def _timestamp(body: bytes) -> float | None:
    start = body.find(b'"timestamp":"')
    if start < 0:
        return None
    text = body[start + 13:body.index(b'"', start + 13)].decode()
    return datetime.fromisoformat(text).timestamp()


class Receiver:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self.process = context.Process(target=receiver_main, args=(theirs,), daemon=True)
        self.process.start()
        self.port = int(ours.recv())
        self.pool = RawPool(self.port)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    async def stats(self) -> dict[str, Any]:
        status, data = await self.pool.request("GET", "/stats")
        assert status == 200
        return orjson.loads(data)  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self.pool.close()
        self.process.kill()
        self.process.join(10)


# 1-2: the dispatcher and the stream alone ---------------------------------------------


def write_log(directory: Path, orders: int) -> tuple[str, int]:
    """A log of ``orders`` orders to ten merchants (settled at once); (url, events)."""
    from profitpool.bootstrap import open_writer
    from profitpool.log.setup import initialise

    url = f"sqlite:///{directory / 'alone.db'}"
    key = directory / "alone.key"
    initialise(url, key, None)
    writer = open_writer(url, key)
    start = 1_767_225_600_000_000  # 2026-01-01
    for index in range(MERCHANTS):
        writer.submit({"op": "merchant", "id": f"m{index}", "name": "", "industry": "",
                       "at": _at(start)})
    for number in range(orders):
        writer.submit({"op": "order", "id": f"o{number}", "merchant": f"m{number % MERCHANTS}",
                       "member": f"u{number % 5000}", "amount": "100.00", "profit": "20.00",
                       "at": _at(start + 1000 * (number + 1))})
    writer.close()
    return url, _count(url)


def _count(url: str) -> int:
    from profitpool.events.outbox import Outbox
    from profitpool.store.database import connect

    engine = connect(url)
    try:
        return Outbox(engine).last_seq()
    finally:
        engine.dispose()


def _at(micros: int) -> str:
    from profitpool.times import format_time

    return format_time(micros)


async def dispatcher_alone(url: str, receiver: Receiver, owners: list[str]) -> tuple[int, float]:
    """Deliver every event to endpoints of ``owners``; (deliveries, seconds)."""
    from profitpool.events.endpoints import EndpointStore, UrlPolicy
    from profitpool.events.options import EventsOptions
    from profitpool.events.webhooks import WebhookDispatcher
    from profitpool.store.database import connect
    from profitpool.store.schema import webhook_endpoints

    engine = connect(url)
    store = EndpointStore(engine)
    with engine.begin() as connection:
        connection.execute(webhook_endpoints.delete())
    # The receiver is on 127.0.0.1: private targets must be allowed, as an operator would.
    local = UrlPolicy(private_targets=True)
    for owner in owners:
        store.create(owner, receiver.url(owner), policy=local, after=0)
    dispatcher = WebhookDispatcher(engine, EventsOptions(policy=local))
    last = store.outbox.last_seq()
    await receiver.stats()
    start = perf_counter()
    try:
        while any(endpoint.cursor < last for endpoint in store.list()):
            await dispatcher.step()
            await asyncio.sleep(0)
        seconds = perf_counter() - start
    finally:
        await dispatcher.close()
        engine.dispose()
    stats = await receiver.stats()
    return int(stats["count"]), seconds


async def stream_alone(url: str, nats: str) -> tuple[int, float] | None:
    """Publish every event to a fresh stream; (events, seconds), None without NATS."""
    from profitpool.events.options import EventsOptions
    from profitpool.events.stream import StreamPublisher
    from profitpool.store.database import connect

    name = f"BENCH_{uuid.uuid4().hex[:8].upper()}"
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    engine = connect(url)
    publisher = StreamPublisher(engine, EventsOptions(nats_url=nats, stream=name,
                                                      subject_prefix=prefix))
    last = _count(url)
    start = perf_counter()
    published = 0
    try:
        while published < last:
            done = await publisher.step()
            if not done and publisher.status.get("last_error"):
                print(f"  the stream failed: {publisher.status['last_error']}")
                return None
            published += done
        seconds = perf_counter() - start
    finally:
        await publisher.close()
        engine.dispose()
        await _delete_stream(nats, name)
    return published, seconds


async def _delete_stream(nats: str, name: str) -> None:
    import nats as nats_client

    with contextlib.suppress(Exception):
        connection = await nats_client.connect(nats, connect_timeout=2, max_reconnect_attempts=0)
        try:
            await connection.jetstream().delete_stream(name)
        finally:
            await connection.close()


# 3-4: the service ---------------------------------------------------------------------


async def service_rates(server: Server, sizes: dict[str, Any], orders: Orders,
                        hooks: Receiver | None, summary: Summary, label: str
                        ) -> tuple[float, float]:
    """Single and batch orders/s of ``server`` (with ten endpoints to ``hooks`` if given)."""
    server.start()
    await server.ready()
    admin = RawPool(server.port, server.admin)
    pools = []
    for index in range(MERCHANTS):
        merchant = f"m{index}"
        await call(admin, "POST", "/v1/merchants", {"id": merchant}, expect=201)
        key = (await call(admin, "POST", "/v1/keys", {"role": "merchant", "party": merchant},
                          expect=201))["key"]
        pools.append(RawPool(server.port, key))
        if hooks is not None:
            await call(admin, "POST", "/v1/webhooks", {
                "url": hooks.url(merchant), "owner": f"merchant:{merchant}",
                "types": list(sizes["types"])}, expect=201)
    if hooks is not None:  # first, while no backlog of events is waiting
        await fixed_load(server, admin, pools, sizes, orders, hooks, summary)
    turn = iter(range(1 << 62))

    async def single() -> tuple[int, int, int]:
        _, body = orders.single("s")
        status, data = await pools[next(turn) % MERCHANTS].request("POST", "/v1/orders", body)
        return status, int(status == 201), len(data)

    async def batch() -> tuple[int, int, int]:
        _, body = orders.batch("b", sizes["batch_size"])
        status, data = await pools[next(turn) % MERCHANTS].request(
            "POST", "/v1/orders:batch", body)
        return status, int(orjson.loads(data)["accepted"]) if status == 200 else 0, len(data)

    tally, first, last = await closed_loop(sizes["clients"], sizes["warmup_s"],
                                           sizes["single_s"], single, server.pid)
    single_rate = per_second(tally.orders, last.at - first.at)
    print(f"  {label}: single orders {single_rate:,.0f}/s ({statuses_text(tally.statuses)}; "
          f"{Latency.of(tally.latencies)})")
    tally, first, last = await closed_loop(sizes["batch_clients"], sizes["warmup_s"],
                                           sizes["batch_s"], batch, server.pid)
    batch_rate = per_second(tally.orders, last.at - first.at)
    print(f"  {label}: batch orders {batch_rate:,.0f}/s ({statuses_text(tally.statuses)}; per "
          f"batch {Latency.of(tally.latencies)})")
    for pool in [admin, *pools]:
        await pool.close()
    server.stop()
    return single_rate, batch_rate


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as file:
            return [int(child) for child in file.read().split()]
    except OSError:
        return []


async def fixed_load(server: Server, admin: RawPool, pools: list[RawPool],
                     sizes: dict[str, Any], orders: Orders, hooks: Receiver,
                     summary: Summary) -> None:
    """Section 4: the offered load, then every delivery's latency."""
    for rate in sizes["rates"]:
        await fixed_rate(server, admin, pools, sizes, orders, hooks, summary, rate)


async def fixed_rate(server: Server, admin: RawPool, pools: list[RawPool],
                     sizes: dict[str, Any], orders: Orders, hooks: Receiver,
                     summary: Summary, rate: int) -> None:
    duration = sizes["fixed_s"]
    print(f"[4] fixed load with events on: {rate:,} orders/s offered for {duration:g} s "
          f"(open loop), deliveries to ten merchant endpoints and the stream")
    await _drain(admin, hooks)
    await hooks.stats()  # what sections 3 sent is not this section's
    turn = iter(range(1 << 62))

    async def write() -> tuple[int, int, int]:
        _, body = orders.single("f")
        status, data = await pools[next(turn) % MERCHANTS].request("POST", "/v1/orders", body)
        return status, int(status == 201), len(data)

    halt = asyncio.Event()
    events_pid = children(server.pid)
    watched = {"service": [server.pid], "events process": events_pid,
               "receiver": [hooks.process.pid or 0]}
    before = {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in watched.items()}
    started = perf_counter()
    written = await open_loop(rate, duration, write, halt)
    drained, waited = await _drain(admin, hooks)
    wall = perf_counter() - started
    used = {name: sum(cpu_seconds(pid) for pid in pids) - before[name]
            for name, pids in watched.items()}
    stats = await hooks.stats()
    latency = Latency.of(stats["latencies"])
    behind = " (the service fell behind the offered load)" if halt.is_set() else ""
    print(f"  writes: {written.orders:,} accepted ({statuses_text(written.statuses)}); "
          f"latency {Latency.of(written.latencies)}{behind}")
    print(f"  deliveries: {stats['count']:,} ({stats['unique']:,} distinct events); from "
          f"acceptance to the receiver: {latency}; every endpoint caught up "
          f"{'' if drained else 'NOT '}within {waited:.1f} s of the last order")
    status = await call(admin, "GET", "/v1/events/status")
    stream = (status.get("worker") or {}).get("stream") or {}
    print(f"  stream: {stream.get('published', '?')} published, cursor {stream.get('cursor')}, "
          f"newest event {status['last_seq']}, last error {stream.get('last_error')}")
    print(f"  CPU over {wall:.1f} s (the load and the catching up): " + "; ".join(
        f"{name} {seconds:.1f} s ({100 * seconds / wall:.0f}% of a core)"
        for name, seconds in used.items())
        + f"; events process per delivery "
        f"{1e6 * used['events process'] / max(1, stats['count']):,.0f} us (the stream's share "
        "included)")
    met = latency.p99 < TARGET_P99_S * 1000 and drained and not halt.is_set()
    target = (f"target p99 < {TARGET_P99_S:g} s at 1,000/s: {verdict(met)}" if rate == 1000
              else "")
    summary.add(f"delivery latency at {rate:,} orders/s{behind}", str(latency), target)


async def _drain(admin: RawPool, hooks: Receiver) -> tuple[bool, float]:
    """Wait until every endpoint has been told of every event it may hear."""
    start = perf_counter()
    while perf_counter() - start < DRAIN_TIMEOUT_S:
        newest = (await call(admin, "GET", "/v1/events/status"))["last_seq"]
        endpoints = (await call(admin, "GET", "/v1/webhooks"))["data"]
        if all(endpoint["cursor"] >= newest for endpoint in endpoints):
            return True, perf_counter() - start
        await asyncio.sleep(0.05)
    return False, perf_counter() - start


# main ---------------------------------------------------------------------------------


async def bench(sizes: dict[str, Any], nats: str | None, directory: Path,
                summary: Summary) -> None:
    receiver = Receiver()
    try:
        n = sizes["events_n"]
        print(f"[1] the webhook dispatcher alone: a log of {n:,} orders to {MERCHANTS} "
              "merchants (settled at once)")
        url, events = write_log(directory, n)
        count, seconds = await dispatcher_alone(url, receiver, ["admin"])
        rate = per_second(count, seconds)
        print(f"  one admin endpoint: {count:,} of {events:,} events in {seconds:.1f} s = "
              f"{rate:,.0f} events/s")
        summary.add("webhook deliveries, one endpoint", f"{rate:,.0f} events/s")
        owners = [f"merchant:m{index}" for index in range(MERCHANTS)]
        count, seconds = await dispatcher_alone(url, receiver, owners)
        rate = per_second(count, seconds)
        print(f"  ten merchant endpoints: {count:,} deliveries in {seconds:.1f} s = "
              f"{rate:,.0f} events/s in total")
        summary.add("webhook deliveries, ten endpoints", f"{rate:,.0f} events/s")
        print("[2] the stream alone (NATS JetStream)")
        if nats is None:
            print("  skipped: no NATS server (--nats or $PROFITPOOL_TEST_NATS)")
        else:
            published = await stream_alone(url, nats)
            if published is not None:
                count, seconds = published
                rate = per_second(count, seconds)
                print(f"  {count:,} events in {seconds:.1f} s = {rate:,.0f} events/s")
                summary.add("stream publishing", f"{rate:,.0f} events/s")
        print(f"[3] the service: orders/s without events, then with {MERCHANTS} merchant "
              f"endpoints{' and the stream' if nats else ''}")
        orders = Orders(2026)
        off_dir, on_dir = directory / "off", directory / "on"
        off_dir.mkdir()
        on_dir.mkdir()
        off = await service_rates(Server(off_dir, ["--no-webhooks"]), sizes, orders, None,
                                  summary, "events off")
        stream = f"BENCH_{uuid.uuid4().hex[:8].upper()}"
        extra = ["--allow-private-webhooks"]  # the receivers are on 127.0.0.1
        extra += ["--events", nats, "--events-stream", stream] if nats else []
        try:
            on = await service_rates(Server(on_dir, extra), sizes, orders, receiver, summary,
                                     "events on ")
        finally:
            if nats:
                await _delete_stream(nats, stream)
        for label, without, with_ in (("single", off[0], on[0]), ("batch", off[1], on[1])):
            share = with_ / without if without else float("nan")
            summary.add(f"{label} orders with events on vs off",
                        f"{with_:,.0f} vs {without:,.0f}/s = {100 * share:.0f}%",
                        f"target >= {100 * TARGET_SHARE:.0f}%: {verdict(share >= TARGET_SHARE)}")
    finally:
        await receiver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--nats", default=os.environ.get("PROFITPOOL_TEST_NATS"),
                        help="NATS URL [default: $PROFITPOOL_TEST_NATS]")
    parser.add_argument("--events-n", type=int, help="orders in the dispatcher's log")
    parser.add_argument("--fixed-s", type=float, help="seconds of each fixed load")
    parser.add_argument("--rates", type=int, nargs="+", help="orders/s of the fixed loads")
    parser.add_argument("--types", nargs="*", default=[], metavar="TYPE",
                        help="the merchant endpoints' filter [default: none, every event "
                        "each merchant may hear, block.committed included]")
    args = parser.parse_args()
    sizes = dict(SMOKE if args.smoke else FULL)
    if args.events_n is not None:
        sizes["events_n"] = args.events_n
    if args.fixed_s is not None:
        sizes["fixed_s"] = args.fixed_s
    sizes["types"] = args.types
    if args.rates:
        sizes["rates"] = args.rates
    factory, loop_name = event_loop_factory()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Python {platform.python_version()} on {platform.platform()}; CPU {cpu_model()} "
          f"x{os.cpu_count()}; load average {load}; client on {loop_name}")
    print(f"sizes: {sizes}" + (" (smoke)" if args.smoke else ""))
    summary = Summary()
    total = perf_counter()
    with tempfile.TemporaryDirectory(prefix="profitpool-bench-events-") as name:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(bench(sizes, args.nats, Path(name), summary))
    print("summary")
    print("\n".join(summary.rows))
    print(f"total {perf_counter() - total:.0f} s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
