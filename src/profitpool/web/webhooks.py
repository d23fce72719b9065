"""Webhook endpoints in the operator console and the merchant portal.

The same forms in both: register an endpoint (its secret is shown once), see
each one's state (cursor, failures, why it was disabled), switch it off or on,
replay a range, rotate its secret, delete it, and read its delivery log. The
console registers for any owner; a merchant only for itself. Every action goes
through :class:`~profitpool.events.endpoints.EndpointStore`, as the API does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..events.endpoints import EndpointError, EndpointStore
from ..service.auth import Principal
from ..service.deps import Context, ContextDep
from ..times import format_time
from .pages import Lang, LangCookie, render
from .signin import Area, form, same_site, sign_in_page, signed_in

SHOWN_DELIVERIES = 100


def endpoint_rows(ctx: Context, owner: str | None) -> list[dict[str, Any]]:
    """The endpoints a page lists (``owner`` None: all), times made readable."""
    rows = []
    for endpoint in EndpointStore(ctx.store.engine).list(owner):
        row = endpoint.public()
        row["failing_since"] = (format_time(endpoint.failing_since_us)
                                if endpoint.failing_since_us else "")
        rows.append(row)
    return rows


def add_webhook_routes(router: APIRouter, area: Area,
                       owner_of: Callable[[Principal, dict[str, str]], str | None]) -> None:
    """POST <area>/webhook-<action> and GET <area>/webhooks/{id} (the delivery log).

    ``owner_of(principal, fields)`` is the owner a new endpoint gets, and the
    only owner whose endpoints this area may touch (None: any).
    """

    def refused(request: Request, lang: Lang, cookie: LangCookie,
                error: EndpointError) -> Response:
        return render(request, "done.html", lang, cookie, ok=False, back=area.path,
                      outcome={"error": error.code, "message": error.message})

    @router.post("/webhook-{action}")
    async def webhook_action(action: str, request: Request, ctx: ContextDep,
                             lang: Lang = None, lang_cookie: LangCookie = None) -> Response:
        who = signed_in(ctx, request, area)
        if who is None or not same_site(request):
            return RedirectResponse(area.path, status_code=303)
        fields = await form(request)
        store = EndpointStore(ctx.store.engine)
        owner = owner_of(who, fields)
        scope = None if who.role == "admin" else owner
        endpoint_id = fields.get("id", "")
        policy = ctx.settings.url_policy()
        try:
            if action == "create":
                types = [part.strip() for part in fields.get("types", "").split(",")
                         if part.strip()]
                endpoint, secret = await run_in_threadpool(
                    store.create, owner or "admin", fields.get("url", "").strip(), types,
                    fields.get("description", ""), policy=policy)
                return render(request, "webhook_secret.html", lang, lang_cookie,
                              endpoint=endpoint.public(), secret=secret, back=area.path)
            if action == "secret":
                secret = store.rotate_secret(endpoint_id, scope)
                return render(request, "webhook_secret.html", lang, lang_cookie,
                              endpoint=store.require(endpoint_id).public(), secret=secret,
                              back=area.path)
            if action in ("enable", "disable"):
                store.update(endpoint_id, policy=policy, owner=scope,
                             enabled=action == "enable")
            elif action == "replay":
                first = fields.get("first", "").strip()
                last = fields.get("last", "").strip()
                if not first.isdigit() or (last and not last.isdigit()):
                    raise EndpointError("invalid_command",
                                        "replay takes event numbers (seq), from and to")
                store.replay(endpoint_id, int(first), int(last) if last else None, scope)
            elif action == "delete":
                store.delete(endpoint_id, scope)
        except EndpointError as error:
            return refused(request, lang, lang_cookie, error)
        return RedirectResponse(area.path, status_code=303)

    @router.get("/webhooks/{endpoint_id}")
    def webhook_log(endpoint_id: str, request: Request, ctx: ContextDep, lang: Lang = None,
                    lang_cookie: LangCookie = None) -> Response:
        who = signed_in(ctx, request, area)
        if who is None:
            return sign_in_page(request, area, lang, lang_cookie)
        store = EndpointStore(ctx.store.engine)
        scope = None if who.role == "admin" else owner_of(who, {})
        try:
            endpoint = store.require(endpoint_id, scope)
        except EndpointError as error:
            return refused(request, lang, lang_cookie, error)
        rows = store.deliveries(endpoint_id, limit=SHOWN_DELIVERIES)
        for row in rows:
            row["time"] = format_time(row["attempt_us"])
        return render(request, "webhook_log.html", lang, lang_cookie,
                      endpoint=endpoint.public(), deliveries=rows, back=area.path)
