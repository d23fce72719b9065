"""The pages' sign-ins are server-side sessions: the cookie holds a random id, never a key;
a session ends when idle, at the end of its lifetime, on signing out, from the console,
and when its key is revoked; and no page takes a state-changing request from another site
or from nowhere."""

from __future__ import annotations

import hashlib
import html
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servicehelpers import Service

from databases import BACKENDS, fresh_database
from profitpool.log.setup import initialise
from profitpool.service.settings import Settings
from profitpool.store.apikeys import KeyStore
from profitpool.store.database import connect
from profitpool.store.sessions import SessionStore, hash_session_id
from profitpool.web.i18n import CATALOGUE

SIGN_IN_PAGE = 'id="sign-in"'
CONSOLE_PAGE = 'id="health"'
MINUTE_US = 60_000_000


def _session_cookie(client: httpx.Client, area: str) -> tuple[str, str]:
    """(name, value) of the one cookie signing in to ``area`` left in the client."""
    [(name, value)] = [(cookie.name, cookie.value) for cookie in client.cookies.jar
                       if cookie.path == area]
    return name, value


def _client_with(service: Service, cookies: dict[str, str]) -> httpx.Client:
    client = service.page_client()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    return client


# the cookie --------------------------------------------------------------------------------
def test_the_cookie_holds_a_random_session_id_stored_only_as_its_hash(
        service: Service) -> None:
    client = service.page_client()
    answer = client.post("/console/login", data={"key": service.admin_key})
    assert answer.status_code == 303
    name, value = _session_cookie(client, "/console")
    assert value != service.admin_key and service.admin_key.split("_", 2)[2] not in value
    assert len(value) >= 43  # secrets.token_urlsafe(32): 256 random bits
    set_cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    assert "path=/console" in set_cookie and "secure" not in set_cookie  # plain http here
    engine = connect(service.db)
    try:
        [stored] = SessionStore(engine).live(time.time_ns() // 1000, 30 * MINUTE_US)
    finally:
        engine.dispose()
    assert stored.id_hash == hashlib.sha256(value.encode()).digest()
    assert (stored.key_id, stored.role, stored.party, stored.area) == (
        service.admin_key.split("_")[1], "admin", None, "/console")
    assert client.get("/console").text.count(CONSOLE_PAGE) == 1
    assert name != "pp_admin_key"


def _cells(row: str) -> list[str]:
    """The text of each cell of a table row's HTML."""
    return [html.unescape(re.sub(r"<[^>]+>", "", cell.split(">", 1)[1])).strip()
            for cell in row.split("<td")[1:]]


def _with_member(service: Service, member: str = "u1") -> None:
    """Register m1 (if not yet) and place an order for ``member``: keys are bound only to
    parties the log knows."""
    if service.admin().get("/v1/merchants/m1").status_code == 404:
        shop = service.merchant("m1")
    else:
        shop = service.client(service.new_key("merchant", "m1"))
    assert shop.post("/v1/orders", json={"id": f"for-{member}", "member": member,
                                         "amount": "100.00", "profit": "20.00"}
                     ).status_code in (200, 201)


def test_the_cookie_is_secure_when_the_request_came_over_https(
        sqlite_service: Service) -> None:
    # uvicorn believes X-Forwarded-Proto from a proxy on this machine (FORWARDED_ALLOW_IPS,
    # loopback by default): the scheme the browser used is https.
    https_origin = sqlite_service.url.replace("http://", "https://")
    _with_member(sqlite_service)
    client = sqlite_service.client()
    answer = client.post("/wallet/login", data={"key": sqlite_service.new_key("member", "u1")},
                         headers={"X-Forwarded-Proto": "https", "Origin": https_origin})
    assert answer.status_code == 303 and answer.headers["location"] == "/wallet"
    assert "secure" in answer.headers["set-cookie"].lower()


def test_a_key_in_a_cookie_signs_in_no_more_and_the_old_cookie_is_dropped(
        sqlite_service: Service) -> None:
    # Before sessions, the console's cookie held the admin key itself.
    client = _client_with(sqlite_service, {"pp_admin_key": sqlite_service.admin_key})
    assert SIGN_IN_PAGE in client.get("/console").text
    answer = client.post("/console/login", data={"key": sqlite_service.admin_key})
    assert answer.status_code == 303
    dropped = [line for line in answer.headers.get_list("set-cookie")
               if line.startswith("pp_admin_key=")]
    assert len(dropped) == 1 and "max-age=0" in dropped[0].lower()


# how a session ends ------------------------------------------------------------------------
def test_signing_out_ends_the_session_on_the_server(service: Service) -> None:
    client = service.signed_in("/console", service.admin_key)
    kept = dict(client.cookies)  # what a thief would have copied
    out = client.post("/console/logout")
    assert out.status_code == 303 and out.headers["location"] == "/console"
    assert SIGN_IN_PAGE in client.get("/console").text
    stolen = _client_with(service, kept)
    page = stolen.get("/console")
    assert SIGN_IN_PAGE in page.text and CONSOLE_PAGE not in page.text
    assert stolen.post("/console/merchant", data={"id": "sneaky"}).status_code == 303
    assert service.admin().get("/v1/merchants").json()["count"] == 0


def test_a_session_ends_after_its_idle_timeout_and_lives_while_used(tmp_path: Path) -> None:
    service = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "op.key",
                      options={"session_idle_minutes": 0.03}).setup()  # 1.8 s
    try:
        client = service.signed_in("/console", service.admin_key)
        for _ in range(6):  # 3 s of use, each view within the timeout: still signed in
            time.sleep(0.5)
            assert CONSOLE_PAGE in client.get("/console").text
        time.sleep(2.2)
        assert SIGN_IN_PAGE in client.get("/console").text
    finally:
        service.stop()


