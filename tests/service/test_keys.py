"""API keys are bound only to parties the log knows, by the commands' own id rule.

A merchant key for a lender's id, a member key for someone who never ordered, or a key
for ``"u 1<script>"`` would be a key for nobody (or, later, for whoever takes that id);
the API, ``profitpool keys create`` and the console's form refuse each one with the
engine's code and store nothing.
"""

from __future__ import annotations

import html
import re

import pytest
from click.testing import CliRunner
from servicehelpers import Service

from profitpool.cli import main

ORDER = {"id": "o1", "member": "u1", "amount": "100.00", "profit": "20.00"}

REFUSED = [
    # (role, party, status, code, a piece of the message)
    ("merchant", "u 1<script>", 400, "invalid_id", "u 1<script>"),
    ("member", "u 1<script>", 400, "invalid_id", "u 1<script>"),
    ("lender", "-b1", 400, "invalid_id", "-b1"),
    ("merchant", "b1", 404, "unknown_merchant", "there is no merchant 'b1'"),  # a lender's
    ("lender", "m1", 404, "unknown_lender", "there is no lender 'm1'"),  # a merchant's
    ("member", "m1", 404, "unknown_member", "there is no member 'm1'"),  # a merchant's
    ("merchant", "m9", 404, "unknown_merchant", "there is no merchant 'm9'"),
    ("lender", "b9", 404, "unknown_lender", "there is no lender 'b9'"),
    ("member", "u9", 404, "unknown_member", "there is no member 'u9'"),
    ("member", "u2", 404, "unknown_member", "there is no member 'u2'"),  # refused order only
]


def program(service: Service) -> None:
    """Merchant m1, lender b1, member u1 (one order); u2's only order was refused."""
    admin = service.admin()
    merchant = service.merchant("m1")
    assert admin.post("/v1/lenders", json={"id": "b1"}).status_code == 201
    assert merchant.post("/v1/orders", json=ORDER).status_code == 201
    refused = merchant.post("/v1/orders", json={**ORDER, "id": "o2", "member": "u2",
                                                "amount": "-1.00"})
    assert refused.json()["error"] == "invalid_amount"


@pytest.mark.parametrize(("role", "party", "status", "code", "says"), REFUSED,
                         ids=[f"{row[0]}-{row[3]}-{row[1]}" for row in REFUSED])
def test_a_key_for_a_party_the_log_does_not_know_is_refused_and_nothing_is_stored(
        sqlite_service: Service, role: str, party: str, status: int, code: str,
        says: str) -> None:
    program(sqlite_service)
    admin = sqlite_service.admin()
    before = admin.get("/v1/keys").json()
    answer = admin.post("/v1/keys", json={"role": role, "party": party})
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"error", "message"}
    assert answer.json()["error"] == code
    assert says in answer.json()["message"]
    assert admin.get("/v1/keys").json() == before


@pytest.mark.parametrize(("role", "party", "reads"), [
    ("merchant", "m1", "/v1/merchants/m1"),
    ("lender", "b1", "/v1/lenders/b1/pledges"),
    ("member", "u1", "/v1/members/u1"),
])
def test_a_key_for_a_party_the_log_knows_is_made_and_works(
        service: Service, role: str, party: str, reads: str) -> None:
    program(service)
    created = service.admin().post("/v1/keys", json={"role": role, "party": party})
    assert created.status_code == 201, created.text
    body = created.json()
    if role == "member":  # bound to the member's pseudonym, shown beside the operator's id
        assert body["party"].startswith("p-") and body["member_id"] == party
        listed = [key for key in service.admin().get("/v1/keys").json()
                  if key["id"] == body["id"]]
        assert listed[0]["party"] == body["party"] and listed[0]["member_id"] == party
    else:
        assert (body["role"], body["party"]) == (role, party)
    assert service.client(body["key"]).get(reads).status_code == 200


