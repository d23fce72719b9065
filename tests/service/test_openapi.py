"""The OpenAPI document holds: schemathesis against the running service.

Requests are generated from the service's own ``/openapi.json``, valid and
invalid ones. Every answer must be no 5xx, have a documented status, content
type and body, refuse invalid input with a 4xx, answer an undeclared method
with 405 and an Allow header, and (where a key is needed) refuse the request
without its key. The public endpoints are called without a key; the other
reads with an admin key; the writes with an admin key and with a merchant
key; a member's and a lender's writes with that party's own key.

Bounded for CI: 25 examples per operation, derandomized, no example
database, no deadline (writes wait for their block). The tests after the
schemathesis runs pin what those runs found, so that it stays fixed
whatever the generator draws.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from servicehelpers import Service

from databases import BACKENDS, fresh_database
from profitpool.service import Settings
from profitpool.web import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection,
          missing_required_header, unsupported_method, ignored_auth]
"""Not run: positive_data_acceptance (an admin's GET /v1/orders must name ?merchant=,
which only a merchant key may leave out) and allow_header_conformance (Starlette's
405 lists the methods of the first route with the path: GET /v1/rules, not PATCH)."""

BOUNDED = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck), print_blob=False)

PUBLIC = "^(public|tlog-tiles)$"
WRITES = ["POST", "PATCH", "DELETE"]


def checks_for(case: Case[Any]) -> list[Any]:
    """CHECKS, but a query parameter sent several times is not "invalid data": Starlette
    takes its last value, as most servers do (so ``?start=x&start=0`` reads from 0)."""
    repeated = any(isinstance(value, list) for value in (case.query or {}).values())
    return [check for check in CHECKS if not (repeated and check is negative_data_rejection)]


@dataclass
class Running:
    service: Service
    merchant_key: str
    """m1's."""
    member_key: str
    """u1's."""
    lender_key: str
    """b1's, the lender of u1's pledge pl1."""

    @property
    def admin_key(self) -> str:
        return self.service.admin_key


