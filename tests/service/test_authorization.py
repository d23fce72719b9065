"""Who may call what: every role against every endpoint, keys that must fail, rate limits.

The matrix below is written by hand from the roles the service promises
(admin: everything; auditor: reads everything, writes nothing; merchant,
member, lender: only as their own party; public reads: anyone), not read
off the routes. Every request in it names m1, u1 or b1 (or their order o1
and pledge pl1), so the "own" keys are those parties' and the "other" keys
belong to m2, u2 and b2, who have resources of their own. The matrix runs on
SQLite only (who may do what does not depend on the database); the tests of
revoked and malformed keys run on both backends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from servicehelpers import Service

from profitpool.service import Settings
from profitpool.store.apikeys import KeyStore
from profitpool.store.database import connect
from profitpool.web import create_app

ROLES = ("anonymous", "admin", "auditor", "merchant_own", "merchant_other", "member_own",
         "member_other", "lender_own", "lender_other")

OK = "ok"
"""Allowed: not 401 or 403 (and not a 5xx); a read answers 200."""


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    """The route as the OpenAPI document names it."""
    url: str
    """A request to it that concerns m1, u1 or b1."""
    expect: str
    """One outcome per role, in the order of ROLES: ok, 401, 403 or 404."""
    body: Any = None

    def outcomes(self) -> dict[str, str]:
        cells = self.expect.split()
        assert len(cells) == len(ROLES), self
        return dict(zip(ROLES, cells, strict=True))


ORDER = {"id": "o-matrix", "member": "u3", "amount": "10.00", "profit": "1.00"}
CAMPAIGN = {"id": "c-matrix", "merchant": "m1", "multiplier": "2",
            "start": "2026-03-01T00:00:00+08:00", "end": "2026-04-01T00:00:00+08:00"}
CUSTODY_ACCOUNT = {"holder": "Matrix Co", "account": "110000123456789",
                   "agent_member_id": "102100099996"}
PUBLIC = "ok  ok  ok  ok  ok  ok  ok  ok  ok"
ADMIN_ONLY = "401 ok  403 403 403 403 403 403 403"
READERS_ONLY = "401 ok  ok  403 403 403 403 403 403"

MATRIX = [
    #                                      anon admin audit m.own m.oth u.own u.oth b.own b.oth
    # public: the pool, the rules, the log and its proofs, the documentation
    Row("GET", "/v1/pool", "/v1/pool", PUBLIC),
    Row("GET", "/v1/pool/history", "/v1/pool/history", PUBLIC),
    Row("GET", "/v1/rules", "/v1/rules", PUBLIC),
    Row("GET", "/v1/rules/history", "/v1/rules/history", PUBLIC),
    Row("GET", "/v1/burns", "/v1/burns", PUBLIC),
    Row("GET", "/v1/campaigns", "/v1/campaigns", PUBLIC),
    Row("GET", "/v1/blocks", "/v1/blocks", PUBLIC),
    Row("GET", "/v1/blocks/{height}", "/v1/blocks/1", PUBLIC),
    Row("GET", "/v1/entries", "/v1/entries", PUBLIC),
    Row("GET", "/v1/entries/{index}", "/v1/entries/0", PUBLIC),
    Row("GET", "/v1/proofs/inclusion", "/v1/proofs/inclusion?index=0", PUBLIC),
    Row("GET", "/v1/proofs/consistency", "/v1/proofs/consistency?from=1", PUBLIC),
    Row("GET", "/v1/public-key", "/v1/public-key", PUBLIC),
    Row("GET", "/v1/anchors", "/v1/anchors", PUBLIC),
    Row("GET", "/v1/witnesses", "/v1/witnesses", PUBLIC),
    Row("GET", "/v1/checkpoint/cosigned", "/v1/checkpoint/cosigned",
        "404 404 404 404 404 404 404 404 404"),
    Row("GET", "/checkpoint", "/checkpoint", PUBLIC),
    Row("GET", "/tile/{path}", "/tile/0/000.p/1", PUBLIC),
    Row("GET", "/openapi.json", "/openapi.json", PUBLIC),
    Row("GET", "/docs", "/docs", PUBLIC),
    # the explorer's pages (HTML, not in the OpenAPI document)
    Row("GET", "/", "/", PUBLIC),
    Row("GET", "/block/{height}", "/block/1", PUBLIC),
    Row("GET", "/entry/{index}", "/entry/0", PUBLIC),
    # the member wallet signs in with a key in a form, kept in a cookie: an API key in
    # the Authorization header is not looked at, and without the cookie every form
    # leads back to the sign-in page (tests/service/test_explorer.py)
    Row("GET", "/wallet", "/wallet", PUBLIC),
    Row("POST", "/wallet/login", "/wallet/login", PUBLIC),
    Row("POST", "/wallet/logout", "/wallet/logout", PUBLIC),
    Row("POST", "/wallet/{kind}", "/wallet/withdraw", PUBLIC),
    Row("GET", "/merchant", "/merchant", PUBLIC),
    Row("POST", "/merchant/login", "/merchant/login", PUBLIC),
    Row("POST", "/merchant/logout", "/merchant/logout", PUBLIC),
    Row("POST", "/merchant/refund", "/merchant/refund", PUBLIC),
    Row("GET", "/lender", "/lender", PUBLIC),
    Row("POST", "/lender/login", "/lender/login", PUBLIC),
    Row("POST", "/lender/logout", "/lender/logout", PUBLIC),
    Row("GET", "/rules", "/rules", PUBLIC),
    Row("GET", "/verify", "/verify", PUBLIC),
    Row("GET", "/disclosures", "/disclosures", PUBLIC),
    Row("GET", "/wallet/pol/{period}", "/wallet/pol/2025-12", PUBLIC),
    # a page area: a key is no session, so every caller gets the sign-in page
    Row("GET", "/wallet/export", "/wallet/export", PUBLIC),
    Row("GET", "/member", "/member", PUBLIC),
    Row("GET", "/console", "/console", PUBLIC),
    Row("POST", "/console/login", "/console/login", PUBLIC),
    Row("POST", "/console/logout", "/console/logout", PUBLIC),
    Row("POST", "/console/{action}", "/console/rules", PUBLIC),
    Row("POST", "/console/sessions/end", "/console/sessions/end", PUBLIC),
    # the operator's: merchants, lenders, campaigns, rules, burns, keys
    Row("POST", "/v1/merchants", "/v1/merchants", ADMIN_ONLY, {"id": "m-matrix"}),
    Row("GET", "/v1/merchants", "/v1/merchants", READERS_ONLY),
    Row("GET", "/v1/merchants/{merchant_id}", "/v1/merchants/m1",
        "401 ok  ok  ok  403 403 403 403 403"),
    Row("POST", "/v1/lenders", "/v1/lenders", ADMIN_ONLY, {"id": "b-matrix"}),
    Row("GET", "/v1/lenders", "/v1/lenders", READERS_ONLY),
    Row("GET", "/v1/lenders/{lender_id}", "/v1/lenders/b1",
        "401 ok  ok  403 403 403 403 ok  403"),
    Row("POST", "/v1/campaigns", "/v1/campaigns", ADMIN_ONLY, CAMPAIGN),
    Row("PATCH", "/v1/rules", "/v1/rules", ADMIN_ONLY, {"burn_rate": "0.01"}),
    Row("POST", "/v1/burns", "/v1/burns", ADMIN_ONLY, {"period": "2026-02"}),
    Row("POST", "/v1/custody", "/v1/custody", ADMIN_ONLY,
        {"amount": "1.00", "reference": "matrix statement"}),
    Row("POST", "/v1/disclosures/{period}", "/v1/disclosures/2025-12", ADMIN_ONLY),
    Row("GET", "/v1/disclosures", "/v1/disclosures", PUBLIC),
    Row("GET", "/v1/disclosures/{period}", "/v1/disclosures/2025-12",
        "404 404 404 404 404 404 404 404 404"),
    Row("GET", "/v1/members/{member_id}/pol/{period}", "/v1/members/{u1}/pol/2025-12",
        "401 404 404 403 403 404 403 403 403"),
    # Keys are credentials: managing (and listing) them is the admin's alone.
    Row("POST", "/v1/keys", "/v1/keys", ADMIN_ONLY, {"role": "auditor", "label": "matrix"}),
    Row("GET", "/v1/keys", "/v1/keys", ADMIN_ONLY),
    Row("DELETE", "/v1/keys/{key_id}", "/v1/keys/{doomed}", ADMIN_ONLY),
    # merchants' orders: the merchant comes from the key, so m2 addresses its own o1 (none)
    Row("POST", "/v1/orders", "/v1/orders",
        "401 403 403 ok  ok  403 403 403 403", ORDER),
    Row("POST", "/v1/orders:batch", "/v1/orders:batch",
        "401 403 403 ok  ok  403 403 403 403", {"orders": [ORDER]}),
    Row("GET", "/v1/orders", "/v1/orders?merchant=m1",
        "401 ok  ok  ok  403 403 403 403 403"),
    Row("GET", "/v1/orders/{order_id}", "/v1/orders/o1?merchant=m1",
        "401 ok  ok  ok  403 403 403 403 403"),
    Row("POST", "/v1/orders/{order_id}/refund", "/v1/orders/o1/refund",
        "401 403 403 ok  404 403 403 403 403"),
    # members: only the member's own key moves their points; admin and auditor read
    Row("GET", "/v1/members/{member_id}", "/v1/members/{u1}",
        "401 ok  ok  403 403 ok  403 403 403"),
    Row("GET", "/v1/members/{member_id}/history", "/v1/members/{u1}/history",
        "401 ok  ok  403 403 ok  403 403 403"),
    Row("POST", "/v1/members/{member_id}/withdrawals", "/v1/members/{u1}/withdrawals",
        "401 403 403 403 403 ok  403 403 403", {"points": "1"}),
    Row("POST", "/v1/members/{member_id}/payments", "/v1/members/{u1}/payments",
        "401 403 403 403 403 ok  403 403 403", {"merchant": "m1", "points": "1"}),
    Row("POST", "/v1/members/{member_id}/withdrawals:preview",
        "/v1/members/{u1}/withdrawals:preview",
        "401 403 403 403 403 ok  403 403 403", {"points": "1"}),
    Row("POST", "/v1/members/{member_id}/payments:preview", "/v1/members/{u1}/payments:preview",
        "401 403 403 403 403 ok  403 403 403", {"merchant": "m1", "points": "1"}),
    Row("POST", "/v1/members/{member_id}/transfers", "/v1/members/{u1}/transfers",
        "401 403 403 403 403 ok  403 403 403", {"to": "u2", "points": "1"}),
    Row("POST", "/v1/members/{member_id}/pledges", "/v1/members/{u1}/pledges",
        "401 403 403 403 403 ok  403 403 403", {"lender": "b1", "points": "1", "loan": "0.10"}),
    Row("GET", "/v1/members/{member_id}/pledges", "/v1/members/{u1}/pledges",
        "401 ok  ok  403 403 ok  403 403 403"),
    # who a member is: the admin and the member alone (u1 holds points: erasing is 409)
    Row("DELETE", "/v1/members/{member_id}", "/v1/members/{u1}",
        "401 ok  403 403 403 ok  403 403 403"),
    Row("PUT", "/v1/members/{member_id}/profile", "/v1/members/{u1}/profile",
        "401 ok  403 403 403 ok  403 403 403", {"name": "matrix"}),
    Row("GET", "/v1/members/{member_id}/profile", "/v1/members/{u1}/profile",
        "401 ok  403 403 403 ok  403 403 403"),
    Row("GET", "/v1/members/{member_id}/export", "/v1/members/{u1}/export",
        "401 ok  403 403 403 ok  403 403 403"),
    # lenders and pledges: a pledge is read by its member and its lender, closed by its lender
    Row("GET", "/v1/lenders/{lender_id}/pledges", "/v1/lenders/b1/pledges",
        "401 ok  ok  403 403 403 403 ok  403"),
    Row("GET", "/v1/pledges/{pledge_id}", "/v1/pledges/pl1",
        "401 ok  ok  403 403 ok  403 ok  403"),
    Row("POST", "/v1/pledges/{pledge_id}/release", "/v1/pledges/pl1/release",
        "401 403 403 403 403 403 403 ok  403"),
    Row("POST", "/v1/pledges/{pledge_id}/seize", "/v1/pledges/pl1/seize",
        "401 403 403 403 403 403 403 ok  403"),
    # events: every key reads the feed (each what its party may hear); the status is for
    # readers. Webhooks: the admin, merchants and lenders register (each for itself) and
    # the auditor reads; {hook} and {doomed_hook} are m1's endpoints, so other parties
    # find nothing there (404) and members may not ask (403)
    Row("GET", "/v1/events", "/v1/events", "401 ok  ok  ok  ok  ok  ok  ok  ok"),
    Row("GET", "/v1/events/status", "/v1/events/status", READERS_ONLY),
    Row("POST", "/v1/webhooks", "/v1/webhooks", "401 ok  403 ok  ok  403 403 ok  ok",
        {"url": "https://93.184.216.34/matrix"}),
    Row("GET", "/v1/webhooks", "/v1/webhooks", "401 ok  ok  ok  ok  403 403 ok  ok"),
    Row("GET", "/v1/webhooks/{endpoint_id}", "/v1/webhooks/{hook}",
        "401 ok  ok  ok  404 403 403 404 404"),
    Row("PATCH", "/v1/webhooks/{endpoint_id}", "/v1/webhooks/{hook}",
        "401 ok  403 ok  404 403 403 404 404", {"description": "matrix"}),
    Row("POST", "/v1/webhooks/{endpoint_id}/secret", "/v1/webhooks/{hook}/secret",
        "401 ok  403 ok  404 403 403 404 404"),
    Row("POST", "/v1/webhooks/{endpoint_id}/replay", "/v1/webhooks/{hook}/replay",
        "401 ok  403 ok  404 403 403 404 404", {"first": 1}),
    Row("GET", "/v1/webhooks/{endpoint_id}/deliveries", "/v1/webhooks/{hook}/deliveries",
        "401 ok  ok  ok  404 403 403 404 404"),
    # the admin's DELETE comes first, so m1's own finds it gone (404)
    Row("DELETE", "/v1/webhooks/{endpoint_id}", "/v1/webhooks/{doomed_hook}",
        "401 ok  403 404 404 403 403 404 404"),
    # the console's and the merchant portal's webhook forms (a cookie, like the rest)
    Row("POST", "/console/webhook-{action}", "/console/webhook-create", PUBLIC),
    Row("GET", "/console/webhooks/{endpoint_id}", "/console/webhooks/{hook}", PUBLIC),
    Row("POST", "/merchant/webhook-{action}", "/merchant/webhook-create", PUBLIC),
    Row("GET", "/merchant/webhooks/{endpoint_id}", "/merchant/webhooks/{hook}", PUBLIC),
    # cash: the operator's, except that a party adds and lists bank accounts of its own
    # (here m1's); the custody account, the bank files and reconciliation are read by
    # readers. {dst} is m1's verified account, {run} and {payout} the world's run paying m1.
    Row("PUT", "/v1/custody/account", "/v1/custody/account", ADMIN_ONLY, CUSTODY_ACCOUNT),
    Row("GET", "/v1/custody/account", "/v1/custody/account", READERS_ONLY),
    Row("POST", "/v1/destinations", "/v1/destinations", "401 ok  403 ok  403 403 403 403 403",
        {"party": "merchant:m1", "account": "11000012345679", "name": "Tea House"}),
    Row("GET", "/v1/destinations", "/v1/destinations?party=merchant:m1",
        "401 ok  403 ok  403 403 403 403 403"),
    Row("POST", "/v1/destinations/{destination_id}/status", "/v1/destinations/{dst}/status",
        ADMIN_ONLY, {"status": "verified"}),
    Row("POST", "/v1/payouts:run", "/v1/payouts:run", ADMIN_ONLY, {"minimum": "1000000.00"}),
    Row("GET", "/v1/payouts/runs", "/v1/payouts/runs", ADMIN_ONLY),
    Row("GET", "/v1/payouts/runs/{run}/file", "/v1/payouts/runs/{run}/file", ADMIN_ONLY),
    Row("POST", "/v1/payouts", "/v1/payouts", ADMIN_ONLY,
        {"party": "merchant:m1", "amount": "0.01", "destination": "dst_matrix"}),
    Row("POST", "/v1/payouts/{payout_id}/settled", "/v1/payouts/{payout}/settled", ADMIN_ONLY,
        {"reference": "matrix"}),
    Row("POST", "/v1/payouts/{payout_id}/returned", "/v1/payouts/{payout}/returned",
        ADMIN_ONLY, {"reason": "AC04 matrix"}),
    Row("POST", "/v1/bank-files", "/v1/bank-files", ADMIN_ONLY, {"data": "not a bank file"}),
    Row("GET", "/v1/bank-files", "/v1/bank-files", READERS_ONLY),
    Row("GET", "/v1/reconciliation", "/v1/reconciliation", READERS_ONLY),
    Row("POST", "/v1/reconciliation/items/{item_id}/resolve",
        "/v1/reconciliation/items/1/resolve", ADMIN_ONLY, {"resolution": "matrix"}),
    # the console's cash page, its forms and its files (a cookie, like the rest)
    Row("GET", "/console/cash", "/console/cash", PUBLIC),
    Row("POST", "/console/cash/{action}", "/console/cash/run", PUBLIC),
    Row("GET", "/console/cash/runs/{run}.xml", "/console/cash/runs/{run}.xml", PUBLIC),
    # what releasing or seizing a pledge would do: its lender only (nothing changes)
    Row("POST", "/v1/pledges/{pledge_id}/release:preview", "/v1/pledges/pl1/release:preview",
        "401 403 403 403 403 403 403 ok  403"),
    Row("POST", "/v1/pledges/{pledge_id}/seize:preview", "/v1/pledges/pl1/seize:preview",
        "401 403 403 403 403 403 403 ok  403"),
    # the lender portal's release and seize forms, the auditor's page and its copy of the
    # log (a cookie, like the rest)
    Row("POST", "/lender/{action}", "/lender/release", PUBLIC),
    Row("GET", "/auditor", "/auditor", PUBLIC),
    Row("POST", "/auditor/login", "/auditor/login", PUBLIC),
    Row("POST", "/auditor/logout", "/auditor/logout", PUBLIC),
    Row("GET", "/auditor/public-copy", "/auditor/public-copy", PUBLIC),
    # the explorer's public copy of the log (web/public_copy.py): anyone's to verify
    Row("GET", "/public-copy.db", "/public-copy.db", PUBLIC),
    # the merchant portal: an order previewed in the API; entering one from the portal
    Row("POST", "/v1/orders:preview", "/v1/orders:preview",
        "401 403 403 ok  ok  403 403 403 403", ORDER),
    Row("POST", "/merchant/order", "/merchant/order", PUBLIC),
    # the pool's health, as the console shows it
    Row("GET", "/v1/pool/health", "/v1/pool/health", READERS_ONLY),
    # members' passkeys: the link's page and the wallet's forms (a cookie, like the rest);
    # links are issued by the admin and by a merchant for its own customers (u1 is m1's)
    Row("GET", "/wallet/passkey/new", "/wallet/passkey/new?t={passkey_link}", PUBLIC),
    Row("POST", "/wallet/passkey/options", "/wallet/passkey/options", PUBLIC),
    Row("POST", "/wallet/passkey/register", "/wallet/passkey/register", PUBLIC),
    Row("POST", "/wallet/passkey/signin", "/wallet/passkey/signin", PUBLIC),
    Row("POST", "/wallet/passkey/remove", "/wallet/passkey/remove", PUBLIC),
    Row("POST", "/console/passkeys/link", "/console/passkeys/link", PUBLIC),
    Row("POST", "/merchant/passkeys/link", "/merchant/passkeys/link", PUBLIC),
    Row("POST", "/v1/members/{member_id}/passkey-links", "/v1/members/u1/passkey-links",
        "401 ok  403 ok  403 403 403 403 403"),
]

ERROR_CODES = {"401": "unauthorized", "403": "forbidden"}


@dataclass
class World:
    """A small program: merchants m1, m2; lenders b1, b2; members u1 (o1 at m1, pledge pl1
    to b1) and u2 (o2 at m2, pledge pl2 to b2); a client per role."""

    service: Service
    clients: dict[str, httpx.Client]
    doomed_key_id: str
    """A key the matrix's DELETE revokes (no client uses it)."""
    hook_id: str = ""
    doomed_hook_id: str = ""
    """m1's webhook endpoints: one the matrix reads and changes, one it deletes."""
    u1: str = ""
    """u1's pseudonym: every role names members so (auditors have no links to ids)."""
    destination: str = ""
    run: str = ""
    payout: str = ""
    """m1's verified bank account, and a payout run paying m1 (u1 paid there in points)."""
    passkey_link: str = ""
    """The secret of an open link registering a passkey for u1."""


