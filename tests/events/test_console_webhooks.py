"""Webhooks in the operator console and the merchant portal: the API's rules, in forms."""

from __future__ import annotations

import re
from pathlib import Path

from markupsafe import escape
from servicehelpers import Service

from profitpool.web.i18n import CATALOGUE


def _signed_in(service: Service, area: str, key: str) -> object:
    return service.signed_in(area, key)


def test_the_console_registers_lists_toggles_and_deletes_endpoints(
        sqlite_service: Service) -> None:
    client = _signed_in(sqlite_service, "/console", sqlite_service.admin_key)
    made = client.post("/console/webhook-create", data={  # type: ignore[attr-defined]
        "owner": "lender:bank", "url": "https://93.184.216.34/hook",
        "types": "pledge.*, lot.exited", "description": "bank"})
    assert made.status_code == 200
    secret = re.search(r'id="webhook-secret">(whsec_[^<]+)<', made.text)
    assert secret is not None
    [endpoint] = sqlite_service.admin().get("/v1/webhooks").json()["data"]
    assert endpoint["owner"] == "lender:bank"
    assert endpoint["types"] == ["pledge.*", "lot.exited"]
    page = client.get("/console").text  # type: ignore[attr-defined]
    assert endpoint["id"] in page and "https://93.184.216.34/hook" in page
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
        "url": "https://93.184.216.34/", "types": "nothing.here"})
    assert 'id="refused"' in answer.text
    assert sqlite_service.admin().get("/v1/webhooks").json()["data"] == []


def test_a_merchant_manages_only_its_own_endpoints(sqlite_service: Service) -> None:
    sqlite_service.merchant("m1")
    sqlite_service.merchant("m2")
    m1 = _signed_in(sqlite_service, "/merchant",
                    sqlite_service.new_key("merchant", "m1"))
    made = m1.post("/merchant/webhook-create", data={  # type: ignore[attr-defined]
        "url": "https://93.184.216.34/m1", "owner": "admin"})  # the owner field is ignored
    assert 'id="webhook-secret"' in made.text
    [mine] = sqlite_service.admin().get("/v1/webhooks").json()["data"]
    assert mine["owner"] == "merchant:m1"
    other = sqlite_service.admin().post("/v1/webhooks", json={
        "url": "https://93.184.216.34/m2", "owner": "merchant:m2"}).json()
    page = m1.get("/merchant").text  # type: ignore[attr-defined]
    assert mine["id"] in page and other["id"] not in page
    refused = m1.post("/merchant/webhook-delete", data={"id": other["id"]})  # type: ignore[attr-defined]
    assert 'id="refused"' in refused.text
    assert m1.get(f"/merchant/webhooks/{other['id']}").status_code == 200  # type: ignore[attr-defined]
    assert 'id="refused"' in m1.get(f"/merchant/webhooks/{other['id']}").text  # type: ignore[attr-defined]
    assert len(sqlite_service.admin().get("/v1/webhooks").json()["data"]) == 2


def test_the_console_says_whether_webhooks_may_go_to_private_addresses(
        sqlite_service: Service, tmp_path: Path) -> None:
    client = _signed_in(sqlite_service, "/console", sqlite_service.admin_key)
    line = re.search(r'id="webhook-targets">([^<]+)<',
                     client.get("/console?lang=en").text)  # type: ignore[attr-defined]
    assert line is not None and line.group(1) == CATALOGUE["webhooks_private_refused"]["en"]
    allowing = Service(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other.key",
                       options={"webhook_private_targets": True}).setup()
    try:
        client = _signed_in(allowing, "/console", allowing.admin_key)
        line = re.search(r'id="webhook-targets">([^<]+)<',
                         client.get("/console?lang=zh").text)  # type: ignore[attr-defined]
        assert line is not None
        assert line.group(1) == str(escape(CATALOGUE["webhooks_private_allowed"]["zh"]))
    finally:
        allowing.stop()