@pytest.fixture(scope="module", params=BACKENDS)
def running(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A service with a little in it (merchant m1, lender b1, member u1 with an order and a
    pledge), so that generated requests find something to read and act on."""
    tmp = tmp_path_factory.mktemp("openapi")
    with fresh_database(request.param, tmp) as url:
        # Generated requests long-poll the event feed with random waits: keep them short.
        service = Service(url, tmp / "operator.key",
                          options={"events_max_wait_seconds": 0.1}).setup()
        try:
            admin = service.admin()
            merchant = service.merchant("m1", name="Tea House")
            assert admin.post("/v1/lenders", json={"id": "b1"}).status_code == 201
            assert merchant.post("/v1/orders", json={
                "id": "o1", "member": "u1", "amount": "1000.00", "profit": "1000.00"}
            ).status_code == 201
            member = service.member("u1")
            assert member.post("/v1/members/u1/pledges", json={
                "id": "pl1", "lender": "b1", "points": "10", "loan": "1.00"}
            ).status_code == 201
            yield Running(service, service.new_key("merchant", "m1"),
                          service.new_key("member", "u1"), service.new_key("lender", "b1"))
        finally:
            service.stop()


# An explicit configuration (no schemathesis.toml found on the way is read) that draws the
# same requests every run: nothing learnt from the answers, which hold random keys, signatures
# and times, flows back into what is generated.
NO_FEEDBACK = {"extra-data-sources": {"responses": False}}
CONFIG = schemathesis.Config.from_dict({
    "generation": {"mode": "all", "with-security-parameters": False},
    "phases": {
        "examples": NO_FEEDBACK,
        "coverage": {**NO_FEEDBACK, "generate-duplicate-query-parameters": False},
        "fuzzing": {**NO_FEEDBACK, "error-feedback": {"enabled": False}},
    },
})


def served_document() -> dict[str, Any]:
    """The document the service serves at ``/openapi.json`` (``profitpool serve`` serves the
    API with the pages: web/app.py, whose routers add operations too). The app builds it without its
    database (only its lifespan opens that), so the schema is known when pytest collects:
    each operation is a test of its own, and no fixture has to hand schemathesis a schema
    (``schemathesis.pytest.from_fixture`` reads pytest's private ``Node._nodeid``, which
    pytest 9.2 removed). ``test_the_generated_requests_follow_the_served_document`` checks
    that it is the document the running service serves."""
    return create_app(Settings(db="sqlite://", key=Path("unused.key"))).openapi()


schema = schemathesis.openapi.from_dict(served_document(), config=CONFIG)


def call_and_validate(case: Case[Any], running: Running, key: str | None = None) -> None:
    """The case sent to the running service, with ``key`` as its bearer token if given."""
    headers = {"Authorization": f"Bearer {key}"} if key else None
    case.call_and_validate(base_url=running.service.url, headers=headers, checks=checks_for(case))


@schema.include(tag_regex=PUBLIC).parametrize()
@BOUNDED
def test_public_endpoints_without_a_key(case: Case[Any], running: Running) -> None:
    call_and_validate(case, running)


@schema.include(method="GET").exclude(tag_regex=PUBLIC).parametrize()
@BOUNDED
def test_reads_with_an_admin_key(case: Case[Any], running: Running) -> None:
    call_and_validate(case, running, running.admin_key)


@schema.include(method=WRITES).parametrize()
@BOUNDED
def test_writes_with_an_admin_key(case: Case[Any], running: Running) -> None:
    call_and_validate(case, running, running.admin_key)


@schema.include(method=WRITES).parametrize()
@BOUNDED
def test_writes_with_a_merchant_key(case: Case[Any], running: Running) -> None:
    call_and_validate(case, running, running.merchant_key)


@schema.include(path_regex="^/v1/members/", method="POST").parametrize()
@BOUNDED
def test_member_writes_with_the_members_key(case: Case[Any], running: Running) -> None:
    """As u1 on u1's own resources, so that the bodies get past the key to the engine."""
    case.path_parameters = {**(case.path_parameters or {}), "member_id": "u1"}
    call_and_validate(case, running, running.member_key)


@schema.include(path_regex="^/v1/pledges/", method="POST").parametrize()
@BOUNDED
def test_lender_writes_with_the_lenders_key(case: Case[Any], running: Running) -> None:
    case.path_parameters = {**(case.path_parameters or {}), "pledge_id": "pl1"}
    call_and_validate(case, running, running.lender_key)


# the document itself ---------------------------------------------------------------------
def test_the_generated_requests_follow_the_served_document(running: Running) -> None:
    assert running.service.client().get("/openapi.json").json() == served_document()


def test_every_documented_json_answer_has_a_schema(running: Running) -> None:
    """A JSON answer documented as a bare string checks nothing (every answer was, while the
    routes' response class was not a JSONResponse)."""
    document = running.service.client().get("/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                if content is not None:
                    assert content.get("schema", {}).get("type") != "string", \
                        (method, path, status)


def test_writes_document_the_answer_to_a_retry(running: Running) -> None:
    """A retry is answered 200 with the first answer (replay: true), not 201."""
    document = running.service.client().get("/openapi.json").json()
    write_result = {"$ref": "#/components/schemas/WriteResult"}
    writes = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            created = operation["responses"].get("201", {})
            if created.get("content", {}).get("application/json", {}).get("schema") \
                    == write_result:
                writes.add((method, path))
                replay = operation["responses"].get("200", {})
                assert replay["content"]["application/json"]["schema"] == write_result, \
                    (method, path)
    assert {("post", "/v1/orders"), ("post", "/v1/members/{member_id}/withdrawals"),
            ("patch", "/v1/rules"), ("post", "/v1/pledges/{pledge_id}/seize")} <= writes


def test_a_write_retried_with_its_idempotency_key_is_answered_200(
        sqlite_service: Service) -> None:
    admin = sqlite_service.admin()
    headers = {"Idempotency-Key": "lender-b7"}
    first = admin.post("/v1/lenders", json={"id": "b7"}, headers=headers)
    again = admin.post("/v1/lenders", json={"id": "b7"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replay"] is True
    assert again.json()["entry"]["index"] == first.json()["entry"]["index"]


# what the schemathesis runs found, pinned --------------------------------------------------
TOO_BIG = str(2**63)
"""One more than the database's largest integer."""

HUGE_INTEGERS = [
    "/v1/pool/history?after={n}", "/v1/rules/history?before={n}", "/v1/burns?before={n}",
    "/v1/blocks?before={n}", "/v1/blocks/{n}", "/v1/blocks/-{n}", "/v1/entries?start={n}",
    "/v1/entries/{n}", "/v1/proofs/inclusion?index={n}", "/v1/proofs/inclusion?index=0&size={n}",
    "/v1/proofs/consistency?from={n}", "/v1/proofs/consistency?from=1&to={n}",
]


@pytest.mark.parametrize("url", HUGE_INTEGERS)
def test_an_integer_beyond_64_bits_is_refused_not_a_server_error(
        service: Service, url: str) -> None:
    response = service.client().get(url.format(n=TOO_BIG))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_command"


def test_a_members_history_refuses_an_integer_beyond_64_bits(service: Service) -> None:
    response = service.admin().get(f"/v1/members/u1/history?before={TOO_BIG}")
    assert response.status_code == 400, response.text


def test_the_largest_integer_is_accepted(service: Service) -> None:
    largest = str(2**63 - 1)
    assert service.client().get(f"/v1/pool/history?after={largest}").json()["count"] == 0
    assert service.client().get(f"/v1/blocks/{largest}").status_code == 404


def test_a_body_that_is_not_utf8_is_invalid_json(sqlite_service: Service) -> None:
    """FastAPI refuses it with 400 before any route runs; it was answered 404 not_found."""
    response = sqlite_service.admin().post(
        "/v1/lenders", content=b'{"id": "\xff"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_an_undeclared_method_gets_405_with_allow(sqlite_service: Service) -> None:
    response = sqlite_service.client().delete("/v1/pool")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, OPTIONS"


def test_a_missing_tile_is_a_documented_404(sqlite_service: Service) -> None:
    document = sqlite_service.client().get("/openapi.json").json()
    assert "404" in document["paths"]["/tile/{path}"]["get"]["responses"]
    assert "404" in document["paths"]["/checkpoint"]["get"]["responses"]
    response = sqlite_service.client().get("/tile/0/999")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"

