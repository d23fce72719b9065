"""The operator console in a browser (chromium, network closed), at a phone's and a
laptop's width, in Chinese and English: each rule by its name with its unit, allowed range,
value now and a typed input; a value out of range refused before the diff with the
engine's reason and nothing changed; a change through diff and confirmation applied once;
the pool's health equal to the API's; lender and auditor keys made here that work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from servicehelpers import Service

from browsers import WIDTHS, assert_fits, chromium, screenshot
from profitpool.rules import RULE_LABELS, RULE_SPECS, RuleRefused, parse_rule_changes
from profitpool.web.errors_i18n import MESSAGES
from profitpool.web.i18n import CATALOGUE
from profitpool.web.rule_fields import refusal_text, rule_range, rule_shown, rule_unit

LANGUAGES = ("zh", "en")
INPUT_TYPES = {"toggle": "checkbox", "choice": None, "decimal": "number", "days": "number",
               "money": "number", "price": "number"}
"""The input each kind of rule gets (a choice is a <select>)."""


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _program(service: Service) -> None:
    """Two members with orders at m1, a lender b1 and a pledge of u2's points to it, a
    refund window (u3's order is pending) and a hold period (every lot is too young)."""
    m1 = service.merchant("m1", name="鲜到家生鲜")
    assert service.admin().post("/v1/lenders", json={"id": "b1", "name": "城商银行"}
                                ).status_code == 201
    for order_id, member, amount, profit in (("o1", "u1", "100.00", "20.00"),
                                             ("o2", "u2", "200.00", "50.00")):
        assert m1.post("/v1/orders", json={"id": order_id, "member": member,
                                           "amount": amount, "profit": profit}
                       ).status_code == 201
    u2 = service.member("u2")
    assert u2.post("/v1/members/u2/pledges", json={"id": "pl1", "lender": "b1",
                                                   "points": "10", "loan": "5.00"}
                   ).status_code == 201
    assert service.admin().patch("/v1/rules", json={"min_hold_days": 3}).status_code == 201


def _fits(page: Any, name: str) -> None:
    """Screenshot, then check the layout at a phone's width (the charts' labels included:
    chart.html draws a narrow chart for phones)."""
    screenshot(page, name)
    if page.viewport_size["width"] == 390:
        assert_fits(page)


def _sign_in(page: Any, service: Service, language: str) -> None:
    page.goto(f"{service.url}/console?lang={language}")
    page.fill("#key", service.admin_key)
    page.click("#sign-in")
    page.wait_for_selector("#rules-form")


def test_every_rule_is_shown_by_name_with_unit_range_value_and_a_typed_input(
        sqlite_service: Service, browser: Any) -> None:
    _program(sqlite_service)
    rules_now = sqlite_service.client().get("/v1/rules").json()["rules"]
    for width, height in WIDTHS:
        for language in LANGUAGES:
            page = browser.new_page(viewport={"width": width, "height": height})
            _sign_in(page, sqlite_service, language)
            for name, spec in RULE_SPECS.items():
                label = getattr(RULE_LABELS[name], language)
                assert page.text_content(f"label[for=rule-{name}]") == label + name
                assert page.text_content(f"#now-{name}") == rule_shown(
                    name, rules_now[name], language)
                assert page.text_content(f"#range-{name}") == rule_range(name, language)
                unit = rule_unit(name, language)
                if unit:
                    assert page.text_content(f"#rule-card-{name} .rule-input .unit") == unit
                kind = INPUT_TYPES[spec.kind]
                if kind is None:
                    assert page.eval_on_selector(f"#rule-{name}", "e => e.tagName") == "SELECT"
                else:
                    assert page.get_attribute(f"#rule-{name}", "type") == kind
            # the range shown is the one the engine checks: just past it is refused
            assert page.text_content("#range-exit_multiple") == {
                "zh": "大于 1，不超过 1000", "en": "above 1, at most 1000"}[language]
            assert page.text_content("#now-min_hold_days") == "3"
            _fits(page, f"console-rules-{language}-{width}")
            page.close()
    # The public rules page names, and bounds, each rule the same way.
    client = sqlite_service.client()
    for language in LANGUAGES:
        html = client.get("/rules", params={"lang": language}).text
        heading = CATALOGUE["console_rule_range"][language]
        for name in RULE_SPECS:
            assert (f'<td class="rule-range" data-label="{heading}">'
                    f'{rule_range(name, language)}</td>') in html, name
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for language in LANGUAGES:
        page.goto(f"{sqlite_service.url}/rules?lang={language}")
        assert_fits(page)
        screenshot(page, f"console-public-rules-{language}-390")
    page.close()


@pytest.mark.parametrize(("name", "bad"), [
    ("withdraw_payout_rate", "1.5"), ("exit_multiple", "1"), ("burn_rate", "1"),
    ("min_hold_days", "36501"), ("initial_price", "0.0000001"), ("max_order_amount", "0"),
    ("daily_withdraw_cap_rate", "0"), ("points_per_yuan", "10000.5"),
])
def test_the_range_shown_is_the_one_the_engine_checks(name: str, bad: str) -> None:
    """Every bound RULE_SPECS states is what parse_rule_changes refuses past, and the page's
    reason names the rule and that bound."""
    with pytest.raises(RuleRefused) as refused:
        parse_rule_changes({name: bad})
    assert refused.value.rule == name and name in refused.value.message
    for language in LANGUAGES:
        reason = refusal_text(refused.value, language)
        assert reason.startswith(getattr(RULE_LABELS[name], language))
        assert refused.value.bound in reason


def test_a_value_out_of_range_is_refused_before_the_diff_with_the_engine_s_reason(
        sqlite_service: Service, browser: Any) -> None:
    _program(sqlite_service)
    before = sqlite_service.client().get("/v1/rules/history").json()
    rules_before = sqlite_service.client().get("/v1/rules").json()["rules"]
    api = sqlite_service.admin().patch("/v1/rules", json={"withdraw_payout_rate": "1.5"})
    assert api.status_code == 400
    engine_message = api.json()["message"]  # "withdraw_payout_rate must be at most 1"
    for width, height in WIDTHS:
        for language in LANGUAGES:
            page = browser.new_page(viewport={"width": width, "height": height})
            _sign_in(page, sqlite_service, language)
            page.fill("#rule-withdraw_payout_rate", "1.5")
            page.fill("#rule-exit_multiple", "2")  # valid, but nothing applies with a refusal
            page.click("#review")
            page.wait_for_selector("#rules-refused")
            assert page.locator("#diff").count() == 0 and page.locator("#confirm").count() == 0
            label = getattr(RULE_LABELS["withdraw_payout_rate"], language)
            expected = {"zh": f"{label}须不超过 1。",
                        "en": f"{label} must be at most 1."}[language]
            assert page.text_content("#refused-withdraw_payout_rate .reason") == expected
            assert page.text_content("#refused-withdraw_payout_rate code") == engine_message
            assert page.text_content("#error-withdraw_payout_rate") == expected
            # the editor keeps what was typed, to correct it
            assert page.input_value("#rule-withdraw_payout_rate") == "1.5"
            assert page.input_value("#rule-exit_multiple") == "2"
            _fits(page, f"console-rules-refused-{language}-{width}")
            page.close()
    assert sqlite_service.client().get("/v1/rules/history").json() == before
    assert sqlite_service.client().get("/v1/rules").json()["rules"] == rules_before


def test_a_valid_change_goes_through_the_diff_and_its_confirmation_lands_once(
        sqlite_service: Service, browser: Any) -> None:
    _program(sqlite_service)
    history = sqlite_service.client().get("/v1/rules/history").json()["count"]
    for width, height in WIDTHS:
        for language in LANGUAGES:
            page = browser.new_page(viewport={"width": width, "height": height})
            _sign_in(page, sqlite_service, language)
            page.fill("#rule-pool_share_of_profit", "0.30")  # the value in force: no change
            page.fill("#rule-exit_multiple", "2.5")
            page.check("#rule-transfers_enabled")
            page.select_option("#rule-exit_basis", "mint_value")
            page.fill("#rule-daily_withdraw_cap_rate", "0.2")
            page.click("#review")
            page.wait_for_selector("#diff")
            names = page.eval_on_selector_all("#diff code.rule-id",
                                              "es => es.map(e => e.textContent)")
            assert names == ["exit_multiple", "daily_withdraw_cap_rate", "transfers_enabled",
                             "exit_basis"]
            assert page.text_content("#diff tr:nth-child(2) .old") == "3"
            assert page.text_content("#diff tr:nth-child(2) .new") == "2.5"
            assert page.text_content("#diff tr:nth-child(3) .old") == CATALOGUE["rule_off"][
                language]
            assert page.text_content("#diff tr:nth-child(5) .new") == rule_shown(
                "exit_basis", "mint_value", language)
            _fits(page, f"console-rules-diff-{language}-{width}")
            page.close()
    # Nothing applied by any of the reviews.
    assert sqlite_service.client().get("/v1/rules/history").json()["count"] == history
    page = browser.new_page()
    _sign_in(page, sqlite_service, "en")
    page.fill("#rule-exit_multiple", "2.5")
    page.click("#review")
    page.wait_for_selector("#confirm")
    confirm = page.url, page.eval_on_selector_all(
        "form[action='/console/rules'] input", "es => es.map(e => [e.name, e.value])")
    page.click("#confirm")
    assert page.text_content("#done").startswith(CATALOGUE["done"]["en"])
    # The same confirmation again (a double click, the back button): applied once.
    again = page.request.post(f"{sqlite_service.url}/console/rules", form=dict(confirm[1]),
                              headers={"Origin": sqlite_service.url})
    assert again.status < 400
    rules = sqlite_service.client().get("/v1/rules").json()["rules"]
    assert rules["exit_multiple"] == "2.5"
    assert sqlite_service.client().get("/v1/rules/history").json()["count"] == history + 1
    page.close()


def test_the_pool_s_health_is_the_api_s(sqlite_service: Service, browser: Any) -> None:
    _program(sqlite_service)
    u1 = sqlite_service.member("u1")
    # Refused: too young (3-day hold) -> insufficient_points, twice; a bad amount once.
    for body in ({"points": "1"}, {"points": "all"}, {"points": "-1"}):
        assert u1.post("/v1/members/u1/withdrawals", json=body).status_code >= 400
    admin = sqlite_service.admin()
    health = admin.get("/v1/pool/health").json()
    reconciliation = admin.get("/v1/reconciliation").json()
    pool = sqlite_service.client().get("/v1/pool").json()
    assert health["pool"] == pool["pool"] == reconciliation["pool"]
    assert health["custody"]["needed"] == reconciliation["needed"]
    assert health["pledges"] == {"open": 1, "points": "10.0000", "loans": "5.00"}
    # every lot is younger than the hold: all points are locked; u2's 10 pledged first
    assert health["locked"]["share"] == "100.0%"
    assert health["locked"]["by_gate"]["pledged"]["points"] == "10.0000"
    refused = {row["code"]: row["count"] for row in health["refused_withdrawals"]["days"]}
    assert refused == {"insufficient_points": 2, "invalid_points": 1}
    auditor = sqlite_service.client(sqlite_service.new_key("auditor"))
    assert auditor.get("/v1/pool/health").json()["pool"] == health["pool"]
    assert sqlite_service.member("u2").get("/v1/pool/health").status_code == 403
    for width, height in WIDTHS:
        for language in LANGUAGES:
            page = browser.new_page(viewport={"width": width, "height": height})
            _sign_in(page, sqlite_service, language)
            assert page.text_content("#health-pool") == f"¥{health['pool']}"
            assert page.text_content("#health-needed") == f"¥{health['custody']['needed']}"
            assert page.text_content("#health-custody") == CATALOGUE["console_custody_none"][
                language]
            assert page.text_content("#health-holdings") == f"¥{health['holdings']}"
            assert page.text_content("#health-locked") == health["locked"]["share"]
            assert page.text_content("#health-pledges") == str(health["pledges"]["open"])
            assert page.text_content("#health-exits") == str(health["exits_this_month"])
            assert page.text_content("#health-top") == health["top_share"]
            for gate, row in health["locked"]["by_gate"].items():
                assert page.text_content(f"#locked-{gate} td:nth-child(2)") == row["points"]
                assert page.text_content(f"#locked-{gate} td:nth-child(3)") == row["share"]
            for code, count in refused.items():
                assert page.text_content(f"#refusals-{code} td:nth-child(2)") == str(count)
                assert MESSAGES[code][language] in page.text_content(f"#refusals-{code}")
            assert page.locator("#pool-chart polyline").count() == 1
            _fits(page, f"console-health-{language}-{width}")
            page.close()


def test_lender_and_auditor_keys_made_in_the_console_work_and_refusals_say_why(
        sqlite_service: Service, browser: Any) -> None:
    _program(sqlite_service)
    for width, height in WIDTHS:
        for language in LANGUAGES:
            page = browser.new_page(viewport={"width": width, "height": height})
            _sign_in(page, sqlite_service, language)
            roles = page.eval_on_selector_all("#key-role option",
                                              "es => es.map(e => [e.value, e.textContent])")
            assert [role for role, _ in roles] == ["admin", "auditor", "merchant", "member",
                                                   "lender"]
            assert dict(roles)["lender"] == CATALOGUE["role_lender"][language]
            if width == 390:
                assert_fits(page, "#key-form")
            page.close()
    page = browser.new_page()
    _sign_in(page, sqlite_service, "zh")
    page.select_option("#key-role", "lender")
    page.fill("#key-party", "b1")
    page.click("#create-key")
    lender_key = page.text_content("#new-key").strip()
    lender = sqlite_service.client(lender_key)
    pledges = lender.get("/v1/lenders/b1/pledges")
    assert pledges.status_code == 200 and pledges.json()["count"] == 1
    assert lender.get("/v1/lenders/b9/pledges").status_code == 403  # its own only
    page.goto(f"{sqlite_service.url}/console")
    page.select_option("#key-role", "auditor")
    page.click("#create-key")
    auditor = sqlite_service.client(page.text_content("#new-key").strip())
    assert auditor.get("/v1/pool/health").status_code == 200
    assert auditor.post("/v1/lenders", json={"id": "b2"}).status_code == 403  # reads only
    # Refused, with the precise reason: a lender that does not exist; an auditor bound.
    keys_before = len(sqlite_service.admin().get("/v1/keys").json())
    page.goto(f"{sqlite_service.url}/console")
    page.select_option("#key-role", "lender")
    page.fill("#key-party", "b9")
    page.click("#create-key")
    assert page.text_content("#reason") == "没有这个贷款机构 b9。"
    page.goto(f"{sqlite_service.url}/console?lang=en")
    page.select_option("#key-role", "auditor")
    page.fill("#key-party", "b1")
    page.click("#create-key")
    assert page.text_content("#reason") == \
        "An auditor key is bound to no party: leave it empty."
    assert len(sqlite_service.admin().get("/v1/keys").json()) == keys_before
    page.close()
