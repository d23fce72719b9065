"""Each party's page shows what the program owes it, what is in flight to its bank and what
reached it, payout by payout (docs/rules.md section 10), in Chinese and English; the
explorer shows the totals; a payout's entries are named in both languages.

There is no payout API yet: the operator's payout commands are written through the
running service's own sequencer, as the API writes every command.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from markupsafe import escape
from servicehelpers import Service

from browsers import chromium
from profitpool.engine.commands import _SPECS
from profitpool.engine.effects import Effect
from profitpool.service.sequencer import Outcome
from profitpool.service.sequencer import Request as WriteRequest
from profitpool.web.i18n import CATALOGUE
from profitpool.web.labels import EFFECTS, OPS

RETURN_REASON = "账户已注销 account closed"
SCREENSHOTS = Path(os.environ.get(
    "PROFITPOOL_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-artifacts"
    / "screenshots"))
LAYOUT = """() => {
  const width = document.documentElement.scrollWidth;
  // What this test is about: the cash card, the totals and the sentence under them.
  const small = [...document.querySelectorAll(
    '#cash *, #cash-totals *, #custody-rule, #pledges *')].filter((node) =>
    node.childNodes.length && [...node.childNodes].some((child) =>
      child.nodeType === 3 && child.textContent.trim()) &&
    node.offsetParent !== null &&
    parseFloat(getComputedStyle(node).fontSize) < 12).map((node) => node.textContent);
  // An amount or a date laid out on more than one line was broken inside itself.
  const broken = [...document.querySelectorAll('.money, .when, .figure')].filter((node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
    return tops.size > 1;
  }).map((node) => node.textContent);
  const wide = [...document.querySelectorAll('#cash, #cash-totals, .figures')].filter(
    (node) => node.getBoundingClientRect().right > window.innerWidth + 1).length;
  return {width, small, broken, wide};
}"""


def operator(service: Service, *commands: dict[str, Any]) -> list[Outcome]:
    """Write the operator's ``commands`` to the running service's log, as one request."""
    assert service._server is not None
    ctx = service._server.server.config.app.state.context
    answered = threading.Event()
    outcomes: list[Outcome] = []

    def deliver(answer: list[Outcome]) -> None:
        outcomes.extend(answer)
        answered.set()

    ctx.sequencer.put(WriteRequest(list(commands), [None] * len(commands), deliver))
    assert answered.wait(30), "the writer did not answer"
    for outcome in outcomes:
        assert outcome.status < 400, outcome.body
    return outcomes


def shown(key: str, language: str) -> str:
    """A catalogue text as the page has it (HTML-escaped)."""
    return str(escape(CATALOGUE[key][language]))


def text(client: httpx.Client, path: str, language: str) -> str:
    page = client.get(path, params={"lang": language})
    assert page.status_code == 200, page.text
    return page.text


def figure(html: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (a figure: no markup inside)."""
    start = html.index(f'id="{element_id}">') + len(element_id) + 6
    return html[start:html.index("<", start)]


def payout_row(html: str, payout_id: str) -> str:
    start = html.index(f'data-payout="{payout_id}"')
    return html[start:html.index("</tr>", start)]


def _program(service: Service) -> dict[str, Any]:
    """u1 withdraws through the wallet, u2 pays m1 with points and pledges to b1, who
    seizes: each of the three is owed money by the program."""
    m1 = service.merchant("m1")
    for order_id, member, amount, profit in (("o1", "u1", "100.00", "20.00"),
                                             ("o2", "u2", "200.00", "50.00")):
        assert m1.post("/v1/orders", json={"id": order_id, "member": member,
                                           "amount": amount, "profit": profit}
                       ).status_code == 201
    admin = service.admin()
    assert admin.post("/v1/lenders", json={"id": "b1", "name": "城商行"}).status_code == 201
    wallet = service.signed_in("/wallet", service.new_key("member", "u1"))
    confirm = wallet.post("/wallet/withdraw", params={"lang": "en"},
                          data={"points": "10", "step": "confirm", "token": "t1"})
    assert confirm.status_code == 200
    u2 = service.member("u2")
    paid = u2.post("/v1/members/u2/payments", json={"merchant": "m1", "points": "5"})
    assert paid.status_code == 201, paid.text
    pledged = u2.post("/v1/members/u2/pledges",
                      json={"id": "pl1", "lender": "b1", "points": "5", "loan": "1.00"})
    assert pledged.status_code == 201, pledged.text
    bank = service.client(service.new_key("lender", "b1"))
    assert bank.post("/v1/pledges/pl1/seize").status_code == 201
    pseudonym = admin.get("/v1/members/u1").json()["member"]
    return {"wallet": wallet, "confirm": confirm.text, "u1": f"member:{pseudonym}",
            "merchant_paid": admin.get("/v1/merchants/m1").json()["owed"],
            "lender_paid": admin.get("/v1/lenders/b1").json()["owed"]}


