"""Many clients at once, a block that fails to store, and the tiles the log is served as."""

from __future__ import annotations

import base64
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from click.testing import CliRunner
from servicehelpers import Service

from profitpool.chain import merkle
from profitpool.chain.merkle import leaf_hash
from profitpool.chain.note import Verifier, open_checkpoint
from profitpool.chain.tiles import (
    entries_path,
    parse_entry_bundle,
    subtree_from_tiles,
    tile_path,
    tiles_for_size,
)
from profitpool.cli import main
from profitpool.store.database import StoreUnavailable


def _fen(text: str) -> int:
    return int(text.replace(".", ""))


def test_many_clients_at_once_leave_a_log_that_verifies_and_a_pool_that_adds_up(
        service: Service) -> None:
    m1 = service.merchant("m1")
    m1_key = m1.headers["Authorization"]
    for i in range(8):  # a member key is for a member the log knows: one with an order
        assert m1.post("/v1/orders", json={"id": f"first-u{i}", "member": f"u{i}",
                                           "amount": "1.00", "profit": "0.10"}
                       ).status_code == 201
    member_keys = {f"u{i}": service.new_key("member", f"u{i}") for i in range(8)}

    def client_work(worker: int) -> list[int]:
        rng = random.Random(worker)
        statuses = []
        with httpx.Client(base_url=service.url, timeout=60) as client:
            for step in range(25):
                member = f"u{rng.randrange(8)}"
                if step % 3 == 2:
                    response = client.post(
                        f"/v1/members/{member}/withdrawals", json={"points": "1"},
                        headers={"Authorization": f"Bearer {member_keys[member]}"})
                else:
                    response = client.post("/v1/orders", headers={"Authorization": m1_key},
                                           json={"id": f"w{worker}-{step}", "member": member,
                                                 "amount": f"{rng.randrange(1, 500)}.{step:02d}",
                                                 "profit": "10.00"})
                statuses.append(response.status_code)
        return statuses

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for result in pool.map(client_work, range(8)) for s in result]
    assert statuses.count(201) >= 8 * 17  # every order; withdrawals where points allowed
    assert set(statuses) <= {201, 422}  # 422: a member without enough points yet
    head = service.client().get("/v1/pool").json()
    assert _fen(head["pool"]) == (_fen(head["injected"]) - _fen(head["paid_members"])
                                  - _fen(head["paid_merchants"]) - _fen(head["paid_lenders"]))
    blocks = service.client().get("/v1/blocks", params={"limit": 100}).json()["data"]
    assert sum(block["count"] for block in blocks) == head["tree_size"]
    service.stop()
    result = CliRunner().invoke(main, ["verify", "--db", service.db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{head['tree_size']} entries" in result.output.replace(",", "")


def _context(service: Service) -> Any:
    assert service._server is not None
    return service._server.server.config.app.state.context


def test_a_block_that_fails_to_store_is_refused_and_the_service_recovers(
        sqlite_service: Service) -> None:
    m1 = sqlite_service.merchant("m1")
    assert m1.post("/v1/orders", json={"id": "o1", "member": "u1", "amount": "100.00",
                                       "profit": "20.00"}).status_code == 201
    writer = _context(sqlite_service).sequencer.writer
    original = writer.store.append_block

    def fail(*args: Any, **kwargs: Any) -> None:
        raise StoreUnavailable("block was not stored: disk I/O error (simulated)")

    writer.store.append_block = fail
    failed = m1.post("/v1/orders", json={"id": "o2", "member": "u2", "amount": "50.00",
                                         "profit": "10.00"})
    assert (failed.status_code, failed.json()["error"]) == (503, "unavailable")
    writer.store.append_block = original
    # The writer was rebuilt from the database: o2 never happened, and may be sent again.
    head = sqlite_service.client().get("/v1/pool").json()
    assert (head["pool"], head["tree_size"]) == ("6.00", 2)
    retry = m1.post("/v1/orders", json={"id": "o2", "member": "u2", "amount": "50.00",
                                        "profit": "10.00"})
    assert retry.status_code == 201 and retry.json()["replay"] is False
    assert sqlite_service.client().get("/v1/pool").json()["pool"] == "9.00"


def test_the_tiles_served_authenticate_every_entry_against_the_signed_checkpoint(
        sqlite_service: Service) -> None:
    m1 = sqlite_service.merchant("m1")
    orders = [{"id": f"o{i}", "member": f"u{i % 40}", "amount": "10.00", "profit": "1.00"}
              for i in range(600)]
    assert m1.post("/v1/orders:batch", json={"orders": orders}).status_code == 200
    public = sqlite_service.client().get("/v1/public-key").json()
    text = sqlite_service.client().get("/checkpoint").text
    checkpoint = open_checkpoint(text, Verifier.parse(public["verifier_key"]))
    size = checkpoint.size
    assert size == 601  # the merchant's registration and 600 orders
    client = sqlite_service.client()
    stored: dict[tuple[int, int], bytes] = {}
    for level, index, width in tiles_for_size(size):
        response = client.get("/" + tile_path(level, index, width))
        assert response.status_code == 200, (level, index, width)
        assert len(response.content) == 32 * width
        stored[(level, index)] = response.content
    root = merkle.tree_root(size, subtree_from_tiles(lambda lv, ix: stored[(lv, ix)]))
    assert base64.b64encode(root).decode() == base64.b64encode(checkpoint.root).decode()
    leaves = b""
    for index in range((size + 255) // 256):
        width = min(256, size - index * 256)
        bundle = client.get("/" + entries_path(index, width))
        assert bundle.status_code == 200
        leaves += b"".join(leaf_hash(entry) for entry in parse_entry_bundle(bundle.content))
    assert leaves == b"".join(stored[(0, i)] for i in range((size + 255) // 256))
    # Beyond the tree, and non-canonical paths, are not found.
    assert client.get("/" + tile_path(0, 2, 91)).status_code == 404
    assert client.get("/tile/0/002.p/256").status_code == 404
    assert client.get("/tile/0/0002").status_code == 404


def test_snapshots_are_taken_while_serving_and_a_restart_starts_from_one(
        tmp_path: Any) -> None:
    running = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key",
                      options={"snapshot_every": 100, "block_entries": 20})
    running.setup()
    try:
        m1 = running.merchant("m1")
        for start in range(0, 250, 50):
            orders = [{"id": f"o{i}", "member": f"u{i % 9}", "amount": "10.00",
                       "profit": "1.00"} for i in range(start, start + 50)]
            assert m1.post("/v1/orders:batch", json={"orders": orders}).status_code == 200
        before = running.client().get("/v1/pool").json()
        running.restart()
        writer = _context(running).sequencer.writer
        assert writer.snapshot_size >= 200  # taken by a forked child while serving
        assert writer.snapshot_failures == 0
        assert running.client().get("/v1/pool").json() == before
    finally:
        running.stop()
