"""Faults a running service meets, and what each costs: a bad command only itself, an
outage of its database only the writes and reads that need it, a tampered answer nothing.

Blocks are group commits of every request that arrives within ``block_wait_ms``;
these tests widen that window so concurrent requests share one block, which is
where one bad command used to fail all its neighbours.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from click.testing import CliRunner
from servicehelpers import Service, wait_for
from sqlalchemy import update

from databases import fresh_database
from faultproxy import FaultProxy
from profitpool.cli import main
from profitpool.store.database import StoreError, connect
from profitpool.store.repository import LogStore
from profitpool.store.schema import idempotency

SHARED_BLOCK = {"block_wait_ms": 400.0}
"""Requests arriving within 0.4 s of a block's first one join it."""


def _fen(text: str) -> int:
    whole, _, cents = text.partition(".")
    return int(whole) * 100 + int(cents or 0)


def _verify(service: Service) -> str:
    result = CliRunner().invoke(main, ["verify", "--db", service.db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run every call in its own thread, released together; their answers in order."""
    start = threading.Barrier(len(calls))
    answers: list[httpx.Response | None] = [None] * len(calls)

    def run(position: int) -> None:
        start.wait()
        answers[position] = calls[position]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(answer is not None for answer in answers)
    return answers  # type: ignore[return-value]


def _order(client: httpx.Client, order_id: str, member: str = "u1") -> httpx.Response:
    return client.post("/v1/orders", json={"id": order_id, "member": member,
                                           "amount": "10.00", "profit": "2.00"})


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Service]:
    """A service on SQLite whose concurrent requests share blocks."""
    running = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key",
                      options=SHARED_BLOCK).setup()
    try:
        yield running
    finally:
        running.stop()


# 1. one bad command fails alone -----------------------------------------------------


@pytest.mark.parametrize("field, when", [("end", "9999-12-31T23:59:59Z"),
                                         ("start", "0001-01-01T00:00:00+14:00")])
def test_a_time_the_log_cannot_write_is_invalid_time_and_its_block_goes_on(
        shared: Service, field: str, when: str) -> None:
    m1 = shared.merchant("m1")
    campaign = {"id": "c1", "merchant": None, "multiplier": "2",
                "start": "2026-03-01T00:00:00+08:00", "end": "2026-04-01T00:00:00+08:00",
                field: when}
    calls: list[Callable[[], httpx.Response]] = [
        (lambda i=i: _order(m1, f"o{i}", f"u{i}")) for i in range(20)]
    calls.insert(10, lambda: shared.admin().post("/v1/campaigns", json=campaign))
    answers = _at_once(calls)
    refused = answers.pop(10)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_time"
    assert "outside the times the log can hold" in refused.json()["message"]
    assert [answer.status_code for answer in answers] == [201] * 20
    assert len({answer.json()["entry"]["block"] for answer in answers}) < 20  # blocks shared
    assert shared.client().get("/v1/pool").json()["tree_size"] == 21
    _verify(shared)


def test_a_command_whose_entry_cannot_be_encoded_fails_alone(
        shared: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the checks miss: the writer rebuilds and runs each command of the block
    alone; only the command that cannot be written is refused, as a fault of the service."""
    import profitpool.log.seal as seal

    encode = seal.entry_bytes

    def fussy(command: Any, effects: Any) -> bytes:
        if getattr(command, "id", "") == "m1:bad":
            raise ValueError("cannot encode (simulated)")
        return encode(command, effects)

    monkeypatch.setattr(seal, "entry_bytes", fussy)
    m1 = shared.merchant("m1")
    batch = [{"id": f"b{i}", "member": f"u{i}", "amount": "10.00", "profit": "2.00"}
             for i in range(5)]
    batch.insert(2, {"id": "bad", "member": "u9", "amount": "10.00", "profit": "2.00"})
    calls: list[Callable[[], httpx.Response]] = [
        (lambda i=i: _order(m1, f"o{i}", f"u{i}")) for i in range(8)]
    calls.append(lambda: m1.post("/v1/orders:batch", json={"orders": batch}))
    answers = _at_once(calls)
    assert [answer.status_code for answer in answers[:8]] == [201] * 8
    results = answers[8].json()["results"]
    assert [item["status"] for item in results] == [201, 201, 500, 201, 201, 201]
    assert results[2]["error"] == "internal_error"
    assert (answers[8].json()["accepted"], answers[8].json()["rejected"]) == (5, 1)
    pool = shared.client().get("/v1/pool").json()
    assert pool["tree_size"] == 1 + 8 + 5
    assert pool["pool"] == f"{13 * 0.6:.2f}"
    monkeypatch.setattr(seal, "entry_bytes", encode)
    _verify(shared)


def test_a_block_the_database_refuses_is_stored_without_the_command_that_broke_it(
        shared: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal that is not an outage (a constraint, a value the database cannot hold):
    each command is stored in a block of its own, and the one it refuses fails alone."""
    store = LogStore.append_block

    def refusing(self: LogStore, block: Any, entries: list[bytes], *rest: Any) -> None:
        if any(b'"m1:poison"' in data for data in entries):
            raise StoreError(f"block {block.header.height} was not stored: value too long "
                             "(simulated)")
        store(self, block, entries, *rest)

    monkeypatch.setattr(LogStore, "append_block", refusing)
    m1 = shared.merchant("m1")
    calls: list[Callable[[], httpx.Response]] = [
        (lambda i=i: _order(m1, f"o{i}", f"u{i}")) for i in range(6)]
    calls.insert(3, lambda: _order(m1, "poison", "u7"))
    answers = _at_once(calls)
    poisoned = answers.pop(3)
    assert (poisoned.status_code, poisoned.json()["error"]) == (500, "internal_error")
    assert [answer.status_code for answer in answers] == [201] * 6
    retried = _order(m1, "o0", "u0")  # a neighbour's retry is its first answer
    assert retried.status_code == 200 and retried.json()["replay"] is True
    monkeypatch.setattr(LogStore, "append_block", store)
    assert shared.client().get("/v1/pool").json()["tree_size"] == 7
    _verify(shared)


# 2. the database goes away and comes back -------------------------------------------


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}@127.0.0.1:{port}" if parts.username else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def cuttable(tmp_path: Path) -> Iterator[tuple[Service, FaultProxy]]:
    """A service on PostgreSQL, reached through a proxy the test can cut."""
    with fresh_database("postgresql", tmp_path) as url:
        parts = urlsplit(url)
        proxy = FaultProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
        running = Service(_through(url, proxy.port), tmp_path / "operator.key").setup()
        try:
            yield running, proxy
        finally:
            proxy.mend()
            running.stop()
            proxy.close()


def test_a_database_outage_gives_503s_with_retry_after_reads_from_memory_and_two_log_lines(
        cuttable: tuple[Service, FaultProxy], caplog: pytest.LogCaptureFixture) -> None:
    service, proxy = cuttable
    m1 = service.merchant("m1")
    for number in range(3):
        assert _order(m1, f"o{number}").status_code == 201
    admin = service.admin()
    assert admin.get("/v1/merchants").status_code == 200
    never_used = service.client(service.new_key("member", "u1"))
    before = service.client().get("/v1/pool").json()
    caplog.set_level(logging.INFO)
    caplog.clear()

    proxy.cut()
    time.sleep(1.2)  # past the key cache: every key's record is due to be read again
    writes = _at_once([(lambda i=i: _order(m1, f"down{i}")) for i in range(20)])
    for answer in writes:
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"] == "unavailable"
        assert int(answer.headers["Retry-After"]) >= 1
    reads_from_memory = {
        "/v1/pool": service.client(), "/v1/merchants": admin, "/v1/rules": service.client(),
        "/v1/merchants/m1": m1, "/checkpoint": service.client()}
    for path, client in reads_from_memory.items():
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
    assert service.client().get("/v1/pool").json() == before
    for path in ("/v1/entries/0", "/v1/blocks", "/v1/blocks/1", "/v1/proofs/inclusion?index=0",
                 "/tile/0/000.p/1", "/v1/rules/history"):
        response = service.client().get(path)
        assert response.status_code == 503, (path, response.text)
        assert response.json()["error"] == "unavailable"
        assert "Retry-After" in response.headers
    unknown = never_used.get("/v1/members/u1")
    assert (unknown.status_code, unknown.json()["error"]) == (503, "unavailable")
    explorer = httpx.get(f"{service.url}/")
    assert explorer.status_code == 503 and "text/html" in explorer.headers["content-type"]

    proxy.mend()
    back = wait_for(lambda: (response := _order(m1, "after")).status_code == 201 and response,
                    seconds=30)
    assert back.json()["replay"] is False
    assert service.client().get("/v1/entries/0").status_code == 200

    lines = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert not [record for record in lines if record.exc_info], \
        [record.getMessage() for record in lines]
    down = [r for r in lines if "database is unavailable" in r.getMessage()]
    up = [r for r in lines if "database answers again" in r.getMessage()]
    assert (len(down), len(up)) == (1, 1), [record.getMessage() for record in lines]
    assert len(lines) <= 4, [record.getMessage() for record in lines]
    messages = " ".join(record.getMessage() for record in lines)
    assert "was not stored: block" not in messages  # never the same sentence twice
    service.stop()
    output = _verify(service)
    assert "5 entries" in output  # the merchant, three orders, and the one after


# 12. small things --------------------------------------------------------------------


def test_a_withdrawal_that_would_pay_nothing_is_refused_and_says_why(
        service: Service) -> None:
    m1 = service.merchant("m1")
    assert _order(m1, "o1").status_code == 201  # 10.00, profit 2.00: pool 0.60, 2.1 points
    u1 = service.member("u1")
    before = service.client().get("/v1/pool").json()
    for path in ("/v1/members/u1/withdrawals", "/v1/members/u1/withdrawals:preview"):
        refused = u1.post(path, json={"points": "0.0100"})
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"] == "invalid_points"
        assert "would pay 0.00 CNY" in refused.json()["message"]
        assert "withdraw_payout_rate 0.8" in refused.json()["message"]
    payment = u1.post("/v1/members/u1/payments", json={"merchant": "m1", "points": "0.0001"})
    assert (payment.status_code, payment.json()["error"]) == (400, "invalid_points")
    assert service.client().get("/v1/pool").json() == before
    paid = u1.post("/v1/members/u1/withdrawals", json={"points": "1"})
    assert paid.status_code == 201
    [withdrawn] = [e for e in paid.json()["entry"]["effects"] if e["type"] == "withdrawn"]
    assert _fen(withdrawn["paid"]) > 0


def test_an_edited_idempotency_answer_is_never_served_as_another_request_s(
        service: Service) -> None:
    m1 = service.merchant("m1")
    assert _order(m1, "o1", "u1").status_code == 201
    u1 = service.member("u1")
    first = u1.post("/v1/members/u1/withdrawals", json={"points": "1"},
                    headers={"Idempotency-Key": "k1"})
    second = u1.post("/v1/members/u1/withdrawals", json={"points": "0.5"},
                     headers={"Idempotency-Key": "k2"})
    assert first.status_code == second.status_code == 201
    other = second.json()["entry"]
    service.stop()  # the first answers are held in memory too: start afresh
    engine = connect(service.db)
    try:
        with engine.begin() as connection:
            connection.execute(update(idempotency).where(idempotency.c.key == "k1").values(
                response=f'{{"index": {other["index"]}, "block": {other["block"]}}}'.encode()))
    finally:
        engine.dispose()
    service.start()
    u1 = service.member("u1")
    before = service.client().get("/v1/pool").json()
    retried = u1.post("/v1/members/u1/withdrawals", json={"points": "1"},
                      headers={"Idempotency-Key": "k1"})
    assert retried.status_code == 500, retried.text
    assert retried.json()["error"] == "internal_error"
    assert "does not match the log entry it names" in retried.json()["message"]
    assert service.client().get("/v1/pool").json() == before
    honest = u1.post("/v1/members/u1/withdrawals", json={"points": "0.5"},
                     headers={"Idempotency-Key": "k2"})
    assert honest.status_code == 200 and honest.json()["entry"] == {**other}
