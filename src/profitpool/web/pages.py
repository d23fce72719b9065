"""The public explorer: pool figures and their chart, blocks, entries, proofs checked in
the browser. Server-rendered (Jinja2); the only script is the proof checker and the
live refresh, both served from here."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from ..errors import Rejected
from ..members.pseudonyms import is_pseudonym
from ..money import INDEX_SCALE, format_fen, group_thousands, points_for_shares, price_micro
from ..rules import rule_label
from ..service.deps import Context, ContextDep
from ..service.readmodel import head_json, member_json
from ..store.attestations import AttestationStore
from ..times import display_time, format_time
from .charts import Series, time_chart
from .entry_story import Teller, members_of
from .errors_i18n import message
from .i18n import choose, translator
from .labels import OPS, effect_label, op_label
from .pseudonyms import Pseudonyms
from .public_copy import Copy, PublicCopies

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")


def cny(text: object) -> str:
    """A decimal string of CNY with thousands separators: "12345.60" -> "12,345.60"."""
    return group_thousands(str(text))


def grouped(text: object) -> str:
    """Points (or any decimal string) grouped like yuan: "12345.6789" -> "12,345.6789"."""
    return group_thousands(str(text))


templates.env.filters["cny"] = cny
templates.env.filters["points"] = grouped
# Times on pages: "2026-07-22 13:43", Asia/Shanghai, never microseconds (times.py).
templates.env.filters["when"] = display_time
templates.env.filters["when_s"] = lambda moment: display_time(moment, seconds=True)
# A command or effect shown as JSON keeps its Chinese readable ("账户已注销", not
# "\u8d26..."); tojson still escapes <, >, & and ' for HTML.
templates.env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
router = APIRouter(include_in_schema=False)

Lang = Annotated[str | None, Query(max_length=5)]
LangCookie = Annotated[str | None, Cookie(alias="lang", max_length=5)]
CHART_POINTS = 200
"""The most blocks a chart draws: all of them up to this many, else this many spread
evenly from the first block to the newest."""
BLOCK_PAGE = 100
"""Entries listed on one page of a block."""
PUBLIC_COPY = "/public-copy.db"


def render(request: Request, template: str, lang: str | None, cookie: str | None,
            status: int = 200, headers: dict[str, str] | None = None,
            **values: Any) -> Response:
    language = choose(lang, cookie)
    response = templates.TemplateResponse(
        request, template, {"t": translator(language), "lang": language,
                            "refusal": lambda code: message(code, language),
                            "rule_label": lambda name: rule_label(name, language),
                            "rule_value": rule_value(language),
                            "op_label": lambda op: op_label(op, language),
                            "effect_label": lambda kind: effect_label(kind, language),
                            **values},
        status_code=status, headers=headers)
    if lang is not None and lang == language:
        response.set_cookie("lang", language, max_age=365 * 86_400, samesite="lax")
    return response


def rule_value(language: str) -> Callable[[str, object], str]:
    """A rule's value as people read it: yes/no, "none" for a rule that is off, CNY with
    separators; a rate or a count as the rule states it."""
    t = translator(language)

    def shown(name: str, value: object) -> str:
        if value is None:
            return t("rule_off")
        if isinstance(value, bool):
            return t("yes") if value else t("no")
        if name == "max_order_amount":
            return "¥" + group_thousands(str(value))
        return str(value)

    return shown


def explorer_time(value: int | str) -> str:
    """A moment of the log as the explorer shows it, Asia/Shanghai, to the second:
    '2026-07-22 13:43:05' (epoch microseconds, or a command's ISO 8601 time; a text that
    is no time is shown as it is)."""
    try:
        return display_time(value, seconds=True)
    except Rejected:
        return str(value)


def chart_history(ctx: Context, height: int) -> list[Any]:
    """The ``block_stats`` rows a chart draws: every block up to :data:`CHART_POINTS`,
    else that many heights spread evenly from the first block to ``height`` (the newest
    always among them), oldest first."""
    if height <= CHART_POINTS:
        return ctx.reads.store.stats(0, CHART_POINTS)
    heights = sorted({1 + (height - 1) * step // (CHART_POINTS - 1)
                      for step in range(CHART_POINTS)})
    rows = []
    for wanted in heights:
        rows.extend(ctx.reads.store.stats(wanted - 1, 1))
    return rows


@router.get("/", response_class=HTMLResponse)
def explorer(request: Request, ctx: ContextDep, lang: Lang = None,
             lang_cookie: LangCookie = None) -> Response:
    with ctx.read.lock:
        head = ctx.read.head
    stats = chart_history(ctx, head.height)
    times = [row.time_us for row in stats]
    # A price is pool ÷ points: none before the first point (not a price of 0).
    priced = [row for row in stats if int(row.total_shares) > 0]
    price = [price_micro(row.pool, int(row.total_shares), int(row.index)) for row in priced]
    value = [price_micro(row.pool, int(row.total_shares), INDEX_SCALE) for row in priced]
    t = translator(choose(lang, lang_cookie))
    chart = time_chart(
        [Series(t("price"), "#c0392b", price), Series(t("value_per_point"), "#2471a3", value)],
        [row.time_us for row in priced], prefix="¥")
    pool_chart = time_chart([Series(t("pool"), "#1e8449", [row.pool for row in stats])],
                            times, scale=100, decimals=2, prefix="¥")
    supply_chart = time_chart(
        [Series(t("supply"), "#7d3c98",
                [points_for_shares(int(row.total_shares), int(row.index)) for row in stats])],
        times, scale=10_000, decimals=4)
    blocks = ctx.reads.store.blocks_before(None, 10)
    anchored = AttestationStore(ctx.reads.store.engine).anchors(limit=1, newest_first=True)
    # The newest entries of the stored log as read (a replica may be a block or two behind
    # the head above: service/reads.py).
    size = blocks[0].header.tree_size if blocks else 0
    latest = [ctx.reads.reader.entry_json(index)
              for index in range(size - 1, max(-1, size - 11), -1)]
    # Money paid out of the pool is the program's until it reaches the party's account
    # (docs/rules.md section 10): custody must hold it beside the pool.
    owed = head.paid_members + head.paid_merchants + head.paid_lenders - head.in_flight \
        - head.settled
    notes = {"span": t("explorer_chart_span"), "not_zero": t("explorer_chart_not_zero")}
    return render(request, "explorer.html", lang, lang_cookie, head=head_json(head),
                   custody_needed=format_fen(head.pool + owed + head.in_flight),
                   op_names={op: names[choose(lang, lang_cookie)] for op, names in OPS.items()},
                   chart=chart, pool_chart=pool_chart, supply_chart=supply_chart,
                   chart_notes=notes, blocks=blocks, latest=latest, format_time=format_time,
                   explorer_time=explorer_time,
                   anchor=anchored[0] if anchored else None)


@router.get("/block/{height}", response_class=HTMLResponse)
def block_page(height: int, request: Request, ctx: ContextDep, lang: Lang = None,
               lang_cookie: LangCookie = None,
               start: Annotated[int, Query(ge=0, le=2**62)] = 0) -> Response:
    """A block's header and its entries, :data:`BLOCK_PAGE` at a time from the ``start``-th
    (``?start=``), with links to the blocks before and after it (none after the newest)."""
    store, reader = ctx.reads.holding(height=height)
    stored = store.block(height) if 0 < height < 2**63 else None
    if stored is None:
        return render(request, "missing.html", lang, lang_cookie, status=404)
    header = stored.header
    start = min(start, max(0, header.count - 1)) // BLOCK_PAGE * BLOCK_PAGE
    first = header.first_index + start
    stop = min(header.first_index + header.count, first + BLOCK_PAGE)
    entries = [reader.entry_json(index) for index in range(first, stop)]
    anchor = AttestationStore(store.engine).anchors_at([header.tree_size]).get(
        header.tree_size)
    newest = store.last_block()
    return render(request, "block.html", lang, lang_cookie, stored=stored, header=header,
                   signature=base64.b64encode(stored.signature).decode(), entries=entries,
                   format_time=format_time, explorer_time=explorer_time, anchor=anchor,
                   has_next=newest is not None and newest.header.height > header.height,
                   page_start=start, page_size=BLOCK_PAGE, page_first=first,
                   page_last=stop - 1)


@router.get("/entry/{index}", response_class=HTMLResponse)
def entry_page(index: int, request: Request, ctx: ContextDep, lang: Lang = None,
               lang_cookie: LangCookie = None) -> Response:
    """An entry: what it did in words first, then as recorded (JSON), its block and
    neighbours, the members it names, and its proof, checked in the browser."""
    store, reader = ctx.reads.holding(tree_size=index + 1)
    last = store.last_block()
    if last is None or not 0 <= index < last.header.tree_size:
        return render(request, "missing.html", lang, lang_cookie, status=404)
    data = store.entry(index)
    assert data is not None
    proof = reader.inclusion(index, last.header.tree_size)
    entry = reader.entry_json(index)["entry"]
    language = choose(lang, lang_cookie)
    with ctx.read.lock:
        merchants, lenders = dict(ctx.read.merchants), dict(ctx.read.lenders)
    story = Teller(language, merchants, lenders).tell(entry)
    return render(request, "entry.html", lang, lang_cookie, index=index, entry=entry,
                   story=story, members=members_of(entry), explorer_time=explorer_time,
                   block_height=store.height_covering(index + 1),
                   newest_index=last.header.tree_size - 1, proof=proof,
                   entry_base64=base64.b64encode(data).decode(), checkpoint=last.checkpoint,
                   verifier_key=ctx.verifier_key)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, ctx: ContextDep, lang: Lang = None,
               lang_cookie: LangCookie = None) -> Response:
    with ctx.read.lock:
        rules = dict(ctx.read.head.rules)
    changes = [ctx.reads.reader.entry_json(index)
               for index in ctx.reads.store.party_entries("rules", None, 100)]
    return render(request, "rules.html", lang, lang_cookie, rules=rules, changes=changes)


@router.get("/disclosures", response_class=HTMLResponse)
def disclosures_page(request: Request, ctx: ContextDep, lang: Lang = None,
                     lang_cookie: LangCookie = None) -> Response:
    """Every month disclosed: report, PoL root, custody figures and anchor; and a form where
    a member checks their own proof in the browser (WebCrypto, no trust in this server)."""
    from ..disclosure.publish import recorded_disclosures, stored_periods

    months = []
    in_log = recorded_disclosures(ctx.reads.store)
    for row in stored_periods(ctx.reads.store):
        recorded = in_log.get(row.period)
        months.append({"period": row.period, "sha256": row.sha256, "pol_root": row.pol_root,
                       "pol_total": format_fen(row.pol_total),
                       "entry": None if recorded is None else recorded["index"],
                       "matches": recorded is not None
                       and recorded["report_sha256"] == row.sha256})
    custody = []
    for index in ctx.reads.store.party_entries("disclosures", None, 100):
        entry = ctx.reads.reader.entry_json(index)["entry"]
        for effect in entry["effects"]:
            if effect["type"] == "custody_recorded":
                custody.append({"index": index, "at": entry["command"]["at"], **effect})
    anchored = AttestationStore(ctx.reads.store.engine).anchors(limit=1, newest_first=True)
    return render(request, "disclosures.html", lang, lang_cookie, months=months,
                  custody=custody, anchor=anchored[0] if anchored else None)


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, ctx: ContextDep, lang: Lang = None,
                lang_cookie: LangCookie = None) -> Response:
    """How to verify the log served here: install from source, download its public copy,
    run ``profitpool verify`` on it with the published key (commands that work as printed,
    whatever database the server itself uses)."""
    return render(request, "verify.html", lang, lang_cookie, verifier_key=ctx.verifier_key,
                  base=str(request.base_url).rstrip("/"), public_copy=PUBLIC_COPY,
                  source_url=ctx.settings.source_url)


_copies_lock = threading.Lock()


def public_copies(request: Request, ctx: Context) -> PublicCopies:
    """This app's public copies (made on the first download)."""
    with _copies_lock:
        copies: PublicCopies | None = getattr(request.app.state, "public_copies", None)
        if copies is None:
            copies = PublicCopies(ctx.reads.store.engine)
            request.app.state.public_copies = copies
        return copies


