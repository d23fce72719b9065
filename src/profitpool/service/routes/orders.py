"""Merchants' orders: report (one or a batch of up to 1,000), refund, read their own.

Members are named by the merchant's own ids; the log holds their pseudonyms, and a
merchant reads back only the ids it sent itself (docs/privacy.md).

An order's id in the log is ``<merchant>:<the merchant's order id>``: the
merchant comes from the key, never from the body, so a merchant cannot
report or refund an order as another merchant, and two merchants may use
the same order ids. The merchant's order id is the idempotency key.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ...members.directory import merchant_scope
from ..auth import Principal
from ..deps import (
    READERS,
    CallerDep,
    Context,
    ContextDep,
    IdempotencyKey,
    allow,
    outcome_response,
    shown_ids,
    submit,
    write_one,
)
from ..errors import ServiceError
from ..readmodel import order_json
from ..responses import Json
from ..schemas import BatchResult, OrderBatch, OrderCreate, OrderPreview, Page, WriteResult
from ..sequencer import IdemKey, request_digest
from .common import ERRORS, REPLAY

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["merchant"])


def _merchant(who: Principal) -> str:
    allow(who, "merchant", party=who.party)
    assert who.party is not None
    return who.party


def order_command(merchant: str, order: OrderCreate) -> tuple[dict[str, Any], IdemKey]:
    """The command of ``merchant``'s order and its idempotency key (its order id), the same
    for the API and the merchant portal: an order sent by both is one order."""
    log_id = f"{merchant}:{order.id}"
    command = {"op": "order", "id": log_id, "merchant": merchant, "member": order.member,
               "amount": order.amount, "profit": order.profit}
    if order.campaign is not None:
        command["campaign"] = order.campaign
    return command, IdemKey("order", log_id, request_digest(order.model_dump()), False)


@router.post("/orders", status_code=201, response_model=WriteResult, responses=REPLAY)
async def create_order(body: OrderCreate, ctx: ContextDep, who: CallerDep) -> Json:
    """Report an order. Answered once its block is durable; a retry with the same id and
    body gets the first answer marked as a replay, another body gets 409 ``conflict``.

    ``member`` is the merchant's own id for the customer: the log names them by a
    pseudonym (the entry's ``member``), linked to that id outside the log; the answer's
    ``member_id`` says which id that was (docs/privacy.md)."""
    merchant = _merchant(who)
    command, key = order_command(merchant, body)
    [outcome] = await submit(ctx, [command], [key], scope=merchant_scope(merchant))
    if outcome.status < 300:
        return Json({**outcome.body, "member_id": body.member}, status_code=outcome.status)
    return outcome_response(outcome)


@router.post("/orders:preview", response_model=OrderPreview)
async def preview_order(body: OrderCreate, ctx: ContextDep, who: CallerDep) -> Json:
    """What this order would do, checked by the engine as the order itself will be: when it
    settles, and what it would put into the pool and mint if it settled now. Nothing
    changes; an order id already used is refused (``conflict``)."""
    merchant = _merchant(who)
    command, _ = order_command(merchant, body)
    [outcome] = await submit(ctx, [command], [None], preview=True,
                             scope=merchant_scope(merchant))
    return outcome_response(outcome)


@router.post("/orders:batch", response_model=BatchResult)
async def create_orders(body: OrderBatch, ctx: ContextDep, who: CallerDep) -> Json:
    """Report up to 1,000 orders at once, each accepted or refused on its own, in order.

    Each result names its log entry (index and block); `GET /v1/entries/{index}`
    has the command and its effects."""
    merchant = _merchant(who)
    pairs = [order_command(merchant, order) for order in body.orders]
    outcomes = await submit(ctx, [command for command, _ in pairs], [key for _, key in pairs],
                            detail=False, scope=merchant_scope(merchant))
    if all(outcome.body.get("error") == "unavailable" for outcome in outcomes):
        return outcome_response(outcomes[0])  # nothing could be stored: 503, Retry-After
    results: list[dict[str, Any]] = []
    counts = {"accepted": 0, "replayed": 0, "rejected": 0}
    for order, outcome in zip(body.orders, outcomes, strict=True):
        results.append({"id": order.id, "status": outcome.status, **outcome.body})
        if outcome.status >= 400:
            counts["rejected"] += 1
        elif outcome.body.get("replay"):
            counts["replayed"] += 1
        else:
            counts["accepted"] += 1
    return Json({**counts, "results": results})


def _owner(ctx: Context, who: Principal, merchant: str | None) -> str:
    if who.role == "merchant":
        allow(who, "merchant", party=merchant or who.party)
        assert who.party is not None
        return who.party
    allow(who, *READERS)
    if merchant is None:
        raise ServiceError("invalid_command", "name the merchant: ?merchant=<id>")
    return merchant


MerchantQuery = Annotated[str | None, Query(description="The merchant (admin and auditor keys).",
                                            max_length=128)]


@router.get("/orders", response_model=Page)
async def list_orders(ctx: ContextDep, who: CallerDep, merchant: MerchantQuery = None,
                offset: Annotated[int, Query(ge=0)] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """A merchant's orders, oldest first, with their status (pending, settled, refunded).

    ``count`` is every order the merchant reported: pending, settled and refunded alike
    (the merchant portal's 订单 figure is the same count; its analytics leave refunded
    orders out and say so)."""
    owner = _owner(ctx, who, merchant)
    prefix = len(owner) + 1
    with ctx.read.lock:
        ids = ctx.read.orders_by_merchant.get(owner, [])
        count = len(ids)
        views = [ctx.read.orders[order_id] for order_id in ids[offset:offset + limit]]
    shown = await shown_ids(ctx, who, [view.member for view in views])
    return {"data": [order_json(view, view.order[prefix:], shown) for view in views],
            "count": count}


@router.get("/orders/{order_id}")
async def get_order(order_id: str, ctx: ContextDep, who: CallerDep,
              merchant: MerchantQuery = None) -> dict[str, Any]:
    owner = _owner(ctx, who, merchant)
    with ctx.read.lock:
        view = ctx.read.orders.get(f"{owner}:{order_id}")
    if view is None:
        raise ServiceError("unknown_order", f"merchant {owner!r} has no order {order_id!r}")
    return order_json(view, order_id, await shown_ids(ctx, who, [view.member]))


@router.post("/orders/{order_id}/refund", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def refund_order(order_id: str, ctx: ContextDep, who: CallerDep,
                       idempotency_key: IdempotencyKey = None) -> Json:
    """Refund a pending order (before it settles); it then never mints points."""
    merchant = _merchant(who)
    command = {"op": "refund", "order": f"{merchant}:{order_id}"}
    return await write_one(ctx, who, command, idempotency_key, {"order": order_id})