def test_revoking_the_key_ends_its_sessions_at_once_or_within_a_second_from_the_cli(
        sqlite_service: Service) -> None:
    admin = sqlite_service.admin()
    made = admin.post("/v1/keys", json={"role": "admin", "label": "second admin"}).json()
    through_api = sqlite_service.signed_in("/console", made["key"])
    assert CONSOLE_PAGE in through_api.get("/console").text
    assert admin.delete(f"/v1/keys/{made['id']}").status_code == 200
    assert SIGN_IN_PAGE in through_api.get("/console").text  # at once

    _with_member(sqlite_service)
    member_key = sqlite_service.new_key("member", "u1")
    wallet = sqlite_service.signed_in("/wallet", member_key)
    assert SIGN_IN_PAGE not in wallet.get("/wallet").text
    listing = sqlite_service.signed_in("/console", sqlite_service.admin_key)
    assert 'id="sessions"' in listing.get("/console").text
    assert listing.get("/console").text.count('class="end-session"') == 2  # admin, member
    engine = connect(sqlite_service.db)
    try:
        KeyStore(engine).revoke(member_key.split("_")[1])  # as `profitpool keys revoke` does
    finally:
        engine.dispose()
    time.sleep(1.1)  # the service re-reads a key's record at most once a second
    assert SIGN_IN_PAGE in wallet.get("/wallet").text
    assert listing.get("/console").text.count('class="end-session"') == 1


def test_the_console_lists_sessions_without_their_ids_and_ends_any_of_them(
        sqlite_service: Service) -> None:
    _with_member(sqlite_service)
    admin_page = sqlite_service.signed_in("/console", sqlite_service.admin_key)
    other_admin = sqlite_service.signed_in("/console", sqlite_service.admin_key)
    wallet = sqlite_service.signed_in("/wallet", sqlite_service.new_key("member", "u1"))
    portal = sqlite_service.signed_in("/merchant", sqlite_service.new_key("merchant", "m1"))
    page = admin_page.get("/console", params={"lang": "en"}).text
    rows = page.split('<table id="sessions" class="cards">')[1].split("</table>")[0]
    assert rows.count('class="end-session"') == 4
    listed = [_cells(row)[:4] for row in rows.split("<tr")[2:]]
    browser = "Chrome" if "Chrome" in rows else "python-httpx"
    assert ["Members' wallet", "Member", "u1"] in [row[:3] for row in listed]
    assert ["Merchant portal", "Merchant", "m1"] in [row[:3] for row in listed]
    assert [row[:3] for row in listed].count(["Operator console", "Admin", ""]) == 2
    assert all(row[3].startswith(browser) for row in listed)
    assert rows.count(CATALOGUE["this_session"]["en"]) == 1  # the admin's own, marked
    for client, area in ((admin_page, "/console"), (other_admin, "/console"),
                         (wallet, "/wallet"), (portal, "/merchant")):
        assert _session_cookie(client, area)[1] not in page  # never an id
    # end the member's session: the wallet is signed out, the rest stay
    member_row = next(row for row in rows.split("<tr")
                      if "Members' wallet" in html.unescape(row))
    handle = member_row.split('name="session" value="')[1].split('"')[0]
    ended = admin_page.post("/console/sessions/end", data={"session": handle})
    assert ended.status_code == 303
    assert SIGN_IN_PAGE in wallet.get("/wallet").text
    assert SIGN_IN_PAGE not in portal.get("/merchant").text
    assert CONSOLE_PAGE in other_admin.get("/console").text
    assert admin_page.get("/console").text.count('class="end-session"') == 3


