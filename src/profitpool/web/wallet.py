"""The member wallet: a member signs in with their key and sees their points, value and
lots; a withdrawal or a payment is previewed (what will be paid, what stays in the pool)
before it is confirmed.

Signing in is :mod:`.signin`'s (a member key in a cookie scoped to /wallet). The
preview and the write go through the same sequencer and engine as the API.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..disclosure.publish import member_proof, stored_periods
from ..service.deps import ContextDep, new_id, submit
from ..service.readmodel import member_json
from ..service.sequencer import IdemKey, request_digest
from .pages import Lang, LangCookie, render
from .pseudonyms import Pseudonyms
from .signin import Area, add_signin_routes, form, same_site, signed_in

router = APIRouter(prefix="/wallet", include_in_schema=False)
AREA = Area("/wallet", "member", "pp_member_key")
add_signin_routes(router, AREA)


@router.get("")
def wallet(request: Request, ctx: ContextDep, lang: Lang = None,
           lang_cookie: LangCookie = None, failed: int = 0) -> Response:
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None:
        return render(request, "signin.html", lang, lang_cookie, error=bool(failed),
                       action="/wallet/login", title="wallet_login")
    head, view = ctx.read.member(who.party)
    holding: dict[str, Any] | None = None if view is None else member_json(head, view)
    history = [ctx.reader.entry_json(index)
               for index in ctx.store.party_entries(f"member:{who.party}", None, 20)]
    with ctx.read.lock:
        merchants = sorted(ctx.read.merchants)
    return render(request, "wallet.html", lang, lang_cookie, member=who.party,
                   holding=holding, history=history, merchants=merchants,
                   pseudonym=Pseudonyms.of(request, ctx).of_member(who.party),
                   months=[row.period for row in stored_periods(ctx.store)])


@router.get("/pol/{period}")
def my_pol_proof(period: str, request: Request, ctx: ContextDep, lang: Lang = None,
                 lang_cookie: LangCookie = None) -> Response:
    """The signed-in member's proof of liabilities for a month, as a JSON file to keep and
    check (`profitpool pol verify`, or the Disclosures page in the browser)."""
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None:
        return render(request, "signin.html", lang, lang_cookie, error=False,
                       action="/wallet/login", title="wallet_login")
    proof = member_proof(ctx.store, period, who.party)
    if proof is None:
        return render(request, "missing.html", lang, lang_cookie, status=404)
    return Response(proof.to_json(), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="pol-{period}-{who.party}.json"'})


@router.post("/{kind}")
async def redeem(kind: str, request: Request, ctx: ContextDep, lang: Lang = None,
                 lang_cookie: LangCookie = None) -> Response:
    """``kind`` is withdraw or pay; ``step`` preview shows the figures, confirm sends it."""
    who = signed_in(ctx, request, AREA)
    if kind not in ("withdraw", "pay") or who is None or who.party is None \
            or not same_site(request):
        return RedirectResponse("/wallet", status_code=303)
    fields = await form(request)
    points = fields.get("points", "").strip()
    command: dict[str, Any] = {"op": kind, "id": new_id(kind[0]), "member": who.party,
                               "points": points}
    if kind == "pay":
        command["merchant"] = fields.get("merchant", "")
    values: dict[str, Any] = {"kind": kind, "points": points,
                              "merchant": command.get("merchant")}
    if fields.get("step") != "confirm":
        [outcome] = await submit(ctx, [command], [None], preview=True)
        return render(request, "wallet_confirm.html", lang, lang_cookie,
                       outcome=outcome.body, ok=outcome.status == 200,
                       token=secrets.token_urlsafe(16), **values)
    # Confirmed: the form's token makes a double submit one withdrawal.
    body = {"points": points, "merchant": command.get("merchant")}
    key = IdemKey(who.scope(), f"wallet:{fields.get('token', '')}",
                  request_digest([kind, body]), True)
    [outcome] = await submit(ctx, [command], [key])
    return render(request, "done.html", lang, lang_cookie, outcome=outcome.body,
                   ok=outcome.status < 400, **values)
