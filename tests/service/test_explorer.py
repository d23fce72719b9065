"""The public explorer: Chinese first, every string in the catalogue, proofs checked in a
real browser (Debian's chromium driven by Playwright; skipped where either is absent)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from servicehelpers import Service

from browsers import WIDTHS, assert_fits, chromium
from browsers import screenshot as shared_screenshot
from profitpool.rules import RULE_LABELS, RULE_NAMES
from profitpool.web.i18n import CATALOGUE, LANGUAGES
from profitpool.web.labels import OPS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "src" / "profitpool" / "web" / "templates"
SCREENSHOTS = Path(os.environ.get("PROFITPOOL_SCREENSHOTS",
                                  ROOT / "test-artifacts" / "screenshots"))


def screenshot(page: Any, name: str) -> None:
    """Keep what the page looked like (a CI artifact; test-artifacts/ is not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _orders(service: Service, count: int) -> None:
    m1 = service.merchant("m1")
    orders = [{"id": f"o{i}", "member": f"u{i % 5}", "amount": "100.00", "profit": "20.00"}
              for i in range(count)]
    assert m1.post("/v1/orders:batch", json={"orders": orders}).status_code == 200


def test_every_string_a_template_uses_is_in_the_catalogue_in_both_languages() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""t\(["'](\w+)["']\)""", template.read_text()))
    assert used, "the templates use the catalogue"
    assert used <= set(CATALOGUE)
    for key, texts in CATALOGUE.items():
        assert set(texts) == set(LANGUAGES) and all(texts.values()), key
        assert texts["zh"] != texts["en"], key


def test_every_rule_has_a_name_for_people_in_both_languages() -> None:
    assert list(RULE_LABELS) == list(RULE_NAMES)  # every rule, in the rulebook's order
    for name, label in RULE_LABELS.items():
        assert label.zh and label.en and label.zh != label.en, name


def test_the_rules_page_names_each_rule_in_the_reader_s_language(
        sqlite_service: Service) -> None:
    assert sqlite_service.admin().patch(
        "/v1/rules", json={"exit_multiple": "2.5"}).status_code == 201
    client = sqlite_service.client()
    chinese = client.get("/rules").text
    english = client.get("/rules", params={"lang": "en"}).text
    for name, label in RULE_LABELS.items():
        assert f'{escape(label.zh)}<code class="rule-id">{name}</code>' in chinese, name
        assert f'{escape(label.en)}<code class="rule-id">{name}</code>' in english, name
    # the history names the changed rule too
    assert (f"{RULE_LABELS['exit_multiple'].zh} <code>exit_multiple</code> = "
            '<span class="rule-value">2.5</span>') in chinese
    # values as people read them: a rule that is off, a yes or no, money with separators
    assert '<td class="rule-value">不设</td>' in chinese  # withdraw_min_gain: no gate
    assert '<td class="rule-value">否</td>' in chinese  # transfers_enabled
    assert '<td class="rule-value">none (off)</td>' in english
    assert '<td class="rule-value">¥10,000,000.00</td>' in english


def test_the_explorer_is_chinese_first_and_remembers_the_switch(sqlite_service: Service) -> None:
    _orders(sqlite_service, 3)
    client = sqlite_service.client()
    page = client.get("/")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    assert str(escape(CATALOGUE["burn_note"]["zh"])) in page.text
    assert "¥" + client.get("/v1/pool").json()["price"] in page.text
    english = client.get("/", params={"lang": "en"})
    assert str(escape(CATALOGUE["burn_note"]["en"])) in english.text
    assert client.cookies.get("lang") == "en"
    assert str(escape(CATALOGUE["no_promise"]["en"])) in client.get("/block/1").text
    assert client.get("/block/99").status_code == 404
    assert client.get("/entry/99").status_code == 404
    assert client.get("/static/verify.js").status_code == 200


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def test_an_entry_s_proof_verifies_in_the_browser_and_a_changed_entry_does_not(
        sqlite_service: Service, browser: object) -> None:
    _orders(sqlite_service, 300)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{sqlite_service.url}/entry/257?lang=en")
    page.click("#verify")
    page.wait_for_selector("#verify-result:not(:empty)")
    assert page.text_content("#verify-result").startswith(CATALOGUE["verify_ok"]["en"])
    screenshot(page, "entry-verified")
    # The same page with one byte of the entry changed: the proof no longer leads to the root.
    page.evaluate("""() => {
        const data = document.getElementById('proof-data').dataset;
        const raw = atob(data.entry);
        data.entry = btoa(raw.replace('100.00', '900.00'));
        document.getElementById('verify-result').textContent = '';
    }""")
    page.click("#verify")
    page.wait_for_selector("#verify-result:not(:empty)")
    assert page.text_content("#verify-result").startswith(CATALOGUE["verify_failed"]["en"])
    # A checkpoint signed by another key is refused.
    page.evaluate("""() => {
        const key = document.getElementById('verifier-key');
        key.textContent = key.textContent.replace(/\\+[0-9a-f]{8}\\+/, '+00000000+');
        document.getElementById('verify-result').textContent = '';
    }""")
    page.click("#verify")
    page.wait_for_selector("#verify-result:not(:empty)")
    assert "not signed" in page.text_content("#verify-result")


def test_the_explorer_page_shows_the_pool_and_switches_language_in_the_browser(
        sqlite_service: Service, browser: object) -> None:
    _orders(sqlite_service, 20)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(sqlite_service.url + "/")
    pool = sqlite_service.client().get("/v1/pool").json()
    assert page.text_content("#pool") == f"¥{pool['pool']}"
    assert page.text_content("#burn-note") == CATALOGUE["burn_note"]["zh"]
    assert page.locator("#chart polyline").count() == 2
    assert page.locator("#pool-chart polyline").count() == 1
    assert page.locator("#supply-chart polyline").count() == 1
    screenshot(page, "explorer")
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.text_content("#burn-note") == CATALOGUE["burn_note"]["en"]
    page.click("#blocks a >> nth=0")
    page.wait_for_load_state()
    assert page.url.startswith(f"{sqlite_service.url}/block/")


def _wallet_program(service: Service) -> str:
    m1 = service.merchant("m1")
    for order_id, member, amount, profit in (("o1", "u1", "100.00", "20.00"),
                                             ("o2", "u2", "200.00", "50.00")):
        response = m1.post("/v1/orders", json={"id": order_id, "member": member,
                                               "amount": amount, "profit": profit})
        assert response.status_code == 201
    return service.new_key("member", "u1")


def test_the_wallet_previews_a_withdrawal_then_makes_it_once(
        sqlite_service: Service, browser: object) -> None:
    key = _wallet_program(sqlite_service)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{sqlite_service.url}/wallet?lang=en")
    page.fill("#key", "pp_000000000000_" + "x" * 43)
    page.click("#sign-in")
    assert page.text_content("#login-error") == CATALOGUE["bad_key"]["en"]
    page.fill("#key", key)
    page.click("#sign-in")
    assert page.text_content("#points") == "21.0000"
    assert page.text_content("#value") == "¥7.00"
    assert page.locator("#lots progress").count() == 1
    pool_before = sqlite_service.client().get("/v1/pool").json()
    page.fill("#withdraw-points", "10")
    page.click("#withdraw-preview")
    # docs/rules.md section 9, step 3, shown before anything happens.
    assert page.text_content("#preview-paid") == "¥2.66"
    assert page.text_content("#preview-stays") == "¥0.67"
    screenshot(page, "wallet-preview")
    assert sqlite_service.client().get("/v1/pool").json() == pool_before
    confirmation = page.evaluate(
        "Object.fromEntries(new FormData(document.querySelector('#confirm').form))")
    page.click("#confirm")
    # Not "done": the money is owed to the member until a payout reaches their bank.
    assert page.text_content("#done").startswith(CATALOGUE["withdraw_done"]["en"])
    assert page.text_content("#owed-now") == "¥2.66"
    assert sqlite_service.client().get("/v1/pool").json()["pool"] == "18.34"
    # The same confirmation sent again (a double click, a retried request) withdraws once.
    # The browser's own session sends it: the page is not kept in any cache, so the back
    # button cannot show it again.
    again = page.request.post(f"{sqlite_service.url}/wallet/withdraw", form=confirmation,
                              headers={"Origin": sqlite_service.url})
    assert again.status == 200 and 'id="done"' in again.text()
    assert sqlite_service.client().get("/v1/pool").json()["pool"] == "18.34"
    page.goto(f"{sqlite_service.url}/wallet")
    assert page.text_content("#points") == "11.0000"


def test_the_wallet_refuses_forms_from_other_sites_and_api_keys_of_other_roles(
        sqlite_service: Service) -> None:
    key = _wallet_program(sqlite_service)
    client = sqlite_service.page_client()
    merchant_key = sqlite_service.new_key("merchant", "m1")
    refused = client.post("/wallet/login", data={"key": merchant_key})
    assert refused.status_code == 303 and refused.headers["location"] == "/wallet?failed=1"
    signed_in = client.post("/wallet/login", data={"key": key})
    assert signed_in.status_code == 303 and "pp_wallet_session" in client.cookies
    before = client.get("/v1/pool").json()
    forged = client.post("/wallet/withdraw", data={"points": "10", "step": "confirm",
                                                    "token": "t"},
                         headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    assert client.get("/v1/pool").json() == before
    made = client.post("/wallet/withdraw", data={"points": "10", "step": "confirm",
                                                  "token": "t"})
    assert made.status_code == 200 and client.get("/v1/pool").json()["pool"] == "18.34"
    again = client.post("/wallet/withdraw", data={"points": "10", "step": "confirm",
                                                   "token": "t"})
    assert again.status_code == 200 and 'id="done"' in again.text
    assert client.get("/v1/pool").json()["pool"] == "18.34"  # the same token: once


def test_the_merchant_portal_shows_its_own_customers_and_refunds_a_pending_order(
        sqlite_service: Service, browser: object) -> None:
    m1, m2 = sqlite_service.merchant("m1"), sqlite_service.merchant("m2")
    for order_id, member in (("a1", "u1"), ("a2", "u1"), ("a3", "u2")):
        assert m1.post("/v1/orders", json={"id": order_id, "member": member,
                                           "amount": "100.00", "profit": "20.00"}
                       ).status_code == 201
    assert m2.post("/v1/orders", json={"id": "b1", "member": "u3", "amount": "999.00",
                                       "profit": "1.00"}).status_code == 201
    assert sqlite_service.admin().patch("/v1/rules", json={"settle_days": 3}).status_code == 201
    assert m1.post("/v1/orders", json={"id": "a4", "member": "u4", "amount": "50.00",
                                       "profit": "5.00"}).status_code == 201
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{sqlite_service.url}/merchant?lang=en")
    page.fill("#key", sqlite_service.new_key("member", "u1"))  # not a merchant key
    page.click("#sign-in")
    assert page.text_content("#login-error") == CATALOGUE["bad_key"]["en"]
    page.fill("#key", m1.headers["Authorization"].split()[1])
    page.click("#sign-in")
    # Its own orders only: 4 orders by 3 customers (u1 twice), m2's customer not among them.
    assert page.text_content("#order-count") == "4"
    assert page.text_content("#customers") == "3"
    assert page.text_content("#repurchase") == "33.3%"
    assert page.text_content("#aov") == "¥87.50"
    assert page.text_content("#contributed") == "¥18.00"  # a4 is pending
    assert "u3" not in page.text_content("#orders")
    screenshot(page, "merchant-portal")
    page.click("#orders .refund")
    page.click("#confirm")  # a refund is confirmed first (test_merchant_portal.py)
    assert page.text_content("#done").startswith(CATALOGUE["merchant_refund_done"]["en"])
    assert m1.get("/v1/orders/a4").json()["status"] == "refunded"


def test_the_console_shows_the_pool_s_health_and_changes_rules_through_a_diff(
        sqlite_service: Service, browser: object) -> None:
    m1 = sqlite_service.merchant("m1")
    for order_id, member, amount, profit in (("o1", "u1", "100.00", "20.00"),
                                             ("o2", "u2", "200.00", "50.00")):
        assert m1.post("/v1/orders", json={"id": order_id, "member": member,
                                           "amount": amount, "profit": profit}
                       ).status_code == 201
    assert sqlite_service.admin().patch(
        "/v1/rules", json={"daily_withdraw_cap_rate": "0.5"}).status_code == 201
    u1 = sqlite_service.member("u1")
    sqlite_service.clock.advance(86_400)  # the cap is of the pool at the day's start
    assert u1.post("/v1/members/u1/withdrawals", json={"points": "10"}).status_code == 201
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{sqlite_service.url}/console?lang=en")
    page.fill("#key", m1.headers["Authorization"].split()[1])  # a merchant key: no
    page.click("#sign-in")
    assert page.text_content("#login-error") == CATALOGUE["bad_key"]["en"]
    page.fill("#key", sqlite_service.admin_key)
    page.click("#sign-in")
    # docs/rules.md section 9 after step 3: pool 18.34; u1 worth 3.80 and u2 14.53, truncated.
    assert page.text_content("#health-pool") == "¥18.34"
    assert page.text_content("#health-holdings") == "¥18.33"
    assert page.text_content("#health-cover") == "¥0.01"
    assert page.text_content("#health-withdrawn") == "¥2.66 / ¥10.50"  # half of 21.00
    assert page.text_content("#health-top") == "100.0%"  # two holders, both in the top 10
    assert RULE_LABELS["exit_multiple"].en in page.text_content("label[for=rule-exit_multiple]")
    # a rule that is off says so (the default: no gain gate), rather than an empty box
    assert page.get_attribute("#rule-withdraw_min_gain", "placeholder") == \
        CATALOGUE["rule_off"]["en"]
    page.fill("#rule-exit_multiple", "2.5")
    page.click("#review")
    assert RULE_LABELS["exit_multiple"].en in page.text_content("#diff td")
    assert page.text_content("#diff .old") == "3"
    assert page.text_content("#diff .new") == "2.5"
    screenshot(page, "console-rules-diff")
    assert sqlite_service.client().get("/v1/rules").json()["rules"]["exit_multiple"] == "3"
    page.click("#confirm")
    assert page.text_content("#done").startswith(CATALOGUE["done"]["en"])
    assert sqlite_service.client().get("/v1/rules").json()["rules"]["exit_multiple"] == "2.5"
    page.goto(f"{sqlite_service.url}/console")
    page.select_option("#key-role", "auditor")
    page.click("#create-key")
    new_key = page.text_content("#new-key").strip()
    assert sqlite_service.client(new_key).get("/v1/merchants").status_code == 200


def test_a_member_finds_their_public_page_by_the_pseudonym_their_wallet_shows(
        sqlite_service: Service, browser: object) -> None:
    key = _wallet_program(sqlite_service)
    assert sqlite_service.admin().patch("/v1/rules", json={"exit_multiple": "2.5"}
                                        ).status_code == 201
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{sqlite_service.url}/wallet?lang=en")
    page.fill("#key", key)
    page.click("#sign-in")
    pseudonym = page.text_content("#my-pseudonym")
    # The log's own pseudonym: p- and 128 random bits, the name every entry of theirs has.
    assert pseudonym == sqlite_service.admin().get("/v1/members/u1").json()["member"]
    assert len(pseudonym) == 34 and pseudonym.startswith("p-")
    page.goto(f"{sqlite_service.url}/")
    page.fill("#pseudonym", pseudonym)
    page.click("#look-up")
    assert page.text_content("#shown-pseudonym") == pseudonym
    assert page.text_content("#points") == "21.0000"
    assert page.locator("#member-history tr").count() == 2  # the header and its order
    page.goto(f"{sqlite_service.url}/member?p={'0' * 20}")
    assert page.locator("#missing").count() == 1
    page.goto(f"{sqlite_service.url}/rules")
    assert "exit_multiple = 2.5" in page.text_content("#rules-history")
    page.goto(f"{sqlite_service.url}/verify")
    public_key = sqlite_service.client().get("/v1/public-key").json()["verifier_key"]
    assert f"--public-key '{public_key}'" in page.text_content("#steps")


def test_money_is_shown_with_thousands_separators_without_arithmetic() -> None:
    from profitpool.web.pages import cny

    assert [cny(x) for x in ("0.00", "999.99", "1000.00", "1234567.89", "-12345.6", "7")] == [
        "0.00", "999.99", "1,000.00", "1,234,567.89", "-12,345.6", "7"]


def test_the_console_registers_merchants_and_refuses_what_the_api_refuses(
        sqlite_service: Service) -> None:
    client = sqlite_service.signed_in("/console", sqlite_service.admin_key)
    made = client.post("/console/merchant", data={"id": "hotpot", "name": "川味火锅",
                                                  "industry": "火锅连锁"})
    assert made.status_code == 200 and 'id="done"' in made.text
    assert sqlite_service.admin().get("/v1/merchants/hotpot").json()["name"] == "川味火锅"
    colon = client.post("/console/merchant", data={"id": "a:b"})
    assert 'id="refused"' in colon.text and "invalid_id" in colon.text
    lender = client.post("/console/lender", data={"id": "bank", "name": "城商行"})
    assert 'id="done"' in lender.text
    campaign = client.post("/console/campaign", data={
        "id": "double", "merchant": "hotpot", "multiplier": "2",
        "start": "2026-03-01T00:00:00+08:00", "end": "2026-04-01T00:00:00+08:00"})
    assert 'id="done"' in campaign.text
    assert client.get("/v1/campaigns").json()["data"][0]["multiplier"] == "2"
    page = client.get("/console")
    assert "川味火锅" in page.text and "城商行" in page.text


def test_the_explorer_shows_new_blocks_and_entries_without_a_reload(
        sqlite_service: Service, browser: object) -> None:
    m1 = sqlite_service.merchant("m1")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(sqlite_service.url + "/")
    assert page.locator("#entries a").count() == 1  # the merchant's registration
    assert m1.post("/v1/orders", json={"id": "live", "member": "u1", "amount": "100.00",
                                       "profit": "20.00"}).status_code == 201
    page.wait_for_selector("#entries tr:nth-child(3) a", timeout=15_000)
    assert page.text_content("#pool") == "¥6.00"
    # The command by its name for people, in the page's language (web/labels.py).
    assert page.text_content("#entries tr:nth-child(2) td:nth-child(3)") == \
        OPS["order"]["zh"]


def test_forms_refuse_bad_amounts_in_the_user_s_language_and_change_nothing(
        sqlite_service: Service, browser: object) -> None:
    from profitpool.web.errors_i18n import MESSAGES

    key = _wallet_program(sqlite_service)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{sqlite_service.url}/wallet")  # Chinese, the default
    page.fill("#key", key)
    page.keyboard.press("Enter")  # the form works from the keyboard
    page.wait_for_selector("#withdraw-points")
    before = sqlite_service.client().get("/v1/pool").json()
    page.focus("#withdraw-points")
    page.keyboard.type("1.00001")
    page.keyboard.press("Enter")
    page.wait_for_selector("#refused")
    assert MESSAGES["invalid_points"]["zh"] in page.text_content("#refused")
    assert sqlite_service.client().get("/v1/pool").json() == before


def test_every_input_has_a_label_and_every_page_fits_a_phone(
        sqlite_service: Service, browser: object) -> None:
    """Every page anyone can open without a key (and each area's sign-in page), at 390 and
    1366 px in Chinese and English: every field labelled; at 390 px nothing wider than the
    screen, no text under 12 px, no amount or time broken (tests/browsers.py); a screenshot
    of each. The signed-in pages are checked so in their own tests."""
    key = _wallet_program(sqlite_service)
    member = sqlite_service.admin().get("/v1/members/u1").json()["member"]
    pages = ["/", "/entry/1", "/block/1", "/rules", "/verify", f"/member?p={member}",
             "/disclosures", "/wallet", "/merchant", "/lender", "/auditor", "/console",
             "/nowhere"]
    for width, height in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        for lang in ("zh", "en"):
            for path in pages:
                page.goto(f"{sqlite_service.url}{path}{'&' if '?' in path else '?'}lang={lang}")
                unlabelled = page.evaluate("""() => [...document.querySelectorAll(
                    'input:not([type=hidden]), select')].filter(
                    (field) => !field.closest('label') && !field.labels?.length).length""")
                assert unlabelled == 0, path
                if width == 390:
                    assert_fits(page)
                name = path.split("?")[0].replace("/", "-").strip("-") or "home"
                shared_screenshot(page, f"page-{name}-{lang}-{width}")
        page.close()
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page.goto(sqlite_service.url + "/wallet")
    page.fill("#key", key)
    page.click("#sign-in")
    assert_fits(page)
    shared_screenshot(page, "page-wallet-signed-in-zh-390")
