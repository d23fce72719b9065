"""The running service sends events out: signed webhooks, and nothing lost to a kill -9."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
from hookserver import HookServer
from receivers import Listener
from servicehelpers import Service, wait_for
from standardwebhooks.webhooks import Webhook

from profitpool.events.domain import matches, visible_to
from profitpool.events.outbox import Outbox
from profitpool.store.database import connect


def _orders(client: httpx.Client, prefix: str, count: int, member: str = "u") -> None:
    orders = [{"id": f"{prefix}{n}", "member": f"{member}{n % 7}", "amount": "100.00",
               "profit": "20.00"} for n in range(count)]
    response = client.post("/v1/orders:batch", json={"orders": orders})
    assert response.status_code == 200, response.text


def _outbox_ids(db: str, after: int, owner: str) -> list[str]:
    """What an unfiltered endpoint of ``owner`` created at ``after`` is to receive."""
    engine = connect(db)
    try:
        return [event.id for event in Outbox(engine).read(after, 1_000_000)
                if visible_to(event.parties, owner) and matches(event.type, [])]
    finally:
        engine.dispose()


def test_the_service_delivers_signed_events_each_to_its_owner(tmp_path: Path) -> None:
    service = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key",
                      options={"webhooks": True, "webhook_private_targets": True})
    service.setup()
    try:
        with HookServer() as m1_hook, HookServer() as admin_hook, HookServer() as blocks_hook:
            admin = service.admin()
            assert admin.patch("/v1/rules", json={"settle_days": 0}).status_code == 201
            m1 = service.merchant("m1")
            m2 = service.merchant("m2")
            mine = m1.post("/v1/webhooks", json={"url": m1_hook.url}).json()
            everything = admin.post("/v1/webhooks", json={"url": admin_hook.url}).json()
            blocks = admin.post("/v1/webhooks", json={"url": blocks_hook.url,
                                                      "types": ["block.*"]}).json()
            _orders(m1, "a", 5)
            _orders(m2, "b", 5, member="v")
            wait_for(lambda: len(admin.get("/v1/events", params={
                "type": "points.minted"}).json()["data"]) == 10)
            expected_m1 = _outbox_ids(service.db, mine["cursor"], "merchant:m1")
            expected_all = _outbox_ids(service.db, everything["cursor"], "admin")
            wait_for(lambda: m1_hook.ids() == expected_m1 and admin_hook.ids()[
                :len(expected_all)] == expected_all)
            # block.committed only where asked for (it is opt-in), and there every one.
            assert not any(i.startswith("ev_block_") for i in m1_hook.ids() + admin_hook.ids())
            engine = connect(service.db)
            try:
                expected_blocks = [event.id for event in Outbox(engine).read(
                    blocks["cursor"], 1_000_000) if event.type == "block.committed"]
            finally:
                engine.dispose()
            wait_for(lambda: blocks_hook.ids()[:len(expected_blocks)] == expected_blocks)
            assert expected_blocks
            for event_id, headers, body in m1_hook.accepted:
                assert Webhook(mine["secret"]).verify(body, headers)["id"] == event_id
                data = orjson.loads(body)["data"]
                assert data.get("merchant", "m1") == "m1" and not str(
                    data.get("member", "")).startswith("v")
            feed = {item["event"]["id"]: item["event"] for item in admin.get(
                "/v1/events", params={"limit": 1000}).json()["data"]}
            for event_id, _, body in admin_hook.accepted:
                assert orjson.loads(body) == feed[event_id]
            # the receiver may have an event a moment before its delivery row is stored
            log = wait_for(lambda: (rows := admin.get(
                f"/v1/webhooks/{mine['id']}/deliveries").json()["data"]) and len(
                rows) >= len(expected_m1) and rows)
            assert {row["outcome"] for row in log} == {"delivered"}
            assert len(log) == len(expected_m1)
    finally:
        service.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """`profitpool serve` in a subprocess of its own (so it can be killed with -9)."""

    def __init__(self, cwd: Path, port: int, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROFITPOOL_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "profitpool", "serve", "--port", str(port), "--rate", "0",
             "--no-disclose", "--no-auto-burn", *extra], cwd=cwd, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True)
        assert self.process.stdout is not None
        self.lines: list[str] = []
        while not self.lines or not self.lines[-1].startswith("serving on"):
            line = self.process.stdout.readline()
            assert line, f"serve ended early: {self.lines}"
            self.lines.append(line.strip())
        self.base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(self.base))

    def admin_key(self) -> str:
        return next(line for line in self.lines if line.startswith("admin key")).rsplit(
            " ", 1)[1]

    def events_child(self) -> int:
        """The pid of the events process (a child of the service)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()]
        assert pids, "the events process is not running"
        return pids[0]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(60)
        assert self.process.stdout is not None
        self.process.stdout.close()


