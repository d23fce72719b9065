"""In a real browser, the pages work under their Content-Security-Policy with no violation,
and /docs renders from this server alone with the network closed.

Debian's chromium driven by Playwright (skipped where either is absent). Each page is
watched for ``securitypolicyviolation`` events and for the console's CSP messages from its
first script on. (Playwright's ``wait_for_function`` with a string evaluates it with
``eval``, which the policy refuses: these tests wait on selectors instead.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from servicehelpers import Service, wait_for

from browsers import WIDTHS, assert_fits, chromium, screenshot
from profitpool.service.security import STRICT_POLICY, inline_policy
from profitpool.web.i18n import CATALOGUE

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A service with orders at m1, a disclosed month, and keys for every area."""
    tmp = tmp_path_factory.mktemp("csp")
    service = Service(f"sqlite:///{tmp / 'log.db'}", tmp / "op.key", options={
        "disclose": True, "disclose_poll_seconds": 0.05}).setup()
    try:
        shop = service.merchant("m1")
        orders = [{"id": f"o{i}", "member": f"u{i % 3}", "amount": "100.00", "profit": "20.00"}
                  for i in range(30)]
        assert shop.post("/v1/orders:batch", json={"orders": orders}).status_code == 200
        service.clock.advance(40 * 86_400)  # into the next month: the job reports the last
        public = service.client()
        month = wait_for(lambda: (body := public.get("/v1/disclosures").json())["count"]
                         and body["data"][0]["entry"] is not None and body["data"][0])
        member = service.member("u1")
        assert service.admin().post("/v1/lenders", json={"id": "b1"}).status_code == 201
        proof = member.get(f"/v1/members/u1/pol/{month['period']}")
        assert proof.status_code == 200, proof.text
        yield {"service": service, "month": month, "proof": proof.text,
               "member_key": member.headers["Authorization"].split()[1],
               "merchant_key": shop.headers["Authorization"].split()[1],
               "lender_key": service.new_key("lender", "b1")}
    finally:
        service.stop()


