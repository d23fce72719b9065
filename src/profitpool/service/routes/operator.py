"""The operator's resources: merchants, lenders, campaigns, rules, burns, API keys."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from ...engine.commands import check_id
from ...errors import Rejected
from ...store.apikeys import KeyError_
from ..deps import (
    READERS,
    CallerDep,
    ContextDep,
    IdempotencyKey,
    allow,
    listed_keys,
    merchant_command,
    write_one,
)
from ..errors import ServiceError
from ..poolhealth import pool_health
from ..readmodel import cash_json
from ..responses import Json
from ..schemas import (
    BurnCreate,
    CampaignCreate,
    KeyCreate,
    KeyCreated,
    KeyPublic,
    LenderCreate,
    MerchantCreate,
    Page,
    WriteResult,
)
from .common import ERRORS, REPLAY

router = APIRouter(prefix="/v1", responses=ERRORS)


@router.post("/merchants", status_code=201, response_model=WriteResult,
              responses=REPLAY, tags=["operator"])
async def create_merchant(body: MerchantCreate, ctx: ContextDep, who: CallerDep,
                          idempotency_key: IdempotencyKey = None) -> Json:
    """Register a merchant (a log entry). Its orders are then reported with a merchant key."""
    allow(who, "admin")
    command = merchant_command(body.id, body.name, body.industry)
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.get("/merchants", response_model=Page, tags=["operator"])
async def list_merchants(ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    allow(who, *READERS)
    with ctx.read.lock:
        data = [ctx.read.merchants[m] for m in sorted(ctx.read.merchants)]
    return {"data": data, "count": len(data)}


@router.get("/merchants/{merchant_id}", tags=["merchant"])
async def get_merchant(merchant_id: str, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """A merchant and its contribution to the pool (fen it injected, fen the pool paid it),
    what the program owes it, has in flight and settled, and each payout."""
    allow(who, *READERS, "merchant", party=merchant_id)
    with ctx.read.lock:
        view = ctx.read.merchants.get(merchant_id)
        orders = len(ctx.read.orders_by_merchant.get(merchant_id, ()))
    if view is None:
        raise ServiceError("unknown_merchant", f"there is no merchant {merchant_id!r}")
    return {**view, "orders": orders, **cash_json(ctx.read.cash_of(f"merchant:{merchant_id}"))}


@router.post("/lenders", status_code=201, response_model=WriteResult,
              responses=REPLAY, tags=["operator"])
async def create_lender(body: LenderCreate, ctx: ContextDep, who: CallerDep,
                        idempotency_key: IdempotencyKey = None) -> Json:
    """Register a lender (a bank that lends against pledged points)."""
    allow(who, "admin")
    command = {"op": "lender", "id": body.id, "name": body.name}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.get("/lenders", response_model=Page, tags=["operator"])
async def list_lenders(ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    allow(who, *READERS)
    with ctx.read.lock:
        data = [ctx.read.lenders[x] for x in sorted(ctx.read.lenders)]
    return {"data": data, "count": len(data)}


@router.get("/lenders/{lender_id}", tags=["lender"])
async def get_lender(lender_id: str, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    allow(who, *READERS, "lender", party=lender_id)
    with ctx.read.lock:
        view = ctx.read.lenders.get(lender_id)
    if view is None:
        raise ServiceError("unknown_lender", f"there is no lender {lender_id!r}")
    return {**view, **cash_json(ctx.read.cash_of(f"lender:{lender_id}"))}


@router.post("/campaigns", status_code=201, response_model=WriteResult,
              responses=REPLAY, tags=["operator"])
async def create_campaign(body: CampaignCreate, ctx: ContextDep, who: CallerDep,
                          idempotency_key: IdempotencyKey = None) -> Json:
    """A points multiplier for orders at one merchant (or all) during [start, end)."""
    allow(who, "admin")
    command = {"op": "campaign", **body.model_dump()}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.patch("/rules", status_code=201, response_model=WriteResult,
               responses=REPLAY, tags=["operator"])
async def change_rules(body: dict[str, Any], ctx: ContextDep, who: CallerDep,
                       idempotency_key: IdempotencyKey = None) -> Json:
    """Change rules of docs/rules.md section 3 from the next command on (a log entry).

    The body names only the rules that change, e.g. ``{"exit_multiple": "2.5"}``.
    """
    allow(who, "admin")
    if not body or "op" in body or "at" in body:
        raise Rejected("invalid_rules",
                       "name at least one rule of docs/rules.md section 3 to change")
    command = {"op": "rules", "rules": body}
    return await write_one(ctx, who, command, idempotency_key, body)


@router.post("/burns", status_code=201, response_model=WriteResult,
              responses=REPLAY, tags=["operator"])
async def create_burn(body: BurnCreate, ctx: ContextDep, who: CallerDep,
                      idempotency_key: IdempotencyKey = None) -> Json:
    """Burn a month by hand (the service also burns each month that ended, at 00:00
    Asia/Shanghai on the 1st). A period is burned once."""
    allow(who, "admin")
    command = {"op": "burn", "period": body.period}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.post("/keys", status_code=201, response_model=KeyCreated, tags=["operator"])
async def create_key(body: KeyCreate, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """Create an API key. The key is in this answer only; it is stored as a hash.

    A merchant, member or lender key is bound to a party the log knows: a registered
    merchant or lender, or a member who has had an order (``invalid_id`` for a party that
    is not an id, ``unknown_merchant``, ``unknown_member`` or ``unknown_lender`` for one
    the log does not know as that role). A member key's party may be the member's
    pseudonym or the operator's id for them; it is bound to the pseudonym."""
    allow(who, "admin")
    party = body.party
    if body.role == "member" and party:
        # A member key is bound to the pseudonym: the id given is the operator's for them.
        check_id(party, "party")
        party = await run_in_threadpool(ctx.directory.key_party, party)
    key, record = await run_in_threadpool(
        partial(ctx.keys.create, body.role, party, body.label, exists=ctx.read.knows))
    return {"key": key, "id": record.key_id, "role": record.role, "party": record.party,
            "member_id": body.party if party != body.party else None}


@router.get("/keys", response_model=list[KeyPublic], tags=["operator"])
def list_keys(ctx: ContextDep, who: CallerDep) -> list[dict[str, Any]]:
    """Every key (never the key itself); a member key with the operator's id for its
    member (``member_id``) beside the pseudonym it is bound to."""
    allow(who, "admin")
    return listed_keys(ctx)


@router.delete("/keys/{key_id}", response_model=KeyPublic, tags=["operator"])
def revoke_key(key_id: str, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """Revoke a key at once."""
    allow(who, "admin")
    try:
        record = ctx.keys.revoke(key_id)
    except KeyError_ as error:
        raise ServiceError("not_found", str(error)) from None
    ctx.auth.forget(key_id)
    return record.public()


@router.get("/pool/health", tags=["operator"])
async def pool_health_figures(ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """The pool's health for the operator and the auditor (the console shows the same):
    custody against pool + owed + in flight, the pool against every holding, today's
    withdrawals against the cap, the share of holdings each withdrawal gate locks, open
    pledges, lots forced out this month, withdrawals refused per day and error code over
    the last 30 days (counted by the service: a refusal is not in the log), and the ten
    largest holders' share."""
    allow(who, *READERS)
    return await run_in_threadpool(pool_health, ctx)
