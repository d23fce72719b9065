"""The member wallet: a member signs in with their key and sees their points, value and
lots, and their cash: what the program owes them, what is in flight to their bank and what
reached it, payout by payout (docs/rules.md section 10). A withdrawal or a payment is
previewed (what will be paid, what stays in the pool) before it is confirmed; a confirmed
withdrawal is owed to the member until a payout reaches their bank, and the page says so.

Signing in is :mod:`.signin`'s (a member key opens a session; the cookie scoped to
/wallet holds only the session's id). The preview and the write go through the same
sequencer and engine as the API.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from ..disclosure.publish import member_proof, stored_periods
from ..members.directory import OPERATOR
from ..members.pseudonyms import is_pseudonym
from ..service.deps import ContextDep, new_id, submit
from ..service.readmodel import cash_json, member_json
from ..service.routes.members import export_file, export_headers
from ..service.sequencer import IdemKey, request_digest
from .pages import Lang, LangCookie, render
from .pseudonyms import Pseudonyms
from .signin import Area, area_router, form, same_site, signed_in

AREA = Area("/wallet", "member", "pp_wallet_session")
router = area_router(AREA)


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
    # The member's own id (the operator's link, outside the log) heads the page; the log
    # and the explorer know them by their pseudonym (docs/privacy.md), which they may
    # look up. A member of a log written before pseudonyms has a keyed-hash one.
    own = ctx.directory.member_ids([who.party], OPERATOR).get(who.party, who.party)
    pseudonym = (who.party if is_pseudonym(who.party)
                 else Pseudonyms.of(request, ctx).of_member(who.party))
    return render(request, "wallet.html", lang, lang_cookie, member=own,
                   holding=holding, history=history, merchants=merchants,
                   pseudonym=pseudonym, cash=cash_json(ctx.read.cash_of(f"member:{who.party}")),
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


@router.get("/export")
def my_export(request: Request, ctx: ContextDep, lang: Lang = None,
              lang_cookie: LangCookie = None) -> Response:
    """Everything the program holds about the signed-in member, as the signed file
    `profitpool verify-member` checks offline (docs/privacy-export.md)."""
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None:
        return render(request, "signin.html", lang, lang_cookie, error=False,
                       action="/wallet/login", title="wallet_login")
    return Response(export_file(ctx, who.party), media_type="application/json",
                    headers=export_headers(who.party))


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
                   ok=outcome.status < 400, owed_now=_withdrawn_paid(outcome.body), **values)


def _withdrawn_paid(body: dict[str, Any]) -> str | None:
    """What a confirmed withdrawal now owes the member (its ``withdrawn`` effect's
    ``paid``), or None (a payment, a refusal, a replay answered without its entry)."""
    entry = body.get("entry") or {}
    return next((effect["paid"] for effect in entry.get("effects", ())
                 if effect.get("type") == "withdrawn"), None)
