"""The member wallet: a member signs in with their key and sees their points, value and
lots; a withdrawal or a payment is previewed (what will be paid, what stays in the pool)
before it is confirmed.

The key is kept in an HttpOnly, SameSite=Strict cookie scoped to /wallet, so other
sites can neither read it nor send it; forms are also refused when their Origin is
another site's. The preview and the write go through the same sequencer and engine as
the API.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..errors import ProfitpoolError
from ..service.auth import Principal
from ..service.deps import ContextDep, new_id, submit
from ..service.readmodel import member_json
from ..service.sequencer import IdemKey, request_digest
from .pages import Lang, LangCookie, _render

router = APIRouter(prefix="/wallet", include_in_schema=False)
COOKIE = "pp_member_key"
MAX_FORM = 4096


def _member(ctx: ContextDep, request: Request) -> Principal | None:
    key = request.cookies.get(COOKIE)
    if not key:
        return None
    try:
        principal = ctx.auth.principal(f"Bearer {key}")
    except ProfitpoolError:
        return None
    return principal if principal.role == "member" else None


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    return {name: values[0] for name, values in parse_qs(body.decode("utf-8", "replace"),
                                                         max_num_fields=20).items()}


def _same_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


@router.get("")
def wallet(request: Request, ctx: ContextDep, lang: Lang = None,
           lang_cookie: LangCookie = None, failed: int = 0) -> Response:
    who = _member(ctx, request)
    if who is None or who.party is None:
        return _render(request, "wallet_login.html", lang, lang_cookie, error=bool(failed))
    head, view = ctx.read.member(who.party)
    holding: dict[str, Any] | None = None if view is None else member_json(head, view)
    history = [ctx.reader.entry_json(index)
               for index in ctx.store.party_entries(f"member:{who.party}", None, 20)]
    with ctx.read.lock:
        merchants = sorted(ctx.read.merchants)
    return _render(request, "wallet.html", lang, lang_cookie, member=who.party,
                   holding=holding, history=history, merchants=merchants)


@router.post("/login")
async def login(request: Request, ctx: ContextDep) -> Response:
    form = await _form(request)
    key = form.get("key", "").strip()
    try:
        principal = ctx.auth.principal(f"Bearer {key}")
    except ProfitpoolError:
        principal = None
    if principal is None or principal.role != "member" or not _same_site(request):
        return RedirectResponse("/wallet?failed=1", status_code=303)
    response = RedirectResponse("/wallet", status_code=303)
    response.set_cookie(COOKIE, key, httponly=True, samesite="strict", path="/wallet")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/wallet", status_code=303)
    response.delete_cookie(COOKIE, path="/wallet")
    return response


@router.post("/{kind}")
async def redeem(kind: str, request: Request, ctx: ContextDep, lang: Lang = None,
                 lang_cookie: LangCookie = None) -> Response:
    """``kind`` is withdraw or pay; ``step`` preview shows the figures, confirm sends it."""
    who = _member(ctx, request)
    if kind not in ("withdraw", "pay") or who is None or who.party is None \
            or not _same_site(request):
        return RedirectResponse("/wallet", status_code=303)
    form = await _form(request)
    points = form.get("points", "").strip()
    command: dict[str, Any] = {"op": kind, "id": new_id(kind[0]), "member": who.party,
                               "points": points}
    if kind == "pay":
        command["merchant"] = form.get("merchant", "")
    values: dict[str, Any] = {"kind": kind, "points": points,
                              "merchant": command.get("merchant")}
    if form.get("step") != "confirm":
        [outcome] = await submit(ctx, [command], [None], preview=True)
        return _render(request, "wallet_confirm.html", lang, lang_cookie,
                       outcome=outcome.body, ok=outcome.status == 200,
                       token=secrets.token_urlsafe(16), **values)
    # Confirmed: the form's token makes a double submit one withdrawal.
    body = {"points": points, "merchant": command.get("merchant")}
    key = IdemKey(who.scope(), f"wallet:{form.get('token', '')}",
                  request_digest([kind, body]), True)
    [outcome] = await submit(ctx, [command], [key])
    return _render(request, "wallet_done.html", lang, lang_cookie, outcome=outcome.body,
                   ok=outcome.status < 400, **values)
