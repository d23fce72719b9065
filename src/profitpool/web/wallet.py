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
from fractions import Fraction
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape

from ..disclosure.publish import member_proof, stored_periods
from ..members.directory import OPERATOR
from ..members.pseudonyms import is_pseudonym
from ..money import INDEX_SCALE, format_fen, format_percent, group_thousands, parse_money
from ..service.deps import Context, ContextDep, new_id, submit
from ..service.readmodel import cash_json, member_json, pool_figures
from ..service.routes.members import cashable_json, export_file, export_headers
from ..service.sequencer import IdemKey, request_digest
from ..times import display_time
from .pages import Lang, LangCookie, render
from .pseudonyms import Pseudonyms
from .signin import Area, area_router, form, same_site, sign_in_page, signed_in

AREA = Area("/wallet", "member", "pp_wallet_session")
router = area_router(AREA)


@router.get("")
def wallet(request: Request, ctx: ContextDep, lang: Lang = None,
           lang_cookie: LangCookie = None, failed: int = 0) -> Response:
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None:
        return sign_in_page(request, AREA, lang, lang_cookie, bool(failed))
    head, view, orders = ctx.read.member_and_orders(who.party)
    holding: dict[str, Any] | None = None
    cashable: dict[str, Any] | None = None
    if view is not None:
        holding = member_json(head, view)
        cashable = cashable_json(ctx, head, view, orders)
    history = [ctx.reads.reader.entry_json(index)
               for index in ctx.reads.store.party_entries(f"member:{who.party}", None, 20)]
    # The member's own id (the operator's link, outside the log) heads the page; the log
    # and the explorer know them by their pseudonym (docs/privacy.md), which they may
    # look up. A member of a log written before pseudonyms has a keyed-hash one.
    own = ctx.directory.member_ids([who.party], OPERATOR).get(who.party, who.party)
    pseudonym = (who.party if is_pseudonym(who.party)
                 else Pseudonyms.of(request, ctx).of_member(who.party))
    figures = pool_figures(head.pool, head.total_shares, head.index_units)
    return render(request, "wallet.html", lang, lang_cookie, member=own,
                   holding=holding, cashable=cashable, history=history,
                   merchants=_merchants(ctx), pseudonym=pseudonym,
                   cash=cash_json(ctx.read.cash_of(f"member:{who.party}")),
                   months=[row.period for row in stored_periods(ctx.reads.store)],
                   price=figures["price"], value_per_point=figures["value_per_point"],
                   burned=head.index_units < INDEX_SCALE,
                   payout_rate=_percent(head.rules, "withdraw_payout_rate"),
                   gain=_percent(head.rules, "withdraw_min_gain"), **HELPERS)


@router.get("/pol/{period}")
def my_pol_proof(period: str, request: Request, ctx: ContextDep, lang: Lang = None,
                 lang_cookie: LangCookie = None) -> Response:
    """The signed-in member's proof of liabilities for a month, as a JSON file to keep and
    check (`profitpool pol verify`, or the Disclosures page in the browser)."""
    who = signed_in(ctx, request, AREA)
    if who is None or who.party is None:
        return sign_in_page(request, AREA, lang, lang_cookie)
    proof = member_proof(ctx.reads.store, period, who.party)
    if proof is None and ctx.reads.replicated:  # recorded since the replica's newest block?
        proof = member_proof(ctx.reads.primary, period, who.party)
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
        return sign_in_page(request, AREA, lang, lang_cookie)
    return Response(export_file(ctx, who.party), media_type="application/json",
                    headers=export_headers(who.party))