def build_world(service: Service) -> World:
    admin = service.admin()
    m1 = service.merchant("m1", name="Tea House")
    m2 = service.merchant("m2", name="Noodle Bar")
    for lender in ("b1", "b2"):
        assert admin.post("/v1/lenders", json={"id": lender}).status_code == 201
    for merchant, order, member in ((m1, "o1", "u1"), (m2, "o2", "u2")):
        response = merchant.post("/v1/orders", json={
            "id": order, "member": member, "amount": "1000.00", "profit": "1000.00"})
        assert response.status_code == 201, response.text
    u1, u2 = service.member("u1"), service.member("u2")
    for member, client, pledge, lender in (("u1", u1, "pl1", "b1"), ("u2", u2, "pl2", "b2")):
        response = client.post(f"/v1/members/{member}/pledges", json={
            "id": pledge, "lender": lender, "points": "10", "loan": "1.00"})
        assert response.status_code == 201, response.text
    doomed = admin.post("/v1/keys", json={"role": "auditor", "label": "doomed"})
    assert doomed.status_code == 201, doomed.text
    clients = {
        "anonymous": service.client(), "admin": admin,
        "auditor": service.client(service.new_key("auditor")),
        "merchant_own": m1, "merchant_other": m2, "member_own": u1, "member_other": u2,
        "lender_own": service.client(service.new_key("lender", "b1")),
        "lender_other": service.client(service.new_key("lender", "b2")),
    }
    hooks = [m1.post("/v1/webhooks", json={"url": f"https://93.184.216.34/{name}"})
             for name in ("hook", "doomed")]
    assert all(hook.status_code == 201 for hook in hooks), hooks[0].text
    u1 = admin.get("/v1/members/u1").json()["member"]
    answer = clients["member_own"].post(f"/v1/members/{u1}/payments",
                                        json={"merchant": "m1", "points": "100"})
    assert answer.status_code == 201, answer.text
    assert admin.put("/v1/custody/account", json=CUSTODY_ACCOUNT).status_code == 200
    destination = admin.post("/v1/destinations", json={
        "party": "merchant:m1", "account": "11000012345678", "name": "Tea House"})
    assert destination.status_code == 201, destination.text
    answer = admin.post(f"/v1/destinations/{destination.json()['id']}/status",
                        json={"status": "verified"})
    assert answer.status_code == 200, answer.text
    run = admin.post("/v1/payouts:run", json={}).json()
    assert run["payouts"] == 1, run
    [payout] = admin.get("/v1/merchants/m1").json()["payouts"]
    link = admin.post("/v1/members/u1/passkey-links")
    assert link.status_code == 201, link.text
    return World(service, clients, doomed.json()["id"], hooks[0].json()["id"],
                 hooks[1].json()["id"], u1, destination.json()["id"], run["run"],
                 payout["payout"], link.json()["url"].split("?t=", 1)[1])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One service for the whole matrix: what each request is allowed to do does not
    depend on what the others did."""
    tmp = tmp_path_factory.mktemp("authorization")
    service = Service(f"sqlite:///{tmp / 'log.db'}", tmp / "operator.key").setup()
    try:
        yield build_world(service)
    finally:
        service.stop()


def send(client: httpx.Client, row: Row, world: World) -> httpx.Response:
    url = (row.url.replace("{doomed}", world.doomed_key_id).replace("{u1}", world.u1)
           .replace("{doomed_hook}", world.doomed_hook_id).replace("{hook}", world.hook_id)
           .replace("{dst}", world.destination).replace("{run}", world.run)
           .replace("{payout}", world.payout).replace("{passkey_link}", world.passkey_link))
    # As from a page of this site: the pages refuse forms without an Origin (tested in
    # test_sessions.py); the API does not look at it.
    return client.request(row.method, url, json=row.body,
                          headers={"Origin": world.service.url})


CASES = [pytest.param(row, role, id=f"{row.method} {row.url} as {role}")
         for row in MATRIX for role in ROLES]


@pytest.mark.parametrize(("row", "role"), CASES)
def test_authorization_matrix(world: World, row: Row, role: str) -> None:
    expected = row.outcomes()[role]
    response = send(world.clients[role], row, world)
    if expected == OK:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
        if row.method == "GET":
            assert response.status_code == 200, response.text
    elif expected == "404":
        # The key addresses its own party's namespace, where there is no such thing.
        assert response.status_code == 404, response.text
        assert response.json()["error"] in ("not_found", "unknown_order")
    else:
        assert response.status_code == int(expected), response.text
        assert response.json()["error"] == ERROR_CODES[expected]


def test_matrix_rows_are_unique_and_well_formed() -> None:
    routes = [(row.method, row.route) for row in MATRIX]
    assert len(routes) == len(set(routes))
    for row in MATRIX:
        assert set(row.outcomes().values()) <= {OK, "401", "403", "404"}, row


def _app_routes() -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, documented in OpenAPI or not."""
    app = create_app(Settings(db="sqlite:///unused.db", key=Path("unused.key")))
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included routers were kept lazily
        routes: list[Any] = list(app.routes)
    else:
        routes = list(iter_route_contexts(app.routes))
    found = set()
    for route in routes:
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, route.path_format))
    return found


