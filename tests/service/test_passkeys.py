"""Members' passkeys: registered from a one-time link, then a sign-in to the wallet.

In Debian's chromium with a virtual authenticator through the DevTools protocol
(``WebAuthn.addVirtualAuthenticator``: CTAP2, internal, resident keys, user
verification), as a member's phone would. Pages are opened at
``http://localhost:<port>``: chromium treats localhost as a secure context and
takes ``localhost`` as an RP id (it refuses an IP address such as 127.0.0.1).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from servicehelpers import Service
from sqlalchemy import select, update

from browsers import WIDTHS, assert_fits, chromium, screenshot
from profitpool.store.database import connect
from profitpool.store.passkeys import LINK_HOURS
from profitpool.store.schema import passkey_links, passkeys, sessions
from profitpool.web import passkeys as passkeys_module
from profitpool.web.i18n import CATALOGUE
from profitpool.web.passkeys_texts import PASSKEY_TEXTS


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def local(service: Service) -> str:
    """The service's address by the name chromium makes passkeys for."""
    return service.url.replace("127.0.0.1", "localhost")


def phone(browser: Any, width: int = 390, height: int = 844) -> tuple[Any, Any]:
    """A new browser context and page with a virtual platform authenticator (a phone's)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return context, page


def program(service: Service) -> dict[str, Any]:
    """m1 with customers u1 and u2 (100 points each, settled once the window passes)."""
    m1 = service.merchant("m1", name="Tea House")
    for order, member in (("o1", "u1"), ("o2", "u2")):
        answer = m1.post("/v1/orders", json={"id": order, "member": member,
                                             "amount": "1000.00", "profit": "1000.00"})
        assert answer.status_code == 201, answer.text
    admin = service.admin()
    return {"m1": m1, **{member: admin.get(f"/v1/members/{member}").json()["member"]
                         for member in ("u1", "u2")}}


def api_link(service: Service, member_id: str) -> str:
    """A registration link for ``member_id`` from the admin's API, at localhost."""
    answer = service.admin().post(f"/v1/members/{member_id}/passkey-links")
    assert answer.status_code == 201, answer.text
    return str(answer.json()["url"]).replace("127.0.0.1", "localhost")


def register(page: Any, link: str) -> None:
    """Open the link and make a passkey; the member lands in the wallet, signed in."""
    page.goto(link)
    page.click("#passkey-register-button")
    page.wait_for_url(re.compile(r"/wallet$"))


def rows(service: Service, table: Any) -> list[Any]:
    engine = connect(service.db)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(table)))
    finally:
        engine.dispose()


def change(service: Service, statement: Any) -> None:
    engine = connect(service.db)
    try:
        with engine.begin() as connection:
            connection.execute(statement)
    finally:
        engine.dispose()


def captured_signin(page: Any, base: str, deliver: bool = False) -> str:
    """Sign in with the page's passkey, keeping the form the browser sends; unless
    ``deliver``, the form never reaches the server (its challenge stays unanswered)."""
    sent: list[str] = []

    def keep(route: Any) -> None:
        sent.append(route.request.post_data)
        if deliver:
            route.continue_()
        else:
            route.abort()

    page.route("**/wallet/passkey/signin", keep)
    page.goto(f"{base}/wallet")
    page.click("#passkey-signin-button")
    page.wait_for_timeout(50)
    for _ in range(200):
        if sent:
            break
        page.wait_for_timeout(50)
    page.unroute("**/wallet/passkey/signin")
    assert sent, "the browser sent no passkey answer"
    return sent[0]


def post_form(base: str, path: str, body: str, origin: str | None = None,
              host: str | None = None) -> httpx.Response:
    """Send a form to the service at ``base``'s address (from ``origin``, to ``host``: by
    default ``base``'s), as a browser would."""
    headers = {"Origin": origin or base, "Content-Type": "application/x-www-form-urlencoded",
               "Host": host or base.split("://", 1)[1]}
    return httpx.post(f"{base.replace('localhost', '127.0.0.1')}{path}", content=body,
                      headers=headers, timeout=30)


