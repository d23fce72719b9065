"""Members: holdings, history, withdrawals, payments, transfers, pledges.

Only a member's own key moves their points; admin and auditor keys read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ..deps import READERS, CallerDep, ContextDep, IdempotencyKey, allow, new_id, submit, write_one
from ..errors import ServiceError
from ..readmodel import member_json, pledge_json
from ..responses import Json
from ..schemas import (
    Page,
    Payment,
    PledgeCreate,
    Preview,
    TransferCreate,
    Withdrawal,
    WriteResult,
)
from .common import ERRORS, MAX_INT, REPLAY

router = APIRouter(prefix="/v1/members", responses=ERRORS, tags=["member"])


@router.get("/{member_id}")
async def holdings(member_id: str, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """Points, value, what was paid, and each lot: cost, value, exit target and progress
    (value / exit target; the lot is redeemed automatically at 1)."""
    allow(who, *READERS, "member", party=member_id)
    head, view = ctx.read.member(member_id)
    if view is None:
        raise ServiceError("unknown_member", f"there is no member {member_id!r}")
    return member_json(head, view)


@router.get("/{member_id}/history", response_model=Page)
def history(member_id: str, ctx: ContextDep, who: CallerDep,
            before: Annotated[int | None, Query(ge=0, le=MAX_INT,
                                                description="Entries before this index")]
            = None,
            limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """The log entries that concern the member, newest first (orders, settlements,
    withdrawals, payments, transfers, pledges, forced exits of their lots)."""
    allow(who, *READERS, "member", party=member_id)
    indexes = ctx.store.party_entries(f"member:{member_id}", before, limit)
    data = [ctx.reader.entry_json(index) for index in indexes]
    return {"data": data, "count": len(data)}


@router.post("/{member_id}/withdrawals", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def withdraw(member_id: str, body: Withdrawal, ctx: ContextDep, who: CallerDep,
                   idempotency_key: IdempotencyKey = None) -> Json:
    """Sell eligible points back to the pool: withdraw_payout_rate of their value is paid,
    the rest stays in the pool."""
    allow(who, "member", party=member_id)
    command = {"op": "withdraw", "id": new_id("w"), "member": member_id, "points": body.points}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.post("/{member_id}/withdrawals:preview", response_model=Preview)
async def preview_withdrawal(member_id: str, body: Withdrawal, ctx: ContextDep,
                             who: CallerDep) -> Json:
    """What this withdrawal would pay now and what would stay in the pool, by the same
    rules that will run it; nothing changes. The withdrawal is checked again when sent."""
    allow(who, "member", party=member_id)
    command = {"op": "withdraw", "id": new_id("w"), "member": member_id, "points": body.points}
    [outcome] = await submit(ctx, [command], [None], preview=True)
    return Json(outcome.body, status_code=outcome.status)


@router.post("/{member_id}/payments:preview", response_model=Preview)
async def preview_payment(member_id: str, body: Payment, ctx: ContextDep,
                          who: CallerDep) -> Json:
    """What this payment would give the merchant now; nothing changes."""
    allow(who, "member", party=member_id)
    command = {"op": "pay", "id": new_id("p"), "member": member_id, "merchant": body.merchant,
               "points": body.points}
    [outcome] = await submit(ctx, [command], [None], preview=True)
    return Json(outcome.body, status_code=outcome.status)


@router.post("/{member_id}/payments", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def pay(member_id: str, body: Payment, ctx: ContextDep, who: CallerDep,
              idempotency_key: IdempotencyKey = None) -> Json:
    """Pay a merchant with points; the pool pays the merchant pay_rate of their value."""
    allow(who, "member", party=member_id)
    command = {"op": "pay", "id": new_id("p"), "member": member_id, "merchant": body.merchant,
               "points": body.points}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.post("/{member_id}/transfers", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def transfer(member_id: str, body: TransferCreate, ctx: ContextDep, who: CallerDep,
                   idempotency_key: IdempotencyKey = None) -> Json:
    """Give points to another member (only when the rules enable transfers)."""
    allow(who, "member", party=member_id)
    command = {"op": "transfer", "id": new_id("t"), "from": member_id, "to": body.to,
               "points": body.points}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.post("/{member_id}/pledges", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def pledge(member_id: str, body: PledgeCreate, ctx: ContextDep, who: CallerDep,
                 idempotency_key: IdempotencyKey = None) -> Json:
    """Pledge points to a lender as collateral for a loan; the lender may later release
    or seize them."""
    allow(who, "member", party=member_id)
    command = {"op": "pledge", "id": body.id or new_id("pl"), "member": member_id,
               "lender": body.lender, "points": body.points, "loan": body.loan}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.get("/{member_id}/pledges", response_model=Page)
async def member_pledges(member_id: str, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    allow(who, *READERS, "member", party=member_id)
    with ctx.read.lock:
        views = [ctx.read.pledges[p] for p in ctx.read.pledges_by_member.get(member_id, [])]
    return {"data": [pledge_json(view) for view in views], "count": len(views)}