def test_matrix_lists_every_route_of_the_app() -> None:
    listed = {(row.method, row.route) for row in MATRIX}
    assert _app_routes() == listed


def test_matrix_lists_every_operation_of_the_openapi_document(world: World) -> None:
    document = world.clients["anonymous"].get("/openapi.json").json()
    operations = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item}
    listed = {(row.method, row.route) for row in MATRIX}
    undocumented = {("GET", "/openapi.json"), ("GET", "/docs"),
                    ("GET", "/"), ("GET", "/block/{height}"), ("GET", "/entry/{index}"),
                    ("GET", "/wallet"), ("POST", "/wallet/login"), ("POST", "/wallet/logout"),
                    ("POST", "/wallet/{kind}"), ("GET", "/merchant"),
                    ("POST", "/merchant/login"), ("POST", "/merchant/logout"),
                    ("POST", "/merchant/refund"), ("GET", "/console"),
                    ("GET", "/lender"), ("POST", "/lender/login"), ("POST", "/lender/logout"),
                    ("POST", "/console/login"), ("POST", "/console/logout"),
                    ("POST", "/console/{action}"), ("POST", "/console/sessions/end"),
                    ("GET", "/rules"), ("GET", "/verify"),
                    ("GET", "/member"), ("GET", "/disclosures"),
                    ("GET", "/wallet/pol/{period}"), ("GET", "/wallet/export"),
                    ("POST", "/console/webhook-{action}"),
                    ("GET", "/console/webhooks/{endpoint_id}"),
                    ("POST", "/merchant/webhook-{action}"), ("POST", "/merchant/order"),
                    ("GET", "/merchant/webhooks/{endpoint_id}"),
                    ("GET", "/console/cash"), ("POST", "/console/cash/{action}"),
                    ("GET", "/console/cash/runs/{run}.xml"),
                    ("POST", "/lender/{action}"), ("GET", "/auditor"),
                    ("POST", "/auditor/login"), ("POST", "/auditor/logout"),
                    ("GET", "/auditor/public-copy"), ("GET", "/public-copy.db"),
                    ("GET", "/wallet/passkey/new"), ("POST", "/wallet/passkey/options"),
                    ("POST", "/wallet/passkey/register"), ("POST", "/wallet/passkey/signin"),
                    ("POST", "/wallet/passkey/remove"), ("POST", "/console/passkeys/link"),
                    ("POST", "/merchant/passkeys/link")}
    assert operations == listed - undocumented


