"""The explorer's pages as people use them (issue 19): charts over time, entries told in
words, blocks paged, /verify whose printed commands verify the served log, the public copy,
a pasted key in the browser's check, and proof-of-liabilities results in Chinese and yuan.

Each page is opened in Debian's chromium (tests/browsers.py) at a phone's and a laptop's
width, in both languages, laid out without a sideways scroll, text under 12 px or a number
broken across lines at 390 px, and kept as a screenshot."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from servicehelpers import Service, wait_for
from test_public_copy import build, secrets_of

from browsers import WIDTHS, assert_fits, chromium, screenshot
from profitpool.log.setup import initialise
from profitpool.store.database import connect
from profitpool.times import display_time, parse_time
from profitpool.web.charts import (
    DAY,
    HOUR,
    NARROW,
    Series,
    time_chart,
    time_ticks,
    value_axis,
)
from profitpool.web.i18n import CATALOGUE
from profitpool.web.labels import OPS

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("zh", "en")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def look(browser: Any, url: str, name: str, check: Any = None) -> None:
    """Open ``url`` at both widths in both languages: it fits a phone, and is kept as a
    screenshot ``<name>-<lang>-<width>``; ``check(page, lang, width)`` runs on each."""
    for lang in LANGUAGES:
        for width, height in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": height})
            try:
                separator = "&" if "?" in url else "?"
                answer = page.goto(f"{url}{separator}lang={lang}")
                assert answer is not None and answer.ok, url
                if width == 390:
                    assert_fits(page)
                if check is not None:
                    check(page, lang, width)
                screenshot(page, f"{name}-{lang}-{width}")
            finally:
                page.close()


def entry_index(response: Any) -> int:
    assert response.status_code in (200, 201), response.text
    return int(response.json()["entry"]["index"])


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A program with one entry of each kind people meet most, over several days; its log
    is `explorer-test.db`, not the default name, so /verify cannot get away with naming
    profitpool.db."""
    tmp = tmp_path_factory.mktemp("explorer-pages")
    service = Service(f"sqlite:///{tmp / 'explorer-test.db'}", tmp / "op.key").setup()
    try:
        admin = service.admin()
        made: dict[str, int] = {}
        made["merchant"] = entry_index(admin.post("/v1/merchants", json={
            "id": "fresh", "name": "鲜到家生鲜", "industry": "生鲜电商"}))
        shop = service.client(service.new_key("merchant", "fresh"))
        made["lender"] = entry_index(admin.post("/v1/lenders", json={
            "id": "bank", "name": "城市商业银行"}))
        made["order"] = entry_index(shop.post("/v1/orders", json={
            "id": "o1", "member": "u1", "amount": "100.00", "profit": "20.00"}))
        for day in range(1, 6):
            service.clock.advance(DAY // 1_000_000)
            orders = [{"id": f"d{day}-{n}", "member": f"u{n % 4 + 1}", "amount": "80.00",
                       "profit": f"{10 + day}.00"} for n in range(6)]
            assert shop.post("/v1/orders:batch", json={"orders": orders}).status_code == 200
        u1 = service.member("u1")
        made["withdraw"] = entry_index(u1.post("/v1/members/u1/withdrawals",
                                               json={"points": "10"}))
        u2 = service.member("u2")
        made["pay"] = entry_index(u2.post("/v1/members/u2/payments",
                                          json={"merchant": "fresh", "points": "5"}))
        made["pledge"] = entry_index(u2.post("/v1/members/u2/pledges", json={
            "id": "pl1", "lender": "bank", "points": "3", "loan": "1.00"}))
        made["burn"] = entry_index(admin.post("/v1/burns", json={"period": "2026-03"}))
        made["rules"] = entry_index(admin.patch("/v1/rules", json={"settle_days": 3}))
        made["pending"] = entry_index(shop.post("/v1/orders", json={
            "id": "late", "member": "u3", "amount": "50.00", "profit": "5.00"}))
        made["refund"] = entry_index(shop.post("/v1/orders/late/refund"))
        # one block of many entries, to page through
        many = [{"id": f"m{n}", "member": f"u{n % 7 + 10}", "amount": "10.00",
                 "profit": "1.00"} for n in range(230)]
        assert shop.post("/v1/orders:batch", json={"orders": many}).status_code == 200
        yield {"service": service, "made": made, "tmp": tmp}
    finally:
        service.stop()


# --- charts ---------------------------------------------------------------------------------

def test_time_ticks_fall_on_round_moments_in_shanghai_time() -> None:
    start = parse_time("2026-07-01T00:12:53+08:00")
    months = time_ticks(start, parse_time("2026-12-08T21:31:00+08:00"), 6)
    assert [text for _, text in months] == ["2026-08", "2026-09", "2026-10", "2026-11",
                                            "2026-12"]
    assert months[0][0] == parse_time("2026-08-01T00:00:00+08:00")
    hours = time_ticks(start, start + 3 * HOUR, 6)
    assert [text for _, text in hours] == ["00:30", "01:00", "01:30", "02:00", "02:30",
                                           "03:00"]
    days = time_ticks(start, start + 4 * DAY, 6)
    assert [text for _, text in days] == ["07-02", "07-03", "07-04", "07-05"]
    assert time_ticks(start, start, 3) == [(start, "2026-07-01 00:12")]
    assert display_time(start) == "2026-07-01 00:12"


def test_the_value_axis_starts_at_zero_when_values_are_near_it_and_says_so_otherwise() -> None:
    assert value_axis(0, 569_150, 5) == (0, 600_000, 200_000)
    assert value_axis(250_000, 569_150, 5)[0] == 0  # the lowest is under half the highest
    base, top, step = value_axis(540_000, 569_150, 5)
    assert base == 540_000 and top >= 569_150 and step == 10_000
    far = time_chart([Series("p", "#000", [541_256, 569_150])], [0, DAY], prefix="¥")
    assert far["zero_based"] is False and far["base_text"] == "¥0.54"
    near = time_chart([Series("p", "#000", [100, 569_150])], [0, DAY], prefix="¥")
    assert near["zero_based"] is True


def test_the_charts_have_a_time_axis_gridlines_and_labels_a_phone_can_read(
        browser: Any, program: dict[str, Any]) -> None:
    service: Service = program["service"]
    pool = service.client().get("/v1/pool").json()

    def check(page: Any, lang: str, width: int) -> None:
        shown = "narrow" if width < 760 else "wide"
        chart = "#chart" if shown == "wide" else "#chart-narrow"
        assert page.locator(chart).is_visible()
        labels = page.locator(f"{chart} .x-labels text").all_text_contents()
        assert len(labels) >= 2
        assert all(re.fullmatch(r"(\d{4}-\d\d|\d\d-\d\d|\d\d:\d\d|\d\d-\d\d \d\d:\d\d)", text)
                   for text in labels), labels
        assert page.locator(f"{chart} .grid line").count() >= 4
        assert page.locator(f"{chart} .y-labels text").count() >= 2
        # the labels as drawn: the SVG scales them with its width
        drawn = page.evaluate(f"""() => {{
            const svg = document.querySelector('{chart}');
            const text = svg.querySelector('.x-labels text');
            return text.getBoundingClientRect().height;
        }}""")
        assert drawn >= 12, drawn
        # the span of the chart, to the minute, and the price's last value in the legend
        span = page.text_content("#chart-figure .chart-span")
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d – \d{4}-\d\d-\d\d \d\d:\d\d", span)
        assert f"¥{pool['price']}" in page.text_content("#chart-figure .legend")
        # the burn note beside the price
        assert page.text_content(".price-card #burn-note") == CATALOGUE["burn_note"][lang]
        assert page.locator("#docs-link").get_attribute("href") == "/docs"

    look(browser, f"{service.url}/", "explorer-home", check)
    assert NARROW.font * 358 // NARROW.width >= 12  # the narrow drawing on a 390-px phone


def test_the_favicon_is_served_and_linked(program: dict[str, Any]) -> None:
    client = program["service"].client()
    page = client.get("/")
    assert '<link rel="icon" href="/static/favicon.svg"' in page.text
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.text.startswith("<svg")


# --- entries --------------------------------------------------------------------------------

def test_an_order_s_entry_says_in_words_what_it_did_then_shows_the_json(
        program: dict[str, Any]) -> None:
    service: Service = program["service"]
    client = service.client()
    index = program["made"]["order"]
    recorded = client.get(f"/v1/entries/{index}").json()["entry"]
    effects = {effect["type"]: effect for effect in recorded["effects"]}
    member = effects["order_placed"]["member"]
    points = effects["points_minted"]["points"].rstrip("0").rstrip(".")
    page = client.get(f"/entry/{index}")
    story = re.sub(r"<[^>]+>", "", re.search(r'<div id="story">(.*?)</div>', page.text,
                                              re.S).group(1))
    assert (f"会员 {member[:10]}… 在 鲜到家生鲜 消费 ¥100.00，获得 {points} 积分，"
            f"收益池增加 ¥{effects['order_settled']['injection']}。") in story
    assert f'href="/member?p={member}"' in page.text
    english = client.get(f"/entry/{index}", params={"lang": "en"}).text
    assert f"earned <span class=\"num\">{points}</span> points" in english
    # the JSON: pretty, and Chinese as itself
    registered = client.get(f"/entry/{program['made']['merchant']}").text
    assert "鲜到家生鲜" in re.search(r'<pre id="command">(.*?)</pre>', registered, re.S).group(1)
    assert "\\u9c9c" not in registered
    assert '\n  "op": "merchant"' in registered.replace("&#34;", '"')
    # block, neighbours
    block = client.get(f"/v1/entries/{index}").json()
    assert f'href="/entry/{index - 1}"' in page.text and f'href="/entry/{index + 1}"' in page.text
    height = re.search(r'href="/block/(\d+)" id="entry-block"', page.text).group(1)
    header = client.get(f"/v1/blocks/{height}").json()
    assert header["first_index"] <= index < header["first_index"] + header["count"], block
    newest = client.get("/v1/pool").json()["tree_size"] - 1
    last = client.get(f"/entry/{newest}").text
    assert 'id="next-entry"' not in last and 'id="newest-entry"' in last


@pytest.mark.parametrize(("kind", "words"), [
    ("withdraw", {"zh": "提现", "en": "cashed out"}),
    ("pay", {"zh": "抵现", "en": "paid"}),
    ("pledge", {"zh": "质押给 城市商业银行", "en": "pledged"}),
    ("burn", {"zh": "月度销毁", "en": "Monthly burn"}),
    ("rules", {"zh": "修改规则", "en": "changed the rules"}),
    ("pending", {"zh": "退款期到", "en": "refund window ends"}),
    ("refund", {"zh": "退款 ¥50.00", "en": "refunded ¥50.00"}),
    ("lender", {"zh": "登记贷款机构 城市商业银行", "en": "Lender 城市商业银行 registered"}),
])
def test_each_kind_of_entry_is_told_in_both_languages(
        program: dict[str, Any], kind: str, words: dict[str, str]) -> None:
    client = program["service"].client()
    index = program["made"][kind]
    op = client.get(f"/v1/entries/{index}").json()["entry"]["command"]["op"]
    for lang in LANGUAGES:
        page = client.get(f"/entry/{index}", params={"lang": lang}).text
        story = re.sub(r"<[^>]+>", "", re.search(r'<div id="story">(.*?)</div>', page,
                                                  re.S).group(1))
        assert words[lang] in story, (kind, lang, story)
        assert OPS[op][lang] in page  # the command by its name, in the heading


def test_entry_pages_fit_a_phone_in_both_languages(browser: Any,
                                                   program: dict[str, Any]) -> None:
    service: Service = program["service"]
    for kind in ("order", "withdraw", "pay", "burn", "rules", "refund"):
        index = program["made"][kind]

        def check(page: Any, lang: str, width: int) -> None:
            assert page.locator("#story .story").count() >= 1
            assert page.locator("#entry-block").count() == 1

        look(browser, f"{service.url}/entry/{index}", f"explorer-entry-{kind}", check)


def test_the_in_browser_check_takes_a_pasted_key_and_a_wrong_one_fails(
        browser: Any, program: dict[str, Any], tmp_path: Path) -> None:
    service: Service = program["service"]
    served = service.client().get("/v1/public-key").json()["verifier_key"]
    initialise(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other.key", None)
    engine = connect(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        with engine.connect() as connection:
            other = connection.exec_driver_sql(
                "SELECT value FROM log_meta WHERE key = 'verifier_key'").scalar_one()
    finally:
        engine.dispose()
    assert other != served
    name, key_id, key = served.split("+", 2)
    forged = f"{name}+{key_id}+{key[:10]}{'A' if key[10] != 'A' else 'B'}{key[11:]}"
    page = browser.new_page(viewport={"width": 390, "height": 844})
    index = program["made"]["pay"]
    page.goto(f"{service.url}/entry/{index}")  # Chinese
    for key_text, ok, said in ((served, True, "entry_key_pasted"),
                               (other, False, "verify_error_other_key"),
                               (forged, False, "verify_error_signature"),
                               ("", True, "entry_key_served"),
                               ("nonsense", False, "verify_error_key")):
        page.evaluate("() => { document.getElementById('verify-result').textContent = ''; }")
        page.fill("#published-key", key_text)
        page.click("#verify")
        page.wait_for_selector("#verify-result:not(:empty)")
        result = page.text_content("#verify-result")
        assert result.startswith(CATALOGUE["verify_ok" if ok else "verify_failed"]["zh"]), \
            result
        assert CATALOGUE[said]["zh"] in result, result
        assert page.get_attribute("#verify-result", "class") == ("ok" if ok else "failed")
        if key_text == other:
            assert_fits(page)
            screenshot(page, "explorer-entry-wrong-key-zh-390")


# --- blocks ---------------------------------------------------------------------------------

def test_a_block_pages_its_entries_and_links_its_neighbours(
        browser: Any, program: dict[str, Any]) -> None:
    service: Service = program["service"]
    client = service.client()
    blocks = client.get("/v1/blocks", params={"limit": 100}).json()["data"]
    newest = blocks[0]
    big = next(block for block in blocks if block["count"] > 200)
    page = client.get(f"/block/{big['height']}").text
    listed = re.findall(r'<a href="/entry/(\d+)">', page)
    assert [int(index) for index in listed] == list(range(big["first_index"],
                                                          big["first_index"] + 100))
    assert f'href="/block/{big["height"]}?start=100" id="later-entries"' in page
    assert 'id="earlier-entries"' not in page
    last_page = client.get(f"/block/{big['height']}", params={"start": 200}).text
    listed = [int(index) for index in re.findall(r'<a href="/entry/(\d+)">', last_page)]
    assert listed == list(range(big["first_index"] + 200, big["first_index"] + big["count"]))
    assert 'id="later-entries"' not in last_page and 'id="earlier-entries"' in last_page
    # the newest block: "← previous", and no dead "next"
    newest_page = client.get(f"/block/{newest['height']}").text
    assert f'href="/block/{newest["height"] - 1}" id="previous-block"' in newest_page
    assert 'id="next-block"' not in newest_page and 'id="newest-block"' in newest_page
    first = client.get("/block/1").text
    assert 'id="previous-block"' not in first and 'href="/block/2" id="next-block"' in first
    for entry_op in re.findall(r'data-label="[^"]+">([^<]+)</td></tr>', first):
        assert entry_op in {names["zh"] for names in OPS.values()}  # translated, not `op`

    def check(page: Any, lang: str, width: int) -> None:
        assert page.locator("#block-entries a").count() == 100
        assert page.text_content("#previous-block") == CATALOGUE["block_previous"][lang]

    look(browser, f"{service.url}/block/{big['height']}", "explorer-block", check)


# --- /verify and the public copy ------------------------------------------------------------

def test_the_verify_page_s_commands_verify_the_served_log_as_printed(
        browser: Any, program: dict[str, Any], tmp_path: Path) -> None:
    service: Service = program["service"]
    texts: dict[str, str] = {}

    def check(page: Any, lang: str, width: int) -> None:
        for name in ("install-command", "download-command", "verify-command"):
            texts[name] = page.text_content(f"#{name}")
        assert page.get_attribute("#public-copy", "href") == "/public-copy.db"

    look(browser, f"{service.url}/verify", "explorer-verify", check)
    install = texts["install-command"]
    assert "git clone" in install and "pip install -c constraints.txt ." in install
    assert "pip install profitpool" not in install
    assert "profitpool.db" not in texts["verify-command"].replace("public-copy.db", "")
    # Run them as printed, in an empty folder, with the CLI (curl, then profitpool).
    folder = tmp_path / "auditor"
    folder.mkdir()
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"),
                   "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for name in ("download-command", "verify-command"):
        command = texts[name]
        assert shlex.split(command)[0] in ("curl", "profitpool")
        done = subprocess.run(command, shell=True, cwd=folder, env=environment,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert done.stdout.startswith("OK: "), done.stdout
    tree_size = service.client().get("/v1/pool").json()["tree_size"]
    assert f", {tree_size:,} entries" in done.stdout or f", {tree_size} entries" in \
        done.stdout, done.stdout


def test_the_public_copy_download_verifies_and_holds_no_secret(
        sqlite_service: Service, tmp_path: Path) -> None:
    made = build(sqlite_service)
    client = sqlite_service.client()
    answer = client.get("/public-copy.db")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="public-copy.db"'
    copy = tmp_path / "public-copy.db"
    copy.write_bytes(answer.content)
    key = client.get("/v1/public-key").json()["verifier_key"]
    done = subprocess.run([sys.executable, "-m", "profitpool.cli", "verify", "--db",
                           f"sqlite:///{copy}", "--public-key", key],
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("OK: "), done.stderr
    source = connect(sqlite_service.db)
    try:
        secrets = secrets_of(source, made)
    finally:
        source.dispose()
    assert [name for name, secret in secrets.items() if secret in answer.content] == []
    # a second download soon after is the same copy (made once, not on every request)
    assert client.get("/public-copy.db").content == answer.content


# --- proof of liabilities -------------------------------------------------------------------

def test_a_proof_of_liabilities_check_says_its_result_in_chinese_and_yuan(
        browser: Any, tmp_path: Path) -> None:
    service = Service(f"sqlite:///{tmp_path / 'pol.db'}", tmp_path / "op.key", options={
        "disclose": True, "disclose_poll_seconds": 0.05}).setup()
    try:
        shop = service.merchant("m1")
        orders = [{"id": f"o{i}", "member": f"u{i % 3}", "amount": "100.00",
                   "profit": "20.00"} for i in range(30)]
        assert shop.post("/v1/orders:batch", json={"orders": orders}).status_code == 200
        service.clock.advance(40 * 86_400)
        public = service.client()
        month = wait_for(lambda: (body := public.get("/v1/disclosures").json())["count"]
                         and body["data"][0]["entry"] is not None and body["data"][0])
        member = service.member("u1")
        proof = member.get(f"/v1/members/u1/pol/{month['period']}")
        assert proof.status_code == 200, proof.text
        held = proof.json()
        parts_fen = sum(int(part["value_fen"]) for part in held["parts"])
        yuan = f"¥{parts_fen // 100:,}.{parts_fen % 100:02d}"
        for width, height in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{service.url}/disclosures")
            page.fill("#pol-root", month["pol_root"])
            page.fill("#pol-proof", proof.text)
            page.click("#pol-run")
            page.wait_for_selector("#pol-result:not(:empty)")
            said = page.text_content("#pol-result")
            assert said == CATALOGUE["pol_ok"]["zh"].format(amount=yuan,
                                                             period=month["period"]), said
            assert "OK" not in said
            page.fill("#pol-root", "0" * 64)
            page.click("#pol-run")
            page.wait_for_selector("#pol-result.shortfall")
            said = page.text_content("#pol-result .pol-verdict")
            assert said == (CATALOGUE["pol_failed"]["zh"] + " "
                            + CATALOGUE["pol_error_expected_root"]["zh"])
            if width == 390:
                assert_fits(page)
            screenshot(page, f"explorer-pol-failed-zh-{width}")
            page.goto(f"{service.url}/disclosures?lang=en")
            page.fill("#pol-proof", proof.text)
            page.click("#pol-run")
            page.wait_for_selector("#pol-result:not(:empty)")
            said = page.text_content("#pol-result")
            assert said.startswith(CATALOGUE["pol_ok"]["en"].format(
                amount=yuan, period=month["period"])), said
            assert CATALOGUE["pol_ok_without_root"]["en"] in said
            screenshot(page, f"explorer-pol-ok-en-{width}")
            page.close()
    finally:
        service.stop()


def test_the_verify_page_names_the_published_source_when_the_operator_gives_it(
        tmp_path: Path) -> None:
    """``serve --source-url`` (PROFITPOOL_SOURCE_URL): /verify says to clone that, not to
    ask; without it, the placeholder and the sentence that says how to fill it in."""
    source = "https://git.example.org/pool/profitpool.git"
    service = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "op.key",
                      options={"source_url": source}).setup()
    try:
        page = service.client().get("/verify").text
        assert f"git clone {source} profitpool" in page and "REPOSITORY" not in page
    finally:
        service.stop()
    unset = Service(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other.key").setup()
    try:
        page = unset.client().get("/verify", params={"lang": "en"}).text
        assert "git clone REPOSITORY profitpool" in page
        assert str(escape(CATALOGUE["verify_repository"]["en"])) in page
    finally:
        unset.stop()
