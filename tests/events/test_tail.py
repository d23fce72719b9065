"""``profitpool events tail``: from the database and from the service, filtered."""

from __future__ import annotations

import orjson
from click.testing import CliRunner
from eventhelpers import EventLog, shop
from servicehelpers import Service, wait_for

from profitpool.cli import main


def _tail(*args: str) -> list[str]:
    result = CliRunner().invoke(main, ["events", "tail", "--once", *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_tail_from_the_database_prints_every_event_with_filters(
        sqlite_event_log: EventLog) -> None:
    sqlite_event_log.write(shop(merchants=2, orders_each=2))
    url = sqlite_event_log.url
    assert _tail("--db", url) == []  # by default only what comes next
    everything = _tail("--db", url, "--from-start", "--json")
    bodies = [orjson.loads(line) for line in everything]
    assert [body["id"] for body in bodies] == [
        event.id for event in sqlite_event_log.outbox().read(0, 10_000)]
    minted = _tail("--db", url, "--from-start", "--type", "points.minted", "--party",
                   "merchant:m2")
    assert len(minted) == 2 and all("points.minted" in line and "member=u2_" in line
                                    for line in minted)
    after = bodies[3]
    later = _tail("--db", url, "--after", str(4), "--json")
    assert len(later) == len(bodies) - 4 and orjson.loads(later[0])["id"] != after["id"]


def test_tail_refuses_bad_arguments() -> None:
    runner = CliRunner()
    both = runner.invoke(main, ["events", "tail", "--db", "sqlite:///x.db", "--url", "http://x"])
    assert both.exit_code == 2 and "either --url" in both.output
    bad = runner.invoke(main, ["events", "tail", "--db", "sqlite:///x.db", "--type", "nope"])
    assert bad.exit_code == 2 and "not an event type" in bad.output
    missing = runner.invoke(main, ["events", "tail", "--db", "sqlite:////nonexistent/x.db"])
    assert missing.exit_code == 1 and "Error:" in missing.output


def test_tail_from_the_service_sees_what_the_key_may_hear(sqlite_service: Service) -> None:
    admin = sqlite_service.admin()
    assert admin.patch("/v1/rules", json={"settle_days": 0}).status_code == 201
    m1 = sqlite_service.merchant("m1")
    sqlite_service.merchant("m2")
    m2 = sqlite_service.client(sqlite_service.new_key("merchant", "m2"))
    for client, member in ((m1, "a"), (m2, "b")):
        assert client.post("/v1/orders", json={"id": "o1", "member": member, "amount": "10.00",
                                               "profit": "2.00"}).status_code == 201
    wait_for(lambda: len(_tail("--url", sqlite_service.url, "--api-key",
                               sqlite_service.admin_key, "--from-start", "--type",
                               "points.minted")) == 2)
    key = sqlite_service.new_key("merchant", "m1")
    lines = _tail("--url", sqlite_service.url, "--api-key", key, "--from-start", "--json")
    events = [orjson.loads(line) for line in lines]
    assert events and all(e["data"].get("merchant", "m1") == "m1" for e in events)
    assert "b" not in {e["data"].get("member") for e in events}
    refused = CliRunner().invoke(main, ["events", "tail", "--once", "--url", sqlite_service.url,
                                        "--api-key", key, "--party", "merchant:m2"])
    assert refused.exit_code == 1 and "403" in refused.output
