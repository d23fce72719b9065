"""The operator console: the pool's health, the rules (changed through a diff and a
confirmation), merchants, lenders, campaigns, API keys, burns, webhooks, who is signed
in to the pages (:mod:`.sessions`) and, on a page of its own, cash (:mod:`.cash`).
Signed in with an admin key (:mod:`.signin`); every change goes through the same
sequencer as the API."""

from __future__ import annotations

import heapq
import secrets
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..errors import Rejected
from ..money import format_fen, parse_decimal
from ..service.deps import Context, ContextDep, listed_keys, merchant_command, submit
from ..service.readmodel import Head, value_fen
from ..service.sequencer import IdemKey, request_digest
from ..store.apikeys import KeyError_, KeyRefused
from ..times import format_time, month_start, shanghai_day, shanghai_month
from .analytics import percent
from .cash import add_cash_routes
from .errors_i18n import key_refusal
from .i18n import choose
from .pages import Lang, LangCookie, render
from .sessions import add_session_routes, session_rows
from .signin import Area, area_router, form, same_site, signed_in
from .webhooks import add_webhook_routes, endpoint_rows

AREA = Area("/console", "admin", "pp_console_session")
router = area_router(AREA)
# Before /console/{action} below, which would otherwise take /console/webhook-create.
add_webhook_routes(router, AREA, lambda _who, fields: fields.get("owner", "admin").strip()
                   or "admin")
add_session_routes(router, AREA)
add_cash_routes(router, AREA)  # /console/cash: payouts, bank files, reconciliation
TOP_HOLDERS = 10