def test_wallet_portal_and_lender_pages_show_owed_in_flight_and_settled_in_both_languages(
        service: Service) -> None:
    program = _program(service)
    wallet: httpx.Client = program["wallet"]
    # The confirmation no longer says the money arrived: it is owed, sent in a payout run.
    assert shown("withdraw_done", "en") in program["confirm"]
    assert shown("done", "en") not in program["confirm"]
    assert figure(program["confirm"], "owed-now") == "¥2.66"
    for language in ("zh", "en"):
        page = text(wallet, "/wallet", language)
        assert shown("cash", language) in page
        assert (figure(page, "cash-owed"), figure(page, "cash-in-flight"),
                figure(page, "cash-settled")) == ("¥2.66", "¥0.00", "¥0.00")
        assert shown("no_payouts", language) in page
        assert shown("cash_returned_note", language) in page

    u1 = program["u1"]
    operator(service,
             {"op": "payout", "id": "po1", "party": u1, "amount": "1.00",
              "destination": "acct-u1"},
             {"op": "payout", "id": "po2", "party": u1, "amount": "1.66",
              "destination": "acct-u1"})
    operator(service, {"op": "payout_settled", "payout": "po1", "reference": "BK-0001"},
             {"op": "payout_returned", "payout": "po2", "reason": RETURN_REASON,
              "reference": "BK-0002"})
    operator(service, {"op": "payout", "id": "po3", "party": u1, "amount": "0.50",
                       "destination": "acct-u1-new"})
    for language in ("zh", "en"):
        page = text(wallet, "/wallet", language)
        # 2.66 paid by the pool: 1.00 settled, 1.66 returned (owed again), 0.50 of it sent.
        assert (figure(page, "cash-owed"), figure(page, "cash-in-flight"),
                figure(page, "cash-settled")) == ("¥1.16", "¥0.50", "¥1.00")
        settled, returned, in_flight = (payout_row(page, payout_id)
                                        for payout_id in ("po1", "po2", "po3"))
        assert shown("payout_settled", language) in settled and "BK-0001" in settled
        assert shown("payout_returned", language) in returned
        assert RETURN_REASON in returned and "BK-0002" in returned
        assert shown("payout_in_flight", language) in in_flight
        assert "¥0.50" in in_flight and "2026-03-10" in in_flight
        assert page.index('data-payout="po3"') < page.index('data-payout="po1"')  # newest first

    merchant_owed = program["merchant_paid"]
    operator(service, {"op": "payout", "id": "pm1", "party": "merchant:m1",
                       "amount": merchant_owed, "destination": "acct-m1"})
    operator(service, {"op": "payout_settled", "payout": "pm1", "reference": "BK-M1"})
    portal = service.signed_in("/merchant", service.new_key("merchant", "m1"))
    for language in ("zh", "en"):
        page = text(portal, "/merchant", language)
        assert shown("cash", language) in page
        assert (figure(page, "cash-owed"), figure(page, "cash-in-flight"),
                figure(page, "cash-settled")) == ("¥0.00", "¥0.00", f"¥{merchant_owed}")
        row = payout_row(page, "pm1")
        assert shown("payout_settled", language) in row and "BK-M1" in row

    lender_owed = program["lender_paid"]
    assert lender_owed != "0.00"
    operator(service, {"op": "payout", "id": "pb1", "party": "lender:b1",
                       "amount": lender_owed, "destination": "acct-b1"})
    lender = service.signed_in("/lender", service.new_key("lender", "b1"))
    for language in ("zh", "en"):
        page = text(lender, "/lender", language)
        assert shown("lender_portal", language) in page and "城商行" in page
        assert (figure(page, "cash-owed"), figure(page, "cash-in-flight"),
                figure(page, "cash-settled")) == ("¥0.00", f"¥{lender_owed}", "¥0.00")
        assert shown("payout_in_flight", language) in payout_row(page, "pb1")
        assert "pl1" in page and shown("pledge_seized", language) in page

    # The explorer: the program's totals beside the pool, and what custody must hold.
    public = service.client()
    pool = public.get("/v1/pool").json()
    assert (pool["owed"], pool["in_flight"], pool["settled"]) != ("0.00", "0.00", "0.00")
    for language in ("zh", "en"):
        page = text(public, "/", language)
        assert figure(page, "owed-total") == f"¥{pool['owed']}"
        assert figure(page, "in-flight-total") == f"¥{pool['in_flight']}"
        assert figure(page, "settled-total") == f"¥{pool['settled']}"
        needed = (_fen(pool["pool"]) + _fen(pool["owed"]) + _fen(pool["in_flight"]))
        assert figure(page, "custody-needed") == f"¥{needed // 100}.{needed % 100:02d}"
        assert shown("custody_rule", language) in page


