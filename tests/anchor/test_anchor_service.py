"""The service anchors on its schedule, in a thread of its own: a dead chain stops no order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from servicehelpers import Service, wait_for

from profitpool.anchor.devchain import DevChain
from profitpool.cli import main
from profitpool.log.setup import initialise


@pytest.fixture
def chain() -> Iterator[DevChain]:
    served = DevChain()
    yield served
    served.close()


def test_orders_go_on_while_the_chain_is_down_and_anchors_follow_when_it_is_back(
        tmp_path: Path, chain: DevChain) -> None:
    db, key = f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key"
    eth_key = tmp_path / "publisher.eth"
    eth_key.write_text(chain.funded_key()[0])
    eth_key.chmod(0o600)
    initialise(db, key, None)
    deployed = CliRunner().invoke(main, ["anchor", "deploy", "--db", db, "--rpc", chain.url,
                                         "--eth-key", str(eth_key)])
    assert deployed.exit_code == 0, deployed.output
    chain.down = True
    service = Service(db, key, options={
        "anchor_rpc": chain.url, "anchor_eth_key": eth_key, "anchor_every_blocks": 1,
        "anchor_every_minutes": 0, "anchor_poll_seconds": 0.05,
        "anchor_max_backoff_seconds": 0.2}).setup()
    try:
        shop = service.merchant("m1")
        for number in range(20):
            placed = shop.post("/v1/orders", json={
                "id": f"o{number}", "member": f"u{number}", "amount": "100.00",
                "profit": "20.00"})
            assert placed.status_code == 201, placed.text
        public = service.client()
        status = wait_for(lambda: (body := public.get("/v1/anchors").json())["status"][
            "failures"] >= 2 and body)
        assert status["count"] == 0
        assert "the chain at" in status["status"]["last_error"]
        chain.down = False
        anchored = wait_for(lambda: (body := public.get("/v1/anchors").json())["count"]
                             and body["data"][0]["tree_size"] == service_tree_size(public)
                             and body)
        newest = anchored["data"][0]
        assert newest["transaction"].startswith("0x")
        assert newest["chain_id"] == chain.w3.eth.chain_id
        assert anchored["status"]["failures"] == 0 and anchored["status"]["last_error"] is None
        # the explorer shows the transaction next to the anchored block, with chain and contract
        home = public.get("/", params={"lang": "en"}).text
        assert newest["transaction"] in home and newest["contract"] in home
        page = public.get(f"/block/{newest['block']}", params={"lang": "en"}).text
        assert newest["transaction"] in page and f"chain {chain.w3.eth.chain_id}" in page
        assert newest["block"] > 1  # anchoring resumed at the newest block, not block 1
        assert "is not anchored itself" in public.get("/block/1", params={"lang": "en"}).text
    finally:
        service.stop()
    verified = CliRunner().invoke(main, ["verify", "--db", db, "--rpc", chain.url])
    assert verified.exit_code == 0, verified.output
    assert "OK: the log extends all" in verified.output


def service_tree_size(client) -> int:
    return int(client.get("/v1/blocks", params={"limit": 1}).json()["data"][0]["tree_size"])