def test_every_endpoint_that_needs_a_key_says_so_in_openapi(world: World) -> None:
    document = world.clients["anonymous"].get("/openapi.json").json()
    for row in MATRIX:
        if row.route not in document["paths"]:
            continue
        operation = document["paths"][row.route][row.method.lower()]
        needs_key = row.outcomes()["anonymous"] == "401"
        assert bool(operation.get("security")) == needs_key, (row.method, row.route)


# keys that must not work -------------------------------------------------------------------
def test_a_revoked_key_is_refused_at_once(service: Service) -> None:
    admin = service.admin()
    created = admin.post("/v1/keys", json={"role": "auditor", "label": "to revoke"}).json()
    auditor = service.client(created["key"])
    assert auditor.get("/v1/merchants").status_code == 200
    revoked = admin.delete(f"/v1/keys/{created['id']}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked"] is True
    response = auditor.get("/v1/merchants")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    # ... and stays refused once the key's cached record has expired.
    time.sleep(1.1)
    assert auditor.get("/v1/merchants").status_code == 401


def test_a_revoked_merchant_key_writes_nothing(sqlite_service: Service) -> None:
    admin = sqlite_service.admin()
    assert admin.post("/v1/merchants", json={"id": "m1"}).status_code == 201
    created = admin.post("/v1/keys", json={"role": "merchant", "party": "m1"}).json()
    assert admin.delete(f"/v1/keys/{created['id']}").status_code == 200
    merchant = sqlite_service.client(created["key"])
    response = merchant.post("/v1/orders", json={
        "id": "o1", "member": "u1", "amount": "10.00", "profit": "1.00"})
    assert response.status_code == 401
    assert admin.get("/v1/orders", params={"merchant": "m1"}).json()["count"] == 0


