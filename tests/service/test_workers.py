"""``serve --workers N``: the writer in one process, HTTP in N (service/workers.py).

In one process first: a real sequencer on a SQLite log behind a :class:`WriterHub`, and
two :class:`WriterLink` s as two workers would hold them, so every message between
them is the real one over the real socket. Then ``profitpool serve --workers 2`` as a
user runs it: orders from many connections, each read back at once over a new
connection (which may land on the other worker), SIGINT, and a SIGKILL of the writer
process under load, after which every acknowledged order is in the log.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from databases import BACKENDS, fresh_database
from profitpool.log.setup import initialise
from profitpool.service import Settings
from profitpool.service.app import WriterSide, writer_side
from profitpool.service.readmodel import ReadModel
from profitpool.service.sequencer import Outcome, Request
from profitpool.service.workers import RemoteSequencer, WriterHub, WriterLink
from profitpool.store.apikeys import KeyStore
from profitpool.store.database import connect

AT_MERCHANT = {"op": "merchant", "id": "m1", "name": "shop"}


def _order(number: int, member: str) -> dict[str, Any]:
    return {"op": "order", "id": f"o{number}", "merchant": "m1", "member": member,
            "amount": f"{100 + number}.00", "profit": "30.00"}


class Hub:
    """A writer side and its hub in this process, and links to it."""

    def __init__(self, side: WriterSide, hub: WriterHub) -> None:
        self.side = side
        self.hub = hub
        self.links: list[WriterLink] = []

    def link(self) -> WriterLink:
        link = WriterLink(self.hub.address, self.hub.height)
        self.links.append(link)
        return link


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    db = f"sqlite:///{tmp_path / 'log.db'}"
    initialise(db, tmp_path / "operator.key", None)
    settings = Settings(db=db, key=tmp_path / "operator.key", auto_burn=False,
                        disclose=False, webhooks=False, block_wait_ms=1)
    height = multiprocessing.get_context("spawn").RawValue("q", 0)
    with writer_side(settings) as side:
        running = WriterHub(side.sequencer, side.read, height, side.statuses, str(tmp_path))
        running.start()
        try:
            yield Hub(side, running)
        finally:
            running.stop()


def _write(link: WriterLink, *commands: dict[str, Any]) -> list[Outcome]:
    done = threading.Event()
    answers: list[Outcome] = []

    def deliver(outcomes: list[Outcome]) -> None:
        answers.extend(outcomes)
        done.set()

    RemoteSequencer(link).put(Request(list(commands), [None] * len(commands), deliver))
    assert done.wait(30), "no answer from the writer"
    return answers


def _same(model: ReadModel, other: ReadModel) -> None:
    mine, theirs = model.state(), other.state()
    for name in mine:
        assert mine[name] == theirs[name], name


def test_every_worker_copy_of_the_read_model_equals_the_writers_after_each_block(
        hub: Hub) -> None:
    first = hub.link()
    [outcome] = _write(first, AT_MERCHANT)
    assert outcome.status == 201, outcome
    second = hub.link()  # joins late: starts from the whole state, then follows
    for number in range(30):
        link = (first, second)[number % 2]
        [outcome] = _write(link, _order(number, f"u{number % 7}"))
        assert outcome.status == 201, outcome
        # Answered only once the block is stored and its delta sent: the other worker,
        # once it has caught up to the height the writer published, sees the order.
        other = (second, first)[number % 2]
        asyncio.run(other.caught_up())
        assert f"o{number}" in other.read.orders
        assert other.read.head.height == hub.side.read.head.height  # not behind
    refused = _write(first, _order(3, "u1"))  # a repeated order id: refused, nothing moves
    assert refused[0].status == 409
    for link in (first, second):
        asyncio.run(link.caught_up())
        _same(hub.side.read, link.read)
    # What the writer's model holds is what a model built from the ledger holds.
    writer = hub.side.sequencer.writer
    assert writer is not None
    rebuilt = ReadModel()
    rebuilt.load(writer.ledger, writer.height, writer.tiles.size, writer.last_checkpoint)
    _same(rebuilt, first.read)
    assert len(first.read.orders) == 30 and first.read.head.tree_size == 31


def test_a_reload_of_the_writers_model_reaches_every_worker(hub: Hub) -> None:
    link = hub.link()
    _write(link, AT_MERCHANT, _order(1, "a"), _order(2, "b"))
    writer = hub.side.sequencer.writer
    assert writer is not None
    # The writer rebuilds its model (as after the database came back): the workers'
    # copies are replaced by the new state, not merged with the old one.
    hub.side.read.load(writer.ledger, writer.height, writer.tiles.size,
                       writer.last_checkpoint)
    [outcome] = _write(link, _order(3, "a"))
    assert outcome.status == 201
    asyncio.run(link.caught_up())
    _same(hub.side.read, link.read)
    member = link.read.orders["o3"].member
    assert link.read.orders_by_member[member] == [
        order for order in ("o1", "o3") if link.read.orders[order].member == member]


def test_a_worker_waits_for_the_block_the_writer_published_before_it_serves(
        hub: Hub) -> None:
    link = hub.link()
    _write(link, AT_MERCHANT)
    asyncio.run(link.caught_up())
    height = link.read.head.height
    # The writer says a newer block is stored; its delta is not here yet.
    hub.hub.height.value = height + 1
    applied = threading.Event()

    def arrives() -> None:
        time.sleep(0.05)
        _write(link, _order(1, "a"))  # the next block, height + 1
        applied.set()

    thread = threading.Thread(target=arrives)
    thread.start()
    asyncio.run(link.caught_up())
    assert link.read.head.height >= height + 1  # it waited for that block's delta
    thread.join()
    assert applied.is_set()


def test_an_erasure_makes_every_process_forget_the_members_ids(hub: Hub) -> None:
    from profitpool.log.datakey import DataKey
    from profitpool.members.directory import OPERATOR, Directory

    link = hub.link()
    _write(link, AT_MERCHANT, _order(1, "alice"), _order(2, "bob"))
    asyncio.run(link.caught_up())
    settings = hub.side.sequencer.writer
    assert settings is not None
    directory = Directory(hub.side.engine, hub.side.directory.key)
    directory.prefetch(OPERATOR, ["alice", "bob"])
    alice = directory.pseudonym_of(OPERATOR, "alice")
    bob = directory.pseudonym_of(OPERATOR, "bob")
    assert alice and bob and directory.member_ids([alice, bob], OPERATOR) == {
        alice: "alice", bob: "bob"}
    link.directory = directory
    writer_directory = hub.side.directory
    assert writer_directory.cached(OPERATOR, ["alice"])
    # A block that erased alice, as the writer tells it: both processes forget her ids
    # (this one's cache, and the writer's), and keep bob's.
    head = hub.side.read.head
    delta = hub.side.read._delta(settings.ledger, head.height, head.tree_size,
                                 hub.side.read.checkpoint, {}, set(), set(), set(), set(),
                                 set(), {})
    told = delta._replace(erased={alice})
    for listener in list(hub.side.read._listeners):
        listener("delta", told)
    deadline = time.monotonic() + 10
    while directory.cached(OPERATOR, ["alice"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not directory.cached(OPERATOR, ["alice"])
    assert directory.cached(OPERATOR, ["bob"])
    assert not writer_directory.cached(OPERATOR, ["alice"])
    assert isinstance(directory.key, DataKey)


def test_new_links_reach_every_worker_and_a_workers_not_linked_spares_the_writer_a_read(
        hub: Hub) -> None:
    from profitpool.members.directory import OPERATOR, Directory

    first, second = hub.link(), hub.link()
    for link in (first, second):
        link.directory = Directory(hub.side.engine, hub.side.directory.key)
    _write(first, AT_MERCHANT)
    writer_reads: list[object] = []
    store = hub.side.directory.store
    real_find = store.find

    def counted(items: Any) -> Any:
        writer_reads.append(items)
        return real_find(items)

    store.find = counted  # type: ignore[method-assign]
    # The worker read that "carol" is linked to nobody and says so with the write: the
    # writer makes her pseudonym without reading the database again.
    assert first.directory is not None and second.directory is not None
    first.directory.prefetch(OPERATOR, ["carol"])
    [outcome] = _write(first, _order(1, "carol"))
    assert outcome.status == 201 and writer_reads == []
    # Her link travels with the block: the other worker knows it without a lookup.
    asyncio.run(second.caught_up())
    assert second.directory.cached(OPERATOR, ["carol"])
    mapped = second.directory.map_known(_order(2, "carol"), OPERATOR)
    assert mapped["member"] == outcome.body["entry"]["command"]["member"] != "carol"
    # A claim older than the blocks the writer still checks against is not taken.
    first.directory.prefetch(OPERATOR, ["dave"])
    hub.hub._complete_after = hub.side.read.head.height + 1
    [outcome] = _write(first, _order(3, "dave"))
    assert outcome.status == 201 and len(writer_reads) == 1


# the command a user runs ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """``profitpool serve --workers 2`` in a subprocess on the log at ``db``."""

    def __init__(self, directory: Path, db: str | None = None) -> None:
        self.directory = directory
        self.db = db or f"sqlite:///{directory / 'log.db'}"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        initialise(self.db, directory / "operator.key", None)
        engine = connect(self.db)
        try:
            self.admin, _ = KeyStore(engine).create("admin", label="tests")
        finally:
            engine.dispose()

    def start(self) -> Served:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROFITPOOL_")}
        with open(self.directory / "err", "ab") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "profitpool", "serve", "--db", self.db, "--key",
                 str(self.directory / "operator.key"), "--port", str(self.port),
                 "--workers", "2", "--rate", "0", "--no-webhooks", "--no-disclose",
                 "--no-auto-burn"], env=env, stdout=subprocess.DEVNULL, stderr=errors)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, (self.directory / "err").read_text()
            try:
                # One worker answering is not both started (each is a new interpreter).
                if (httpx.get(f"{self.url}/v1/pool", timeout=1).status_code == 200
                        and len(self.workers()) == 2):
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve --workers 2 did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        """Whatever happened, leave nothing running (a failed test included)."""
        if self.process is not None and self.process.poll() is None:
            workers = self.workers()
            self.process.kill()
            self.process.wait(30)
            _gone(workers)

    def workers(self) -> list[int]:
        assert self.process is not None
        found = []
        for tid in os.listdir(f"/proc/{self.process.pid}/task"):
            with open(f"/proc/{self.process.pid}/task/{tid}/children") as file:
                for child in file.read().split():
                    try:
                        with open(f"/proc/{child}/comm") as comm:
                            if comm.read().strip() == "profitpool-http":
                                found.append(int(child))
                    except OSError:
                        pass
        return found

    def client(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"},
                            timeout=30)


def _gone(pids: list[int], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as file:
                    if file.read().split(") ")[1].split()[0] != "Z":
                        alive.append(pid)
            except OSError:
                pass
        if not alive:
            return True
        time.sleep(0.05)
    return False


def test_serve_with_two_workers_reads_each_write_back_from_any_worker_and_stops_cleanly(
        tmp_path: Path) -> None:
    served = Served(tmp_path).start()
    assert served.process is not None
    try:
        workers = served.workers()
        assert len(workers) == 2, workers
        with served.client(served.admin) as admin:
            assert admin.post("/v1/merchants", json={"id": "m1", "name": "shop"}
                              ).status_code == 201
            key = admin.post("/v1/keys", json={"role": "merchant", "party": "m1"}
                             ).json()["key"]
        errors: list[str] = []

        def customer(number: int) -> None:
            # Each request on a new connection: the kernel gives each to either worker.
            for turn in range(8):
                order_id = f"c{number}-{turn}"
                answer = httpx.post(f"{served.url}/v1/orders", headers={
                    "Authorization": f"Bearer {key}"}, json={
                    "id": order_id, "member": f"u{number}", "amount": "50.00",
                    "profit": "10.00"}, timeout=30)
                if answer.status_code != 201:
                    errors.append(answer.text)
                    continue
                seen = httpx.get(f"{served.url}/v1/orders/{order_id}", headers={
                    "Authorization": f"Bearer {key}"}, timeout=30)
                if seen.status_code != 200:
                    errors.append(f"{order_id} written but not read back: {seen.text}")
        threads = [threading.Thread(target=customer, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with served.client(served.admin) as admin:
            pool = admin.get("/v1/pool").json()
            assert pool["members"] == 6 and pool["tree_size"] == 1 + 48, pool
            # Job statuses come from the writer process.
            assert admin.get("/v1/events/status").json()["running"] is False
            assert admin.get("/v1/anchors").json()["status"] == {"enabled": False}
        # A worker killed is replaced; the new one starts from the writer's whole state.
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = served.workers()
            if len(now) == 2 and workers[0] not in now:
                break
            time.sleep(0.1)
        replaced = served.workers()
        assert len(replaced) == 2 and workers[0] not in replaced, replaced
        deadline = time.monotonic() + 60
        with served.client(key) as merchant:
            while time.monotonic() < deadline:  # until the new worker answers too
                with served.client(key) as fresh:
                    if all(fresh.get(f"/v1/orders/c{n}-7").status_code == 200
                           for n in range(6)):
                        break
            answer = merchant.post("/v1/orders", json={
                "id": "after", "member": "u0", "amount": "50.00", "profit": "10.00"})
            assert answer.status_code == 201, answer.text
        workers = replaced
    finally:
        served.process.send_signal(signal.SIGINT)
        try:
            assert served.process.wait(60) == 0
        finally:
            served.kill()
    assert _gone(workers)
    verified = subprocess.run([sys.executable, "-m", "profitpool", "verify", "--db",
                               served.db], capture_output=True, text=True)
    assert verified.returncode == 0 and "50 entries" in verified.stdout, verified.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_of_the_writer_process_stops_its_workers_and_loses_no_answered_order(
        backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as db:
        served = Served(tmp_path, db)
        try:
            _sigkill_under_load(served)
        finally:
            served.kill()


def _sigkill_under_load(served: Served) -> None:
    served.start()
    assert served.process is not None
    with served.client(served.admin) as admin:
        assert admin.post("/v1/merchants", json={"id": "m1", "name": "shop"}
                          ).status_code == 201
        key = admin.post("/v1/keys", json={"role": "merchant", "party": "m1"}).json()["key"]
    workers = served.workers()
    assert len(workers) == 2
    acknowledged: list[str] = []
    stop = threading.Event()

    def customer(number: int) -> None:
        with served.client(key) as client:
            turn = 0
            while not stop.is_set():
                order_id = f"k{number}-{turn}"
                turn += 1
                try:
                    answer = client.post("/v1/orders", json={
                        "id": order_id, "member": f"u{number}", "amount": "20.00",
                        "profit": "5.00"})
                except httpx.TransportError:
                    return
                if answer.status_code == 201:
                    acknowledged.append(order_id)
                elif answer.status_code != 503:  # unavailable: the writer stopped
                    raise AssertionError(answer.text)

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    served.process.send_signal(signal.SIGKILL)
    served.process.wait(30)
    # Its workers notice at once and exit: nothing answers for a writer that is gone.
    assert _gone(workers), "HTTP workers outlived their writer"
    stop.set()
    for thread in threads:
        thread.join(30)
    assert len(acknowledged) >= 100
    served.start()  # the same log and port, again
    try:
        with served.client(key) as client:
            missing = [order_id for order_id in acknowledged
                       if client.get(f"/v1/orders/{order_id}").status_code != 200]
        assert missing == []
    finally:
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(60) == 0
    verified = subprocess.run([sys.executable, "-m", "profitpool", "verify", "--db",
                               served.db], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
