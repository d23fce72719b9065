"""The merchant portal: its name in the heading, its orders searched and paged, an order
and a refund entered with a confirmation step (exactly once), the refund window explained,
its analytics as charts whose labels a phone can read, and its order count the API's.

Browser tests run Debian's chromium (tests/browsers.py) at 390 and 1366 px in Chinese and
English; each page is kept as a screenshot."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from servicehelpers import Service

from browsers import WIDTHS, assert_fits, chromium, screenshot
from profitpool.web.i18n import CATALOGUE, LANGUAGES

NAME = "鲜到家生鲜"
LABELS = """(selector) => [...document.querySelectorAll(selector + ' svg[role=img]')].map(
  (svg) => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const box = svg.getBoundingClientRect();
    return [...svg.querySelectorAll('text')].map((text) => {
      const rect = text.getBoundingClientRect();
      return {text: text.textContent, cls: text.getAttribute('class'),
              px: parseFloat(getComputedStyle(text).fontSize) * scale,
              left: rect.left, right: rect.right, inside: rect.left >= box.left - 0.5
                && rect.right <= box.right + 0.5};
    });
  })"""


def words(key: str, language: str) -> str:
    return CATALOGUE[key][language]


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _program(service: Service) -> dict[str, Any]:
    """m1 (鲜到家生鲜): orders over four months by customers it names itself, a batch of
    25 in June (paging), one refunded; m2: an order of its own, never shown to m1."""
    m1 = service.merchant("m1", name=NAME)
    m2 = service.merchant("m2", name="川味火锅")
    months = (("2026-03-10T10:00:00+08:00", [("a1", "u1", "100.00", "20.00"),
                                              ("a2", "u2", "50.00", "10.00"),
                                              ("a3", "u3", "80.00", "16.00")]),
              ("2026-04-05T10:00:00+08:00", [("a4", "u1", "120.00", "24.00"),
                                              ("a5", "u4", "60.00", "12.00")]),
              ("2026-05-06T10:00:00+08:00", [("a6", "u2", "90.00", "18.00"),
                                              ("a7", "u4", "30.00", "6.00"),
                                              ("a8", "u5", "200.00", "40.00")]))
    for moment, orders in months:
        service.clock.set(moment)
        for order_id, member, amount, profit in orders:
            made = m1.post("/v1/orders", json={"id": order_id, "member": member,
                                              "amount": amount, "profit": profit})
            assert made.status_code == 201, made.text
    assert m2.post("/v1/orders", json={"id": "b1", "member": "u1", "amount": "999.00",
                                       "profit": "1.00"}).status_code == 201
    service.clock.set("2026-06-02T09:00:00+08:00")
    assert service.admin().patch("/v1/rules", json={"settle_days": 3}).status_code == 201
    batch = [{"id": f"j{number:02d}", "member": f"u{10 + number % 5}", "amount": "10.00",
              "profit": "2.00"} for number in range(25)]
    assert m1.post("/v1/orders:batch", json={"orders": batch}).json()["accepted"] == 25
    assert m1.post("/v1/orders/j00/refund").status_code == 201
    return {"m1": m1, "m2": m2, "m1_key": m1.headers["Authorization"].split()[1]}


def api_count(client: httpx.Client, merchant: str | None = None) -> int:
    query = f"?merchant={merchant}" if merchant else ""
    answer = client.get(f"/v1/orders{query}")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["count"])


def figure(page: str, element: str) -> str:
    found = re.search(rf'id="{element}">([^<]*)<', page)
    assert found, element
    return found.group(1)


def order_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-order="([^"]+)">', page)


def test_the_heading_names_the_merchant_and_its_order_count_is_the_api_s(
        sqlite_service: Service) -> None:
    program = _program(sqlite_service)
    portal = sqlite_service.signed_in("/merchant", program["m1_key"])
    everything = sqlite_service.admin().get("/v1/orders?merchant=m1&limit=1000").json()["data"]
    by_status = {status: sum(1 for order in everything if order["status"] == status)
                 for status in ("pending", "settled", "refunded")}
    assert by_status["refunded"] == 1 and by_status["pending"] == 24
    for language in LANGUAGES:
        page = portal.get(f"/merchant?lang={language}").text
        assert figure(page, "merchant-name") == NAME and figure(page, "merchant-id") == "m1"
        # the API's count, as the merchant and as the operator ask for it
        assert int(figure(page, "order-count")) == api_count(program["m1"]) \
            == api_count(sqlite_service.admin(), "m1") == len(everything)
        assert figure(page, "order-split") == words("merchant_orders_split", language).format(
            **by_status)
        # the analytics say which orders they count: all but the refunded one
        assert int(figure(page, "analysed-count")) == len(everything) - by_status["refunded"]
        assert words("merchant_count_note", language) in page.replace("&#34;", '"')
    # the counts move together
    assert program["m1"].post("/v1/orders", json={"id": "late", "member": "u1",
                                                  "amount": "1.00", "profit": "0.10"}
                              ).status_code == 201
    assert int(figure(portal.get("/merchant").text, "order-count")) \
        == api_count(program["m1"]) == len(everything) + 1


def test_orders_are_searched_by_order_id_customer_and_date_and_paged(
        sqlite_service: Service) -> None:
    program = _program(sqlite_service)
    portal = sqlite_service.signed_in("/merchant", program["m1_key"])
    listed = [order["id"] for order in
              program["m1"].get("/v1/orders?limit=1000").json()["data"]][::-1]  # newest first
    first = portal.get("/merchant").text
    assert order_ids(first) == listed[:20]
    assert "b1" not in order_ids(first)  # m2's order
    older = re.search(r'href="/merchant\?([^"]+)" id="older"', first)
    assert older and 'id="newer"' not in first
    second = portal.get(f"/merchant?{older.group(1).replace('&amp;', '&')}").text
    assert order_ids(second) == listed[20:40] and 'id="newer"' in second
    assert 'id="older"' not in second

    def found(query: str) -> list[str]:
        return order_ids(portal.get(f"/merchant?{query}").text)

    assert found("order=a") == [order for order in listed if "a" in order]
    assert found("order=j1") == [f"j{number}" for number in range(19, 9, -1)]
    # by the merchant's own id for the customer: u1 bought a1 and a4 here (and b1 at m2)
    assert found("member=u1") == ["a4", "a1"]
    assert found("member=nobody") == []
    # by Asia/Shanghai calendar day, both ends included
    assert found("since=2026-04-01&until=2026-05-06") == ["a8", "a7", "a6", "a5", "a4"]
    assert found("member=u2&since=2026-04-01") == ["a6"]
    # a date that is not one says so and filters nothing
    bad = portal.get("/merchant?since=2026-13-01&member=u2").text
    assert 'id="bad-date"' in bad and order_ids(bad) == ["a6", "a2"]
    # the customer column shows the merchant's own ids, never a pseudonym it sent none for
    page = portal.get("/merchant?member=u1").text
    assert re.findall(r'class="customer">([^<]+)<', page) == ["u1", "u1"]


def _sign_in(page: Any, url: str, key: str) -> None:
    page.goto(f"{url}/merchant")
    page.fill("#key", key)
    page.click("#sign-in")
    page.wait_for_selector("#order-count")


def test_an_order_entered_in_the_portal_is_previewed_then_recorded_once(
        sqlite_service: Service, browser: Any) -> None:
    program = _program(sqlite_service)
    admin = sqlite_service.admin()
    assert admin.patch("/v1/rules", json={"settle_days": 0}).status_code == 201
    m1 = program["m1"]
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _sign_in(page, sqlite_service.url, program["m1_key"])
        for language in LANGUAGES:
            order_id = f"pos-{width}-{language}"
            before = api_count(m1)
            page.goto(f"{sqlite_service.url}/merchant?lang={language}")
            page.fill("#new-order-id", order_id)
            page.fill("#new-order-member", "u77")
            page.fill("#new-order-amount", "123.45")
            page.fill("#new-order-profit", "20.01")
            page.click("#order-preview")
            page.wait_for_selector("#confirm")
            if width == 390:
                assert_fits(page)
            screenshot(page, f"merchant-order-preview-{language}-{width}")
            assert api_count(m1) == before  # a preview records nothing
            shown = {field: page.text_content(f"#preview-{field}")
                     for field in ("order", "member", "amount", "profit", "injection",
                                   "points")}
            assert shown["order"] == order_id and shown["member"] == "u77"
            assert (shown["amount"], shown["profit"]) == ("¥123.45", "¥20.01")
            assert page.text_content("#settle-note") == words("merchant_settles_now", language)
            page.dblclick("#confirm")  # sent twice
            page.wait_for_selector("#done")
            screenshot(page, f"merchant-order-done-{language}-{width}")
            assert api_count(m1) == before + 1
            recorded = m1.get(f"/v1/orders/{order_id}").json()
            assert recorded["member_id"] == "u77" and recorded["amount"] == "123.45"
            # the preview's figures are what the engine did when the order settled
            entry = sqlite_service.client().get(
                f"/v1/entries/{page.get_attribute('#done-entry', 'href').split('/')[-1]}"
            ).json()
            effects = {effect["type"]: effect for effect in entry["entry"]["effects"]}
            assert effects["order_settled"]["injection"] == shown["injection"].lstrip("¥")
            assert effects["points_minted"]["points"] == shown["points"]
            page.click("#see-order")
            assert order_ids(page.content()) == [order_id]
        context.close()


def test_an_order_confirmed_twice_is_one_order_and_bad_input_records_nothing(
        sqlite_service: Service) -> None:
    program = _program(sqlite_service)
    portal = sqlite_service.signed_in("/merchant", program["m1_key"])
    before = api_count(program["m1"])
    order = {"order": "twice", "member": "u9", "amount": "10.00", "profit": "1.00",
             "step": "confirm"}
    first = portal.post("/merchant/order", data=order)
    again = portal.post("/merchant/order", data=order)
    assert 'id="done"' in first.text and words("merchant_order_done", "zh") in first.text
    assert words("merchant_order_replay", "zh") in again.text
    assert api_count(program["m1"]) == before + 1
    # the same id with another body is refused, in the preview and on confirmation
    other = {**order, "amount": "11.00"}
    assert "(conflict" in portal.post("/merchant/order",
                                      data={**other, "step": "preview"}).text
    assert "(conflict" in portal.post("/merchant/order", data=other).text
    # a blank id gets one of its own, carried from the preview to the confirmation
    preview = portal.post("/merchant/order", data={**order, "order": "", "step": "preview"})
    made_up = re.search(r'id="preview-order">([^<]+)<', preview.text)
    assert made_up and made_up.group(1).startswith("web-")
    assert f'name="order" value="{made_up.group(1)}"' in preview.text
    for bad, code in (({"amount": "12.345"}, "invalid_amount"),
                      ({"profit": "99.00"}, "invalid_profit"),
                      ({"member": ""}, "invalid_id"),
                      ({"campaign": "c9"}, "unknown_campaign"),
                      ({"order": "x" * 101}, "invalid_id")):
        for step in ("preview", "confirm"):
            answer = portal.post("/merchant/order",
                                 data={**order, "order": "bad", **bad, "step": step})
            assert 'id="refused"' in answer.text and f"({code}" in answer.text, (bad, step)
    assert api_count(program["m1"]) == before + 1
    # from another site: refused, nothing recorded
    forged = portal.post("/merchant/order", data={**order, "order": "forged"},
                         headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403 and api_count(program["m1"]) == before + 1


def test_a_refund_is_confirmed_first_and_happens_once(
        sqlite_service: Service, browser: Any) -> None:
    program = _program(sqlite_service)
    m1 = program["m1"]
    pending = [order["id"] for order in m1.get("/v1/orders?limit=1000").json()["data"]
               if order["status"] == "pending"]
    for (width, height), language in zip(WIDTHS * 2, LANGUAGES * 2, strict=True):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _sign_in(page, sqlite_service.url, program["m1_key"])
        order_id = pending.pop()
        page.goto(f"{sqlite_service.url}/merchant?lang={language}&order={order_id}")
        assert page.text_content("#refund-window") == words(
            "merchant_refund_window_days", language).format(days=3)
        if width == 390:
            assert_fits(page)
        screenshot(page, f"merchant-portal-search-{language}-{width}")
        page.click(f'#orders tr[data-order="{order_id}"] .refund')
        page.wait_for_selector("#confirm")
        assert page.text_content("#preview-order") == order_id
        assert page.text_content("#refund-note") == words("merchant_refund_preview_note",
                                                          language)
        if width == 390:
            assert_fits(page)
        screenshot(page, f"merchant-refund-preview-{language}-{width}")
        assert m1.get(f"/v1/orders/{order_id}").json()["status"] == "pending"
        page.dblclick("#confirm")
        page.wait_for_selector("#done")
        assert page.text_content("#done").strip().startswith(
            (words("merchant_refund_done", language), words("merchant_refund_replay",
                                                            language)))
        assert m1.get(f"/v1/orders/{order_id}").json()["status"] == "refunded"
        context.close()
    # one token, one refund: a second confirmation is answered as the first was
    portal = sqlite_service.signed_in("/merchant", program["m1_key"])
    order_id = pending.pop()
    preview = portal.post("/merchant/refund", data={"order": order_id})
    token = re.search(r'name="token" value="([^"]+)"', preview.text)
    assert token and m1.get(f"/v1/orders/{order_id}").json()["status"] == "pending"
    confirm = {"order": order_id, "step": "confirm", "token": token.group(1)}
    size = sqlite_service.client().get("/v1/pool").json()["tree_size"]
    first, again = (portal.post("/merchant/refund", data=confirm) for _ in range(2))
    assert words("merchant_refund_done", "zh") in first.text
    assert words("merchant_refund_replay", "zh") in again.text and 'id="refused"' not in again.text
    assert m1.get(f"/v1/orders/{order_id}").json()["status"] == "refunded"
    assert sqlite_service.client().get("/v1/pool").json()["tree_size"] == size + 1  # one entry
    # what cannot be refunded says why, before any confirmation
    for unrefundable, code in (("a1", "not_pending"), (order_id, "not_pending"),
                               ("nope", "unknown_order"), ("b1", "unknown_order")):
        answer = portal.post("/merchant/refund", data={"order": unrefundable})
        assert 'id="confirm"' not in answer.text and f"({code}" in answer.text
    assert sqlite_service.client(sqlite_service.admin_key).get(
        "/v1/orders/b1?merchant=m2").json()["status"] == "settled"  # m2's, untouched


def test_a_refund_window_of_zero_days_is_explained(
        sqlite_service: Service, browser: Any) -> None:
    m1 = sqlite_service.merchant("m1", name=NAME)
    assert m1.post("/v1/orders", json={"id": "o1", "member": "u1", "amount": "100.00",
                                       "profit": "20.00"}).status_code == 201
    key = m1.headers["Authorization"].split()[1]
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _sign_in(page, sqlite_service.url, key)
        for language in LANGUAGES:
            page.goto(f"{sqlite_service.url}/merchant?lang={language}")
            assert page.text_content("#refund-window") == words("merchant_refund_window_zero",
                                                                language)
            assert page.locator("#orders .refund").count() == 0  # settled at once
            assert page.text_content('#orders tr[data-order="o1"] .status') == words(
                "merchant_status_settled", language)
            if width == 390:
                assert_fits(page)
            screenshot(page, f"merchant-refund-window-zero-{language}-{width}")
        context.close()


def test_the_analytics_are_charts_by_month_with_labels_a_phone_can_read(
        sqlite_service: Service, browser: Any) -> None:
    program = _program(sqlite_service)
    portal = sqlite_service.signed_in("/merchant", program["m1_key"])
    page_text = portal.get("/merchant?lang=en").text
    mix = re.findall(r'<tr><td class="when">(\d{4}-\d\d)</td><td class="num">(\d+)</td>'
                     r'<td class="num">(\d+)</td>', page_text)
    assert [month for month, _, _ in mix] == ["2026-03", "2026-04", "2026-05", "2026-06"]
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _sign_in(page, sqlite_service.url, program["m1_key"])
        for language in LANGUAGES:
            page.goto(f"{sqlite_service.url}/merchant?lang={language}")
            for chart in ("orders", "value", "repurchase", "retention"):
                assert page.locator(f"#chart-{chart} svg[role=img]").count() == 1, chart
            # the orders chart: a bar a series a month, as the table counts them
            titles = page.eval_on_selector_all("#chart-orders rect title",
                                               "(nodes) => nodes.map((n) => n.textContent)")
            for month, new, returning in mix:
                for count, series in ((new, "merchant_series_new"),
                                      (returning, "merchant_series_returning")):
                    expected = f"{month} {words(series, language)}: {count}"
                    assert (expected in titles) == (count != "0"), (expected, titles)
            for chart_labels in page.evaluate(LABELS, "#charts"):
                assert chart_labels, "a chart without labels"
                for label in chart_labels:
                    assert label["px"] >= 12, (width, label)
                    assert label["inside"], (width, label)
                months = sorted((label for label in chart_labels if label["cls"] == "month"),
                                key=lambda label: label["left"])
                assert months[-1]["text"] == "2026-06"
                for earlier, later in zip(months, months[1:], strict=False):
                    assert earlier["right"] <= later["left"], (width, earlier, later)
            assert page.text_content("#referral-note") == words("merchant_referral_note",
                                                                language)
            if width == 390:
                assert_fits(page)
            screenshot(page, f"merchant-portal-{language}-{width}")
        context.close()


def test_the_api_previews_an_order_as_the_portal_does_and_records_nothing(
        sqlite_service: Service) -> None:
    m1 = sqlite_service.merchant("m1", name=NAME)
    order = {"id": "o1", "member": "u1", "amount": "100.00", "profit": "20.00"}
    size = sqlite_service.client().get("/v1/pool").json()["tree_size"]
    preview = m1.post("/v1/orders:preview", json=order)
    assert preview.status_code == 200, preview.text
    assert sqlite_service.client().get("/v1/pool").json()["tree_size"] == size  # no entry
    assert m1.get("/v1/orders").json()["count"] == 0
    made = m1.post("/v1/orders", json=order).json()
    effects = {effect["type"]: effect for effect in made["entry"]["effects"]}
    assert preview.json()["injection"] == effects["order_settled"]["injection"]
    assert preview.json()["points"] == effects["points_minted"]["points"]
    assert preview.json()["settles_at"] == made["entry"]["command"]["at"]
    again = m1.post("/v1/orders:preview", json=order)
    assert again.status_code == 409 and again.json()["error"] == "conflict"