# forms from elsewhere ----------------------------------------------------------------------
FORMS = [("/console/login", {"key": "?"}), ("/console/logout", {}),
         ("/console/merchant", {"id": "forged"}), ("/console/key-create", {"role": "admin"}),
         ("/console/webhook-create", {"url": "https://example.com/forged"}),
         ("/console/sessions/end", {"session": "00"}), ("/wallet/login", {"key": "?"}),
         ("/wallet/withdraw", {"points": "1", "step": "confirm", "token": "t"}),
         ("/wallet/logout", {}), ("/merchant/refund", {"order": "o1"}),
         ("/merchant/login", {"key": "?"}), ("/merchant/logout", {})]


@pytest.mark.parametrize("headers", [{}, {"Origin": "http://evil.example"},
                                     {"Origin": "null"},
                                     {"Referer": "http://evil.example/page"}],
                         ids=["neither", "other-origin", "null-origin", "other-referer"])
def test_no_page_takes_a_state_changing_request_from_another_site_or_nowhere(
        sqlite_service: Service, headers: dict[str, str]) -> None:
    m1 = sqlite_service.merchant("m1")
    assert m1.post("/v1/orders", json={"id": "o1", "member": "u1", "amount": "100.00",
                                       "profit": "20.00"}).status_code == 201
    signed = {area: sqlite_service.signed_in(area, key) for area, key in (
        ("/console", sqlite_service.admin_key),
        ("/wallet", sqlite_service.new_key("member", "u1")),
        ("/merchant", sqlite_service.new_key("merchant", "m1")))}
    before = sqlite_service.client().get("/v1/pool").json()
    keys_before = len(sqlite_service.admin().get("/v1/keys").json())
    for path, fields in FORMS:
        area = "/" + path.split("/")[1]
        client = signed[area]
        client.headers.pop("Origin", None)
        answer = client.post(path, data=fields, headers=headers)
        assert answer.status_code == 403, (path, answer.status_code)
        assert 'id="cross-site"' in answer.text
        assert "set-cookie" not in answer.headers, path  # signed in, not out
    for area, client in signed.items():
        assert SIGN_IN_PAGE not in client.get(area).text, area
    assert sqlite_service.client().get("/v1/pool").json() == before
    assert len(sqlite_service.admin().get("/v1/keys").json()) == keys_before
    assert sqlite_service.admin().get("/v1/merchants").json()["count"] == 1
    assert sqlite_service.admin().get("/v1/webhooks").json()["data"] == []


def test_a_form_from_this_site_is_taken_with_its_origin_or_only_its_referer(
        sqlite_service: Service) -> None:
    client = sqlite_service.client()
    by_referer = client.post("/console/login", data={"key": sqlite_service.admin_key},
                             headers={"Referer": f"{sqlite_service.url}/console?lang=en"})
    assert by_referer.status_code == 303 and by_referer.headers["location"] == "/console"
    made = client.post("/console/merchant", data={"id": "m9", "name": "n", "industry": "i"},
                       headers={"Origin": sqlite_service.url})
    assert made.status_code == 200 and 'id="done"' in made.text
    # the API takes Bearer keys and no cookie: it does not look at Origin at all
    assert sqlite_service.admin().post("/v1/lenders", json={"id": "b1"},
                                       headers={"Origin": "http://evil.example"}
                                       ).status_code == 201


# nothing signed-in is kept in a cache ------------------------------------------------------
def test_signed_in_pages_and_secrets_are_never_stored_in_a_cache(
        sqlite_service: Service) -> None:
    _with_member(sqlite_service)
    console = sqlite_service.signed_in("/console", sqlite_service.admin_key)
    wallet = sqlite_service.signed_in("/wallet", sqlite_service.new_key("member", "u1"))
    answers = {
        "console": console.get("/console"),
        "new key": console.post("/console/key-create", data={"role": "auditor"}),
        "webhook secret": console.post("/console/webhook-create",
                                       data={"url": "https://93.184.216.34/h"}),
        "wallet": wallet.get("/wallet"),
        "wallet proof": wallet.get("/wallet/pol/2026-01"),
        "sign-in page": sqlite_service.client().get("/merchant"),
        "POST /v1/keys": sqlite_service.admin().post("/v1/keys", json={"role": "auditor"}),
        "a keyed read": sqlite_service.admin().get("/v1/merchants"),
    }
    assert 'id="new-key"' in answers["new key"].text
    assert 'id="webhook-secret"' in answers["webhook secret"].text
    for what, answer in answers.items():
        assert answer.headers.get("cache-control") == "no-store", what
    public = sqlite_service.client()
    for path in ("/", "/v1/pool", "/static/site.css"):
        assert "no-store" not in public.get(path).headers.get("cache-control", ""), path