def _malformed_headers(admin_key: str) -> list[str]:
    key_id = admin_key.split("_")[1]
    last = admin_key[-1]
    return [
        "Bearer",
        "Bearer not-a-key",
        f"Basic {admin_key}",
        admin_key,
        f"Token {admin_key}",
        f"Bearer {admin_key}x",
        f"Bearer {admin_key[:-1]}",
        f"Bearer pp_{'0' * 12}_{'A' * 43}",  # well formed, unknown id
        f"Bearer pp_{key_id}_{'A' * 43}",  # a known id with another secret
        f"Bearer {admin_key[:-1]}{'B' if last != 'B' else 'C'}",  # one character off
        f"Bearer {admin_key.upper()}",
    ]


def test_malformed_and_unknown_keys_get_401(service: Service) -> None:
    for header in _malformed_headers(service.admin_key):
        client = httpx.Client(base_url=service.url, headers={"Authorization": header})
        with client:
            response = client.get("/v1/merchants")
            assert response.status_code == 401, header
            assert response.json()["error"] == "unauthorized", header
            write = client.post("/v1/merchants", json={"id": "sneaky"})
            assert write.status_code == 401, header
    assert service.admin().get("/v1/merchants").json()["count"] == 0


def test_a_public_endpoint_ignores_a_bad_key(sqlite_service: Service) -> None:
    client = sqlite_service.client("pp_000000000000_" + "A" * 43)
    assert client.get("/v1/pool").status_code == 200


