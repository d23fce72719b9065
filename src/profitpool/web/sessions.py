"""The console's list of page sign-ins, and its button that ends any of them.

Every live session of every area (wallet, merchant portal, console) is listed
with its area, role, party, browser, when it began, when it was last used and
when it will end if not used again, the admin's own marked; never its id. A
session is named in the form by the hash the database keeps (store/sessions.py),
from which no cookie can be made.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..members.directory import OPERATOR
from ..service.deps import Context, ContextDep
from ..times import format_time
from .signin import Area, current, form, now_us, sessions, signed_in, timeouts_us

AREA_NAMES: Final = {"/wallet": "wallet_area", "/merchant": "merchant_portal",
                     "/lender": "lender_portal", "/console": "console",
                     "/auditor": "auditor_page"}
"""Each area's name in the pages' catalogue (i18n.py)."""

_BROWSERS: Final = (("MicroMessenger/", "WeChat"), ("Edg/", "Edge"), ("OPR/", "Opera"),
                    ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Version/", "Safari"))
_SYSTEMS: Final = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
                   ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))


def browser_name(user_agent: str) -> str:
    """A User-Agent as a person names a browser: "Chrome 156 · Android" (the first match
    wins: WeChat's, Edge's and Opera's agents also say Chrome, Chrome's says Safari)."""
    browser = next((f"{name} {_major(user_agent, token)}".strip()
                    for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    return " · ".join(part for part in (browser, system) if part) or user_agent[:40] or "?"


def _major(user_agent: str, token: str) -> str:
    version = user_agent.split(token, 1)[1]
    return version.split(".", 1)[0].split(" ", 1)[0] if version[:1].isdigit() else ""


def _shown(micros: int) -> dict[str, str]:
    """A moment as the list shows it (month-day hour:minute, Asia/Shanghai), and in full."""
    full = format_time(micros - micros % 1_000_000)  # to the second
    return {"short": f"{full[5:10]} {full[11:16]}", "full": full}


def session_rows(ctx: Context, request: Request, area: Area) -> list[dict[str, Any]]:
    """The live sessions as the console lists them (reads the database)."""
    mine = current(request, area)
    idle_us, _ = timeouts_us(ctx)
    live = sessions(ctx).live(now_us(), idle_us)
    # A member by the operator's id for them (the console is the operator's), else the
    # pseudonym.
    members = [session.party for session in live if session.role == "member" and session.party]
    ids = ctx.directory.member_ids(members, OPERATOR) if members else {}
    return [{"handle": session.handle(), "area": AREA_NAMES.get(session.area, ""),
             "path": session.area, "role": f"role_{session.role}",
             "party": ids.get(session.party or "", session.party or ""),
             "browser": browser_name(session.user_agent),
             "user_agent": session.user_agent,
             "created": _shown(session.created_us), "last_seen": _shown(session.last_seen_us),
             "ends": _shown(session.ends_us(idle_us)),
             "current": mine is not None and mine.session.id_hash == session.id_hash}
            for session in live]


def add_session_routes(router: APIRouter, area: Area) -> None:
    """POST <area>/sessions/end: end the session the form names (any area's)."""

    @router.post("/sessions/end")
    async def end_session(request: Request, ctx: ContextDep) -> Response:
        if signed_in(ctx, request, area) is None:
            return RedirectResponse(area.path, status_code=303)
        handle = (await form(request)).get("session", "")
        try:
            id_hash = bytes.fromhex(handle)
        except ValueError:
            return RedirectResponse(area.path, status_code=303)
        await run_in_threadpool(sessions(ctx).end, id_hash, now_us())
        return RedirectResponse(area.path, status_code=303)