# the whole flow ---------------------------------------------------------------------------
def test_a_member_registers_from_a_link_signs_in_with_the_passkey_and_out(
        sqlite_service: Service, browser: Any) -> None:
    """The operator makes a link in the console; the member opens it on their phone, makes
    a passkey and is in their wallet; signs out, signs in with the passkey, previews a
    withdrawal, and signs out. The link works once."""
    service = sqlite_service
    ids = program(service)
    base = local(service)
    # The operator, at a laptop: the console's form makes the link.
    console = browser.new_page(viewport={"width": 1366, "height": 900})
    console.goto(f"{base}/console")
    console.fill("#key", service.admin_key)
    console.click("#sign-in")
    console.fill("#passkey-member", "u1")
    console.click("#passkey-invite-button")
    link = console.get_attribute("#passkey-link", "href")
    assert link and link.startswith(f"{base}/wallet/passkey/new?t=")
    assert console.text_content("#link-member") == "u1"
    [stored] = rows(service, passkey_links)
    assert stored.member == ids["u1"] and stored.issued_by == "admin" and stored.used_us is None
    secret = parse_qs(link.split("?", 1)[1])["t"][0]
    assert bytes(stored.token_hash) == hashlib.sha256(secret.encode()).digest()  # not the secret
    assert stored.expires_us - stored.created_us == LINK_HOURS * 3_600_000_000

    # The member, on a phone.
    context, page = phone(browser)
    register(page, link)
    assert "u1" in page.text_content("h1")
    [passkey] = rows(service, passkeys)
    assert passkey.member == ids["u1"] and passkey.rp_id == "localhost"
    assert page.locator("#passkeys tr.current").count() == 1
    [used] = rows(service, passkey_links)
    assert used.used_us is not None
    live = [row for row in rows(service, sessions)
            if row.revoked_us is None and row.area == "/wallet"]
    assert [(row.key_id, row.role, row.party, row.area) for row in live] == [
        (passkey.id, "member", ids["u1"], "/wallet")]

    # Signing out ends the session; the passkey signs in again, with a new counter.
    page.locator("form[action='/wallet/logout'] button").click()
    page.wait_for_url(re.compile(r"/wallet$"))
    assert page.locator("#passkey-signin-button").count() == 1
    page.click("#passkey-signin-button")
    page.wait_for_selector("#passkeys")
    assert "u1" in page.text_content("h1")
    [after] = rows(service, passkeys)
    assert after.sign_count > passkey.sign_count and after.last_used_us is not None

    # The wallet works as with a key: a withdrawal is previewed by the engine.
    page.fill("form[action='/wallet/withdraw'] input[name='points']", "1")
    page.locator("form[action='/wallet/withdraw'] button[type='submit']").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/wallet/withdraw")

    # The console lists the passkey's session by the operator's id for the member.
    console.goto(f"{base}/console")
    assert "u1" in console.text_content("#sessions")

    # The same link again: refused, and nothing more is stored.
    page.goto(link)
    assert page.get_attribute("#passkey-refused", "data-reason") == "link_used"
    assert len(rows(service, passkeys)) == 1
    answer = httpx.get(link.replace("localhost", "127.0.0.1"))
    assert answer.status_code == 410
    context.close()