# one party's key against another party's resources ---------------------------------------
def test_a_merchant_cannot_read_another_merchants_orders(world: World) -> None:
    m2 = world.clients["merchant_other"]
    own = m2.get("/v1/orders").json()["data"]
    assert "o2" in [order["id"] for order in own]
    assert all(order["merchant"] == "m2" for order in own)
    hidden = m2.get("/v1/orders/o1")  # m2's own namespace has no o1
    assert hidden.status_code == 404
    assert "u1" not in hidden.text
    assert m2.get("/v1/orders/o1", params={"merchant": "m1"}).status_code == 403
    assert m2.get("/v1/orders", params={"merchant": "m1"}).status_code == 403
    assert m2.get("/v1/merchants/m1").status_code == 403


def test_a_merchant_cannot_refund_another_merchants_order(sqlite_service: Service) -> None:
    admin = sqlite_service.admin()
    assert admin.patch("/v1/rules", json={"settle_days": 7}).status_code == 201
    m1, m2 = sqlite_service.merchant("m1"), sqlite_service.merchant("m2")
    order = {"id": "o1", "member": "u1", "amount": "100.00", "profit": "10.00"}
    assert m1.post("/v1/orders", json=order).status_code == 201

    refused = m2.post("/v1/orders/o1/refund")
    assert refused.status_code == 404
    assert refused.json()["error"] == "unknown_order"
    assert m1.get("/v1/orders/o1").json()["status"] == "pending"

    # m2 may use the same order id: it refunds its own o1, never m1's.
    assert m2.post("/v1/orders", json={**order, "member": "u2"}).status_code == 201
    assert m2.post("/v1/orders/o1/refund").status_code == 201
    assert m2.get("/v1/orders/o1").json()["status"] == "refunded"
    assert m1.get("/v1/orders/o1").json()["status"] == "pending"
    # Neither the admin nor the auditor refunds for a merchant.
    auditor = sqlite_service.client(sqlite_service.new_key("auditor"))
    assert admin.post("/v1/orders/o1/refund").status_code == 403
    assert auditor.post("/v1/orders/o1/refund").status_code == 403
    assert m1.post("/v1/orders/o1/refund").status_code == 201
    assert m1.get("/v1/orders/o1").json()["status"] == "refunded"


