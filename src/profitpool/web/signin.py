"""Signing in to a page area (the wallet, the portals, the console) with an API key.

The key is checked once, when it signs in; the browser then holds only a
session id (store/sessions.py) in an HttpOnly, SameSite=Strict cookie scoped
to the area's path, marked Secure when the request came over HTTPS. Each
request to the area looks its session up, off the event loop, and checks the
session's key through the service's Authenticator: revoking the key ends its
sessions at once through this service, within a second through the CLI. A
session also ends when it has been idle ``session_idle_minutes``, when
``session_lifetime_hours`` have passed since it began, on signing out, and
when the console ends it.

Every state-changing request to an area (POST and the like, signing in and out
included) must come from this site's own page: its ``Origin``, or without one
its ``Referer``, must be this site; a request with neither is refused too.
(Browsers send ``Origin`` on every form POST; the site's ``Referrer-Policy:
same-origin`` keeps it, see service/security.py.) SameSite=Strict already keeps
the cookie off other sites' requests; this check does not rely on it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..errors import ProfitpoolError
from ..service.auth import Principal
from ..service.deps import Context, ContextDep
from ..service.errors import ServiceError
from ..store.sessions import Session, SessionStore, hash_session_id

MAX_FORM = 4096
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
LEGACY_COOKIES: Final = {"/wallet": "pp_member_key", "/merchant": "pp_merchant_key",
                         "/console": "pp_admin_key"}
"""The cookies that held the raw API key before sessions: ignored, and dropped from the
browser at its next sign-in or sign-out."""
UNBOUND_ROLES: Final = frozenset({"admin", "auditor"})
"""Roles whose keys act for no party (every other area's key must name its party)."""
PASSKEY_PREFIX: Final = "pk_"
"""A session whose ``key_id`` starts so was opened with a member's passkey of that id
(store/passkeys.py), not an API key."""
TOUCH_EVERY_US: Final = 60_000_000
"""A session's last use is written at most once a minute (or a quarter of the idle
timeout, if shorter): a page view costs a read, rarely a write."""


@dataclass(frozen=True)
class Area:
    path: str
    role: str
    cookie: str
    """The cookie holding the area's session id (never a key)."""


@dataclass(frozen=True)
class SignedIn:
    """Who a request to an area comes from, and the session it came with."""

    principal: Principal
    session: Session


class CrossSiteRequest(Exception):
    """A state-changing request to ``area`` that did not come from this site's pages
    (answered 403 by the handler in web/app.py)."""

    def __init__(self, area: str) -> None:
        super().__init__(area)
        self.area = area


def now_us() -> int:
    """Wall-clock microseconds: sessions run on real time, not the ledger's clock."""
    return time.time_ns() // 1000


def timeouts_us(ctx: Context) -> tuple[int, int]:
    """(idle timeout, absolute lifetime) of a session, in microseconds."""
    return (int(ctx.settings.session_idle_minutes * 60_000_000),
            int(ctx.settings.session_lifetime_hours * 3_600_000_000))


def sessions(ctx: Context) -> SessionStore:
    return SessionStore(ctx.store.engine)


def same_site(request: Request) -> bool:
    """Whether the request came from this site: its Origin, else its Referer, names this
    origin (scheme, host and port). Neither header, or ``Origin: null``: no."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == own
    referer = urlsplit(request.headers.get("referer", ""))
    return bool(referer.scheme) and f"{referer.scheme}://{referer.netloc}" == own


def _lookup(ctx: Context, session_id: str | None, area: Area) -> SignedIn | None:
    """The live session of ``area`` this cookie value names, with its key's principal.

    Reads the database: call it off the event loop.

    Raises:
        ServiceError(rate_limited): the session's key is over its rate, as in the API.
    """
    if not session_id:
        return None
    store = sessions(ctx)
    session = store.find(session_id)
    now = now_us()
    idle_us, _ = timeouts_us(ctx)
    if (session is None or session.area != area.path or session.key_id is None
            or not session.live(now, idle_us)):
        return None
    if session.key_id.startswith(PASSKEY_PREFIX):
        # Opened with a passkey (store/passkeys.py): removing the passkey ended it.
        principal = Principal(session.key_id, session.role, session.party)
    else:
        key = ctx.auth.key(session.key_id)
        if (key is None or key.revoked_us is not None or key.role != session.role
                or key.party != session.party):
            return None  # the key was revoked (or is not the one the session was opened with)
        principal = Principal(key.key_id, key.role, key.party)
    wait = ctx.auth.limiter.take(principal.key_id)
    if wait is not None:
        raise ServiceError("rate_limited", "too many requests from this key; slow down",
                           retry_after=wait)
    if now - session.last_seen_us >= min(TOUCH_EVERY_US, idle_us // 4):
        store.touch(session.id_hash, now)
    return SignedIn(principal, session)


def current(request: Request, area: Area) -> SignedIn | None:
    """The request's session in ``area``, as the area's guard found it."""
    found: SignedIn | None = request.state.signed_in  # set by area_router's guard
    if found is None or found.session.area != area.path:
        return None
    return found


def signed_in(ctx: ContextDep, request: Request, area: Area) -> Principal | None:
    """The area's party signed in on this request, or None.

    The area's guard (:func:`area_router`) looked the session up before the
    route ran, so this reads no database (``ctx`` is not needed any more).
    """
    del ctx
    found = current(request, area)
    return None if found is None else found.principal


async def form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each); {} when too large."""
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    return {name: values[0] for name, values in parse_qs(body.decode("utf-8", "replace"),
                                                         max_num_fields=20).items()}


def _key_principal(ctx: Context, key: str, area: Area) -> Principal | None:
    """The principal of a key that may sign in to ``area``, else None (reads the database)."""
    if not key:
        return None
    try:
        principal = ctx.auth.principal(f"Bearer {key}")
    except ProfitpoolError:
        return None
    if principal.role != area.role or (area.role not in UNBOUND_ROLES and not principal.party):
        return None
    return principal


def _open(ctx: Context, request: Request, area: Area, key: str) -> str | None:
    """Check the key and open a session for it: the session id, or None."""
    principal = _key_principal(ctx, key, area)
    if principal is None:
        return None
    return open_session(ctx, request, area, principal)


def open_session(ctx: Context, request: Request, area: Area, principal: Principal) -> str:
    """Open a session of ``area`` for ``principal``, whose credential (a key, or a passkey:
    web/passkeys.py) was just checked, replacing the request's own; the session id, for
    the cookie alone (:func:`signed_in_response`). Reads and writes the database."""
    store = sessions(ctx)
    now = now_us()
    previous = current(request, area)
    if previous is not None:
        store.end(previous.session.id_hash, now)  # signing in again replaces the session
    idle_us, lifetime_us = timeouts_us(ctx)
    session_id, _ = store.open(principal.key_id, principal.role, principal.party, area.path,
                               request.headers.get("user-agent", ""), now, lifetime_us,
                               idle_us)
    return session_id


def _drop_legacy(request: Request, response: Response, area: Area) -> None:
    legacy = LEGACY_COOKIES.get(area.path)
    if legacy is not None and legacy in request.cookies:
        response.delete_cookie(legacy, path=area.path, httponly=True, samesite="strict")


def signed_in_response(request: Request, area: Area, session_id: str) -> Response:
    """To the area's page, holding the new session's id in the area's cookie."""
    response = RedirectResponse(area.path, status_code=303)
    response.set_cookie(area.cookie, session_id, httponly=True, samesite="strict",
                        path=area.path, secure=request.url.scheme == "https")
    _drop_legacy(request, response, area)
    return response


def add_signin_routes(router: APIRouter, area: Area) -> None:
    """POST <area>/login (a key in a form) and POST <area>/logout."""

    @router.post("/login")
    async def login(request: Request, ctx: ContextDep) -> Response:
        key = (await form(request)).get("key", "").strip()
        session_id = await run_in_threadpool(_open, ctx, request, area, key)
        if session_id is None:
            return RedirectResponse(f"{area.path}?failed=1", status_code=303)
        return signed_in_response(request, area, session_id)

    @router.post("/logout")
    async def logout(request: Request, ctx: ContextDep) -> Response:
        """End the session in the database (its cookie is worthless from now on), then
        drop the cookie."""
        session_id = request.cookies.get(area.cookie)
        if session_id:
            await run_in_threadpool(sessions(ctx).end, hash_session_id(session_id), now_us())
        response = RedirectResponse(area.path, status_code=303)
        response.delete_cookie(area.cookie, path=area.path, httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
        _drop_legacy(request, response, area)
        return response


def area_router(area: Area) -> APIRouter:
    """The router of a signed-in area, with its sign-in routes.

    Each of its routes first runs the area's guard: a state-changing request
    that is not from this site is refused (:class:`CrossSiteRequest`), then the
    session is looked up on a worker thread for :func:`signed_in`.
    """

    router = APIRouter(prefix=area.path, include_in_schema=False,
                       dependencies=[Depends(area_guard(area))])
    add_signin_routes(router, area)
    return router


def area_guard(area: Area) -> Callable[[Request, Context], Awaitable[None]]:
    """The dependency every route of ``area`` runs first (:func:`area_router`; a router
    of more routes under the area's path, web/passkeys.py, runs it too)."""

    async def guard(request: Request, ctx: ContextDep) -> None:
        if request.method not in SAFE_METHODS and not same_site(request):
            raise CrossSiteRequest(area.path)
        request.state.signed_in = await run_in_threadpool(
            _lookup, ctx, request.cookies.get(area.cookie), area)

    return guard


def sign_in_page(request: Request, area: Area, lang: str | None, lang_cookie: str | None,
                 failed: bool = False) -> Response:
    """The area's sign-in page (``<area>_login`` its title, its form posting to
    ``<area>/login``), where a page or a file of the area was asked for without a session;
    ``failed`` says the last sign-in was refused."""
    from .pages import render  # pages' templates; pages does not import this module

    return render(request, "signin.html", lang, lang_cookie, error=failed,
                  action=f"{area.path}/login", title=f"{area.path.strip('/')}_login")