def _fen(amount: str) -> int:
    return int(amount.replace(".", ""))


def test_a_payout_s_entries_are_named_in_both_languages(sqlite_service: Service) -> None:
    program = _program(sqlite_service)
    [sent] = operator(sqlite_service, {"op": "payout", "id": "po1", "party": program["u1"],
                                       "amount": "2.66", "destination": "acct-u1"})
    [returned] = operator(sqlite_service, {"op": "payout_returned", "payout": "po1",
                                           "reason": RETURN_REASON, "reference": "BK-9"})
    public = sqlite_service.client()
    for outcome, op, effect in ((sent, "payout", "payout_sent"),
                                (returned, "payout_returned", "payout_returned")):
        index = outcome.body["entry"]["index"]
        for language in ("zh", "en"):
            page = text(public, f"/entry/{index}", language)
            assert str(escape(OPS[op][language])) in page
            assert str(escape(EFFECTS[effect][language])) in page
            assert "¥2.66" in page
        if effect == "payout_returned":
            assert RETURN_REASON in page and "BK-9" in page
    latest = text(public, "/", "zh")
    assert OPS["payout_returned"]["zh"] in latest


def test_every_command_and_effect_has_a_name_in_both_languages() -> None:
    assert set(OPS) == set(_SPECS)
    # An effect's type is its class name in snake case (chain/canonical.py).
    assert set(EFFECTS) == {re.sub(r"(?<!^)([A-Z])", r"_\1", kind.__name__).lower()
                            for kind in get_args(Effect)}
    for names in (*OPS.values(), *EFFECTS.values()):
        assert names["zh"] and names["en"] and names["zh"] != names["en"]


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_the_cash_cards_fit_a_phone_and_a_laptop_in_both_languages(
        sqlite_service: Service, browser: Any) -> None:
    """Nothing wider than the screen, no text under 12 px, no amount or date broken inside
    itself; each page kept as a screenshot (PROFITPOOL_SCREENSHOTS)."""
    program = _program(sqlite_service)
    u1 = program["u1"]
    operator(sqlite_service,
             {"op": "payout", "id": "po1", "party": u1, "amount": "1.00",
              "destination": "acct-u1"},
             {"op": "payout", "id": "po2", "party": u1, "amount": "1.66",
              "destination": "acct-u1"},
             {"op": "payout", "id": "pm1", "party": "merchant:m1",
              "amount": program["merchant_paid"], "destination": "acct-m1"},
             {"op": "payout", "id": "pb1", "party": "lender:b1",
              "amount": program["lender_paid"], "destination": "acct-b1"})
    operator(sqlite_service,
             {"op": "payout_settled", "payout": "po1", "reference": "20260310-BK-000123456"},
             {"op": "payout_returned", "payout": "po2", "reason": RETURN_REASON,
              "reference": "20260310-BK-000123457"},
             {"op": "payout_settled", "payout": "pm1", "reference": "BK-M1"})
    operator(sqlite_service, {"op": "payout", "id": "po3", "party": u1, "amount": "0.50",
                              "destination": "acct-u1-new"})
    keys = {"/wallet": sqlite_service.new_key("member", "u1"),
            "/merchant": sqlite_service.new_key("merchant", "m1"),
            "/lender": sqlite_service.new_key("lender", "b1")}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((390, 844), (1366, 900)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        for area in ("/", *keys):
            if area != "/":
                page.goto(f"{sqlite_service.url}{area}")
                page.fill("#key", keys[area])
                page.click("#sign-in")
                page.wait_for_selector("#cash")
            for language in ("zh", "en"):
                page.goto(f"{sqlite_service.url}{area}?lang={language}")
                layout = page.evaluate(LAYOUT)
                where = (area, width, language)
                assert layout["width"] <= width, (where, layout["width"])
                assert layout["small"] == [], (where, layout["small"])
                assert layout["broken"] == [], (where, layout["broken"])
                assert layout["wide"] == 0, where
                name = area.strip("/") or "explorer"
                page.screenshot(path=str(SCREENSHOTS / f"cash-{name}-{width}-{language}.png"),
                                full_page=True)
        context.close()