def newest_public_copy(request: Request, ctx: Context) -> Copy:
    """The newest public copy holding the log as it stands, or one under a minute old
    (web/public_copy.py); the explorer's and the auditor's downloads both serve it."""
    with ctx.read.lock:
        tree_size = ctx.read.head.tree_size
    return public_copies(request, ctx).newest(tree_size)


@router.get(PUBLIC_COPY)
def public_copy(request: Request, ctx: ContextDep) -> Response:
    """The public copy of the log (web/public_copy.py): an SQLite file that
    ``profitpool verify --db sqlite:///public-copy.db`` checks; no secret in it."""
    copy = newest_public_copy(request, ctx)
    return FileResponse(copy.path, media_type="application/vnd.sqlite3",
                        filename="public-copy.db", headers={"Cache-Control": "no-cache"})


@router.get("/member", response_class=HTMLResponse)
def member_page(request: Request, ctx: ContextDep,
                p: Annotated[str, Query(max_length=64)] = "", lang: Lang = None,
                lang_cookie: LangCookie = None) -> Response:
    """A member's public page, by pseudonym (``?p=``); the lookup form without one."""
    pseudonym = p.strip().lower()
    if not pseudonym:
        return render(request, "member.html", lang, lang_cookie, pseudonym="",
                       holding=None, entries=[])
    # The log's own pseudonym; for a member of a log written before pseudonyms, the
    # keyed hash of their id that their wallet shows them.
    if is_pseudonym(pseudonym):
        member_id: str | None = pseudonym if ctx.read.member(pseudonym)[1] else None
    else:
        pseudonyms = Pseudonyms.existing(request, ctx)
        member_id = (None if pseudonyms is None
                     else pseudonyms.member(pseudonym, ctx.read.member_order))
    if member_id is None:
        return render(request, "missing.html", lang, lang_cookie, status=404)
    head, view = ctx.read.member(member_id)
    entries = [ctx.reads.reader.entry_json(index)
               for index in ctx.reads.store.party_entries(f"member:{member_id}", None, 50)]
    return render(request, "member.html", lang, lang_cookie, pseudonym=pseudonym,
                   holding=None if view is None else member_json(head, view), entries=entries)
