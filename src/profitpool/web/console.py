"""The operator console: the pool's health, the rules (changed through a diff and a
confirmation), merchants, lenders, campaigns, API keys, burns, webhooks, who is signed
in to the pages (:mod:`.sessions`) and, on a page of its own, cash (:mod:`.cash`).
Signed in with an admin key (:mod:`.signin`); every change goes through the same
sequencer as the API."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..errors import Rejected
from ..rules import RULE_SPECS, RuleRefused, Rules, parse_rule_changes, rule_label
from ..service.deps import Context, ContextDep, listed_keys, merchant_command, submit
from ..service.errors import status_of
from ..service.poolhealth import pool_health
from ..service.sequencer import IdemKey, request_digest
from ..store.apikeys import KeyError_, KeyRefused
from ..times import parse_time
from .cash import add_cash_routes
from .charts import Series, time_chart
from .errors_i18n import key_refusal, message
from .i18n import choose, translator
from .pages import Lang, LangCookie, render
from .rule_fields import input_text, refusal_text, rule_fields, rule_shown, rule_unit
from .sessions import add_session_routes, session_rows
from .signin import Area, area_router, form, same_site, sign_in_page, signed_in
from .webhooks import add_webhook_routes, endpoint_rows

AREA = Area("/console", "admin", "pp_console_session")
router = area_router(AREA)
# Before /console/{action} below, which would otherwise take /console/webhook-create.
add_webhook_routes(router, AREA, lambda _who, fields: fields.get("owner", "admin").strip()
                   or "admin")
add_session_routes(router, AREA)
add_cash_routes(router, AREA)  # /console/cash: payouts, bank files, reconciliation
CHART_BLOCKS = 200
REFUSAL_COLOURS = ("#c0392b", "#2471a3", "#1e8449", "#7d3c98", "#b9770e", "#555555")


def health(ctx: Context, language: str) -> dict[str, Any]:
    """The pool's health (service/poolhealth.py, as ``GET /v1/pool/health`` answers), with
    its charts: the pool over the last blocks, and withdrawals refused a day by reason."""
    figures = pool_health(ctx)
    t = translator(language)
    head_height = ctx.read.head.height
    stats = ctx.reads.store.stats(max(0, head_height - CHART_BLOCKS), CHART_BLOCKS)
    pool_chart = time_chart([Series(t("pool"), "#1e8449", [row.pool for row in stats])],
                            [row.time_us for row in stats], scale=100, decimals=2,
                            prefix="¥")
    refused = figures["refused_withdrawals"]["days"]
    days = sorted({row["day"] for row in refused})
    codes = sorted({row["code"] for row in refused})
    counts = {(row["day"], row["code"]): row["count"] for row in refused}
    refusal_chart = time_chart(
        [Series(message(code, language), REFUSAL_COLOURS[position % len(REFUSAL_COLOURS)],
                [counts.get((day, code), 0) for day in days])
         for position, code in enumerate(codes)],
        [parse_time(f"{day}T12:00:00+08:00") for day in days], scale=1, decimals=0) \
        if len(days) > 1 else {"empty": True}
    totals = {code: sum(counts.get((day, code), 0) for day in days) for code in codes}
    return {**figures, "pool_chart": pool_chart, "refusal_chart": refusal_chart,
            "refusal_totals": sorted(totals.items(), key=lambda item: (-item[1], item[0])),
            "short": (figures["custody"]["difference"] or "").startswith("-")}


@router.get("")
def console(request: Request, ctx: ContextDep, lang: Lang = None,
            lang_cookie: LangCookie = None, failed: int = 0) -> Response:
    if signed_in(ctx, request, AREA) is None:
        return sign_in_page(request, AREA, lang, lang_cookie, bool(failed))
    with ctx.read.lock:
        rules = dict(ctx.read.head.rules)
        merchants = [ctx.read.merchants[m] for m in sorted(ctx.read.merchants)]
        lenders = [ctx.read.lenders[x] for x in sorted(ctx.read.lenders)]
        campaigns = [ctx.read.campaigns[c] for c in sorted(ctx.read.campaigns)]
    burns = [ctx.reads.reader.entry_json(index)["entry"]
             for index in ctx.reads.store.party_entries("burns", None, 24)]
    language = choose(lang, lang_cookie)
    return render(request, "console.html", lang, lang_cookie,
                   health=health(ctx, language), rule_fields=rule_fields(rules, language),
                   roles=KEY_ROLES, merchants=merchants, lenders=lenders, campaigns=campaigns,
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


KEY_ROLES = ("admin", "auditor", "merchant", "member", "lender")
"""The roles a key may have, in the key form's order (store/apikeys.py checks them)."""


