"""Members' passkeys: registered from a one-time link, then a sign-in to the wallet.

In Debian's chromium with a virtual authenticator through the DevTools protocol
(``WebAuthn.addVirtualAuthenticator``: CTAP2, internal, resident keys, user
verification), as a member's phone would. Pages are opened at
``http://localhost:<port>``: chromium treats localhost as a secure context and
takes ``localhost`` as an RP id (it refuses an IP address such as 127.0.0.1).
"""

from __future__ import annotations

import base64
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
    headers = {"Origin": origin or base, "Content-Type": "application/x-www-form-urlencoded"}
    if host is not None:
        headers["Host"] = host
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
    assert parse_qs(link.split("?", 1)[1])["t"][0].encode() not in bytes(stored.token_hash)
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
