"""The member wallet, phone first: what the member can cash out now and why the rest
cannot (the engine's breakdown, the same in `GET /v1/members/{id}` and on the page), the
全部 button, paying a merchant chosen by name, the confirmation that repeats what was
paid, and a refusal shown as one with the figure beside it. Every page is looked at in
chromium at 390 and 1366 px, in Chinese and English, laid out without sideways scrolling,
text under 12 px or an amount broken across lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from servicehelpers import Service

from browsers import WIDTHS, assert_fits, chromium, screenshot
from profitpool.money import format_cny, parse_money
from profitpool.web.errors_i18n import MESSAGES
from profitpool.web.i18n import CATALOGUE

LANGUAGES = ("zh", "en")
SHOP = "鲜到家生鲜"
BANK = "城商行"


def program(service: Service) -> str:
    """u1 holds a lot of each kind, and a pending order; their member key.

    On 10 March (gain gate 0, hold 2 days): lot 1 pledged to 城商行 (loan 50.00); lot 2
    minted at V = 12.00 / 42 shares; lot 3 at V = 42.00 / 63 (an order with profit 100);
    u2's order brings V to 48.00 / 84. Two days and a minute later a cap of 5% of the
    pool at the day's start (48.00: 2.40) is set, u1's lot 5 is minted at V = 54.00 /
    105 (too young until 14 March), and, with settle_days 1, an order of 50.00 waits for
    13 March. Lot 2 passes the gate (its V at mint was lower); lot 3 does not.
    """
    admin = service.admin()
    assert admin.patch("/v1/rules", json={"min_hold_days": 2, "withdraw_min_gain": "0"}
                       ).status_code == 201
    shop = service.merchant("m1", name=SHOP)
    service.merchant("m2", name="街角书店")
    assert admin.post("/v1/lenders", json={"id": "b1", "name": BANK}).status_code == 201
    order(shop, "o0", "u1", "100.00", "20.00")
    key = service.new_key("member", "u1")
    pledged = service.client(key).post("/v1/members/u1/pledges", json={
        "id": "pl1", "lender": "b1", "points": "21", "loan": "50.00"})
    assert pledged.status_code == 201, pledged.text
    order(shop, "o1", "u1", "100.00", "20.00")
    order(shop, "o2", "u1", "100.00", "100.00")
    order(shop, "o3", "u2", "100.00", "20.00")
    service.clock.advance(2 * 86_400 + 60)
    assert admin.patch("/v1/rules", json={"daily_withdraw_cap_rate": "0.05"}
                       ).status_code == 201
    order(shop, "o4", "u1", "100.00", "20.00")
    assert admin.patch("/v1/rules", json={"settle_days": 1}).status_code == 201
    order(shop, "o5", "u1", "50.00", "10.00")
    return key


def order(shop: httpx.Client, order_id: str, member: str, amount: str, profit: str) -> None:
    answer = shop.post("/v1/orders", json={"id": order_id, "member": member,
                                           "amount": amount, "profit": profit})
    assert answer.status_code == 201, answer.text


def test_the_api_gives_what_a_member_can_cash_out_and_why_the_rest_cannot(
        sqlite_service: Service) -> None:
    key = program(sqlite_service)
    member = sqlite_service.client(key)
    holding = member.get("/v1/members/u1").json()
    cashable = holding["cashable"]
    assert holding["points"] == "84.0000" and holding["value"] == "43.20"
    # Lot 2 (21 points, 10.80) is free but pays 8.64, past the cap's 2.40: the most that
    # pays 2.40 is 5.8576 points (5.8576 x 54.00 / 105 x 0.8 = 2.4099...).
    assert (cashable["points"], cashable["value"], cashable["paid"]) == ("5.8576", "3.01",
                                                                         "2.40")
    assert cashable["daily_cap"] == {"points": "15.1424", "value": "7.78", "cap_left": "2.40",
                                     "daily_withdraw_cap_rate": "0.05"}
    [pending] = cashable["pending"]
    assert (pending["merchant"], pending["merchant_name"], pending["amount"],
            pending["settles_at"]) == ("m1", SHOP, "50.00", "2026-03-13T10:01:00+08:00")
    [pledged] = cashable["pledged"]["lots"]
    assert (pledged["points"], pledged["value"], pledged["pledge"], pledged["lender"],
            pledged["lender_name"], pledged["loan"]) == ("21.0000", "10.80", "pl1", "b1",
                                                         BANK, "50.00")
    [young] = cashable["too_young"]["lots"]
    assert (young["points"], young["free_at"]) == ("21.0000", "2026-03-14T10:01:00+08:00")
    assert cashable["too_young"]["min_hold_days"] == 2
    # Lot 3 was minted at V = 42.00 / 63: its 21 shares must be worth 14.00 again.
    [below] = cashable["below_gain"]["lots"]
    assert (below["value"], below["needed_value"], below["short"]) == ("10.80", "14.00",
                                                                      "3.20")
    assert cashable["unpledged"] == "63.0000"
    # The figure is the engine's: one point unit more is refused by the cap, it passes.
    over = member.post("/v1/members/u1/withdrawals", json={"points": "5.8577"})
    assert over.status_code == 422 and over.json()["error"] == "daily_cap_reached"
    made = member.post("/v1/members/u1/withdrawals", json={"points": "5.8576"})
    assert made.status_code == 201, made.text
    [withdrawn] = [e for e in made.json()["entry"]["effects"] if e["type"] == "withdrawn"]
    assert withdrawn["paid"] == cashable["paid"]
    after = member.get("/v1/members/u1").json()["cashable"]
    assert (after["daily_cap"]["cap_left"], after["points"]) == ("0.00", "0.0000")


# in the browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def shown(key: str, language: str) -> str:
    return CATALOGUE[key][language]


def open_wallet(browser: Any, service: Service, key: str, language: str, width: int,
                height: int) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{service.url}/wallet?lang={language}")
    page.fill("#key", key)
    page.click("#sign-in")
    page.wait_for_selector("#cashable")
    return page


def look(page: Any, name: str, width: int) -> None:
    """Fits a phone (at 390 px), and is kept as a screenshot."""
    if width < 600:
        assert_fits(page)
    screenshot(page, name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_wallet_shows_the_breakdown_card_in_both_languages_at_both_widths(
        sqlite_service: Service, browser: Any, language: str) -> None:
    key = program(sqlite_service)
    api = sqlite_service.client(key).get("/v1/members/u1").json()["cashable"]
    for width, height in WIDTHS:
        page = open_wallet(browser, sqlite_service, key, language, width, height)
        now = page.text_content("#cashable-now")
        assert api["points"] in now and f"¥{api['paid']}" in now
        assert page.text_content("#price") == "¥" + sqlite_service.client().get(
            "/v1/pool").json()["price"]
        pending = page.text_content("#held-pending")
        assert SHOP in pending and "¥50.00" in pending and "2026-03-13 10:01" in pending
        pledged = page.text_content("#held-pledged")
        assert BANK in pledged and "¥50.00" in pledged and "pl1" in pledged
        assert "2026-03-14 10:01" in page.text_content("#held-too-young")
        below = page.text_content("#held-below-gain")
        assert "¥14.00" in below and "¥3.20" in below
        capped = page.text_content("#held-daily-cap")
        assert api["daily_cap"]["points"] in capped and "¥2.40" in capped
        assert "63.0000" in page.text_content("#spendable")
        # The pay form lists merchants by name (in order of their names), each sending its id.
        assert page.evaluate("""() => [...document.querySelectorAll('#pay-merchant option')]
            .map((option) => [option.value, option.textContent])""") == [
            ["m2", "街角书店"], ["m1", SHOP]]
        assert page.text_content("#withdraw-all") == shown("wallet_all_withdraw", language)
        look(page, f"wallet-home-{language}-{width}", width)
        page.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_paying_a_merchant_chosen_by_name_with_all_repeats_what_was_paid(
        sqlite_service: Service, browser: Any, language: str) -> None:
    key = program(sqlite_service)
    member = sqlite_service.client(key)
    admin = sqlite_service.admin()
    for (width, height), (merchant, name) in zip(WIDTHS, (("m1", SHOP), ("m2", "街角书店")),
                                                 strict=True):
        spendable = member.get("/v1/members/u1").json()["cashable"]["unpledged"]
        owed_before = admin.get(f"/v1/merchants/{merchant}").json()["owed"]
        page = open_wallet(browser, sqlite_service, key, language, width, height)
        page.select_option("#pay-merchant", label=name)
        page.click("#pay-all")
        page.wait_for_selector("#confirm")
        assert page.text_content("#preview-merchant") == name
        assert page.text_content("#preview-points") == spendable  # every unpledged point
        paid = page.text_content("#preview-paid")
        look(page, f"wallet-pay-preview-{language}-{width}", width)
        page.click("#confirm")
        page.wait_for_selector("#done-figures")
        repeated = page.text_content("#done-figures")
        assert name in repeated and spendable in repeated and paid in repeated
        owed_after = admin.get(f"/v1/merchants/{merchant}").json()["owed"]
        assert yuan(fen(owed_after) - fen(owed_before)) == paid  # paid once, as repeated
        look(page, f"wallet-pay-done-{language}-{width}", width)
        page.close()
        # More points for the next width: an order that settles at once.
        assert admin.patch("/v1/rules", json={"settle_days": 0}).status_code == 201
        order(sqlite_service.merchant(f"s{width}"), f"o{width}", "u1", "100.00", "20.00")


def fen(amount: str) -> int:
    return parse_money(amount.lstrip("¥").replace(",", ""))


def yuan(amount: int) -> str:
    return "¥" + format_cny(amount)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refusal_shows_the_figure_and_all_withdraws_what_the_card_says(
        sqlite_service: Service, browser: Any, language: str) -> None:
    key = program(sqlite_service)
    member = sqlite_service.client(key)
    api = member.get("/v1/members/u1").json()["cashable"]
    for width, height in WIDTHS:
        page = open_wallet(browser, sqlite_service, key, language, width, height)
        pool = sqlite_service.client().get("/v1/pool").json()
        # 10 points are free of every gate but the day's cap: refused, with the figure.
        page.fill("#withdraw-points", "10")
        page.click("#withdraw-preview")
        page.wait_for_selector("#refused")
        assert page.locator("#confirm").count() == 0
        assert MESSAGES["daily_cap_reached"][language] in page.text_content("#refusal-reason")
        figure = page.text_content("#refusal-figure")
        assert "10" in figure and api["points"] in figure and f"¥{api['paid']}" in figure
        look(page, f"wallet-refused-{language}-{width}", width)
        assert sqlite_service.client().get("/v1/pool").json() == pool
        page.close()
    # 全部 asks for what the card says can go now: within the cap, 5.8576 points paying
    # 2.40 (every eligible point, 21, would pass the cap and be refused whole).
    width, height = WIDTHS[0]
    page = open_wallet(browser, sqlite_service, key, language, width, height)
    page.click("#withdraw-all")
    page.wait_for_selector("#confirm")
    assert page.text_content("#preview-points") == api["points"]
    assert page.text_content("#preview-paid") == f"¥{api['paid']}"
    assert page.text_content("#preview .label") == shown("wallet_points_all", language)
    look(page, f"wallet-withdraw-all-preview-{language}-{width}", width)
    page.click("#confirm")
    page.wait_for_selector("#done-figures")
    repeated = page.text_content("#done-figures")
    assert api["points"] in repeated and f"¥{api['paid']}" in repeated and "¥3.01" in repeated
    assert page.text_content("#owed-now") == f"¥{api['paid']}"
    look(page, f"wallet-withdraw-done-{language}-{width}", width)
    page.close()
    assert member.get("/v1/members/u1").json()["owed"] == api["paid"]
    # Now the cap is used up: 全部 is refused as the cap, with nothing to cash out now.
    width, height = WIDTHS[1]
    page = open_wallet(browser, sqlite_service, key, language, width, height)
    page.click("#withdraw-all")
    page.wait_for_selector("#refused")
    assert MESSAGES["daily_cap_reached"][language] in page.text_content("#refusal-reason")
    assert "0.0000" in page.text_content("#refusal-figure")
    assert shown("wallet_asked_all", language) in page.text_content("#refusal-figure")
    look(page, f"wallet-withdraw-all-refused-{language}-{width}", width)
    page.close()