# links that must not work -----------------------------------------------------------------
def test_an_expired_link_is_refused_with_a_clear_page_and_registers_nothing(
        sqlite_service: Service, browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    service = sqlite_service
    program(service)
    link = api_link(service, "u1")
    context, page = phone(browser)
    page.goto(link)  # open while the link is good ...
    assert page.locator("#passkey-register-button").count() == 1
    real = passkeys_module.now_us
    monkeypatch.setattr(passkeys_module, "now_us",
                        lambda: real() + LINK_HOURS * 3_600_000_000 + 1)
    page.click("#passkey-register-button")  # ... pressed after it expired: the page says so
    page.wait_for_selector("#passkey-refused")
    assert page.get_attribute("#passkey-refused", "data-reason") == "link_expired"
    assert CATALOGUE["passkey_refused_link_expired"]["zh"] in page.text_content("main")
    assert httpx.get(link.replace("localhost", "127.0.0.1")).status_code == 410
    assert rows(service, passkeys) == []
    [stored] = rows(service, passkey_links)
    assert stored.used_us is None
    context.close()


def test_a_link_for_nobody_or_a_garbled_answer_changes_nothing(
        sqlite_service: Service, browser: Any) -> None:
    service = sqlite_service
    program(service)
    base = local(service)
    answer = httpx.get(f"{service.url}/wallet/passkey/new?t=not-a-link")
    assert answer.status_code == 404 and 'data-reason="link_unknown"' in answer.text
    link = api_link(service, "u1")
    secret = parse_qs(link.split("?", 1)[1])["t"][0]
    for body in ({"link": secret, "credential": "{}"},
                 {"link": secret, "credential": "not json"},
                 {"link": secret}):
        refused = post_form(base, "/wallet/passkey/register", urlencode(body))
        assert refused.status_code == 400 and 'data-reason="invalid"' in refused.text
    refused = post_form(base, "/wallet/passkey/signin", urlencode({"credential": "[1, 2]"}))
    assert refused.status_code == 400 and "set-cookie" not in refused.headers
    assert rows(service, passkeys) == []
    [stored] = rows(service, passkey_links)
    assert stored.used_us is None  # still good: the member registers with it
    context, page = phone(browser)
    register(page, link)
    assert len(rows(service, passkeys)) == 1
    context.close()


# answers that must not sign in ------------------------------------------------------------
def test_a_replayed_or_rewound_sign_in_is_refused(sqlite_service: Service,
                                                   browser: Any) -> None:
    """An answer sent twice signs in once; an authenticator whose counter went back (a
    cloned key) is refused."""
    service = sqlite_service
    program(service)
    base = local(service)
    context, page = phone(browser)
    register(page, api_link(service, "u1"))
    page.locator("form[action='/wallet/logout'] button").click()
    sent = captured_signin(page, base, deliver=True)
    page.wait_for_selector("#passkeys")  # signed in once
    [before] = rows(service, passkeys)
    sessions_before = rows(service, sessions)
    again = post_form(base, "/wallet/passkey/signin", sent)
    assert again.status_code == 400 and 'data-reason="challenge"' in again.text
    assert "set-cookie" not in again.headers
    assert rows(service, passkeys) == [before] and rows(service, sessions) == sessions_before

    # The counter: the server has seen a higher one than this authenticator gives next.
    page.locator("form[action='/wallet/logout'] button").click()
    change(service, update(passkeys).values(sign_count=before.sign_count + 1000))
    page.click("#passkey-signin-button")
    page.wait_for_selector("#passkey-refused")
    assert page.get_attribute("#passkey-refused", "data-reason") == "invalid"
    assert "sign count" in page.text_content("#passkey-detail")
    [after] = rows(service, passkeys)
    assert after.sign_count == before.sign_count + 1000
    assert after.last_used_us == before.last_used_us
    context.close()


def test_an_answer_for_another_origin_or_rp_id_is_refused(sqlite_service: Service,
                                                          browser: Any) -> None:
    service = sqlite_service
    program(service)
    base = local(service)
    context, page = phone(browser)
    register(page, api_link(service, "u1"))
    page.locator("form[action='/wallet/logout'] button").click()
    port = base.rsplit(":", 1)[1]
    [before] = rows(service, passkeys)
    # Made at http://localhost:<port>, sent as if to http://localhost:1: the origin differs.
    sent = captured_signin(page, base)
    other = post_form(base, "/wallet/passkey/signin", sent, origin="http://localhost:1",
                      host="localhost:1")
    assert other.status_code == 400 and 'data-reason="invalid"' in other.text
    assert "origin" in other.text
    # Sent to http://127.0.0.1:<port>: the RP id differs from the passkey's.
    sent = captured_signin(page, base)
    other = post_form(base, "/wallet/passkey/signin", sent,
                      origin=f"http://127.0.0.1:{port}", host=f"127.0.0.1:{port}")
    assert other.status_code == 400 and 'data-reason="invalid"' in other.text
    assert "localhost" in other.text
    assert rows(service, passkeys) == [before]
    assert not [row for row in rows(service, sessions) if row.area == "/wallet"
                and row.revoked_us is None]
    context.close()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_another_members_passkey_cannot_sign_in_as_you(sqlite_service: Service,
                                                        browser: Any) -> None:
    """u2's passkey signs in as u2 only: its answer relabelled with u1's credential id, or
    with u1's user handle, is refused, and u1's passkey is untouched."""
    service = sqlite_service
    ids = program(service)
    base = local(service)
    phone1, page1 = phone(browser)
    register(page1, api_link(service, "u1"))
    phone2, page2 = phone(browser)
    register(page2, api_link(service, "u2"))
    page2.locator("form[action='/wallet/logout'] button").click()
    by_member = {row.member: row for row in rows(service, passkeys)}
    mine = by_member[ids["u1"]]
    assert set(by_member) == {ids["u1"], ids["u2"]}

    for relabel in ("credential", "user handle"):
        sent = parse_qs(captured_signin(page2, base))
        answer = json.loads(sent["credential"][0])
        if relabel == "credential":
            answer["id"] = answer["rawId"] = _b64url(mine.credential_id)
        else:
            answer["response"]["userHandle"] = _b64url(
                passkeys_module.user_handle(ids["u1"]))
        refused = post_form(base, "/wallet/passkey/signin",
                            urlencode({"credential": json.dumps(answer)}))
        assert refused.status_code == 400 and 'data-reason="invalid"' in refused.text
        assert "set-cookie" not in refused.headers
    assert {row.member: row for row in rows(service, passkeys)} == by_member
    # Unaltered, u2's passkey signs u2 in, not u1.
    page2.goto(f"{base}/wallet")
    page2.click("#passkey-signin-button")
    page2.wait_for_selector("#passkeys")
    assert "u2" in page2.text_content("h1") and "u1" not in page2.text_content("h1")
    phone1.close()
    phone2.close()


def test_removing_a_passkey_ends_its_sessions_and_it_signs_in_no_more(
        sqlite_service: Service, browser: Any) -> None:
    service = sqlite_service
    program(service)
    context, page = phone(browser)
    register(page, api_link(service, "u1"))
    page.locator(".remove-passkey").click()
    page.wait_for_url(re.compile(r"/wallet$"))
    assert page.locator("#passkey-signin-button").count() == 1  # signed out at once
    assert rows(service, passkeys) == []
    assert all(row.revoked_us is not None for row in rows(service, sessions)
               if row.area == "/wallet")
    page.click("#passkey-signin-button")
    page.wait_for_selector("#passkey-refused")
    assert page.get_attribute("#passkey-refused", "data-reason") == "unknown_passkey"
    # Another member cannot remove u1's: the form names a passkey u2 does not have.
    register(page, api_link(service, "u1"))
    [kept] = rows(service, passkeys)
    other = service.signed_in("/wallet", service.new_key("member", "u2"))
    other.post("/wallet/passkey/remove", data={"passkey": kept.id})
    assert rows(service, passkeys) == [kept]
    context.close()


# who may issue links ----------------------------------------------------------------------
def test_the_admin_and_a_merchant_for_its_own_customers_issue_links(
        sqlite_service: Service) -> None:
    service = sqlite_service
    ids = program(service)
    m2 = service.merchant("m2")
    admin = service.admin()
    by_id = admin.post("/v1/members/u1/passkey-links")
    by_pseudonym = admin.post(f"/v1/members/{ids['u1']}/passkey-links")
    own = ids["m1"].post("/v1/members/u1/passkey-links")
    assert [answer.status_code for answer in (by_id, by_pseudonym, own)] == [201] * 3
    assert {answer.json()["member"] for answer in (by_id, by_pseudonym, own)} == {ids["u1"]}
    assert own.json()["hours"] == LINK_HOURS
    issuers = sorted(row.issued_by for row in rows(service, passkey_links))
    assert issuers == ["admin", "admin", "merchant:m1"]
    refused = {
        "m2, not its customer": m2.post("/v1/members/u1/passkey-links"),
        "a member": service.member("u1").post("/v1/members/u1/passkey-links"),
        "an auditor": service.client(service.new_key("auditor")).post(
            "/v1/members/u1/passkey-links"),
    }
    assert {name: answer.status_code for name, answer in refused.items()} == dict.fromkeys(
        refused, 403)
    assert admin.post("/v1/members/nobody/passkey-links").status_code == 404
    assert service.client().post("/v1/members/u1/passkey-links").status_code == 401
    assert len(rows(service, passkey_links)) == 3
    # The portal's form: its own customer, and not another's.
    portal = service.signed_in("/merchant", service.new_key("merchant", "m2"))
    answer = portal.post("/merchant/passkeys/link", data={"member": "u1"})
    assert answer.status_code == 404 and "passkey-link-refused" in answer.text
    assert len(rows(service, passkey_links)) == 3
    portal = service.signed_in("/merchant", service.new_key("merchant", "m1"))
    answer = portal.post("/merchant/passkeys/link", data={"member": "u1"})
    assert answer.status_code == 200 and 'id="passkey-link"' in answer.text
    assert len(rows(service, passkey_links)) == 4


def test_every_refusal_is_worded_in_both_languages() -> None:
    reasons = {"link_used", "link_expired", "link_unknown", "challenge", "unknown_passkey",
               "invalid", "registered_already"}
    for reason in reasons:
        texts = PASSKEY_TEXTS[f"passkey_refused_{reason}"]
        assert texts["zh"] and texts["en"] and texts["zh"] != texts["en"]
    assert all(key.startswith("passkey") for key in PASSKEY_TEXTS)


# how the pages look -----------------------------------------------------------------------
def test_the_passkey_pages_fit_a_phone_and_a_laptop_in_both_languages(
        sqlite_service: Service, browser: Any) -> None:
    """Sign-in, the link's page, a refusal, the wallet's list and the console's link: at
    390 and 1366 px, in Chinese and English, nothing wider than the screen, no text under
    12 px, no time broken; each kept as a screenshot."""
    service = sqlite_service
    program(service)
    base = local(service)
    used = api_link(service, "u1")
    context, page = phone(browser)
    register(page, used)
    page.locator("form[action='/wallet/logout'] button").click()
    fresh = api_link(service, "u1")
    console = browser.new_page()
    console.goto(f"{base}/console")
    console.fill("#key", service.admin_key)
    console.click("#sign-in")
    merchant = browser.new_page()
    merchant.goto(f"{base}/merchant")
    merchant.fill("#key", service.new_key("merchant", "m1"))
    merchant.click("#sign-in")
    for width, height in WIDTHS:
        for language in ("zh", "en"):
            suffix = f"{language}-{width}"
            for each in (page, console, merchant):
                each.set_viewport_size({"width": width, "height": height})
            page.goto(f"{base}/wallet?lang={language}")
            page.wait_for_selector("#passkey-signin-button")
            assert CATALOGUE["passkey_signin_title"][language] in page.text_content("main")
            check(page, width, f"passkeys-signin-{suffix}")
            page.goto(f"{fresh}&lang={language}")
            assert CATALOGUE["passkey_register_title"][language] in page.text_content("h1")
            check(page, width, f"passkeys-register-{suffix}")
            page.goto(f"{used}&lang={language}")
            assert CATALOGUE["passkey_refused_link_used"][language] in page.text_content("main")
            check(page, width, f"passkeys-refused-{suffix}")
            page.goto(f"{base}/wallet?lang={language}")
            page.click("#passkey-signin-button")
            page.wait_for_selector("#passkeys")
            page.locator("#passkeys").scroll_into_view_if_needed()
            check(page, width, f"passkeys-wallet-{suffix}", "#passkeys")
            page.locator("form[action='/wallet/logout'] button").click()
            page.wait_for_selector("#passkey-signin-button")
            for area, each in (("console", console), ("merchant", merchant)):
                each.goto(f"{base}/{area}?lang={language}")
                each.fill("#passkey-member", "u1")
                check(each, width, f"passkeys-{area}-form-{suffix}", "#passkey-invite")
                each.click("#passkey-invite-button")
                each.wait_for_selector("#passkey-link")
                check(each, width, f"passkeys-{area}-link-{suffix}")
    context.close()


def check(page: Any, width: int, name: str, scope: str = "body") -> None:
    if width == 390:
        assert_fits(page, scope)
    screenshot(page, name)
