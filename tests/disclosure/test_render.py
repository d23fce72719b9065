"""The monthly disclosure rendered as a page and as a PDF, from its JSON twin."""

from __future__ import annotations

import copy
import io
import re
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from profitpool.disclosure.render import money, percent, render_html, render_pdf

ROOT = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
CONTRACT = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
TRANSACTION = "0x" + "7e" * 8 + "c0ffee01" * 6
VERIFIER_KEY = "ed25519:Qm9yZ2VzLUxvZ0tleS0yMDI2LTAxLXZlcmlmaWVy"

RULES = {
    "points_per_yuan": "0.21", "pool_share_of_profit": "0.30", "withdraw_payout_rate": "0.80",
    "exit_payout_rate": "0.80", "pay_rate": "1.00", "burn_rate": "0.01", "exit_multiple": "2",
    "withdraw_min_gain": "0.05", "min_hold_days": 7, "daily_withdraw_cap_rate": None,
    "settle_days": 3, "transfers_enabled": False, "max_order_amount": "10000000.00",
    "mint_mode": "fixed", "mint_value_rate": "0.70", "initial_price": "1.00",
    "exit_basis": "cost",
}


def sample() -> dict[str, Any]:
    """A report whose every figure is distinctive, so each can be found in the output."""
    return {
        "period": "2026-01",
        "program": {"origin": "profitpool.local/log", "verifier_key": VERIFIER_KEY},
        "generated_from": {"first_entry": 1017, "last_entry": 2251, "tree_size": 2252,
                           "block": 97},
        "orders": {
            "count": 812, "amount": "81234.57", "profit": "20111.03", "injected": "6033.31",
            "by_merchant": [
                {"merchant": "m1", "name": "生鲜电商", "industry": "fresh food", "orders": 503,
                 "amount": "50321.11", "profit": "12411.13", "injected": "3723.34"},
                {"merchant": "m7", "name": "Kettle & Co <b>", "industry": "kitchenware",
                 "orders": 309, "amount": "30913.46", "profit": "7699.90",
                 "injected": "2309.97"},
            ],
            "by_industry": [
                {"industry": "fresh food", "orders": 503, "amount": "50321.11",
                 "injected": "3723.34"},
                {"industry": "kitchenware", "orders": 309, "amount": "30913.46",
                 "injected": "2309.97"},
            ],
            "refunded": 19,
        },
        "withdrawals": {"count": 41, "value": "1201.45", "paid": "961.16",
                        "kept_in_pool": "240.29"},
        "payments": {"count": 13, "value": "53.27", "paid_to_merchants": "52.81"},
        "exits": {"count": 2, "paid": "1402.60", "to_members": "1302.58", "to_lenders": "100.02"},
        "seizures": {"count": 1, "paid": "77.77", "to_lenders": "70.07", "to_members": "7.70"},
        "burns": [{"period": "2025-12", "at": "2026-01-01T00:00:05+08:00",
                   "index_before": "1.000000000000", "index_after": "0.990000000000"}],
        "pool": {"start": "1100.42", "end": "6013.39", "injected": "6033.31", "paid": "1120.34"},
        "supply": {"start": "21.0000", "end": "16000.1234"},
        "price": {"start": "0.285714", "end": "0.375831"},
        "value_per_point": {"start": "0.285715", "end": "0.372073"},
        "holders": {
            "members": 707, "holding": 653, "top10_share": "0.122500", "top1_share": "0.02",
            "by_size": [
                {"band": "< 1.00", "members": 101, "value": "50.01"},
                {"band": "1.00 – 10.00", "members": 202, "value": "1010.02"},
                {"band": "10.00 – 100.00", "members": 303, "value": "2020.03"},
                {"band": "≥ 100.00", "members": 47, "value": "2933.04"},
            ],
        },
        "rules": {"in_force": dict(RULES),
                  "changes": [{"at": "2026-01-15T10:00:00+08:00",
                               "changes": {"exit_multiple": "2", "min_hold_days": 7}}]},
        "custody": [
            {"id": "c1", "at": "2026-01-10T09:00:00+08:00", "amount": "6000.00",
             "reference": "bank statement 2026-01-A", "pool": "6013.30", "shortfall": "13.30"},
            {"id": "c2", "at": "2026-01-31T23:00:00+08:00", "amount": "6100.00",
             "reference": "bank statement 2026-01-B", "pool": "6013.39", "shortfall": "0.00"},
        ],
        "anchors": [{"number": 3, "tree_size": 1200, "block": 40, "chain_id": 11155111,
                     "contract": CONTRACT, "transaction": TRANSACTION}],
        "proof_of_liabilities": {"root": ROOT, "total": "6013.17", "leaves": 1301,
                                 "members": 653, "pool": "6013.39", "covered": True},
        "notes": {
            "burn": "A burn raises the price per point but changes no holding's value.",
            "no_promise": "Figures are facts; the price per point can fall.",
        },
    }


