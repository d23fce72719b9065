"""Members' privacy through the running service (docs/privacy.md): no person in any public
byte, each merchant sees only its own ids, erasure, export."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
import orjson
from click.testing import CliRunner
from servicehelpers import Service

from profitpool.chain.tiles import TILE_WIDTH, entries_path, tile_path
from profitpool.cli import main
from profitpool.disclosure.export import ExportInvalid, verify_export
from profitpool.members.pseudonyms import is_pseudonym

PHONE_1 = "13800138000"  # merchants use phone numbers as ids: the log must never hold one
PHONE_2 = "13900139000"
CUSTOMER = "cust-7781"
RAW_IDS = (PHONE_1, PHONE_2, CUSTOMER)


def order(client: httpx.Client, order_id: str, member: str, amount: str = "100.00",
          profit: str = "20.00") -> httpx.Response:
    return client.post("/v1/orders", json={"id": order_id, "member": member,
                                           "amount": amount, "profit": profit})


def pseudonym_of(answer: httpx.Response) -> str:
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return str(body["entry"]["command"]["member"] if "entry" in body else body["member"])


def public_bytes(service: Service) -> dict[str, bytes]:
    """Everything anyone may read without a key: the public API, the tiles and entry
    bundles, the checkpoint, the explorer's pages."""
    public = service.client()
    found: dict[str, bytes] = {}

    def get(path: str) -> bytes:
        answer = public.get(path)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])
        found[path] = answer.content
        return answer.content

    checkpoint = get("/checkpoint").decode()
    size = int(checkpoint.splitlines()[1])
    for start in range(0, size, TILE_WIDTH):
        width = min(TILE_WIDTH, size - start)
        get("/" + entries_path(start // TILE_WIDTH, width))
        get("/" + tile_path(0, start // TILE_WIDTH, width))
    for path in ("/v1/pool", "/v1/pool/history", "/v1/rules", "/v1/burns", "/v1/campaigns",
                 "/v1/blocks", "/v1/entries?limit=500", "/v1/public-key",
                 "/", "/rules", "/disclosures", "/verify"):
        get(path)
    for index in range(size):
        get(f"/v1/entries/{index}")
        get(f"/entry/{index}")
    for block in orjson.loads(found["/v1/blocks"])["data"]:
        get(f"/block/{block['height']}")
        get(f"/v1/blocks/{block['height']}")
    members = set(re.findall(rb"p-[0-9a-f]{32}", b"".join(found.values())))
    assert members, "the public log names members by pseudonym"
    for member in sorted(members):
        get(f"/member?p={member.decode()}")
    return found


def test_no_raw_member_id_in_any_public_byte_nor_in_another_partys_events(
        service: Service) -> None:
    admin = service.admin()
    m1, m2 = service.merchant("m1"), service.merchant("m2")
    assert admin.post("/v1/lenders", json={"id": "b1"}).status_code == 201
    lender = service.client(service.new_key("lender", "b1"))
    first = pseudonym_of(order(m1, "o1", PHONE_1))
    second = pseudonym_of(order(m1, "o2", CUSTOMER))
    third = pseudonym_of(order(m2, "o3", PHONE_2))
    assert len({first, second, third}) == 3 and all(map(is_pseudonym, (first, second, third)))
    # The same id from the operator's side is the same member: a member key by it works.
    member = service.member(PHONE_1)
    paid = member.post(f"/v1/members/{PHONE_1}/withdrawals", json={"points": "1"})
    assert paid.status_code == 201, paid.text
    assert paid.json()["entry"]["command"]["member"] == first
    # The member sees their own records, by their own id, and who they are.
    mine = member.get(f"/v1/members/{PHONE_1}").json()
    assert (mine["member"], mine["member_id"]) == (first, PHONE_1)
    history = member.get(f"/v1/members/{PHONE_1}/history").json()["data"]
    assert [entry["entry"]["command"]["op"] for entry in history] == ["withdraw", "order"]
    service.clock.advance(40 * 86_400)
    assert admin.post("/v1/disclosures/2026-03").status_code == 201

    exposed = public_bytes(service)
    for raw in RAW_IDS:
        leaks = [path for path, body in exposed.items() if raw.encode() in body]
        assert leaks == [], f"{raw} appears in {leaks}"
    # Events: another merchant and a lender hear nothing that names m1's customers.
    for client in (m2, lender):
        feed = client.get("/v1/events", params={"limit": 1000})
        assert feed.status_code == 200, feed.text
        assert not any(raw.encode() in feed.content for raw in (PHONE_1, CUSTOMER))
    # The members themselves are in the public log, under their pseudonyms.
    entries = b"".join(body for path, body in exposed.items() if path.startswith("/v1/entries/"))
    assert all(name.encode() in entries for name in (first, second, third))


def test_each_merchant_sees_its_own_ids_and_never_anothers(service: Service) -> None:
    m1, m2 = service.merchant("m1"), service.merchant("m2")
    member = pseudonym_of(order(m1, "o1", CUSTOMER))
    # The member shows their pseudonym (the wallet's QR) at a second merchant.
    placed = order(m2, "o2", member, "50.00", "10.00")
    assert placed.status_code == 201, placed.text
    assert placed.json()["entry"]["command"]["member"] == member

    own = m1.get("/v1/orders/o1").json()
    assert own["member"] == member and own["member_id"] == CUSTOMER
    m1_feed = m1.get("/v1/events", params={"limit": 1000}).json()["data"]
    named = [item["event"] for item in m1_feed if "member_ids" in item["event"]]
    assert named and all(event["member_ids"] == {member: CUSTOMER} for event in named)

    other = m2.get("/v1/orders/o2").json()
    assert other["member"] == member and other.get("member_id") is None
    for path in ("/v1/orders/o2", "/v1/orders", "/v1/events?limit=1000"):
        answer = m2.get(path)
        assert answer.status_code == 200 and CUSTOMER.encode() not in answer.content, path
    # m2 may not read m1's order at all.
    assert m2.get("/v1/orders/o1").status_code in (403, 404)
    # The admin sees the operator's id for the member; an auditor only the pseudonym.
    assert service.admin().get(f"/v1/members/{member}").json()["member_id"] == CUSTOMER
    auditor = service.client(service.new_key("auditor"))
    seen = auditor.get(f"/v1/members/{member}")
    assert seen.status_code == 200 and CUSTOMER.encode() not in seen.content


def test_erasure_keeps_the_log_verifying_and_leaves_no_link_in_the_database_file(
        sqlite_service: Service, tmp_path: Path) -> None:
    service = sqlite_service
    admin = service.admin()
    m1 = service.merchant("m1")
    keeper = pseudonym_of(order(m1, "o1", PHONE_2))
    gone = pseudonym_of(order(m1, "o2", PHONE_1, "10.00", "2.00"))
    member = service.member(PHONE_1)
    assert member.put(f"/v1/members/{PHONE_1}/profile",
                      json={"name": "王小明", "phone": PHONE_1}).status_code == 200

    db_file = Path(service.db.removeprefix("sqlite:///"))
    with sqlite3.connect(db_file) as connection:  # what is stored of who they are
        sealed = [row[0] for row in connection.execute(
            "SELECT sealed_id FROM member_links WHERE pseudonym = ? UNION ALL "
            "SELECT sealed FROM member_profiles WHERE pseudonym = ?", (gone, gone))]
        id_hashes = [row[0] for row in connection.execute(
            "SELECT id_hash FROM member_links WHERE pseudonym = ?", (gone,))]
    assert len(sealed) == 3 and len(id_hashes) == 2  # the operator's link, m1's, the profile

    # Refused while the member holds points (the figure is in the reason): cash out first.
    points = admin.get(f"/v1/members/{gone}").json()["points"]
    refused = admin.delete(f"/v1/members/{PHONE_1}")
    assert refused.status_code == 409 and refused.json()["error"] == "cannot_erase"
    assert points in refused.json()["message"], (points, refused.text)
    assert admin.delete("/v1/members/nobody-at-all").status_code == 404
    cashed = member.post(f"/v1/members/{PHONE_1}/withdrawals", json={"points": "all"})
    assert cashed.status_code == 201, cashed.text
    # Refused while they are owed what the withdrawal paid, until it reached their bank
    # (docs/rules.md section 10); their bank account, sealed, goes with them.
    owed = admin.get(f"/v1/members/{gone}").json()["owed"]
    refused = member.delete(f"/v1/members/{PHONE_1}")
    assert refused.status_code == 409 and f"{owed} CNY owed" in refused.json()["message"]
    account = member.post("/v1/destinations", json={"account": "6222021001123456789",
                                                    "name": "王小明"}).json()
    admin.post(f"/v1/destinations/{account['id']}/status", json={"status": "verified"})
    assert admin.post("/v1/payouts", json={"party": f"member:{PHONE_1}", "amount": owed,
                                           "destination": account["id"],
                                           "id": "po1"}).status_code == 201
    assert member.delete(f"/v1/members/{PHONE_1}").status_code == 409  # in flight
    assert admin.post("/v1/payouts/po1/settled", json={"reference": "B1"}).status_code == 201
    with sqlite3.connect(db_file) as connection:
        sealed += [row[0] for row in connection.execute(
            "SELECT sealed FROM payout_destinations WHERE party = ?", (f"member:{gone}",))]
    assert len(sealed) == 4
    before = admin.get("/v1/pool").json()

    # Another member may not erase this one; the member may erase themself.
    other = service.member(PHONE_2)
    assert other.delete(f"/v1/members/{gone}").status_code == 403
    erased = member.delete(f"/v1/members/{PHONE_1}")
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["member"] == gone and body["links_deleted"] >= 2 and body["keys_revoked"] == 1
    assert body["entry"]["effects"][0]["member"] == gone
    assert admin.get("/v1/pool").json()["pool"] == before["pool"]
    # The member's key ends with them; their id names nobody now; the pseudonym stays.
    assert member.get(f"/v1/members/{gone}").status_code == 401
    assert admin.get(f"/v1/members/{PHONE_1}").status_code == 404
    assert admin.get(f"/v1/members/{gone}").json().get("member_id") is None
    assert admin.delete(f"/v1/members/{gone}").status_code == 200  # again: nothing more
    events = admin.get("/v1/events", params={"type": "member.erased"}).json()["data"]
    assert [item["event"]["data"]["member"] for item in events] == [gone]

    # The database file holds neither the link nor the profile: not the id, not its
    # keyed hashes, not their sealed copies (the rows were deleted and overwritten).
    service.stop()
    content = b"".join(path.read_bytes() for path in db_file.parent.glob(db_file.name + "*"))
    assert PHONE_1.encode() not in content and "王小明".encode() not in content
    assert [value for value in (*sealed, *id_hashes) if bytes(value) in content] == []
    with sqlite3.connect(db_file) as connection:
        rows = connection.execute("SELECT pseudonym FROM member_links").fetchall()
        profiles = connection.execute("SELECT pseudonym FROM member_profiles").fetchall()
    assert gone not in {row[0] for row in rows} and gone not in {row[0] for row in profiles}
    assert keeper in {row[0] for row in rows}
    result = CliRunner().invoke(main, ["verify", "--db", service.db])
    assert result.exit_code == 0 and result.output.startswith("OK: "), result.output

    # The same id arriving later is a new member.
    service.start()
    again = pseudonym_of(order(service.merchant("m2"), "o3", PHONE_1))
    assert again != gone


def test_a_member_exports_their_own_data_and_no_one_elses(service: Service) -> None:
    m1 = service.merchant("m1")
    mine = pseudonym_of(order(m1, "o1", PHONE_1))
    pseudonym_of(order(m1, "o2", PHONE_2))
    member = service.member(PHONE_1)
    assert member.put(f"/v1/members/{mine}/profile", json={"name": "王小明"}).status_code == 200
    exported = member.get(f"/v1/members/{PHONE_1}/export")
    assert exported.status_code == 200, exported.text
    assert exported.headers["cache-control"] == "no-store"
    document = exported.json()
    public_key = service.client().get("/v1/public-key").json()["verifier_key"]
    summary = verify_export(document, public_key)
    assert summary.pseudonym == mine and summary.entries >= 1
    assert document["member"]["profile"] == {"name": "王小明"}
    assert PHONE_2.encode() not in exported.content
    # The wallet offers the same file to the signed-in member, and explains the pseudonym.
    wallet = service.signed_in("/wallet", service.new_key("member", PHONE_1))
    page = wallet.get("/wallet").text
    assert mine in page and 'href="/wallet/export"' in page and "随机化名" in page
    downloaded = wallet.get("/wallet/export")
    assert downloaded.status_code == 200 and downloaded.headers["cache-control"] == "no-store"
    assert verify_export(downloaded.json(), public_key).pseudonym == mine
    assert service.page_client().get("/wallet/export").status_code == 200  # the sign-in page
    assert b"signature" not in service.page_client().get("/wallet/export").content
    # Another member's export, by id or by pseudonym, is forbidden: 403 either way,
    # so a member key cannot find out which ids are members.
    for other in (PHONE_2, "nobody-at-all"):
        assert member.get(f"/v1/members/{other}/export").status_code == 403
    # The admin may export it; a changed byte fails the check.
    theirs = service.admin().get(f"/v1/members/{PHONE_2}/export").json()
    assert verify_export(theirs, public_key).pseudonym != mine
    theirs["member"]["links"][0]["id"] = PHONE_1
    try:
        verify_export(theirs, public_key)
    except ExportInvalid as error:
        assert "signature" in str(error)
    else:
        raise AssertionError("a tampered export verified")