def _proposed(fields: dict[str, str], step: str) -> dict[str, Any]:
    """The value the form proposes for each rule it carries, as the rules command takes it
    (the engine checks it). The editor (step "preview") carries every rule, and a checkbox
    left off sends nothing: that toggle is off. The confirmation carries the changes only."""
    proposed: dict[str, Any] = {}
    for name, spec in RULE_SPECS.items():
        key = f"rule.{name}"
        if spec.kind == "toggle":
            if step == "preview":
                proposed[name] = key in fields
            elif key in fields:
                proposed[name] = {"true": True, "false": False}.get(fields[key], fields[key])
        elif key in fields:
            text = fields[key].strip()
            proposed[name] = None if spec.optional and text in ("", "none") else text
    return proposed


def _rule_changes(current: dict[str, Any], proposed: dict[str, Any], language: str
                  ) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(changes in canonical form, refusals by rule in ``language``, the engine's own
    messages by rule): each proposed value is checked by the engine's rule check alone,
    so every refused value is named at once, and one equal to the rule in force (``0.30``
    for ``0.3``) is no change."""
    changes: dict[str, Any] = {}
    refused: dict[str, str] = {}
    messages: dict[str, str] = {}
    for name, value in proposed.items():
        try:
            checked = Rules().with_changes(parse_rule_changes({name: value}))
        except RuleRefused as error:
            refused[name] = refusal_text(error, language)
            messages[name] = error.message
            continue
        canonical = checked.to_json()[name]
        if canonical != current.get(name):
            changes[name] = canonical
    return changes, refused, messages


async def _rules(request: Request, ctx: Context, who: Any, fields: dict[str, str],
                 lang: str | None, lang_cookie: str | None) -> Response:
    """Review (step "preview": the engine checks, then the diff) or apply (step
    "confirm", once: the token is the Idempotency-Key) the rule editor's changes."""
    language = choose(lang, lang_cookie)
    with ctx.read.lock:
        current = dict(ctx.read.head.rules)
    step = "confirm" if fields.get("step") == "confirm" else "preview"
    changes, refused, messages = _rule_changes(current, _proposed(fields, step), language)
    if refused:
        return render(request, "console_rules.html", lang, lang_cookie,
                       status=status_of("invalid_rules"),
                       refused=[{"name": name, "label": rule_label(name, language),
                                 "reason": refused[name], "message": messages[name]}
                                for name in RULE_SPECS if name in refused],
                       rule_fields=rule_fields(current, language, fields, refused), diff=[])
    if step == "preview" or not changes:
        diff = [{"name": name, "label": rule_label(name, language),
                 "unit": rule_unit(name, language),
                 "old": rule_shown(name, current[name], language),
                 "new": rule_shown(name, changes[name], language),
                 "field": f"rule.{name}", "value": input_text(changes[name])}
                for name in RULE_SPECS if name in changes]
        return render(request, "console_rules.html", lang, lang_cookie, diff=diff,
                       refused=[], token=secrets.token_urlsafe(16))
    key = IdemKey(who.scope(), f"console:{fields.get('token', '')}",
                  request_digest(["rules", changes]), True)
    [outcome] = await submit(ctx, [{"op": "rules", "rules": changes}], [key])
    if outcome.status >= 400:
        return render(request, "console_rules.html", lang, lang_cookie, status=outcome.status,
                       diff=[], refused=[], outcome=outcome.body)
    return render(request, "done.html", lang, lang_cookie, outcome=outcome.body, ok=True,
                   back="/console")


@router.post("/{action}")
async def act(action: str, request: Request, ctx: ContextDep, lang: Lang = None,
              lang_cookie: LangCookie = None) -> Response:
    who = signed_in(ctx, request, AREA)
    if who is None or not same_site(request):
        return RedirectResponse("/console", status_code=303)
    fields = await form(request)
    if action == "rules":
        return await _rules(request, ctx, who, fields, lang, lang_cookie)
    if action in ("merchant", "lender", "campaign"):
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