def no_shortfall() -> dict[str, Any]:
    report = sample()
    for row in report["custody"]:
        row["shortfall"] = "0.00"
    return report


# --- independent formatting (Decimal, not the renderer's code) ------------------------

def cny(text: str) -> str:
    return f"{Decimal(text):,}"


def pct(text: str) -> str:
    return f"{(Decimal(text) * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def expected_figures(report: dict[str, Any]) -> list[str]:
    """Every figure of the report, as the page must print it."""
    orders = report["orders"]
    out = [report["period"], report["program"]["origin"], report["program"]["verifier_key"]]
    out += [str(report["generated_from"][k]) for k in ("first_entry", "last_entry",
                                                       "tree_size", "block")]
    out += [str(orders["count"]), str(orders["refunded"])]
    out += [cny(orders[k]) for k in ("amount", "profit", "injected")]
    for row in orders["by_merchant"]:
        out += [row["merchant"], row["name"], row["industry"], str(row["orders"])]
        out += [cny(row[k]) for k in ("amount", "profit", "injected")]
    for row in orders["by_industry"]:
        out += [row["industry"], str(row["orders"]), cny(row["amount"]), cny(row["injected"])]
    for name in ("withdrawals", "payments", "exits", "seizures"):
        for key, figure in report[name].items():
            out.append(str(figure) if key == "count" else cny(figure))
    for row in report["burns"]:
        out += list(row.values())
    out += [cny(v) for v in report["pool"].values()]
    for name in ("supply", "price", "value_per_point"):
        out += list(report[name].values())
    holders = report["holders"]
    out += [str(holders["members"]), str(holders["holding"]), pct(holders["top10_share"]),
            pct(holders["top1_share"])]
    for row in holders["by_size"]:
        out += [row["band"], str(row["members"]), cny(row["value"])]
    for name, rule in report["rules"]["in_force"].items():
        out.append(name)
        if isinstance(rule, str | int) and not isinstance(rule, bool):
            out.append(str(rule))
    for change in report["rules"]["changes"]:
        out.append(change["at"])
        out += [f"{name} = {value}" for name, value in change["changes"].items()]
    for row in report["custody"]:
        out += [row["id"], row["at"], row["reference"]]
        out += [cny(row[k]) for k in ("amount", "pool", "shortfall")]
    for row in report["anchors"]:
        out += [str(row[k]) for k in ("number", "tree_size", "block", "chain_id")]
        out += [row["contract"], row["transaction"]]
    pol = report["proof_of_liabilities"]
    out += [pol["root"], cny(pol["total"]), str(pol["leaves"]), str(pol["members"]),
            cny(pol["pool"])]
    out += list(report["notes"].values())
    return out


