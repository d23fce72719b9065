"""The lender portal and the auditor's page.

A lender sees its pledges with each one's collateral now (points, value at today's price,
what the loan still owes, the coverage), its releases, seizures and exits, and releases or
seizes a pledge in two steps (a preview by the engine's plan, then a confirmation that
writes once however often it is sent); a refusal shows the engine's reason and changes
nothing; another lender's pledge is neither shown nor touched.

An auditor signs in with an auditor key (no other key opens the page) and sees the newest
signed checkpoint, the anchors on a chain and the witnesses' cosignatures, downloads a
public copy of the log, and the command the page shows checks that copy.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from servicehelpers import Service, wait_for
from sqlalchemy import select, update

from browsers import WIDTHS, assert_fits, chromium, screenshot
from profitpool.cli import main
from profitpool.log.setup import initialise
from profitpool.store.database import connect
from profitpool.store.repository import LogStore
from profitpool.store.schema import entries
from profitpool.web.i18n import CATALOGUE

LENDERS = {"b1": "城商行", "b2": "农商行"}


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _program(service: Service) -> dict[str, httpx.Client]:
    """m1 sells to u1 and u2; u1 pledges pl1 (loan ¥1.00, covered many times) and pl2
    (loan ¥500.00, far from covered) to b1, u2 pledges pl3 to b2. Returns API clients."""
    shop = service.merchant("m1", name="鲜到家生鲜")
    for order_id, member, amount, profit in (("o1", "u1", "300.00", "60.00"),
                                             ("o2", "u2", "200.00", "50.00")):
        placed = shop.post("/v1/orders", json={"id": order_id, "member": member,
                                               "amount": amount, "profit": profit})
        assert placed.status_code == 201, placed.text
    admin = service.admin()
    for lender, name in LENDERS.items():
        assert admin.post("/v1/lenders", json={"id": lender, "name": name}).status_code == 201
    u1, u2 = service.member("u1"), service.member("u2")
    for member, client, pledge, lender, points, loan in (
            ("u1", u1, "pl1", "b1", "5", "1.00"), ("u1", u1, "pl2", "b1", "20", "500.00"),
            ("u2", u2, "pl3", "b2", "5", "1.00")):
        pledged = client.post(f"/v1/members/{member}/pledges", json={
            "id": pledge, "lender": lender, "points": points, "loan": loan})
        assert pledged.status_code == 201, pledged.text
    return {"admin": admin, "b1": service.client(service.new_key("lender", "b1")),
            "b2": service.client(service.new_key("lender", "b2"))}


def _row(html: str, pledge: str) -> str:
    """The pledge's row of the lender page's table."""
    start = html.index(f'data-pledge="{pledge}"', html.index('id="pledges"'))
    return html[start:html.index("</tr>", start)]


def _cell(row: str, css_class: str) -> str:
    found = re.search(rf'class="[^"]*\b{css_class}\b[^"]*">([^<]*)<', row)
    assert found, (css_class, row)
    return unescape(found.group(1)).strip()


def _by_id(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert found, (element_id, html[:2000])
    return unescape(found.group(1)).strip()


def _yuan(text: str) -> str:
    """"¥1,234.50" -> "1234.50"."""
    return text.removeprefix("¥").replace(",", "")


def _token(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _history(html: str, pledge: str, what: str) -> int:
    return html.count(f'class="history {what}" data-pledge="{pledge}"')


def test_lender_sees_each_pledge_valued_now_against_its_loan_and_no_one_elses(
        sqlite_service: Service) -> None:
    clients = _program(sqlite_service)
    page = sqlite_service.signed_in("/lender", sqlite_service.new_key("lender", "b1"))
    html = page.get("/lender", params={"lang": "en"}).text
    assert '<span id="lender-name">城商行</span>' in html
    api = clients["b1"].get("/v1/lenders/b1/pledges").json()["data"]
    assert {pledge["id"] for pledge in api} == {"pl1", "pl2"}
    assert 'data-pledge="pl3"' not in html and LENDERS["b2"] not in html
    pool = clients["admin"].get("/v1/pool").json()
    for pledge in api:
        collateral = pledge["collateral"]
        row = _row(html, pledge["id"])
        assert _cell(row, "collateral-points") == collateral["points"]
        assert _yuan(_cell(row, "collateral-value")) == collateral["value"]
        assert _yuan(_cell(row, "loan")) == pledge["loan"]
        assert _yuan(_cell(row, "outstanding")) == collateral["outstanding"]
        # The value is the points' at today's price (the price is truncated to 6 decimals,
        # the value to the fen: they differ by less than a fen plus a millionth a point).
        at_price = Decimal(collateral["points"]) * Decimal(pool["price"])
        assert abs(Decimal(collateral["value"]) - at_price) <= (
            Decimal("0.01") + Decimal(collateral["points"]) / 1_000_000)
        # Coverage: the value over what the loan still owes, one decimal, truncated.
        value_fen = int(Decimal(collateral["value"]) * 100)
        outstanding_fen = int(Decimal(collateral["outstanding"]) * 100)
        permille = value_fen * 1000 // outstanding_fen
        assert _cell(row, "coverage") == f"{permille // 10}.{permille % 10}%"
        # The engine's own plan values it the same (what a seizure would redeem).
        preview = clients["b1"].post(f"/v1/pledges/{pledge['id']}/seize:preview")
        assert preview.status_code == 200, preview.text
        assert preview.json()["value"] == collateral["value"]
    # pl2's ¥500 loan is far from covered: marked; pl1's is covered many times: not.
    assert 'coverage short"' in _row(html, "pl2") and "short" not in _row(html, "pl1")
    assert [p["collateral"]["covered"] for p in sorted(api, key=lambda p: p["id"])] == [
        True, False]
    active_total = sum(Decimal(p["collateral"]["value"]) for p in api)
    assert _yuan(_by_id(html, "collateral-total")) == f"{active_total:.2f}"
    assert _yuan(_by_id(html, "outstanding-total")) == "501.00"
    # The cash card is still there.
    assert 'id="cash"' in html and 'id="cash-owed"' in html


def test_a_release_is_previewed_confirmed_and_written_once(sqlite_service: Service) -> None:
    clients = _program(sqlite_service)
    page = sqlite_service.signed_in("/lender", sqlite_service.new_key("lender", "b1"))
    before = clients["b1"].get("/v1/pledges/pl1").json()
    preview = page.post("/lender/release", params={"lang": "zh"}, data={"pledge": "pl1"})
    assert preview.status_code == 200, preview.text
    assert _by_id(preview.text, "preview-points") == before["collateral"]["points"]
    assert _yuan(_by_id(preview.text, "preview-value")) == before["collateral"]["value"]
    assert CATALOGUE["lender_release_note"]["zh"] in preview.text
    # Previewing changed nothing.
    assert clients["b1"].get("/v1/pledges/pl1").json()["status"] == "active"
    token = _token(preview.text)
    answers = [page.post("/lender/release", data={"pledge": "pl1", "step": "confirm",
                                                  "token": token}) for _ in range(2)]
    for answer in answers:  # a double submit: the second is the first's answer again
        assert answer.status_code == 200, answer.text
        assert 'id="done"' in answer.text and 'id="refused"' not in answer.text
    assert clients["b1"].get("/v1/pledges/pl1").json()["status"] == "released"
    html = page.get("/lender").text
    assert _history(html, "pl1", "lender_event_released") == 1
    assert "pledge_released" in clients["admin"].get(
        f"/v1/entries/{_released_entry(html)}").text
    # The points are the member's again: no lot of u1's is pledged to pl1.
    lots = clients["admin"].get("/v1/members/u1").json()["lots"]
    assert all(lot["pledge"] != "pl1" for lot in lots)


def _released_entry(html: str) -> int:
    row = html[html.index('class="history lender_event_released"'):]
    found = re.search(r'href="/entry/(\d+)"', row)
    assert found
    return int(found.group(1))


def test_a_seizure_refused_shows_the_engines_reason_and_changes_nothing(
        sqlite_service: Service) -> None:
    clients = _program(sqlite_service)
    b1 = clients["b1"]
    assert b1.post("/v1/pledges/pl1/release").status_code == 201
    page = sqlite_service.signed_in("/lender", sqlite_service.new_key("lender", "b1"))
    pool = clients["admin"].get("/v1/pool").json()
    received = clients["admin"].get("/v1/lenders/b1").json()
    for language in ("zh", "en"):
        preview = page.post("/lender/seize", params={"lang": language}, data={"pledge": "pl1"})
        assert preview.status_code == 200
        assert 'id="refused"' in preview.text and 'id="confirm"' not in preview.text
        assert _by_id(preview.text, "reason") == CATALOGUE_ERROR("pledge_closed", language)
        assert _by_id(preview.text, "engine-message") == "pledge 'pl1' is released"
    # Sent anyway (a stale form): refused by the engine with the same reason.
    sent = page.post("/lender/seize", data={"pledge": "pl1", "step": "confirm",
                                            "token": "stale"})
    assert 'id="refused"' in sent.text and "(pledge_closed" in sent.text
    assert clients["admin"].get("/v1/pool").json() == pool
    assert clients["admin"].get("/v1/lenders/b1").json() == received
    assert b1.get("/v1/pledges/pl1").json()["status"] == "released"
    # The API refuses it the same way.
    api = b1.post("/v1/pledges/pl1/seize:preview")
    assert api.status_code >= 400 and api.json()["error"] == "pledge_closed"


def CATALOGUE_ERROR(code: str, language: str) -> str:  # noqa: N802 - reads as a table
    from profitpool.web.errors_i18n import message

    return message(code, language)


def test_another_lenders_pledge_cannot_be_released_or_seized_from_the_portal(
        sqlite_service: Service) -> None:
    clients = _program(sqlite_service)
    page = sqlite_service.signed_in("/lender", sqlite_service.new_key("lender", "b1"))
    pool = clients["admin"].get("/v1/pool").json()
    for action in ("release", "seize"):
        for step in ("preview", "confirm"):
            answer = page.post(f"/lender/{action}", params={"lang": "en"},
                               data={"pledge": "pl3", "step": step, "token": f"t-{action}"})
            assert answer.status_code == 404
            assert "(unknown_pledge" in answer.text and 'id="done"' not in answer.text
    assert clients["b2"].get("/v1/pledges/pl3").json()["status"] == "active"
    assert clients["admin"].get("/v1/pool").json() == pool


def test_a_seizure_pays_the_lender_what_the_preview_said_once(sqlite_service: Service) -> None:
    clients = _program(sqlite_service)
    page = sqlite_service.signed_in("/lender", sqlite_service.new_key("lender", "b1"))
    api_preview = clients["b1"].post("/v1/pledges/pl2/seize:preview").json()
    preview = page.post("/lender/seize", params={"lang": "en"}, data={"pledge": "pl2"})
    for name, element in (("value", "preview-value"), ("paid", "preview-paid"),
                          ("to_lender", "preview-to-lender"),
                          ("to_member", "preview-to-member"),
                          ("stays_in_pool", "preview-stays")):
        assert _yuan(_by_id(preview.text, element)) == api_preview[name]
    # The loan (¥500) is more than the points fetch: all that is paid goes to the lender.
    assert api_preview["to_lender"] == api_preview["paid"] and api_preview["to_member"] == "0.00"
    token = _token(preview.text)
    for _ in range(2):
        done = page.post("/lender/seize", data={"pledge": "pl2", "step": "confirm",
                                                "token": token})
        assert 'id="done"' in done.text, done.text
    assert clients["b1"].get("/v1/pledges/pl2").json()["status"] == "seized"
    lender = clients["admin"].get("/v1/lenders/b1").json()
    assert lender["received"] == api_preview["to_lender"]
    html = page.get("/lender").text
    assert _history(html, "pl2", "lender_event_seized") == 1
    assert _yuan(_by_id(html, "cash-owed")) == api_preview["to_lender"]


def test_lender_pages_fit_a_phone_and_a_laptop_in_both_languages(
        sqlite_service: Service, browser: Any) -> None:
    """The portal and both previews at 390 and 1366 px in both languages; then, on a phone,
    a release and a seizure confirmed (each once) and a refused seizure."""
    clients = _program(sqlite_service)
    key = sqlite_service.new_key("lender", "b1")
    phone = WIDTHS[0][0]

    def signed_in_page(width: int, height: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(f"{sqlite_service.url}/lender")
        if width == phone:
            assert_fits(page)
            screenshot(page, f"lender-signin-zh-{width}")
        page.fill("#key", key)
        page.click("#sign-in")
        page.wait_for_selector("#pledges")
        return context, page

    for width, height in WIDTHS:
        context, page = signed_in_page(width, height)
        for language in ("zh", "en"):
            for step in ("portal", "seize", "release"):
                page.goto(f"{sqlite_service.url}/lender?lang={language}")
                if step != "portal":
                    page.click(f'tr[data-pledge="{"pl2" if step == "seize" else "pl1"}"] '
                               f"button.{step}")
                    page.wait_for_selector("#preview")
                if width == phone:
                    assert_fits(page)
                screenshot(page, f"lender-{step}-{language}-{width}")
        context.close()
    # Nothing was confirmed yet: previews change nothing.
    assert [clients["b1"].get(f"/v1/pledges/{pledge}").json()["status"]
            for pledge in ("pl1", "pl2")] == ["active", "active"]
    context, page = signed_in_page(*WIDTHS[0])
    for pledge, step in (("pl1", "release"), ("pl2", "seize")):
        page.goto(f"{sqlite_service.url}/lender?lang=zh")
        page.click(f'tr[data-pledge="{pledge}"] button.{step}')
        page.click("#confirm")
        page.wait_for_selector("#done")
        assert_fits(page)
        screenshot(page, f"lender-{step}-done-zh-{phone}")
    page.goto(f"{sqlite_service.url}/lender?lang=zh")
    assert page.locator('tr[data-pledge="pl2"] button.seize').count() == 0
    assert_fits(page)
    screenshot(page, f"lender-portal-after-zh-{phone}")
    context.close()
    assert clients["b1"].get("/v1/pledges/pl1").json()["status"] == "released"
    assert clients["b1"].get("/v1/pledges/pl2").json()["status"] == "seized"
    # A seizure of what is closed (a stale page): refused with the reason, at both widths.
    for width, height in WIDTHS:
        context, page = signed_in_page(width, height)
        for language in ("zh", "en"):
            page.goto(f"{sqlite_service.url}/lender?lang={language}")
            page.evaluate("""() => {
              const form = document.createElement('form');
              form.method = 'post'; form.action = '/lender/seize';
              const field = document.createElement('input');
              field.type = 'hidden'; field.name = 'pledge'; field.value = 'pl2';
              form.appendChild(field); document.body.appendChild(form); form.submit();
            }""")
            page.wait_for_selector("#refused")
            assert "pledge_closed" in page.inner_text("#refused")
            if width == phone:
                assert_fits(page)
            screenshot(page, f"lender-refused-{language}-{width}")
        context.close()
    history = sqlite_service.signed_in("/lender", key).get("/lender").text
    assert _history(history, "pl2", "lender_event_seized") == 1
    assert _history(history, "pl1", "lender_event_released") == 1


# the auditor -----------------------------------------------------------------------------
def _witness_helpers() -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "witness"))
    import witnesshelpers

    return witnesshelpers


@pytest.fixture
def audited(tmp_path: Path) -> Iterator[tuple[Service, Any, Any]]:
    """A service that anchors on an in-process chain and asks one witness to cosign, with
    a few orders, a month disclosed; (service, chain, witness)."""
    devchain = pytest.importorskip("profitpool.anchor.devchain")
    helpers = _witness_helpers()
    db, key = f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key"
    initialise(db, key, None)
    engine = connect(db)
    verifier_key = LogStore(engine).meta()["verifier_key"]
    engine.dispose()
    chain = devchain.DevChain()
    eth_key = tmp_path / "publisher.eth"
    eth_key.write_text(chain.funded_key()[0])
    eth_key.chmod(0o600)
    deployed = CliRunner().invoke(main, ["anchor", "deploy", "--db", db, "--rpc", chain.url,
                                         "--eth-key", str(eth_key)])
    assert deployed.exit_code == 0, deployed.output
    witness = helpers.RunningWitness(helpers.fixed_cosigner("witness.example/w1"),
                                     [verifier_key], tmp_path / "w1.db").start()
    service = Service(db, key, options={
        "anchor_rpc": chain.url, "anchor_eth_key": eth_key, "anchor_every_blocks": 1,
        "anchor_every_minutes": 0, "anchor_poll_seconds": 0.05,
        "anchor_max_backoff_seconds": 0.2,
        "witnesses": [f"{witness.url} {witness.cosigner.verifier.key_string()}"]}).setup()
    try:
        shop = service.merchant("m1")
        for number in range(3):
            assert shop.post("/v1/orders", json={"id": f"o{number}", "member": f"u{number}",
                                                 "amount": "100.00", "profit": "20.00"}
                             ).status_code == 201
        service.clock.advance(40 * 86_400)
        assert service.admin().post("/v1/disclosures/2026-03").status_code == 201
        public = service.client()
        size = int(public.get("/checkpoint").text.split("\n")[1])
        wait_for(lambda: public.get("/v1/anchors").json()["data"]
                 and public.get("/v1/anchors").json()["data"][0]["tree_size"] == size)
        wait_for(lambda: public.get("/v1/witnesses").json()["data"][0][
            "cosigned_tree_size"] == size)
        yield service, chain, witness
    finally:
        service.stop()
        witness.stop()
        chain.close()


def test_only_an_auditor_key_opens_the_auditor_page(sqlite_service: Service) -> None:
    sqlite_service.merchant("m1")
    assert sqlite_service.admin().post("/v1/lenders", json={"id": "b1"}).status_code == 201
    for key in (sqlite_service.admin_key, sqlite_service.new_key("merchant", "m1"),
                sqlite_service.new_key("lender", "b1"), "pp_not_a_key"):
        client = sqlite_service.page_client()
        answer = client.post("/auditor/login", data={"key": key})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/auditor?failed=1"
        assert "pp_auditor_session" not in client.cookies
        assert 'id="login-error"' in client.get("/auditor?failed=1").text
        # No copy of the log for them either: the sign-in page, not a file.
        copy = client.get("/auditor/public-copy")
        assert copy.headers["content-type"].startswith("text/html")
        assert 'action="/auditor/login"' in copy.text
    auditor = sqlite_service.signed_in("/auditor", sqlite_service.new_key("auditor"))
    assert 'id="verify-command"' in auditor.get("/auditor").text


def test_auditor_sees_the_checkpoint_anchors_and_witnesses_and_verifies_the_copy(
        audited: tuple[Service, Any, Any], browser: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    service, chain, witness = audited
    public = service.client()
    checkpoint = public.get("/checkpoint").text
    size = checkpoint.split("\n")[1]
    [anchor] = public.get("/v1/anchors").json()["data"][:1]
    served_key = public.get("/v1/public-key").json()["verifier_key"]
    key = service.new_key("auditor")
    saved = tmp_path / "downloads"
    saved.mkdir()
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      accept_downloads=True)
        page = context.new_page()
        page.goto(f"{service.url}/auditor")
        if width == WIDTHS[0][0]:
            assert_fits(page)
            screenshot(page, f"auditor-signin-zh-{width}")
        page.fill("#key", key)
        page.click("#sign-in")
        page.wait_for_selector("#verify-command")
        for language in ("zh", "en"):
            page.goto(f"{service.url}/auditor?lang={language}")
            if width == WIDTHS[0][0]:
                assert_fits(page)
            screenshot(page, f"auditor-status-{language}-{width}")
            assert page.inner_text("#tree-size") == size
            assert page.inner_text("#checkpoint").strip() == checkpoint.strip()
            assert page.inner_text("#anchored-size") == str(anchor["tree_size"])
            assert anchor["transaction"] in page.inner_text("#anchors")
            row = page.locator('tr.witness[data-witness="witness.example/w1"]')
            assert row.locator(".cosigned").inner_text() == size
            assert row.locator(".behind").inner_text() == "0"
            assert witness.cosigner.verifier.key_string() in row.inner_text()
            assert page.locator('tr.month[data-period="2026-03"]').count() == 1
        command = page.inner_text("#verify-command").strip()
        with page.expect_download() as download:
            page.click("#download")
        target = saved / str(width) / download.value.suggested_filename
        target.parent.mkdir()
        download.value.save_as(target)
        context.close()
        # The command as shown, run where the file was saved, checks the copy.
        words = shlex.split(command)
        assert words[0] == "profitpool"
        assert words[words.index("--public-key") + 1] == served_key
        monkeypatch.chdir(target.parent)
        verified = CliRunner().invoke(main, words[1:])
        assert verified.exit_code == 0, verified.output
        assert verified.output.startswith("OK"), verified.output
        # ... and it checks the anchors on the chain and the witness's cosignature too.
        deeper = CliRunner().invoke(main, [*words[1:], "--rpc", chain.url, "--witness-key",
                                           witness.cosigner.verifier.key_string()])
        assert deeper.exit_code == 0, deeper.output
    # What the copy holds: no key, session or secret of the service's.
    copy = connect(f"sqlite:///{saved / str(WIDTHS[0][0]) / 'profitpool-public.db'}")
    try:
        with copy.connect() as connection:
            for table in ("api_keys", "sessions", "program_secrets", "member_links"):
                count = connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                assert count == 0, table
    finally:
        copy.dispose()


def test_a_tampered_copy_fails_the_command_shown(sqlite_service: Service,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The command is a real check: the same command on a copy whose entry was altered
    fails, so the test above cannot pass by a command that checks nothing."""
    shop = sqlite_service.merchant("m1")
    assert shop.post("/v1/orders", json={"id": "o1", "member": "u1", "amount": "100.00",
                                         "profit": "20.00"}).status_code == 201
    auditor = sqlite_service.signed_in("/auditor", sqlite_service.new_key("auditor"))
    command = unescape(_by_id(auditor.get("/auditor").text, "verify-command"))
    answer = auditor.get("/auditor/public-copy")
    assert answer.status_code == 200
    assert 'filename="profitpool-public.db"' in answer.headers["content-disposition"]
    (tmp_path / "profitpool-public.db").write_bytes(answer.content)
    monkeypatch.chdir(tmp_path)
    words = shlex.split(command)
    assert CliRunner().invoke(main, words[1:]).exit_code == 0
    engine = connect(f"sqlite:///{tmp_path / 'profitpool-public.db'}")
    try:
        with engine.begin() as connection:
            [(index, data)] = [row for row in connection.execute(select(entries))
                               if b'"100.00"' in bytes(row.data)]
            connection.execute(update(entries).where(entries.c.idx == index).values(
                data=bytes(data).replace(b'"100.00"', b'"900.00"')))
    finally:
        engine.dispose()
    tampered = CliRunner().invoke(main, words[1:])
    assert tampered.exit_code == 1, tampered.output
