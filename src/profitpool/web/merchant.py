"""The merchant portal: a merchant signs in with its key and sees, under its name, its
orders (searched by order id, by its own id for the customer and by date, a page at a
time), what it put into the pool and received for points spent, what of that the program
still owes it, has in flight to its bank and settled (docs/rules.md section 10), and its
customers' repurchase, order value, retention by monthly cohort and new-versus-returning
mix as charts by month and as tables, computed from its own orders (:mod:`.analytics`).

It enters an order and refunds a pending one here, each previewed first and sent only on
confirmation, exactly once however often the confirmation is sent: an order by its order
id (the API's idempotency key, so the API and the portal agree on what is a retry), a
refund by a one-time token (as the wallet's withdrawal). The preview of an order is the
engine's (``preview_order``: its checks, its settlement time, and what it would inject and
mint now). Its webhooks are registered here too (:mod:`.webhooks`).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..engine.state import PENDING, REFUNDED, SETTLED
from ..members.directory import merchant_scope
from ..service.deps import Context, ContextDep, new_id, submit
from ..service.readmodel import OrderView, cash_json, order_json
from ..service.routes.orders import order_command
from ..service.schemas import OrderCreate
from ..service.sequencer import IdemKey, Outcome, request_digest
from ..times import display_time, shanghai_day
from .analytics import Analytics, analyse
from .charts import Bars, month_bar_chart
from .i18n import choose, translator
from .pages import Lang, LangCookie, render
from .signin import Area, area_router, form, same_site, sign_in_page, signed_in
from .webhooks import add_webhook_routes, endpoint_rows

AREA = Area("/merchant", "merchant", "pp_merchant_session")
router = area_router(AREA)
add_webhook_routes(router, AREA, lambda who, _fields: f"merchant:{who.party}")
PAGE_SIZE = 20
ORDER_ID_MAX = 100
"""As the API's ``OrderCreate.id``."""
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
Text = Annotated[str, Query(max_length=128)]


def _day(text: str) -> int | None:
    """A ``YYYY-MM-DD`` date as days since 1970-01-01 (an Asia/Shanghai calendar day).

    Raises:
        ValueError: anything else.
    """
    if not text:
        return None
    return date.fromisoformat(text).toordinal() - EPOCH_ORDINAL


@dataclass(frozen=True)
class Search:
    """What the merchant looks for: each part optional; all given parts must match."""

    order: str = ""
    """Part of the merchant's own order id."""
    member: str = ""
    """The merchant's own id for the customer (or the customer's pseudonym)."""
    since: str = ""
    until: str = ""

    def query(self, page: int) -> str:
        """The portal's URL query for this search at ``page``."""
        fields = {name: value for name, value in (
            ("order", self.order), ("member", self.member), ("since", self.since),
            ("until", self.until)) if value}
        return urlencode({**fields, "page": page})


def found_orders(ctx: Context, merchant: str, orders: list[OrderView], search: Search
                 ) -> tuple[list[OrderView], bool]:
    """The merchant's orders that match ``search``, newest first, and whether its dates
    were readable (unreadable ones filter nothing)."""
    matched = orders[::-1]
    if search.order:
        prefix = len(merchant) + 1
        matched = [view for view in matched if search.order in view.order[prefix:]]
    if search.member:
        pseudonym = ctx.directory.pseudonym_of(merchant_scope(merchant), search.member)
        matched = [view for view in matched if view.member == pseudonym]
    try:
        since, until = _day(search.since), _day(search.until)
    except ValueError:
        return matched, False
    if since is not None:
        matched = [view for view in matched if shanghai_day(view.at) >= since]
    if until is not None:
        matched = [view for view in matched if shanghai_day(view.at) <= until]
    return matched, True


def _charts(analytics: Analytics, language: str) -> dict[str, Any]:
    t = translator(language)
    series = analytics.over_time
    months = series.months
    return {
        "orders": month_bar_chart(months, [
            Bars(t("merchant_series_new"), "#2471a3", list(series.new_orders)),
            Bars(t("merchant_series_returning"), "#e67e22", list(series.returning_orders))]),
        "value": month_bar_chart(months, [
            Bars(t("merchant_series_value"), "#1e8449", list(series.average_order_fen))],
            unit="fen"),
        "repurchase": month_bar_chart(months, [
            Bars(t("merchant_series_repurchase"), "#7d3c98",
                 list(series.repurchase_permille))], unit="permille"),
        "retention": month_bar_chart(months, [
            Bars(t("merchant_series_retention"), "#c0392b",
                 list(series.retained_next_month_permille))], unit="permille"),
    }