class Page(HTMLParser):
    """The page's visible text, its tags' attributes, its scripts and styles."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.classed: list[tuple[set[str], list[str]]] = []
        self._open: list[tuple[str, list[str]]] = []
        self._raw: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._raw = tag
        if tag in ("td", "p", "span", "th"):
            classes = set((dict(attrs).get("class") or "").split())
            chunks: list[str] = []
            self.classed.append((classes, chunks))
            self._open.append((tag, chunks))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._raw = None
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._raw == "script":
            self.scripts.append(data)
        elif self._raw == "style":
            self.styles.append(data)
        else:
            self.text.append(data)
            for _, chunks in self._open:
                chunks.append(data)

    def visible(self) -> str:
        return " ".join(self.text)

    def texts_with_class(self, name: str) -> list[str]:
        return ["".join(chunks).strip() for classes, chunks in self.classed if name in classes]


@pytest.mark.parametrize(("text", "shown"), [
    ("0.00", "0.00"), ("999.99", "999.99"), ("1000.00", "1,000.00"), ("81234.57", "81,234.57"),
    ("1234567890.12", "1,234,567,890.12"), ("-1234.50", "-1,234.50"), ("12345", "12,345"),
    ("90071992547409931.01", "90,071,992,547,409,931.01"),  # beyond a float's precision
])
def test_money_gets_separators_on_the_string(text: str, shown: str) -> None:
    assert money(text) == shown


@pytest.mark.parametrize(("text", "shown"), [
    ("0", "0.0%"), ("1", "100.0%"), ("0.02", "2.0%"), ("0.123456", "12.3%"),
    ("0.12250", "12.3%"), ("0.12249999", "12.2%"), ("0.00049", "0.0%"), ("0.0005", "0.1%"),
    ("0.999951", "100.0%"),
])
def test_shares_are_percentages_rounded_half_up(text: str, shown: str) -> None:
    assert percent(text) == shown


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(sample())


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_pdf(sample())


def pdf_pages(data: bytes) -> list[tuple[str, Any]]:
    """Each page's text and its rendering (PIL image, 216 dpi)."""
    document = pdfium.PdfDocument(data)
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            image = page.render(scale=3).to_pil().convert("RGB")
            pages.append((textpage.get_text_range(), image))
            textpage.close()
            page.close()
        return pages
    finally:
        document.close()


def red_pixels(image: Any) -> int:
    """Pixels of red ink (or its anti-aliased edges): far more red than green or blue."""
    pixels = np.asarray(image, dtype=np.int32)
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return int(np.count_nonzero((red > 150) & (red - green > 80) & (red - blue > 80)))


# --- the page -------------------------------------------------------------------------

def test_html_is_self_contained(html: str) -> None:
    page = Page(html)
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "data", "poster", "formaction"):
            assert name not in attrs, (tag, attrs)
        assert tag not in ("link", "iframe", "img", "object", "embed", "base"), tag
    assert [tag for tag, attrs in page.tags if tag == "script"] == ["script"]
    assert not re.search(r"<script[^>]*\bsrc", html, re.IGNORECASE)
    assert "http://" not in html and "https://" not in html and "//" not in "".join(page.styles)
    assert "@import" not in html and "url(" not in html
    assert len(page.styles) == 1