def _answers(base: str) -> bool:
    try:
        httpx.get(f"{base}/v1/pool", timeout=1)
        return True
    except httpx.TransportError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_kill_9_between_commit_and_delivery_loses_nothing(tmp_path: Path) -> None:
    port = _free_port()
    with HookServer() as hook:
        served = Served(tmp_path, port, "--allow-private-webhooks")  # the hook: 127.0.0.1
        try:
            headers = {"Authorization": f"Bearer {served.admin_key()}"}
            admin = httpx.Client(base_url=served.base, headers=headers, timeout=30)
            assert admin.patch("/v1/rules", json={"settle_days": 0}).status_code == 201
            assert admin.post("/v1/merchants", json={"id": "m1"}).status_code == 201
            endpoint = admin.post("/v1/webhooks", json={"url": hook.url}).json()
            merchant_key = admin.post("/v1/keys", json={"role": "merchant", "party": "m1"}
                                      ).json()["key"]
            m1 = httpx.Client(base_url=served.base, timeout=30,
                              headers={"Authorization": f"Bearer {merchant_key}"})
            _orders(m1, "first", 20)
            wait_for(lambda: len(hook.ids()) > 20)  # healthy: some delivered already
            hook.down = True  # then the receiver fails, and events wait in the outbox
            _orders(m1, "second", 30)
            wait_for(lambda: hook.refused > 0)
            child = served.events_child()
            admin.close()
            m1.close()
        finally:
            served.kill()  # kill -9 of the service: committed, not yet delivered
        wait_for(lambda: not _alive(child), 15)  # the events process leaves with it
        before_kill = set(hook.unique())
        hook.down = False
        served = Served(tmp_path, port, "--allow-private-webhooks")
        try:
            expected = _outbox_ids(f"sqlite:///{tmp_path / 'profitpool.db'}",
                                   endpoint["cursor"], "admin")
            assert len(expected) > len(before_kill) + 30
            wait_for(lambda: hook.unique() == expected, 60)
            # At least once: the only repeats are of deliveries made before the kill whose
            # record the kill cut off; everything sent since is sent once.
            ids = hook.ids()
            repeated = {event_id for event_id in ids if ids.count(event_id) > 1}
            assert repeated <= before_kill
        finally:
            served.stop()


def test_a_private_receiver_stored_earlier_is_never_connected_to_once_not_allowed(
        tmp_path: Path) -> None:
    """Registered while the operator allowed private targets; served again without that
    setting, every delivery to it is refused before connecting and logged as
    forbidden_address, with nothing that tells an open port from a closed one."""
    service = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key",
                      options={"webhook_private_targets": True})
    service.setup()
    try:
        with Listener() as listener:
            admin = service.admin()
            endpoints = [admin.post("/v1/webhooks", json={"url": url}).json()["id"]
                         for url in (f"http://127.0.0.1:{listener.port}/hook",
                                     f"http://localhost:{listener.port}/hook")]
            service.options = {"webhooks": True}
            service.restart()
            admin = service.admin()
            admin.post("/v1/merchants", json={"id": "m1"})  # an event for them
            for endpoint in endpoints:
                rows = wait_for(lambda endpoint=endpoint: admin.get(
                    f"/v1/webhooks/{endpoint}/deliveries").json()["data"])
                assert {row["outcome"] for row in rows} == {"forbidden_address"}
                assert all("not a public address" in row["detail"]
                           and "connect" not in row["detail"] for row in rows)
            assert listener.connections == 0
    finally:
        service.stop()


def _stream_cursor(service: Service) -> int:
    """The last seq the service's events process says it published (0 before it says)."""
    worker = service.admin().get("/v1/events/status").json()["worker"] or {}
    return int((worker.get("stream") or {}).get("cursor", 0))


async def _pull(url: str, stream: str, durable: str, count: int) -> list[tuple[str, bytes]]:
    """Up to ``count`` messages for a durable pull consumer, acknowledged: (msg id, body)."""
    import nats

    connection = await nats.connect(url)
    try:
        subscription = await connection.jetstream().pull_subscribe(
            f"{stream.lower()}.>", durable=durable, stream=stream)
        got: list[tuple[str, bytes]] = []
        while len(got) < count:
            try:
                batch = await subscription.fetch(count - len(got), timeout=2)
            except TimeoutError:
                # nats.errors.TimeoutError, and the plain asyncio.TimeoutError nats-py (2.15,
                # 2.16) raises when its time is up before it sends its second pull request
                break
            for message in batch:
                got.append(((message.headers or {})["Nats-Msg-Id"], message.data))
                await message.ack()
        return got
    finally:
        await connection.close()


async def _drop_stream(url: str, stream: str) -> None:
    import nats

    connection = await nats.connect(url)
    try:
        with contextlib.suppress(Exception):
            await connection.jetstream().delete_stream(stream)
    finally:
        await connection.close()


def test_serve_streams_every_event_once_to_jetstream_across_a_restart(tmp_path: Path) -> None:
    import asyncio

    nats_url = os.environ.get("PROFITPOOL_TEST_NATS")
    if not nats_url:
        pytest.skip("PROFITPOOL_TEST_NATS is not set: the stream tests need a NATS server "
                    "with JetStream (.ci/run sets it)")
    stream = f"SERVE_{uuid.uuid4().hex[:10].upper()}"
    service = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key",
                      options={"events": nats_url, "events_stream": stream})
    service.setup()
    try:
        m1 = service.merchant("m1")
        _orders(m1, "a", 10)
        engine = connect(service.db)
        outbox = Outbox(engine)
        first = outbox.last_seq()
        wait_for(lambda: _stream_cursor(service) >= first)
        seen = asyncio.run(_pull(nats_url, stream, "warehouse", 5))
        service.restart()  # the publisher starts again from what it stored
        _orders(service.client(service.new_key("merchant", "m1")), "b", 10)
        newest = outbox.last_seq()
        wait_for(lambda: _stream_cursor(service) >= newest)
        seen += asyncio.run(_pull(nats_url, stream, "warehouse", 10_000))
        expected = [event.id for event in outbox.read(0, 100_000)]
        engine.dispose()
        assert [event_id for event_id, _ in seen] == expected  # each once, in order
        assert [orjson.loads(body)["id"] for _, body in seen] == expected
        fresh = asyncio.run(_pull(nats_url, stream, "newcomer", 10_000))
        assert [event_id for event_id, _ in fresh] == expected  # a new consumer replays all
    finally:
        service.stop()
        asyncio.run(_drop_stream(nats_url, stream))
