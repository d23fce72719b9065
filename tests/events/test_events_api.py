"""/v1/events and /v1/webhooks: who may register what, who hears what, bad URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from servicehelpers import Service, wait_for

RECEIVER = "https://93.184.216.34"
"""A public address (nothing is sent to it: these services run no events process)."""


def _shop(service: Service) -> tuple[object, object]:
    admin = service.admin()
    assert admin.patch("/v1/rules", json={"settle_days": 0}).status_code == 201
    m1 = service.merchant("m1")
    m2 = service.merchant("m2")
    for n in range(2):
        for merchant, client in (("m1", m1), ("m2", m2)):
            response = client.post("/v1/orders", json={
                "id": f"o{n}", "member": f"u_{merchant}_{n}",
                "amount": "100.00", "profit": "20.00"})
            assert response.status_code == 201, response.text
    # Orders settle at once (settle_days 0): on the writer's next tick.
    wait_for(lambda: len([e for e in _feed(service.admin()) if e["type"] == "points.minted"])
             == 4)
    return m1, m2


def _feed(client: object, **params: object) -> list[dict[str, object]]:
    response = client.get("/v1/events", params={"limit": 1000, **params})  # type: ignore[attr-defined]
    assert response.status_code == 200, response.text
    return [item["event"] for item in response.json()["data"]]


def test_each_key_hears_only_its_own_party(service: Service) -> None:
    m1, m2 = _shop(service)
    everything = _feed(service.admin())
    assert {"order.placed", "order.settled", "points.minted", "block.committed",
            "rules.changed", "merchant.registered"} <= {e["type"] for e in everything}
    mine = _feed(m1)
    assert mine and all(e["data"].get("merchant", "m1") == "m1" for e in mine)
    # Members are pseudonyms; beside them, m1 sees the ids it sent itself, never m2's.
    assert all(str(e["data"].get("member", "p-")).startswith("p-") for e in mine)
    named = {name for e in mine for name in e.get("member_ids", {}).values()}
    assert named == {"u_m1_0", "u_m1_1"}
    theirs = _feed(m2)
    assert {e["id"] for e in mine} & {e["id"] for e in theirs} == {
        e["id"] for e in everything if e["type"] in ("block.committed", "rules.changed")}
    assert m1.get("/v1/events", params={"party": "merchant:m2"}).status_code == 403
    only = _feed(service.admin(), party="merchant:m2", type="points.minted")
    assert {e["member_ids"][e["data"]["member"]] for e in only} == {"u_m2_0", "u_m2_1"}
    assert service.admin().get("/v1/events", params={"type": "nope"}).status_code == 400


def test_feed_pages_in_commit_order(service: Service) -> None:
    _shop(service)
    admin = service.admin()
    seen: list[int] = []
    after = 0
    while True:
        page = admin.get("/v1/events", params={"after": after, "limit": 3}).json()
        if not page["data"]:
            break
        seen += [item["seq"] for item in page["data"]]
        after = page["next"]
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert seen[-1] == page["newest"]


def test_merchants_register_only_for_themselves(service: Service) -> None:
    m1, _ = _shop(service)
    created = m1.post("/v1/webhooks", json={"url": f"{RECEIVER}/hook",
                                            "types": ["order.*"]})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["owner"] == "merchant:m1" and body["secret"].startswith("whsec_")
    assert m1.post("/v1/webhooks", json={"url": f"{RECEIVER}/x",
                                         "owner": "merchant:m2"}).status_code == 403
    listed = m1.get("/v1/webhooks").json()["data"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert "secret" not in listed[0]
    m2 = service.client(service.new_key("merchant", "m2"))
    assert m2.get(f"/v1/webhooks/{body['id']}").status_code == 404
    assert m2.delete(f"/v1/webhooks/{body['id']}").status_code == 404
    assert m2.get("/v1/webhooks").json()["data"] == []
    member = service.member("u_m1_0")
    assert member.post("/v1/webhooks", json={"url": f"{RECEIVER}/"}).status_code == 403
    # The admin registers for anyone, and sees every endpoint.
    admin = service.admin()
    other = admin.post("/v1/webhooks", json={"url": f"{RECEIVER}/y",
                                             "owner": "lender:bank"})
    assert other.status_code == 201 and other.json()["owner"] == "lender:bank"
    assert len(admin.get("/v1/webhooks").json()["data"]) == 2


def test_endpoint_life_cycle(service: Service) -> None:
    admin = service.admin()
    created = admin.post("/v1/webhooks", json={"url": f"{RECEIVER}/a"}).json()
    endpoint = created["id"]
    changed = admin.patch(f"/v1/webhooks/{endpoint}", json={
        "enabled": False, "types": ["points.minted"], "url": f"{RECEIVER}/b"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["enabled"] is False and changed.json()["types"] == ["points.minted"]
    rotated = admin.post(f"/v1/webhooks/{endpoint}/secret").json()["secret"]
    assert rotated.startswith("whsec_") and rotated != created["secret"]
    assert admin.post(f"/v1/webhooks/{endpoint}/replay",
                      json={"first": 1}).status_code == 400  # nothing told yet
    assert admin.get(f"/v1/webhooks/{endpoint}/deliveries").json()["data"] == []
    assert admin.delete(f"/v1/webhooks/{endpoint}").status_code == 204
    assert admin.get(f"/v1/webhooks/{endpoint}").status_code == 404


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.com/x", "not http(s)"),
    ("file:///etc/passwd", "not http(s)"),
    ("javascript:alert(1)", "not http(s)"),
    ("http://user:secret@example.com/", "user or"),
    ("http:///nohost", "names no host"),
    ("http://example.com:99999/", "not a URL"),
])
def test_bad_urls_are_refused_and_nothing_is_stored(service: Service, url: str,
                                                    reason: str) -> None:
    admin = service.admin()
    response = admin.post("/v1/webhooks", json={"url": url})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_url"
    assert reason in response.json()["message"]
    assert admin.get("/v1/webhooks").json()["data"] == []


@pytest.mark.parametrize("host", ["127.0.0.1:9", "10.0.0.1", "169.254.169.254", "[::1]",
                                  "localhost:8080", "192.168.0.10", "100.64.0.1"])
def test_private_targets_are_refused_by_default_and_nothing_is_stored(
        sqlite_service: Service, host: str) -> None:
    admin = sqlite_service.admin()
    response = admin.post("/v1/webhooks", json={"url": f"http://{host}/hook"})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_url"
    assert "which is not a public address" in response.json()["message"]
    assert admin.get("/v1/webhooks").json()["data"] == []
    made = admin.post("/v1/webhooks", json={"url": f"{RECEIVER}/hook"}).json()
    moved = admin.patch(f"/v1/webhooks/{made['id']}", json={"url": f"http://{host}/hook"})
    assert (moved.status_code, moved.json()["error"]) == (400, "invalid_url")
    assert admin.get(f"/v1/webhooks/{made['id']}").json()["url"] == f"{RECEIVER}/hook"


def test_the_operator_s_setting_allows_private_targets(tmp_path: Path) -> None:
    service = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key",
                      options={"webhook_private_targets": True}).setup()
    try:
        for url in ("http://127.0.0.1:9/hook", "http://10.0.0.1/hook", "http://localhost/h"):
            response = service.admin().post("/v1/webhooks", json={"url": url})
            assert response.status_code == 201, response.text
    finally:
        service.stop()


def test_bad_filters_and_fields_are_refused(service: Service) -> None:
    admin = service.admin()
    bad = admin.post("/v1/webhooks", json={"url": f"{RECEIVER}/", "types": ["nope.*"]})
    assert bad.status_code == 400 and "matches no event type" in bad.json()["message"]
    assert admin.post("/v1/webhooks", json={"url": f"{RECEIVER}/",
                                            "owner": "member:u1"}).status_code == 400
    assert admin.post("/v1/webhooks", json={"url": f"{RECEIVER}/",
                                            "extra": 1}).status_code == 400
    assert admin.get("/v1/webhooks").json()["data"] == []


def test_openapi_documents_every_event(service: Service) -> None:
    from profitpool.events.domain import EVENT_TYPES

    document = service.client().get("/openapi.json").json()
    assert set(document["webhooks"]) == set(EVENT_TYPES)
    ref = document["webhooks"]["points.minted"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["properties"]["data"]["properties"]["points"]["pattern"]
    assert "/v1/webhooks" in document["paths"] and "/v1/events" in document["paths"]


def test_the_feed_long_polls_until_an_event_comes(sqlite_service: Service) -> None:
    """Nothing is there when the request arrives: the event in the answer came while it
    waited (without ``wait`` the answer would be empty)."""
    import threading

    admin = sqlite_service.admin()
    newest = admin.get("/v1/events", params={"limit": 1}).json()["newest"]
    later = threading.Timer(0.5, lambda: sqlite_service.admin().post(
        "/v1/merchants", json={"id": "late"}))
    later.start()
    try:
        page = admin.get("/v1/events", params={"after": newest, "wait": 20}).json()
    finally:
        later.join()
    assert [item["event"]["type"] for item in page["data"]][:1] == ["merchant.registered"]
    assert page["data"][0]["event"]["data"]["merchant"] == "late"