def test_html_shows_chinese_by_default_and_has_english(html: str) -> None:
    page = Page(html)
    assert html.startswith("<!doctype html>\n<html lang=\"zh-CN\">")
    style = "".join(page.styles)
    assert re.search(r"(^|\n)\.l-en \{ display: none; \}", style)
    assert "html.en .l-en { display: inline; }" in style
    assert "html.en .l-zh { display: none; }" in style
    zh, en = page.texts_with_class("l-zh"), page.texts_with_class("l-en")
    assert len(zh) == len(en) > 80 and all(zh) and all(en)
    for chinese, english in [
        ("月度公示", "Monthly disclosure"),
        ("订单与注入收益池的利润分成", "Orders and profit shares"),
        ("按商家", "By merchant"), ("按行业", "By industry"), ("提现", "Withdrawals"),
        ("留在收益池", "Kept in the pool"), ("积分抵现", "Payments with points at merchants"),
        ("强制出局", "Forced exits"), ("质押处置", "Seizures"), ("销毁", "Burns"),
        ("收益池、积分与价格", "Pool, points and price"), ("积分价格", "Price per point"),
        ("每积分价值", "Value per point"), ("流通积分", "Points in circulation"),
        ("最大 10 位持有人所占份额", "Share of the 10 largest holders"),
        ("按持有规模", "Members by holding size"), ("现行规则", "Rules in force"),
        ("本月的每一次规则变更", "Every rule change this month"), ("链上锚定", "Anchors"),
        ("合约 / 交易", "Contract / transaction"), ("托管资金", "Custody"), ("缺口", "Shortfall"),
        ("负债证明", "Proof of liabilities"), ("收益池足以覆盖", "The pool covers it"),
        ("如何核验", "How to check"),
    ]:
        assert any(chinese in text for text in zh), chinese
        assert any(english in text for text in en), english
    assert "English" in zh and "中文" in en  # the switch names the other language
    script = "".join(page.scripts)
    assert "lang-switch" in script and 'classList.toggle("en"' in script


def test_html_shows_every_figure(html: str) -> None:
    text = Page(html).visible()
    missing = [figure for figure in expected_figures(sample()) if figure not in text]
    assert not missing
    assert "Bi(" not in text and "None" not in text and "False" not in text
    assert "81,234.57" in text and "81234.57" not in text  # money has separators
    assert "12.3%" in text and "2.0%" in text  # top10 (half up) and top1 shares


def test_html_states_facts_promises_nothing_and_explains_the_burn(html: str) -> None:
    page = Page(html)
    banner = page.texts_with_class("banner")
    assert banner == ["本报告只陈述事实，不承诺任何收益。"
                      "This report states facts and promises no return."]
    zh, en = page.texts_with_class("l-zh"), page.texts_with_class("l-en")
    assert "销毁会抬高积分价格，但不会改变任何持有人的积分价值。" in zh
    assert "A burn raises the price per point but changes no holding's value." in en
    assert any("其余 20% 留在收益池" in text for text in zh)
    assert any("the other 20% stays in the pool" in text for text in en)
    # the twin's own note is shown as given, unless the page already says it
    assert "Figures are facts; the price per point can fall." in page.visible()


def test_html_footer_tells_how_to_check(html: str) -> None:
    footer = html[html.index("<footer>"):html.index("</footer>")]
    for words in ("SHA-256", "<code>disclosure</code>", "report_sha256",
                  "<code>profitpool verify</code>", "<code>profitpool pol verify</code>",
                  "签名日志", "signed log", "2026-01"):
        assert words in footer, words


def test_html_shows_rule_values_in_both_languages(html: str) -> None:
    page = Page(html)
    assert "transfers_enabled" in page.visible() and "daily_withdraw_cap_rate" in page.visible()
    zh, en = page.texts_with_class("l-zh"), page.texts_with_class("l-en")
    assert "否" in zh and "no" in en and "无" in zh and "none" in en


def test_shortfall_is_red_only_when_there_is_one(html: str) -> None:
    page = Page(html)
    assert page.texts_with_class("shortfall") == ["13.30"]
    assert re.search(r"\.shortfall[^{]*\{[^}]*color: var\(--red\)", "".join(page.styles))
    assert "--red: #c00000;" in "".join(page.styles)
    assert Page(render_html(no_shortfall())).texts_with_class("shortfall") == []


def test_uncovered_pool_is_red() -> None:
    report = sample()
    report["proof_of_liabilities"]["covered"] = False
    page = Page(render_html(report))
    assert "否" in page.texts_with_class("uncovered")[0]
    assert not Page(render_html(sample())).texts_with_class("uncovered")