class Watched:
    """A page whose CSP violations and console CSP messages are collected."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context()
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))

    def goto(self, url: str) -> Any:
        response = self.page.goto(url)
        assert response is not None and response.ok, url
        return response

    def violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__violations")
        said = [text for text in self.console if "Content Security Policy" in text]
        return found + said


def test_the_pages_and_their_scripts_work_under_the_strict_policy(
        browser: Any, program: dict[str, Any]) -> None:
    service: Service = program["service"]
    base = service.url
    watched = Watched(browser)
    page = watched.page
    try:
        # the explorer: charts with their legends, drawn without a style attribute
        response = watched.goto(f"{base}/?lang=en")
        assert response.headers["content-security-policy"] == STRICT_POLICY
        assert page.locator("#chart polyline").count() == 2
        assert page.locator("#chart-figure .legend svg.swatch rect").count() == 2
        assert watched.violations() == []

        # an entry, its proof checked in the browser
        watched.goto(f"{base}/entry/5?lang=en")
        page.click("#verify")
        page.wait_for_selector("#verify-result:not(:empty)")
        assert page.text_content("#verify-result").startswith(CATALOGUE["verify_ok"]["en"])
        assert watched.violations() == []

        # the disclosures: a member's proof checked in the browser (the script is a file now)
        month = program["month"]
        watched.goto(f"{base}/disclosures?lang=en")
        page.fill("#pol-root", month["pol_root"])
        page.fill("#pol-proof", program["proof"])
        page.press("#pol-root", "Enter")  # the form is never sent anywhere
        assert page.url == f"{base}/disclosures?lang=en"
        page.click("#pol-run")
        page.wait_for_selector("#pol-result:not(:empty)")
        assert page.text_content("#pol-result").startswith("Checked: your holding of ¥")
        assert page.get_attribute("#pol-result", "class") == "ok"
        page.fill("#pol-root", "0" * 64)
        page.click("#pol-run")
        page.wait_for_selector("#pol-result.shortfall")
        assert watched.violations() == []

        # the standalone report: its own policy lets its inline style and switch run
        response = watched.goto(f"{base}/v1/disclosures/{month['period']}?format=html")
        assert response.headers["content-security-policy"] == inline_policy(response.text())
        assert page.evaluate("getComputedStyle(document.querySelector('.l-en')).display") \
            == "none"  # the inline style applies
        page.click("#lang-switch")
        assert page.evaluate("document.documentElement.classList.contains('en')")
        assert watched.violations() == []

        # the wallet, the merchant and lender portals and the console, signed in
        for area, key, shown in (("/wallet", program["member_key"], "#points"),
                                 ("/merchant", program["merchant_key"], "#order-count"),
                                 ("/lender", program["lender_key"], "#cash"),
                                 ("/console", service.admin_key, "#health")):
            response = watched.goto(f"{base}{area}?lang=en")
            assert response.headers["cache-control"] == "no-store"
            page.fill("#key", key)
            page.click("#sign-in")
            page.wait_for_selector(shown)
            assert watched.violations() == [], area
        assert page.locator("#sessions .this-session").count() == 1

        # the policy is in force: a script slipped into the page does not run
        watched.goto(f"{base}/")
        ran = page.evaluate("""() => {
            const script = document.createElement("script");
            script.textContent = "window.__injected = true";
            document.body.append(script);
            return window.__injected === true;
        }""")
        assert ran is False
        wait_for(lambda: page.evaluate("window.__violations.length") > 0, 10)
        assert any("script-src" in text for text in watched.violations())
    finally:
        watched.context.close()


def test_docs_render_from_this_server_alone_with_the_network_closed(
        browser: Any, program: dict[str, Any]) -> None:
    service: Service = program["service"]
    watched = Watched(browser)
    page = watched.page
    elsewhere: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(service.url + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    try:
        response = watched.goto(f"{service.url}/docs")
        assert response.headers["content-security-policy"] == STRICT_POLICY
        orders = page.locator(".opblock-post:has(.opblock-summary-path[data-path='/v1/orders'])")
        orders.wait_for(timeout=30_000)
        assert orders.is_visible()
        orders.locator(".opblock-summary").click()  # open it: parameters, responses, schemas
        page.wait_for_selector(".opblock-post.is-open .responses-wrapper")
        assert page.locator(".opblock").count() > 50  # every operation of the API
        icon = page.get_attribute("link[rel=icon]", "href")
        assert icon is not None and icon.startswith("/docs-assets/")
        assert elsewhere == []
        assert watched.violations() == []
    finally:
        watched.context.close()


def test_the_docs_page_names_no_other_host_and_its_assets_are_served(
        program: dict[str, Any]) -> None:
    client = program["service"].client()
    page = client.get("/docs").text
    linked = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(linked) == ["/docs-assets/docs.js", "/docs-assets/favicon.png",
                              "/docs-assets/swagger-ui-bundle.js",
                              "/docs-assets/swagger-ui.css"]
    assert "//" not in page and "<script>" not in page  # no other host, no inline script
    types = {"js": "text/javascript", "css": "text/css", "png": "image/png"}
    for url in linked:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["content-type"].startswith(types[url.rsplit(".", 1)[1]]), url


def test_the_disclosures_page_fits_a_phone_in_both_languages(
        browser: Any, program: dict[str, Any]) -> None:
    """Months and custody records are cards on a phone: nothing wider than the screen, no
    amount or time broken across lines, text of 12 px or more; times without microseconds."""
    service: Service = program["service"]
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            for lang in ("zh", "en"):
                page.goto(f"{service.url}/disclosures?lang={lang}")
                assert page.locator("#months td.hash").first.text_content() == \
                    program["month"]["pol_root"]
                if width == 390:
                    assert_fits(page)
                screenshot(page, f"disclosures-{lang}-{width}")
        finally:
            context.close()
