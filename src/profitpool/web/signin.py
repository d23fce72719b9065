"""Signing in to a page area (the wallet, the merchant portal) with an API key.

The key is kept in an HttpOnly, SameSite=Strict cookie scoped to the area's
path, so other sites can neither read it nor send it; forms whose Origin is
another site are refused too. Only a key of the area's role signs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..errors import ProfitpoolError
from ..service.auth import Principal
from ..service.deps import ContextDep

MAX_FORM = 4096


@dataclass(frozen=True)
class Area:
    path: str
    role: str
    cookie: str


def signed_in(ctx: ContextDep, request: Request, area: Area) -> Principal | None:
    """The area's party whose key is in the cookie, or None."""
    return _principal(ctx, request.cookies.get(area.cookie), area)


def _principal(ctx: ContextDep, key: str | None, area: Area) -> Principal | None:
    if not key:
        return None
    try:
        principal = ctx.auth.principal(f"Bearer {key}")
    except ProfitpoolError:
        return None
    if principal.role != area.role or (area.role != "admin" and not principal.party):
        return None
    return principal


async def form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each); {} when too large."""
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    return {name: values[0] for name, values in parse_qs(body.decode("utf-8", "replace"),
                                                         max_num_fields=20).items()}


def same_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def add_signin_routes(router: APIRouter, area: Area) -> None:
    """POST <area>/login (a key in a form) and POST <area>/logout."""

    @router.post("/login")
    async def login(request: Request, ctx: ContextDep) -> Response:
        key = (await form(request)).get("key", "").strip()
        if _principal(ctx, key, area) is None or not same_site(request):
            return RedirectResponse(f"{area.path}?failed=1", status_code=303)
        response = RedirectResponse(area.path, status_code=303)
        response.set_cookie(area.cookie, key, httponly=True, samesite="strict",
                            path=area.path)
        return response

    @router.post("/logout")
    def logout() -> Response:
        response = RedirectResponse(area.path, status_code=303)
        response.delete_cookie(area.cookie, path=area.path)
        return response