def test_empty_lists_say_none() -> None:
    report = sample()
    for name in ("burns", "custody", "anchors"):
        report[name] = []
    report["rules"]["changes"] = []
    report["orders"]["by_merchant"] = []
    text = Page(render_html(report)).visible()
    for words in ("本月没有销毁。", "No burn this month.", "本月没有托管数字。",
                  "本月没有锚定。", "本月没有规则变更。", "None this month."):
        assert words in text


def test_a_month_without_entries_says_so() -> None:
    report = sample()
    report["generated_from"] = {"first_entry": None, "last_entry": None, "tree_size": 0,
                                "block": None}
    text = Page(render_html(report)).visible()
    assert "本月没有日志条目" in text and "no entry this month" in text
    assert "None" not in text
    pdf_text = "".join(page for page, _ in pdf_pages(render_pdf(report)))
    assert "本月没有日志条目" in pdf_text and "None" not in pdf_text


def test_data_is_escaped(html: str) -> None:
    assert "Kettle &amp; Co &lt;b&gt;" in html and "<b>" not in html


@pytest.mark.parametrize("bad", [6013.39, "6013.39x", "6,013.39", "1e3", None])
def test_money_is_checked_not_guessed(bad: object) -> None:
    report = sample()
    report["pool"]["end"] = bad
    with pytest.raises(ValueError, match="pool.end"):
        render_html(report)


def test_html_is_deterministic(html: str) -> None:
    again = render_html(copy.deepcopy(sample()))
    assert again.encode() == html.encode()
    assert render_html(no_shortfall()) != html


# --- the PDF --------------------------------------------------------------------------