@router.post("/{kind}")
async def redeem(kind: str, request: Request, ctx: ContextDep, lang: Lang = None,
                 lang_cookie: LangCookie = None) -> Response:
    """``kind`` is withdraw or pay; ``step`` preview shows the figures, confirm sends it.
    The 全部 button sends ``all`` (every eligible point, or every unpledged one)."""
    who = signed_in(ctx, request, AREA)
    if kind not in ("withdraw", "pay") or who is None or who.party is None \
            or not same_site(request):
        return RedirectResponse("/wallet", status_code=303)
    fields = await form(request)
    everything = bool(fields.get("all"))
    points = "all" if everything else fields.get("points", "").strip()
    if everything and kind == "withdraw":
        # 全部 is all the member can cash out now. Past the day's cap, "all" (every
        # eligible lot) would be refused whole: it asks for what the cap leaves instead.
        available = _available(ctx, who.party)
        cap = None if available is None else available["daily_cap"]
        if available is not None and cap is not None and cap["points"] != "0.0000" \
                and available["points"] != "0.0000":
            points = available["points"]
    command: dict[str, Any] = {"op": kind, "id": new_id(kind[0]), "member": who.party,
                               "points": points}
    if kind == "pay":
        command["merchant"] = fields.get("merchant", "")
    merchants = _merchants(ctx)
    values: dict[str, Any] = {"kind": kind, "points": points, "everything": everything,
                              "merchant": command.get("merchant"),
                              "merchant_name": merchants.get(command.get("merchant") or ""),
                              **HELPERS}
    if fields.get("step") != "confirm":
        [outcome] = await submit(ctx, [command], [None], preview=True)
        ok = outcome.status == 200
        return render(request, "wallet_confirm.html", lang, lang_cookie,
                       outcome=outcome.body, ok=ok, token=secrets.token_urlsafe(16),
                       available=None if ok else _available(ctx, who.party), **values)
    # Confirmed: the form's token makes a double submit one withdrawal.
    body = {"points": points, "merchant": command.get("merchant")}
    key = IdemKey(who.scope(), f"wallet:{fields.get('token', '')}",
                  request_digest([kind, body]), True)
    [outcome] = await submit(ctx, [command], [key])
    ok = outcome.status < 400
    return render(request, "wallet_done.html", lang, lang_cookie, outcome=outcome.body,
                   ok=ok, effect=_effect(outcome.body),
                   available=None if ok else _available(ctx, who.party), **values)


def _effect(body: dict[str, Any]) -> dict[str, Any] | None:
    """The ``withdrawn`` or ``paid_at_merchant`` effect of a confirmed write (a replay
    carries its first entry too), or None (a refusal)."""
    entry = body.get("entry") or {}
    effect = next((effect for effect in entry.get("effects", ())
                   if effect.get("type") in ("withdrawn", "paid_at_merchant")), None)
    if effect is None:
        return None
    stays = parse_money(effect["value"]) - parse_money(effect["paid"])
    return {**effect, "stays_in_pool": format_fen(stays)}


def _available(ctx: Context, member: str) -> dict[str, Any] | None:
    """What the member can withdraw and spend now (the engine's breakdown), shown beside
    a refusal."""
    head, view, orders = ctx.read.member_and_orders(member)
    return None if view is None else cashable_json(ctx, head, view, orders)


def _merchants(ctx: Context) -> dict[str, str]:
    """Merchant id -> the name people know it by (its id when it has none), by name."""
    with ctx.read.lock:
        names = {merchant_id: row.get("name") or merchant_id
                 for merchant_id, row in ctx.read.merchants.items()}
    return dict(sorted(names.items(), key=lambda item: (item[1], item[0])))


def _percent(rules: dict[str, Any], name: str) -> str | None:
    """A rate of the rules as a percentage ("0.8" -> "80.0%"); None when the rule is off."""
    value = rules.get(name)
    return None if value is None else percent(value)


def fill(text: str, **figures: object) -> Markup:
    """A catalogue sentence with each ``{name}`` replaced by its figure, in an element that
    never breaks (an amount wraps as a whole, never through itself)."""
    html = str(escape(text))
    for name, figure in figures.items():
        html = html.replace("{" + name + "}",
                            f'<span class="money" data-figure="{name}">{escape(figure)}</span>')
    return Markup(html)


def yuan(text: object) -> str:
    """An amount as people read it: "12345.60" -> "¥12,345.60"."""
    return "¥" + group_thousands(str(text))


def percent(decimal: str) -> str:
    """A ratio given as a decimal string, as a percentage: "0.0360" -> "3.6%"."""
    return format_percent(Fraction(decimal))


HELPERS: dict[str, Any] = {"fill": fill, "yuan": yuan, "minute": display_time,
                           "grouped": group_thousands, "percent": percent}
"""What the wallet's templates use to show figures."""