def health(ctx: Context) -> dict[str, Any]:
    """The pool against every holding at once, today's withdrawals against the cap,
    this month's exits, and the largest holders' share."""
    with ctx.read.lock:
        head: Head = ctx.read.head
        shares = [view.shares for view in ctx.read.members.values()]
    holdings = sum(value_fen(head, member_shares) for member_shares in shares)
    now = head.now if head.now is not None else 0
    today = head.withdrawn_today if head.cap_day == shanghai_day(now) else 0
    rate = head.rules.get("daily_withdraw_cap_rate")
    cap = None
    if rate is not None:
        numerator, denominator = parse_decimal(rate, "invalid_rules")
        cap = format_fen(numerator * head.cap_base_pool // denominator)
    month_began = month_start(*shanghai_month(now))
    largest = sum(heapq.nlargest(TOP_HOLDERS, shares))
    return {
        "pool": format_fen(head.pool), "holdings": format_fen(holdings),
        "cover": format_fen(head.pool - holdings), "covered": head.pool >= holdings,
        "withdrawn_today": format_fen(today), "cap": cap,
        "exits_this_month": head.exits - ctx.store.exits_before(month_began),
        "top": TOP_HOLDERS, "top_share": percent(largest, head.total_shares),
        "members": head.members, "time": format_time(now) if head.now is not None else "",
    }


@router.get("")
def console(request: Request, ctx: ContextDep, lang: Lang = None,
            lang_cookie: LangCookie = None, failed: int = 0) -> Response:
    if signed_in(ctx, request, AREA) is None:
        return render(request, "signin.html", lang, lang_cookie, error=bool(failed),
                       action="/console/login", title="console_login")
    with ctx.read.lock:
        rules = dict(ctx.read.head.rules)
        merchants = [ctx.read.merchants[m] for m in sorted(ctx.read.merchants)]
        lenders = [ctx.read.lenders[x] for x in sorted(ctx.read.lenders)]
        campaigns = [ctx.read.campaigns[c] for c in sorted(ctx.read.campaigns)]
    burns = [ctx.reader.entry_json(index)["entry"]
             for index in ctx.store.party_entries("burns", None, 24)]
    return render(request, "console.html", lang, lang_cookie, health=health(ctx),
                   rules=rules, merchants=merchants, lenders=lenders, campaigns=campaigns,
                   keys=listed_keys(ctx), burns=burns,
                   webhooks=endpoint_rows(ctx, None), area="/console", choose_owner=True,
                   sessions=session_rows(ctx, request, AREA),
                   private_targets=ctx.settings.webhook_private_targets)


def _register(kind: str, fields: dict[str, str]) -> dict[str, Any]:
    """The command a console form registers (the engine checks every field)."""
    if kind == "merchant":
        return merchant_command(fields.get("id", ""), fields.get("name", ""),
                                fields.get("industry", ""))
    if kind == "lender":
        return {"op": "lender", "id": fields.get("id", ""), "name": fields.get("name", "")}
    return {"op": "campaign", "id": fields.get("id", ""),
            "merchant": fields.get("merchant") or None,
            "multiplier": fields.get("multiplier", ""), "start": fields.get("start", ""),
            "end": fields.get("end", "")}


def _rule_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rule_value(current: object, text: str) -> object:
    """A form's text as the JSON value the rules command takes (the engine checks it)."""
    if isinstance(current, bool):
        return text.strip().lower() in ("true", "1", "yes", "on")
    if isinstance(current, int):
        return int(text) if text.strip().lstrip("-").isdigit() else text
    return None if text.strip() == "" else text.strip()


@router.post("/{action}")
async def act(action: str, request: Request, ctx: ContextDep, lang: Lang = None,
              lang_cookie: LangCookie = None) -> Response:
    who = signed_in(ctx, request, AREA)
    if who is None or not same_site(request):
        return RedirectResponse("/console", status_code=303)
    fields = await form(request)
    if action == "rules":
        with ctx.read.lock:
            current = dict(ctx.read.head.rules)
        changes = {name: _rule_value(value, fields[f"rule.{name}"])
                   for name, value in current.items()
                   if f"rule.{name}" in fields
                   and _rule_text(value) != fields[f"rule.{name}"].strip()}
        if fields.get("step") != "confirm":
            diff = [{"name": name, "old": _rule_text(current[name]),
                     "new": _rule_text(changes[name])} for name in sorted(changes)]
            return render(request, "console_rules.html", lang, lang_cookie, diff=diff,
                           fields={k: v for k, v in fields.items() if k.startswith("rule.")},
                           token=secrets.token_urlsafe(16))
        if not changes:
            return RedirectResponse("/console", status_code=303)
        key = IdemKey(who.scope(), f"console:{fields.get('token', '')}",
                      request_digest(["rules", changes]), True)
        [outcome] = await submit(ctx, [{"op": "rules", "rules": changes}], [key])
    elif action in ("merchant", "lender", "campaign"):
        try:
            command = _register(action, fields)
        except Rejected as error:
            return render(request, "done.html", lang, lang_cookie, ok=False,
                           outcome={"error": error.code, "message": error.message},
                           back="/console")
        [outcome] = await submit(ctx, [command], [None])
    elif action == "burn":
        [outcome] = await submit(ctx, [{"op": "burn", "period": fields.get("period", "")}],
                                 [None])
    elif action == "key-create":
        try:
            role, party = fields.get("role", ""), fields.get("party") or None
            if role == "member" and party:  # the operator's id for them: the pseudonym
                party = await run_in_threadpool(ctx.directory.key_party, party)
            key_text, record = ctx.keys.create(role, party, fields.get("label", ""),
                                               exists=ctx.read.knows)
        except KeyRefused as error:
            reason = key_refusal(error.reason, error.code, error.role, error.party,
                                 choose(lang, lang_cookie))
            return render(request, "done.html", lang, lang_cookie, ok=False, reason=reason,
                           outcome={"error": error.code, "message": error.message},
                           back="/console")
        return render(request, "console_key.html", lang, lang_cookie, key=key_text,
                       record=record.public())
    elif action == "key-revoke":
        try:
            ctx.keys.revoke(fields.get("id", ""))
        except KeyError_ as error:
            return render(request, "done.html", lang, lang_cookie, ok=False,
                           outcome={"error": "invalid_command", "message": str(error)},
                           back="/console")
        ctx.auth.forget(fields.get("id", ""))
        return RedirectResponse("/console", status_code=303)
    else:
        return RedirectResponse("/console", status_code=303)
    return render(request, "done.html", lang, lang_cookie, outcome=outcome.body,
                   ok=outcome.status < 400, back="/console")
