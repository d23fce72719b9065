"""The lender portal: a lender signs in with its key (as the merchant portal does,
:mod:`.signin`) and sees the pledges made to it and its cash: what the pool paid it
(seizures, pledged lots that exited), what of that the program still owes it, has in
flight to its bank and settled (docs/rules.md section 10). It only reads; releasing and
seizing stay in the API (``/v1/pledges/{id}/release``, ``/seize``)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from ..service.deps import ContextDep
from ..service.readmodel import cash_json, pledge_json
from .pages import Lang, LangCookie, render
from .signin import Area, area_router, signed_in

AREA = Area("/lender", "lender", "pp_lender_session")
router = area_router(AREA)


@router.get("")
def portal(request: Request, ctx: ContextDep, lang: Lang = None,
           lang_cookie: LangCookie = None, failed: int = 0) -> Response:
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None:
        return render(request, "signin.html", lang, lang_cookie, error=bool(failed),
                       action="/lender/login", title="lender_login")
    lender = who.party
    with ctx.read.lock:
        summary = ctx.read.lenders.get(lender)
        pledges = [ctx.read.pledges[pledge_id]
                   for pledge_id in ctx.read.pledges_by_lender.get(lender, [])]
    return render(request, "lender.html", lang, lang_cookie, lender=lender, summary=summary,
                   pledges=[pledge_json(view) for view in reversed(pledges)],
                   cash=cash_json(ctx.read.cash_of(f"lender:{lender}")))