def test_a_member_cannot_move_another_members_points(sqlite_service: Service) -> None:
    admin = sqlite_service.admin()
    assert admin.patch("/v1/rules", json={"transfers_enabled": True}).status_code == 201
    assert admin.post("/v1/lenders", json={"id": "b1"}).status_code == 201
    m1 = sqlite_service.merchant("m1")
    for order, member in (("o1", "u1"), ("o2", "u2")):
        assert m1.post("/v1/orders", json={
            "id": order, "member": member, "amount": "100.00", "profit": "10.00"}
        ).status_code == 201
    u1, u2 = sqlite_service.member("u1"), sqlite_service.member("u2")
    before = u1.get("/v1/members/u1").json()

    attempts = [
        ("/v1/members/u1/withdrawals", {"points": "all"}),
        ("/v1/members/u1/payments", {"merchant": "m1", "points": "all"}),
        ("/v1/members/u1/transfers", {"to": "u2", "points": "1"}),
        ("/v1/members/u1/pledges", {"lender": "b1", "points": "1", "loan": "1.00"}),
    ]
    for path, body in attempts:
        response = u2.post(path, json=body)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"] == "forbidden"
        # Not even with an Idempotency-Key the owner used first.
        assert u2.post(path, json=body, headers={"Idempotency-Key": "k1"}).status_code == 403
    assert u1.get("/v1/members/u1").json() == before
    assert u2.get("/v1/members/u1").status_code == 403
    assert u2.get("/v1/members/u1/history").status_code == 403

    # The same requests from u1's own key are valid.
    withdrawn = u1.post("/v1/members/u1/withdrawals", json={"points": "1"})
    assert withdrawn.status_code == 201, withdrawn.text


