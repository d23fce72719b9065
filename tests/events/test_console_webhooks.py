"""Webhooks in the operator console and the merchant portal: the API's rules, in forms."""

from __future__ import annotations

import re

from servicehelpers import Service


def _signed_in(service: Service, area: str, key: str) -> object:
    client = service.client()
    assert client.post(f"{area}/login", data={"key": key}).status_code == 303
    return client


def test_the_console_registers_lists_toggles_and_deletes_endpoints(
        sqlite_service: Service) -> None:
    client = _signed_in(sqlite_service, "/console", sqlite_service.admin_key)
    made = client.post("/console/webhook-create", data={  # type: ignore[attr-defined]
        "owner": "lender:bank", "url": "https://example.com/hook", "types": "pledge.*, lot.exited",
        "description": "bank"})
    assert made.status_code == 200
    secret = re.search(r'id="webhook-secret">(whsec_[^<]+)<', made.text)
    assert secret is not None
    [endpoint] = sqlite_service.admin().get("/v1/webhooks").json()["data"]
    assert endpoint["owner"] == "lender:bank"
    assert endpoint["types"] == ["pledge.*", "lot.exited"]
    page = client.get("/console").text  # type: ignore[attr-defined]
    assert endpoint["id"] in page and "https://example.com/hook" in page
    assert secret.group(1) not in page  # shown once only
    client.post("/console/webhook-disable", data={"id": endpoint["id"]})  # type: ignore[attr-defined]
    assert sqlite_service.admin().get(f"/v1/webhooks/{endpoint['id']}").json()["enabled"] is False
    log = client.get(f"/console/webhooks/{endpoint['id']}")  # type: ignore[attr-defined]
    assert log.status_code == 200 and 'id="deliveries"' in log.text
    client.post("/console/webhook-delete", data={"id": endpoint["id"]})  # type: ignore[attr-defined]
    assert sqlite_service.admin().get("/v1/webhooks").json()["data"] == []


def test_the_console_refuses_bad_urls_and_stores_nothing(sqlite_service: Service) -> None:
    client = _signed_in(sqlite_service, "/console", sqlite_service.admin_key)
    for url in ("ftp://example.com/", "http://u:p@example.com/", ""):
        answer = client.post("/console/webhook-create", data={"url": url})  # type: ignore[attr-defined]
        assert 'id="refused"' in answer.text and "invalid_url" in answer.text
    answer = client.post("/console/webhook-create", data={  # type: ignore[attr-defined]
        "url": "https://example.com/", "types": "nothing.here"})
    assert 'id="refused"' in answer.text
    assert sqlite_service.admin().get("/v1/webhooks").json()["data"] == []


def test_a_merchant_manages_only_its_own_endpoints(sqlite_service: Service) -> None:
    sqlite_service.merchant("m1")
    sqlite_service.merchant("m2")
    m1 = _signed_in(sqlite_service, "/merchant",
                    sqlite_service.new_key("merchant", "m1"))
    made = m1.post("/merchant/webhook-create", data={  # type: ignore[attr-defined]
        "url": "https://example.com/m1", "owner": "admin"})  # the owner field is ignored
    assert 'id="webhook-secret"' in made.text
    [mine] = sqlite_service.admin().get("/v1/webhooks").json()["data"]
    assert mine["owner"] == "merchant:m1"
    other = sqlite_service.admin().post("/v1/webhooks", json={
        "url": "https://example.com/m2", "owner": "merchant:m2"}).json()
    page = m1.get("/merchant").text  # type: ignore[attr-defined]
    assert mine["id"] in page and other["id"] not in page
    refused = m1.post("/merchant/webhook-delete", data={"id": other["id"]})  # type: ignore[attr-defined]
    assert 'id="refused"' in refused.text
    assert m1.get(f"/merchant/webhooks/{other['id']}").status_code == 200  # type: ignore[attr-defined]
    assert 'id="refused"' in m1.get(f"/merchant/webhooks/{other['id']}").text  # type: ignore[attr-defined]
    assert len(sqlite_service.admin().get("/v1/webhooks").json()["data"]) == 2