@router.get("")
def portal(request: Request, ctx: ContextDep, lang: Lang = None,
           lang_cookie: LangCookie = None, failed: int = 0, page: int = 1,
           order: Text = "", member: Text = "", since: Text = "",
           until: Text = "") -> Response:
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None:
        return sign_in_page(request, AREA, lang, lang_cookie, bool(failed))
    merchant = who.party
    with ctx.read.lock:
        summary = ctx.read.merchants.get(merchant)
        orders = [ctx.read.orders[order_id]
                  for order_id in ctx.read.orders_by_merchant.get(merchant, [])]
        settle_days = int(ctx.read.head.rules["settle_days"])
    search = Search(order.strip(), member.strip(), since.strip(), until.strip())
    matched, dates_read = found_orders(ctx, merchant, orders, search)
    pages = max(1, math.ceil(len(matched) / PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = matched[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    # The merchant's own ids for its customers (the ones it sent), never another's.
    ids = ctx.directory.member_ids([view.member for view in shown], merchant_scope(merchant))
    prefix = len(merchant) + 1
    rows = [{**order_json(view, view.order[prefix:], ids), "when": display_time(view.at),
             "settles_when": display_time(view.settles_at)} for view in shown]
    statuses = {status: sum(1 for view in orders if view.status == status)
                for status in (PENDING, SETTLED, REFUNDED)}
    analytics = analyse(orders)
    return render(request, "merchant.html", lang, lang_cookie, merchant=merchant,
                   name=(summary or {}).get("name") or merchant,
                   summary=summary, analytics=analytics, latest=rows,
                   order_count=len(orders), statuses=statuses, settle_days=settle_days,
                   charts=_charts(analytics, choose(lang, lang_cookie)),
                   search=search, dates_read=dates_read, found=len(matched), page=page,
                   pages=pages, newer=search.query(page - 1) if page > 1 else None,
                   older=search.query(page + 1) if page < pages else None,
                   cash=cash_json(ctx.read.cash_of(f"merchant:{merchant}")),
                   webhooks=endpoint_rows(ctx, f"merchant:{merchant}"), area="/merchant",
                   choose_owner=False)


def _order_fields(fields: dict[str, str]) -> OrderCreate:
    """The order a form describes, as the API takes it (the engine checks each field when
    it is previewed and when it is sent); a blank order id gets a new one."""
    return OrderCreate.model_construct(
        id=fields.get("order", "").strip() or new_id("web-"),
        member=fields.get("member", "").strip(),
        amount=fields.get("amount", "").strip(), profit=fields.get("profit", "").strip(),
        campaign=fields.get("campaign", "").strip() or None)


def _too_long() -> Outcome:
    return Outcome(422, {"error": "invalid_id",
                         "message": f"an order id has at most {ORDER_ID_MAX} characters"})


@router.post("/order")
async def enter_order(request: Request, ctx: ContextDep, lang: Lang = None,
                      lang_cookie: LangCookie = None) -> Response:
    """``step`` preview: the engine's checks and figures, nothing recorded; confirm: the
    order, sent as the API sends it (its order id makes a second confirmation a replay)."""
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None or not same_site(request):
        return RedirectResponse("/merchant", status_code=303)
    merchant = who.party
    fields = await form(request)
    order = _order_fields(fields)
    command, key = order_command(merchant, order)
    scope = merchant_scope(merchant)
    values: dict[str, Any] = {"kind": "order", "order": order.model_dump(),
                              "back": "/merchant"}
    if fields.get("step") != "confirm":
        if len(order.id) > ORDER_ID_MAX:
            outcome = _too_long()
        else:
            [outcome] = await submit(ctx, [command], [None], preview=True, scope=scope)
        return render(request, "merchant_confirm.html", lang, lang_cookie,
                       outcome=outcome.body, ok=outcome.status == 200, **values)
    if len(order.id) > ORDER_ID_MAX:
        outcome = _too_long()
    else:
        [outcome] = await submit(ctx, [command], [key], scope=scope)
    return render(request, "merchant_done.html", lang, lang_cookie, outcome=outcome.body,
                   ok=outcome.status < 400, **values)


@router.post("/refund")
async def refund(request: Request, ctx: ContextDep, lang: Lang = None,
                 lang_cookie: LangCookie = None) -> Response:
    """``step`` preview: the order and what a refund does; confirm: the refund, once per
    preview's token (a refund has no id of its own: a second one would be refused as
    ``not_pending``, so the token makes the second confirmation a replay instead)."""
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None or not same_site(request):
        return RedirectResponse("/merchant", status_code=303)
    merchant = who.party
    fields = await form(request)
    order_id = fields.get("order", "").strip()
    values: dict[str, Any] = {"kind": "refund", "order_id": order_id, "back": "/merchant"}
    if fields.get("step") == "confirm":
        key = IdemKey(who.scope(), f"merchant-refund:{fields.get('token', '')}",
                      request_digest(["refund", {"order": order_id}]), True)
        [outcome] = await submit(ctx, [{"op": "refund", "order": f"{merchant}:{order_id}"}],
                                 [key])
        return render(request, "merchant_done.html", lang, lang_cookie,
                       outcome=outcome.body, ok=outcome.status < 400, **values)
    with ctx.read.lock:
        view = ctx.read.orders.get(f"{merchant}:{order_id}")
    if view is None:
        refusal = {"error": "unknown_order", "message": f"no order {order_id!r}"}
        return render(request, "merchant_confirm.html", lang, lang_cookie, outcome=refusal,
                       ok=False, **values)
    if view.status != PENDING:
        refusal = {"error": "not_pending", "message": f"order {order_id!r} is {view.status}"}
        return render(request, "merchant_confirm.html", lang, lang_cookie, outcome=refusal,
                       ok=False, **values)
    ids = await run_in_threadpool(ctx.directory.member_ids, [view.member],
                                  merchant_scope(merchant))
    shown = {**order_json(view, order_id, ids), "when": display_time(view.at),
             "settles_when": display_time(view.settles_at)}
    return render(request, "merchant_confirm.html", lang, lang_cookie, outcome=shown,
                   ok=True, token=secrets.token_urlsafe(16), **values)
