"""Lenders: their pledges, and releasing or seizing them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import (
    READERS,
    CallerDep,
    ContextDep,
    IdempotencyKey,
    allow,
    outcome_response,
    submit,
    write_one,
)
from ..errors import ServiceError
from ..readmodel import pledge_json
from ..responses import Json
from ..schemas import Page, PledgePreview, WriteResult
from .common import ERRORS, REPLAY

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["lender"])


@router.get("/lenders/{lender_id}/pledges", response_model=Page)
async def lender_pledges(lender_id: str, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    allow(who, *READERS, "lender", party=lender_id)
    with ctx.read.lock:
        views = [ctx.read.pledges[p] for p in ctx.read.pledges_by_lender.get(lender_id, [])]
        head = ctx.read.head
    return {"data": [pledge_json(view, head) for view in views], "count": len(views)}


def _lender_of(ctx: ContextDep, pledge_id: str) -> str:
    with ctx.read.lock:
        view = ctx.read.pledges.get(pledge_id)
    if view is None:
        raise ServiceError("unknown_pledge", f"there is no pledge {pledge_id!r}")
    return view.lender


@router.get("/pledges/{pledge_id}")
async def get_pledge(pledge_id: str, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    with ctx.read.lock:
        view = ctx.read.pledges.get(pledge_id)
        head = ctx.read.head
    if view is None:
        allow(who, *READERS, "lender", "member", party=who.party)
        raise ServiceError("unknown_pledge", f"there is no pledge {pledge_id!r}")
    party = view.member if who.role == "member" else view.lender
    allow(who, *READERS, "lender", "member", party=party)
    return pledge_json(view, head)


@router.post("/pledges/{pledge_id}/release", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def release(pledge_id: str, ctx: ContextDep, who: CallerDep,
                  idempotency_key: IdempotencyKey = None) -> Json:
    """Unlock a pledge's points (the loan was repaid)."""
    allow(who, "lender", party=who.party)
    allow(who, "lender", party=_lender_of(ctx, pledge_id))
    command = {"op": "release", "pledge": pledge_id}
    return await write_one(ctx, who, command, idempotency_key, {"pledge": pledge_id})


@router.post("/pledges/{pledge_id}/seize", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def seize(pledge_id: str, ctx: ContextDep, who: CallerDep,
                idempotency_key: IdempotencyKey = None) -> Json:
    """Redeem a pledge's points: the lender is paid first, up to the loan."""
    allow(who, "lender", party=who.party)
    allow(who, "lender", party=_lender_of(ctx, pledge_id))
    command = {"op": "seize", "pledge": pledge_id}
    return await write_one(ctx, who, command, idempotency_key, {"pledge": pledge_id})


@router.post("/pledges/{pledge_id}/release:preview", response_model=PledgePreview,
             response_model_exclude_none=True)
async def preview_release(pledge_id: str, ctx: ContextDep, who: CallerDep) -> Json:
    """What releasing this pledge would unlock now, by the same check that will run it;
    nothing changes."""
    allow(who, "lender", party=who.party)
    allow(who, "lender", party=_lender_of(ctx, pledge_id))
    [outcome] = await submit(ctx, [{"op": "release", "pledge": pledge_id}], [None],
                             preview=True)
    return outcome_response(outcome)


@router.post("/pledges/{pledge_id}/seize:preview", response_model=PledgePreview,
             response_model_exclude_none=True)
async def preview_seizure(pledge_id: str, ctx: ContextDep, who: CallerDep) -> Json:
    """What seizing this pledge would pay now (the lender first, up to what the loan still
    owes; the member the rest) and what would stay in the pool; nothing changes."""
    allow(who, "lender", party=who.party)
    allow(who, "lender", party=_lender_of(ctx, pledge_id))
    [outcome] = await submit(ctx, [{"op": "seize", "pledge": pledge_id}], [None],
                             preview=True)
    return outcome_response(outcome)
