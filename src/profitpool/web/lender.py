"""The lender portal: a lender signs in with its key (as the merchant portal does,
:mod:`.signin`) and sees the pledges made to it, each one's collateral now (the points its
lots hold, their value at today's V, against what the loan still owes:
``readmodel.pledge_json`` with the head, the same figures as ``GET /v1/lenders/{id}/pledges``),
its seizures, releases and pledged lots that exited, and its cash: what the pool paid it
that the program still owes it, has in flight to its bank and settled (docs/rules.md
section 10).

It releases and seizes as the API does (``/v1/pledges/{id}/release``, ``/seize``), in two
steps: a preview computed on the writer thread by the engine's own plan (what a seizure
would pay the lender and the member, what stays in the pool), then a confirmation that
carries a one-time token used as its idempotency key, so a double submit writes once. A
refusal shows the engine's reason and changes nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from ..money import format_fen
from ..service.deps import Context, ContextDep, submit
from ..service.readmodel import cash_json, pledge_json, value_fen
from ..service.sequencer import IdemKey, request_digest
from ..times import display_time
from .pages import Lang, LangCookie, render
from .signin import Area, area_router, form, same_site, sign_in_page, signed_in

AREA = Area("/lender", "lender", "pp_lender_session")
router = area_router(AREA)
ACTIONS = ("release", "seize")
SHOWN_HISTORY = 50
HISTORY_EFFECTS = {"pledge_released": "lender_event_released",
                   "pledge_seized": "lender_event_seized", "lot_exited": "lender_event_exited"}
"""The effects a lender's history lists, and the words for each."""


@router.get("")
def portal(request: Request, ctx: ContextDep, lang: Lang = None,
           lang_cookie: LangCookie = None, failed: int = 0) -> Response:
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None:
        return sign_in_page(request, AREA, lang, lang_cookie, bool(failed))
    lender = who.party
    with ctx.read.lock:
        summary = ctx.read.lenders.get(lender)
        head = ctx.read.head
        views = [ctx.read.pledges[pledge_id]
                 for pledge_id in ctx.read.pledges_by_lender.get(lender, [])]
    active = [view for view in views if view.status == "active"]
    return render(request, "lender.html", lang, lang_cookie, lender=lender, summary=summary,
                  pledges=[pledge_json(view, head) for view in reversed(views)],
                  active=len(active),
                  collateral_total=format_fen(sum(value_fen(head, view.shares)
                                                  for view in active)),
                  outstanding_total=format_fen(sum(view.loan - view.repaid for view in active)),
                  history=_history(ctx, lender), actions=ACTIONS,
                  cash=cash_json(ctx.read.cash_of(f"lender:{lender}")))


def _history(ctx: Context, lender: str) -> list[dict[str, Any]]:
    """The lender's releases, seizures and pledged lots' exits, newest first: each entry's
    index, time (to the minute, Asia/Shanghai), pledge, what happened and what it paid
    the lender (from the log's effects)."""
    rows = []
    for index in ctx.reads.store.party_entries(f"lender:{lender}", None, SHOWN_HISTORY):
        entry = ctx.reads.reader.entry_json(index)["entry"]
        for effect in entry["effects"]:
            kind = HISTORY_EFFECTS.get(effect.get("type", ""))
            pledge = effect.get("pledge")
            if kind is None or pledge is None or effect.get("lender", lender) != lender:
                continue
            with ctx.read.lock:
                view = ctx.read.pledges.get(pledge)
            if view is None or view.lender != lender:
                continue
            rows.append({"index": index, "at": display_time(entry["command"]["at"]),
                         "pledge": pledge, "what": kind,
                         "to_lender": effect.get("to_lender")})
    return rows


@router.post("/{action}")
async def close_pledge(action: str, request: Request, ctx: ContextDep, lang: Lang = None,
                       lang_cookie: LangCookie = None) -> Response:
    """Release or seize one of the lender's pledges: ``step`` preview (the default) shows
    what it would do, ``step`` confirm sends it, once per token."""
    who = signed_in(ctx, request, AREA)
    if action not in ACTIONS or who is None or who.party is None or not same_site(request):
        return RedirectResponse("/lender", status_code=303)
    fields = await form(request)
    pledge_id = fields.get("pledge", "").strip()
    command = {"op": action, "pledge": pledge_id}
    values: dict[str, Any] = {"action": action, "pledge": pledge_id}
    with ctx.read.lock:
        view = ctx.read.pledges.get(pledge_id)
    if view is None or view.lender != who.party:
        # Another lender's pledge is answered as no pledge at all: a page never says whose
        # pledges exist.
        unknown = {"error": "unknown_pledge", "message": f"there is no pledge {pledge_id!r}"}
        return render(request, "lender_done.html", lang, lang_cookie, status=404,
                      outcome=unknown, ok=False, **values)
    if fields.get("step") != "confirm":
        [preview] = await submit(ctx, [command], [None], preview=True)
        return render(request, "lender_confirm.html", lang, lang_cookie,
                      outcome=preview.body, ok=preview.status == 200,
                      token=secrets.token_urlsafe(16), **values)
    # Confirmed: the form's token makes a double submit one release or seizure.
    key = IdemKey(who.scope(), f"lender:{fields.get('token', '')}",
                  request_digest([action, {"pledge": pledge_id}]), True)
    [outcome] = await submit(ctx, [command], [key])
    return render(request, "lender_done.html", lang, lang_cookie, outcome=outcome.body,
                  ok=outcome.status < 400, to_lender=_to_lender(outcome.body), **values)


def _to_lender(body: dict[str, Any]) -> str | None:
    """What a confirmed seizure paid the lender (its ``pledge_seized`` effect), or None."""
    entry = body.get("entry") or {}
    return next((effect["to_lender"] for effect in entry.get("effects", ())
                 if effect.get("type") == "pledge_seized"), None)