def test_a_lender_cannot_close_another_lenders_pledge(world: World) -> None:
    b1 = world.clients["lender_own"]
    for action in ("release", "seize"):
        response = b1.post(f"/v1/pledges/pl2/{action}")
        assert response.status_code == 403, response.text
    assert b1.get("/v1/pledges/pl2").status_code == 403
    assert world.clients["admin"].get("/v1/pledges/pl2").json()["status"] == "active"


# rate limiting ----------------------------------------------------------------------------
@pytest.fixture
def limited_service(tmp_path: Path) -> Iterator[Service]:
    """A service allowing 1 request a second per key, in bursts of 3."""
    running = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key",
                      options={"rate": 1.0, "burst": 3.0}).setup()
    try:
        yield running
    finally:
        running.stop()


def _direct_key(service: Service, role: str, party: str | None = None) -> str:
    """A key made in the database, so that making it spends no request of the admin key."""
    engine = connect(service.db)
    try:
        key, _ = KeyStore(engine).create(role, party)
    finally:
        engine.dispose()
    return key


def test_rate_limit_answers_429_with_retry_after(limited_service: Service) -> None:
    busy = limited_service.client(_direct_key(limited_service, "auditor"))
    other = limited_service.client(_direct_key(limited_service, "auditor"))
    statuses = []
    for _ in range(10):
        response = busy.get("/v1/merchants")
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[:3] == [200, 200, 200]
    assert statuses[-1] == 429
    assert response.json()["error"] == "rate_limited"
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 3

    # Other keys, and the public endpoints, are served meanwhile.
    assert other.get("/v1/merchants").status_code == 200
    assert limited_service.client().get("/v1/pool").status_code == 200
    assert busy.get("/v1/merchants").status_code == 429

    time.sleep(retry_after)
    assert busy.get("/v1/merchants").status_code == 200


def test_a_rate_limited_write_is_not_applied(limited_service: Service) -> None:
    admin = limited_service.client(_direct_key(limited_service, "admin"))
    answers = [admin.post("/v1/merchants", json={"id": f"m{n}"}) for n in range(6)]
    limited = [n for n, answer in enumerate(answers) if answer.status_code == 429]
    assert limited, [answer.status_code for answer in answers]
    assert all("Retry-After" in answers[n].headers for n in limited)
    auditor = limited_service.client(_direct_key(limited_service, "auditor"))
    listed = {merchant["id"] for merchant in auditor.get("/v1/merchants").json()["data"]}
    assert listed == {f"m{n}" for n, answer in enumerate(answers)
                      if answer.status_code == 201}
