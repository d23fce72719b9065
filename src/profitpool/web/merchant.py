"""The merchant portal: a merchant signs in with its key and sees its orders, what it
put into the pool and received for points spent, what of that the program still owes it,
has in flight to its bank and settled (docs/rules.md section 10), its customers' repurchase,
order value, retention by monthly cohort and new-versus-returning mix, computed from
its own orders (:mod:`.analytics`). Pending orders can be refunded here, and its
webhooks registered (:mod:`.webhooks`)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from ..members.directory import merchant_scope
from ..service.deps import ContextDep, submit
from ..service.readmodel import cash_json, order_json
from .analytics import analyse
from .pages import Lang, LangCookie, render
from .signin import Area, area_router, form, same_site, signed_in
from .webhooks import add_webhook_routes, endpoint_rows

AREA = Area("/merchant", "merchant", "pp_merchant_session")
router = area_router(AREA)
add_webhook_routes(router, AREA, lambda who, _fields: f"merchant:{who.party}")
SHOWN_ORDERS = 50


@router.get("")
def portal(request: Request, ctx: ContextDep, lang: Lang = None,
           lang_cookie: LangCookie = None, failed: int = 0) -> Response:
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None:
        return render(request, "signin.html", lang, lang_cookie, error=bool(failed),
                       action="/merchant/login", title="merchant_login")
    merchant = who.party
    with ctx.read.lock:
        summary = ctx.read.merchants.get(merchant)
        orders = [ctx.read.orders[order_id]
                  for order_id in ctx.read.orders_by_merchant.get(merchant, [])]
    prefix = len(merchant) + 1
    shown = orders[-SHOWN_ORDERS:][::-1]
    # The merchant's own ids for its customers (the ones it sent), never another's.
    ids = ctx.directory.member_ids([view.member for view in shown], merchant_scope(merchant))
    latest = [order_json(view, view.order[prefix:], ids) for view in shown]
    return render(request, "merchant.html", lang, lang_cookie, merchant=merchant,
                   summary=summary, analytics=analyse(orders), latest=latest,
                   cash=cash_json(ctx.read.cash_of(f"merchant:{merchant}")),
                   webhooks=endpoint_rows(ctx, f"merchant:{merchant}"), area="/merchant",
                   choose_owner=False)


@router.post("/refund")
async def refund(request: Request, ctx: ContextDep, lang: Lang = None,
                 lang_cookie: LangCookie = None) -> Response:
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None or not same_site(request):
        return RedirectResponse("/merchant", status_code=303)
    order_id = (await form(request)).get("order", "")
    [outcome] = await submit(ctx, [{"op": "refund", "order": f"{who.party}:{order_id}"}],
                             [None])
    return render(request, "done.html", lang, lang_cookie, outcome=outcome.body,
                   ok=outcome.status < 400, back="/merchant")