def test_a_member_who_joined_by_a_transfer_may_have_a_key(sqlite_service: Service) -> None:
    program(sqlite_service)
    admin = sqlite_service.admin()
    assert admin.patch("/v1/rules", json={"transfers_enabled": True}).status_code == 201
    u1 = sqlite_service.member("u1")
    given = u1.post("/v1/members/u1/transfers", json={"to": "u7", "points": "1"})
    assert given.status_code == 201, given.text
    assert admin.post("/v1/keys", json={"role": "member", "party": "u7"}).status_code == 201


def test_unbound_roles_and_missing_parties_are_refused_as_before(
        sqlite_service: Service) -> None:
    admin = sqlite_service.admin()
    for body in ({"role": "auditor", "party": "m1"}, {"role": "merchant"},
                 {"role": "owner"}):
        answer = admin.post("/v1/keys", json=body)
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_command"), body
    assert admin.post("/v1/keys", json={"role": "auditor"}).status_code == 201


# the command line -----------------------------------------------------------------------

def keys_create(service: Service, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["keys", "create", "--db", service.db,
                                       "--key", str(service.key_path), *options])
    return result.exit_code, result.output


@pytest.mark.parametrize(("role", "party", "status", "code", "says"), REFUSED,
                         ids=[f"{row[0]}-{row[3]}-{row[1]}" for row in REFUSED])
def test_keys_create_refuses_the_same_parties_in_one_line(
        sqlite_service: Service, role: str, party: str, status: int, code: str,
        says: str) -> None:
    program(sqlite_service)
    before = sqlite_service.admin().get("/v1/keys").json()
    exit_code, output = keys_create(sqlite_service, "--role", role, "--party", party)
    assert exit_code == 1
    assert len(output.strip().splitlines()) == 1, output
    assert output.startswith(f"Error: {code}: ") and says in output
    assert sqlite_service.admin().get("/v1/keys").json() == before


def test_keys_create_binds_a_key_to_each_kind_of_known_party(
        sqlite_service: Service) -> None:
    program(sqlite_service)
    for role, party in (("merchant", "m1"), ("lender", "b1"), ("member", "u1")):
        exit_code, output = keys_create(sqlite_service, "--role", role, "--party", party)
        assert exit_code == 0, output
    parties = {(key["role"], key.get("member_id") or key["party"])
               for key in sqlite_service.admin().get("/v1/keys").json()}
    assert {("merchant", "m1"), ("lender", "b1"), ("member", "u1")} <= parties


# the console ------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "party", "role", "shown"), [
    ("zh", "m9", "merchant", "没有这个商家 m9"),
    ("en", "m9", "merchant", "There is no merchant 'm9'"),
    ("zh", "b1", "merchant", "没有这个商家 b1"),
    ("en", "u9", "member", "There is no member 'u9'"),
    ("zh", "m1", "lender", "没有这个贷款机构 m1"),
    ("en", "u 1<script>", "member", "'u 1<script>' is not an id"),
    ("en", "", "lender", "A lender key must be bound to a lender id"),
])
def test_the_console_key_form_says_precisely_why_a_key_was_refused(
        sqlite_service: Service, lang: str, party: str, role: str,
        shown: str) -> None:
    program(sqlite_service)
    before = sqlite_service.admin().get("/v1/keys").json()
    console = sqlite_service.signed_in("/console", sqlite_service.admin_key)
    answer = console.post(f"/console/key-create?lang={lang}",
                          data={"role": role, "party": party, "label": "x"})
    reason = re.search(r'id="refused">[^<]*<span id="reason">([^<]*)</span>', answer.text)
    assert reason is not None, answer.text
    assert html.unescape(reason.group(1)).startswith(shown)
    assert sqlite_service.admin().get("/v1/keys").json() == before


def test_the_console_key_form_makes_a_key_for_a_known_member(sqlite_service: Service) -> None:
    program(sqlite_service)
    console = sqlite_service.signed_in("/console", sqlite_service.admin_key)
    answer = console.post("/console/key-create", data={"role": "member", "party": "u1"})
    assert 'id="new-key"' in answer.text