# the store ---------------------------------------------------------------------------------
@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SessionStore,
                                                                             KeyStore]]:
    with fresh_database(request.param, tmp_path) as url:
        initialise(url, tmp_path / "op.key", None)
        engine = connect(url)
        try:
            yield SessionStore(engine), KeyStore(engine)
        finally:
            engine.dispose()


def test_a_stored_session_ends_idle_at_its_lifetime_or_when_ended(
        store: tuple[SessionStore, KeyStore]) -> None:
    sessions, keys = store
    _, key = keys.create("member", "u1", exists=lambda role, party: True)
    idle, lifetime, start = 30 * MINUTE_US, 12 * 60 * MINUTE_US, 1_000 * MINUTE_US
    session_id, opened = sessions.open(key.key_id, "member", "u1", "/wallet", "b" * 300,
                                       start, lifetime, idle)
    other = session_id[:-1] + ("A" if session_id[-1] != "A" else "B")
    assert sessions.find(other) is None and sessions.find("") is None
    found = sessions.find(session_id)
    assert found == opened and found.id_hash == hash_session_id(session_id)
    assert found.user_agent == "b" * 200
    assert found.live(start + idle - 1, idle) and not found.live(start + idle, idle)
    # used every 20 minutes: alive until the lifetime, never after it
    for minute in range(20, 12 * 60, 20):
        sessions.touch(opened.id_hash, start + minute * MINUTE_US)
    late = sessions.find(session_id)
    assert late is not None and late.live(start + lifetime - 1, idle)
    assert not late.live(start + lifetime, idle)
    assert [s.id_hash for s in sessions.live(start + lifetime - 1, idle)] == [opened.id_hash]
    assert sessions.live(start + lifetime, idle) == []
    # ended: gone from the live list, and ending it again says so
    assert sessions.end(opened.id_hash, start + MINUTE_US)
    assert not sessions.end(opened.id_hash, start + 2 * MINUTE_US)
    ended = sessions.find(session_id)
    assert ended is not None and not ended.live(start + 2 * MINUTE_US, idle)
    assert sessions.live(start + 2 * MINUTE_US, idle) == []


def test_sessions_of_a_revoked_key_are_not_listed_and_ended_ones_are_purged(
        store: tuple[SessionStore, KeyStore]) -> None:
    sessions, keys = store
    _, kept = keys.create("admin")
    _, doomed = keys.create("merchant", "m1", exists=lambda role, party: True)
    idle, lifetime, now = 30 * MINUTE_US, 12 * 60 * MINUTE_US, 1_000 * MINUTE_US
    kept_id, _ = sessions.open(kept.key_id, "admin", None, "/console", "", now, lifetime, idle)
    sessions.open(doomed.key_id, "merchant", "m1", "/merchant", "", now, lifetime, idle)
    assert len(sessions.live(now + 1, idle)) == 2
    keys.revoke(doomed.key_id)
    assert [s.key_id for s in sessions.live(now + 1, idle)] == [kept.key_id]
    # the next sign-in purges what can never be used again; a live session stays
    assert sessions.purge(now + 1, idle) == 1
    assert sessions.find(kept_id) is not None
    assert sessions.purge(now + idle, idle) == 1  # idle now
    assert sessions.find(kept_id) is None


def test_the_session_timeouts_are_settings_with_sensible_defaults(
        monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings()
    assert (defaults.session_idle_minutes, defaults.session_lifetime_hours) == (30.0, 12.0)
    monkeypatch.setenv("PROFITPOOL_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("PROFITPOOL_SESSION_LIFETIME_HOURS", "1.5")
    assert (Settings().session_idle_minutes, Settings().session_lifetime_hours) == (5.0, 1.5)
    monkeypatch.setenv("PROFITPOOL_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(ValueError):
        Settings()
