"""The console's cash page (/console/cash): custody against pool + owed + in flight, every
open item, the custody account, bank accounts waiting to be verified, payout runs and
their files, and reading a bank file back (docs/cash.md).

Every action is the API's (service/payouts.py, cash/): the same refusals, the same
idempotence. Bank files come as an upload (multipart) or pasted text.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..cash import destinations as dest
from ..cash.operations import check_account, run_file
from ..errors import ProfitpoolError, Rejected
from ..members.directory import OPERATOR
from ..money import format_fen, parse_money
from ..service import payouts
from ..service.deps import ContextDep
from ..times import format_time
from .pages import Lang, LangCookie, render
from .signin import Area, form, same_site, sign_in_page, signed_in

MAX_FILE = 1 << 20
"""A bank file uploaded here (larger: ``profitpool payouts import``)."""


def add_cash_routes(router: APIRouter, area: Area) -> None:
    """GET <area>/cash, POST <area>/cash/<action>, GET <area>/cash/runs/<run>.xml."""

    @router.get("/cash")
    async def cash_page(request: Request, ctx: ContextDep, lang: Lang = None,
                        lang_cookie: LangCookie = None, days: int = 5) -> Response:
        if signed_in(ctx, request, area) is None:
            return sign_in_page(request, area, lang, lang_cookie)
        days = max(0, min(days, 3650))
        store = payouts.cash_store(ctx)
        status = await payouts.status(ctx, days)

        def read() -> dict[str, Any]:
            account = store.account()
            waiting = dest.list_destinations(ctx.directory, None, "unverified")
            opened = dest.open_many(ctx.directory, [row.id for row in waiting])
            return {
                "account": None if account is None else account._asdict(),
                "waiting": [{"id": row.id, "party": row.party,
                             "account": dest.masked_account(opened[row.id]["account"]),
                             "name": opened[row.id]["name"],
                             "bank": opened[row.id].get("bank", ""),
                             "created": format_time(row.created_us)} for row in waiting],
                "runs": [{"run": row.id, "created": format_time(row.created_us),
                          "payouts": row.payouts, "total": format_fen(row.total),
                          "minimum": format_fen(row.minimum)} for row in store.runs(20)],
                "files": [{"kind": row.kind, "message_id": row.message_id,
                           "imported": format_time(row.imported_us),
                           **orjson.loads(row.summary)} for row in store.imports(20)],
            }
        found = await run_in_threadpool(read)
        parties = [item["party"] for key in ("in_flight_overdue", "returned_not_resent")
                   for item in status[key]] + [row["party"] for row in found["waiting"]]
        members = [party[7:] for party in parties if party.startswith("member:")]
        ids = await run_in_threadpool(ctx.directory.member_ids, members, OPERATOR)

        def who(party: str) -> str:
            """A party as the operator knows it: a member by the operator's id for them."""
            kind, _, party_id = party.partition(":")
            shown = ids.get(party_id) if kind == "member" else None
            return f"{kind}:{shown}" if shown else party
        difference = status["difference"]
        return render(request, "console_cash.html", lang, lang_cookie, cash=status,
                      short=difference is not None and difference.startswith("-"),
                      days=days, today=date.today().isoformat(), who=who, **found)

    @router.get("/cash/runs/{run}.xml")
    async def run_download(run: str, request: Request, ctx: ContextDep, lang: Lang = None,
                           lang_cookie: LangCookie = None) -> Response:
        if signed_in(ctx, request, area) is None:
            return sign_in_page(request, area, lang, lang_cookie)
        try:
            data = await run_in_threadpool(run_file, ctx.directory, payouts.cash_store(ctx),
                                           run)
        except Rejected:
            return Response("no such run", status_code=404, media_type="text/plain")
        return Response(data, media_type="application/xml", headers={
            "Content-Disposition": f'attachment; filename="{run}.pain001.xml"',
            "Cache-Control": "no-store"})

    @router.post("/cash/{action}")
    async def cash_action(action: str, request: Request, ctx: ContextDep, lang: Lang = None,
                          lang_cookie: LangCookie = None) -> Response:
        if signed_in(ctx, request, area) is None or not same_site(request):
            return RedirectResponse(area.path, status_code=303)
        back = f"{area.path}/cash"
        try:
            if action == "import":
                data = await _bank_file(request)
                summary = await payouts.import_bank_file(ctx, data)
                return render(request, "cash_done.html", lang, lang_cookie, kind="import",
                              summary=summary, back=back)
            fields = await form(request)
            if action == "run":
                execution = fields.get("execution_date") or None
                summary = await payouts.run_payouts(
                    ctx, parse_money(fields.get("minimum", "0.01").strip() or "0.01",
                                     "invalid_amount"),
                    None if execution is None else _day(execution))
                return render(request, "cash_done.html", lang, lang_cookie, kind="run",
                              summary=summary, back=back)
            if action == "account":
                account = check_account({name: fields.get(name, "") for name in (
                    "holder", "account", "currency", "agent_bic", "agent_member_id")})
                await run_in_threadpool(payouts.cash_store(ctx).set_account, account,
                                        time.time_ns() // 1000)
            elif action in ("verify", "fail"):
                reason = fields.get("reason", "").strip()
                if action == "fail" and not reason:
                    raise Rejected("invalid_command", "say why the account failed (what the "
                                   "bank answered)")
                await run_in_threadpool(dest.set_status, ctx.directory, fields.get("id", ""),
                                        "verified" if action == "verify" else "failed", reason)
            elif action == "resolve":
                resolution = fields.get("resolution", "").strip()
                if not resolution:
                    raise Rejected("invalid_command", "say what the line was")
                item = fields.get("id", "")
                done = item.isdigit() and await run_in_threadpool(
                    payouts.cash_store(ctx).resolve, int(item), resolution[:200],
                    time.time_ns() // 1000)
                if not done:
                    raise Rejected("invalid_command", f"no open item {item!r}")
            return RedirectResponse(back, status_code=303)
        except ProfitpoolError as error:
            code = getattr(error, "code", "invalid_command")
            return render(request, "done.html", lang, lang_cookie, ok=False, back=back,
                          outcome={"error": code, "message": getattr(error, "message",
                                                                     str(error))})


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Rejected("invalid_time", f"the execution date must be YYYY-MM-DD, not {text!r}"
                       ) from None


async def _bank_file(request: Request) -> bytes:
    """The uploaded file, or else the pasted text.

    Raises:
        Rejected(invalid_command): neither, or too large.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=4, max_part_size=MAX_FILE) as parts:
            upload = parts.get("file")
            if upload is not None and not isinstance(upload, str):
                data = await upload.read(MAX_FILE + 1)
                if data:
                    if len(data) > MAX_FILE:
                        raise Rejected("invalid_command", "the file is larger than 1 MiB: "
                                       "read it with `profitpool payouts import`")
                    return data
            pasted = parts.get("data")
            if isinstance(pasted, str) and pasted.strip():
                return pasted.encode()
    raise Rejected("invalid_command", "choose a bank file (camt.053, camt.054 or CSV) or "
                   "paste its text")