def test_pdf_is_a_pdf(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_pdf_page_one_renders_to_a_plausible_png(pdf: bytes) -> None:
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        width, height = page.get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        image = page.render(scale=2).to_pil()
        page.close()
    finally:
        document.close()
    png = io.BytesIO()
    image.save(png, format="PNG")
    data = png.getvalue()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    again = Image.open(io.BytesIO(data))
    assert again.format == "PNG" and again.size == (1191, 1684)
    levels = np.asarray(again.convert("L"))
    share = np.count_nonzero(levels < 128) / levels.size
    assert 0.01 < share < 0.5, share  # ink, but not a page of ink
    assert levels.min() < 60 and levels.max() == 255
    assert np.count_nonzero(levels[: levels.shape[0] // 4] < 128) > 500  # the title and banner


def test_pdf_text_has_the_key_figures(pdf: bytes) -> None:
    pages = pdf_pages(pdf)
    text = "\n".join(page for page, _ in pages)
    first = pages[0][0]
    assert "月度公示" in first and "Monthly disclosure" in first
    assert "本报告只陈述事实，不承诺任何收益。" in first
    for figure in ("6,013.39", "81,234.57", "6,033.31", "240.29", "16000.1234", "0.375831",
                   "0.372073", "12.3%", "13.30", "6,013.17", ROOT[:16], CONTRACT[:18],
                   "生鲜电商", "fresh food", "销毁会抬高积分价格", "profitpool pol verify",
                   "A burn raises the price per point but changes no holding's value."):
        assert figure in text, figure
    assert "Bi(" not in text and "None" not in text and "False" not in text


def test_pdf_shortfall_is_red_only_when_there_is_one(pdf: bytes) -> None:
    assert sum(red_pixels(image) for _, image in pdf_pages(pdf)) > 20
    assert sum(red_pixels(image) for _, image in pdf_pages(render_pdf(no_shortfall()))) == 0


def test_pdf_is_deterministic(pdf: bytes) -> None:
    assert render_pdf(copy.deepcopy(sample())) == pdf
    assert render_pdf(no_shortfall()) != pdf


# --- format 2: cash, custody needed, every party's liabilities ----------------------------

def sample_v2(difference: str = "-12.34") -> dict[str, Any]:
    """A format 2 report: ``cash`` and a version 2 proof of liabilities."""
    report = no_shortfall()
    report["format"] = 2
    report["cash"] = {
        "end": {"pool": "6013.39", "owed": "321.09", "in_flight": "45.67", "settled": "987.65",
                "custody_needed": "6380.15", "injected": "7367.80"},
        "owed_by": {"members": "300.01", "merchants": "21.08", "lenders": "0.00"},
        "in_flight_by": {"members": "45.67", "merchants": "0.00", "lenders": "0.00"},
        "payouts": {"sent": {"count": 17, "amount": "1033.32"},
                    "settled": {"count": 15, "amount": "954.21"},
                    "returned": {"count": 2, "amount": "33.44"}},
        "custody": {"needed": "6380.15", "recorded": "6367.81", "id": "c2",
                    "at": "2026-01-31T23:00:00+08:00", "reference": "bank statement 2026-01-B",
                    "difference": difference},
    }
    report["proof_of_liabilities"] = {
        "format": "pol-leaf-v2", "root": ROOT, "total": "6379.93", "points": "6013.17",
        "owed": "321.09", "in_flight": "45.67", "leaves": 1310, "members": 653,
        "parties": {"members": 653, "merchants": 2, "lenders": 0}, "pool": "6013.39",
        "pool_covers_points": True, "custody_needed": "6380.15", "custody": "6367.81",
        "custody_covers": difference.startswith("-") is False}
    return report


def test_format_2_shows_cash_custody_needed_and_the_shortfall_in_red() -> None:
    page = Page(render_html(sample_v2()))
    text = page.visible()
    for figure in ("321.09", "45.67", "987.65", "6,380.15", "6,367.81", "1,033.32", "954.21",
                   "33.44", "17", "300.01", "21.08", "6,379.93", "6,013.17", "653 / 2 / 0",
                   "bank statement 2026-01-B"):
        assert figure in text, figure
    zh, en = page.texts_with_class("l-zh"), page.texts_with_class("l-en")
    for chinese, english in [("待付、在途与托管应有", "Owed, in flight and custody needed"),
                             ("本月的付款", "This month's payouts"),
                             ("托管应有 = 收益池 + 待付 + 在途",
                              "Custody needed = pool + owed + in flight"),
                             ("负债合计", "Total of all liabilities"),
                             ("只与收益池比较", "compares the money held with the pool alone")]:
        assert any(chinese in item for item in zh), chinese
        assert any(english in item for item in en), english
    assert page.texts_with_class("shortfall") == ["12.34"]  # the custody table's are 0.00
    assert "否" in page.texts_with_class("uncovered")[0]  # the figure is below the total
    surplus = Page(render_html(sample_v2("5.66")))
    assert surplus.texts_with_class("shortfall") == [] and "Surplus" in surplus.visible()
    assert "5.66" in surplus.visible() and not surplus.texts_with_class("uncovered")


def test_format_2_without_a_custody_figure_says_so() -> None:
    report = sample_v2()
    report["cash"]["custody"] |= {"recorded": None, "id": None, "at": None, "reference": None,
                                  "difference": None}
    report["proof_of_liabilities"] |= {"custody": None, "custody_covers": None}
    text = Page(render_html(report)).visible()
    assert "本月没有托管数字" in text and "no custody figure this month" in text
    assert "None" not in text


def test_format_2_pdf_has_the_cash_figures_and_red_only_for_a_shortfall() -> None:
    pages = pdf_pages(render_pdf(sample_v2()))
    text = "\n".join(page for page, _ in pages)
    for figure in ("待付", "6,380.15", "6,367.81", "12.34", "1,033.32", "6,379.93"):
        assert figure in text, figure
    assert sum(red_pixels(image) for _, image in pages) > 20
    surplus = pdf_pages(render_pdf(sample_v2("5.66")))
    assert sum(red_pixels(image) for _, image in surplus) == 0
