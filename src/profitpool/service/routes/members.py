"""Members: holdings, history, withdrawals, payments, transfers, pledges.

Only a member's own key moves their points; admin and auditor keys read.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from ...disclosure.export import ExportError
from ...engine.cashable import (
    BELOW_GAIN,
    PLEDGED,
    TOO_YOUNG,
    Held,
    LotFacts,
    Market,
    PendingOrder,
    cashable,
)
from ...engine.state import PENDING
from ...members.erasure import forget_member
from ...members.profiles import check_profile, get_profile, put_profile
from ...money import format_fen, format_points, format_rational
from ...rules import Rules
from ...times import format_time
from ..deps import (
    READERS,
    CallerDep,
    Context,
    ContextDep,
    IdempotencyKey,
    acting_member,
    new_id,
    outcome_response,
    shown_ids,
    submit,
    write_one,
)
from ..errors import ServiceError
from ..readmodel import Head, MemberView, OrderView, cash_json, member_json, pledge_json
from ..responses import Json
from ..schemas import (
    Page,
    Payment,
    PledgeCreate,
    Preview,
    Strict,
    TransferCreate,
    Withdrawal,
    WriteResult,
)
from ..sequencer import Outcome
from .common import ERRORS, MAX_INT, REPLAY

router = APIRouter(prefix="/v1/members", responses=ERRORS, tags=["member"])


MemberId = Annotated[str, PathParam(
    min_length=1, max_length=128,
    description="The member's pseudonym, or (admin, and a member for themself) the id the "
                "operator uses for them.")]


@router.get("/{member_id}")
async def holdings(member_id: MemberId, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """Points, value, what was paid, and each lot: cost, value, exit target and progress
    (value / exit target; the lot is redeemed automatically at 1); what the program owes
    the member, has in flight to their bank and settled, and each payout with its status
    and the bank's reference (docs/rules.md section 10). ``member`` is the
    pseudonym the log names the member by; ``member_id`` the operator's id for them (the
    admin and the member themself see it)."""
    pseudonym = await acting_member(ctx, who, member_id, *READERS, "member")
    head, view, orders = ctx.read.member_and_orders(pseudonym)
    if view is None:
        raise ServiceError("unknown_member", f"there is no member {member_id!r}")
    shown = await shown_ids(ctx, who, [pseudonym])
    return {**member_json(head, view), **cash_json(ctx.read.cash_of(f"member:{pseudonym}")),
            "member_id": shown.get(pseudonym),
            "cashable": cashable_json(ctx, head, view, orders)}


def cashable_json(ctx: Context, head: Head, view: MemberView, orders: list[OrderView]
                  ) -> dict[str, Any]:
    """What the member can withdraw now and why the rest cannot, as the engine's
    :func:`~profitpool.engine.cashable` says (docs/service.md, "A member's holding"), at
    the service's clock: the hold period and the day's cap move with time, not only with
    blocks. For the API and the wallet."""
    rules = Rules.from_json(head.rules)
    market = Market(head.pool, head.total_shares, head.index_units, head.cap_day,
                    head.cap_base_pool, head.withdrawn_today)
    lots = [LotFacts(lot.lot, lot.shares, lot.order, lot.order_at, lot.mint_pool,
                     lot.mint_shares, lot.pledge) for lot in view.lots]
    pending = [PendingOrder(order.order, order.merchant, order.amount, order.at,
                            order.settles_at) for order in orders if order.status == PENDING]
    at = max(ctx.sequencer.clock(), head.now or 0)
    found = cashable(rules, market, lots, pending, at)
    with ctx.read.lock:
        merchants = {order.merchant: ctx.read.merchants.get(order.merchant, {})
                     for order in found.pending}
        pledges = {held.pledge: ctx.read.pledges.get(held.pledge) for held in found.held
                   if held.pledge is not None}
        lenders = {pledge.lender: ctx.read.lenders.get(pledge.lender, {})
                   for pledge in pledges.values() if pledge is not None}

    def lot(held: Held) -> dict[str, Any]:
        shown: dict[str, Any] = {"lot": held.lot, "order": held.order,
                                 "points": format_points(held.points),
                                 "value": format_fen(held.value)}
        pledge = None if held.pledge is None else pledges.get(held.pledge)
        if pledge is not None:  # to whom, for which loan
            shown.update(pledge=pledge.pledge, lender=pledge.lender,
                         lender_name=lenders[pledge.lender].get("name") or None,
                         loan=format_fen(pledge.loan))
        if held.free_at is not None:
            shown["free_at"] = format_time(held.free_at)
        if held.needed_value is not None:
            shown.update(needed_value=format_fen(held.needed_value),
                         short=format_fen(held.needed_value - held.value))
        return shown

    def gate(reason: str) -> dict[str, Any]:
        kept = [held for held in found.held if held.reason == reason]
        return {"points": format_points(sum(held.points for held in kept)),
                "value": format_fen(sum(held.value for held in kept)),
                "lots": [lot(held) for held in kept]}

    cap = rules.daily_withdraw_cap_rate
    gain = rules.withdraw_min_gain
    return {
        "at": format_time(found.at),
        "points": format_points(found.points), "value": format_fen(found.value),
        "paid": format_fen(found.paid),
        "unpledged": format_points(found.unpledged),
        "pending": [{"order": order.order, "merchant": order.merchant,
                     "merchant_name": merchants[order.merchant].get("name") or None,
                     "amount": format_fen(order.amount), "at": format_time(order.at),
                     "settles_at": format_time(order.settles_at)} for order in found.pending],
        "pledged": gate(PLEDGED),
        "too_young": {**gate(TOO_YOUNG), "min_hold_days": rules.min_hold_days},
        "below_gain": {**gate(BELOW_GAIN),
                       "withdraw_min_gain": None if gain is None else format_rational(gain)},
        "daily_cap": None if cap is None or found.cap_left is None else {
            "points": format_points(found.capped_points),
            "value": format_fen(found.capped_value), "cap_left": format_fen(found.cap_left),
            "daily_withdraw_cap_rate": format_rational(cap)},
    }


@router.get("/{member_id}/history", response_model=Page)
async def history(member_id: MemberId, ctx: ContextDep, who: CallerDep,
                  before: Annotated[int | None, Query(ge=0, le=MAX_INT,
                                                      description="Entries before this index")]
                  = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """The log entries that concern the member, newest first (orders, settlements,
    withdrawals, payments, transfers, pledges, forced exits of their lots)."""
    pseudonym = await acting_member(ctx, who, member_id, *READERS, "member")

    def read() -> list[dict[str, Any]]:
        indexes = ctx.reads.store.party_entries(f"member:{pseudonym}", before, limit)
        return [ctx.reads.reader.entry_json(index) for index in indexes]

    data = await run_in_threadpool(read)
    return {"data": data, "count": len(data)}


@router.post("/{member_id}/withdrawals", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def withdraw(member_id: MemberId, body: Withdrawal, ctx: ContextDep, who: CallerDep,
                   idempotency_key: IdempotencyKey = None) -> Json:
    """Sell eligible points back to the pool: withdraw_payout_rate of their value is paid,
    the rest stays in the pool."""
    member_id = await acting_member(ctx, who, member_id, "member")
    command = {"op": "withdraw", "id": new_id("w"), "member": member_id, "points": body.points}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.post("/{member_id}/withdrawals:preview", response_model=Preview)
async def preview_withdrawal(member_id: MemberId, body: Withdrawal, ctx: ContextDep,
                             who: CallerDep) -> Json:
    """What this withdrawal would pay now and what would stay in the pool, by the same
    rules that will run it; nothing changes. The withdrawal is checked again when sent."""
    member_id = await acting_member(ctx, who, member_id, "member")
    command = {"op": "withdraw", "id": new_id("w"), "member": member_id, "points": body.points}
    [outcome] = await submit(ctx, [command], [None], preview=True)
    return outcome_response(outcome)


@router.post("/{member_id}/payments:preview", response_model=Preview)
async def preview_payment(member_id: MemberId, body: Payment, ctx: ContextDep,
                          who: CallerDep) -> Json:
    """What this payment would give the merchant now; nothing changes."""
    member_id = await acting_member(ctx, who, member_id, "member")
    command = {"op": "pay", "id": new_id("p"), "member": member_id, "merchant": body.merchant,
               "points": body.points}
    [outcome] = await submit(ctx, [command], [None], preview=True)
    return outcome_response(outcome)


@router.post("/{member_id}/payments", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def pay(member_id: MemberId, body: Payment, ctx: ContextDep, who: CallerDep,
              idempotency_key: IdempotencyKey = None) -> Json:
    """Pay a merchant with points; the pool pays the merchant pay_rate of their value."""
    member_id = await acting_member(ctx, who, member_id, "member")
    command = {"op": "pay", "id": new_id("p"), "member": member_id, "merchant": body.merchant,
               "points": body.points}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.post("/{member_id}/transfers", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def transfer(member_id: MemberId, body: TransferCreate, ctx: ContextDep,
                   who: CallerDep, idempotency_key: IdempotencyKey = None) -> Json:
    """Give points to another member (only when the rules enable transfers), named by
    their pseudonym or by the operator's id for them."""
    member_id = await acting_member(ctx, who, member_id, "member")
    command = {"op": "transfer", "id": new_id("t"), "from": member_id, "to": body.to,
               "points": body.points}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.post("/{member_id}/pledges", status_code=201, response_model=WriteResult,
              responses=REPLAY)
async def pledge(member_id: MemberId, body: PledgeCreate, ctx: ContextDep, who: CallerDep,
                 idempotency_key: IdempotencyKey = None) -> Json:
    """Pledge points to a lender as collateral for a loan; the lender may later release
    or seize them."""
    member_id = await acting_member(ctx, who, member_id, "member")
    command = {"op": "pledge", "id": body.id or new_id("pl"), "member": member_id,
               "lender": body.lender, "points": body.points, "loan": body.loan}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.get("/{member_id}/pledges", response_model=Page)
async def member_pledges(member_id: MemberId, ctx: ContextDep, who: CallerDep
                         ) -> dict[str, Any]:
    member_id = await acting_member(ctx, who, member_id, *READERS, "member")
    with ctx.read.lock:
        views = [ctx.read.pledges[p] for p in ctx.read.pledges_by_member.get(member_id, [])]
        head = ctx.read.head
    return {"data": [pledge_json(view, head) for view in views], "count": len(views)}


@router.delete("/{member_id}", response_model=WriteResult, responses=REPLAY)
async def erase(member_id: MemberId, ctx: ContextDep, who: CallerDep) -> Json:
    """Erase a member (PIPL Article 47, docs/privacy.md): the links from every id to the
    pseudonym and the member's personal data are deleted; the log keeps the pseudonym's
    records, which lead to nobody any more, and records the erasure as an entry
    (``member.erased``). Refused with 409 ``cannot_erase`` while the member holds points or
    has an order that has not settled (cash out first). The admin, or the member."""
    pseudonym = await acting_member(ctx, who, member_id, "admin", "member")
    with ctx.read.lock:
        erased = pseudonym in ctx.read.erased
    if erased:
        outcome = Outcome(200, {"replay": True, "entry": None})
    else:
        [outcome] = await submit(ctx, [{"op": "erase", "member": pseudonym}], [None])
        if outcome.status >= 400:
            return outcome_response(outcome)
    forgotten = await run_in_threadpool(forget_member, ctx.directory, ctx.keys, pseudonym)
    for key_id in forgotten.keys_revoked:  # whoever holds one is nobody now
        ctx.auth.forget(key_id)
    return Json({**outcome.body, "member": pseudonym,
                 "links_deleted": forgotten.links_deleted,
                 "keys_revoked": len(forgotten.keys_revoked)})


class ProfileBody(Strict):
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=200)


@router.put("/{member_id}/profile")
async def put_member_profile(member_id: MemberId, body: ProfileBody, ctx: ContextDep,
                             who: CallerDep) -> dict[str, Any]:
    """Store a member's personal data (replacing what was there), sealed with the data
    key outside the log: never in an entry, an event, a tile or a report. The admin, or
    the member."""
    pseudonym = await acting_member(ctx, who, member_id, "admin", "member")
    if ctx.read.member(pseudonym)[1] is None:
        raise ServiceError("unknown_member", f"there is no member {member_id!r}")
    profile = check_profile({k: v for k, v in body.model_dump().items() if v is not None})
    await run_in_threadpool(put_profile, ctx.directory, pseudonym, profile)
    return {"member": pseudonym, "profile": profile}


@router.get("/{member_id}/profile")
async def get_member_profile(member_id: MemberId, ctx: ContextDep, who: CallerDep
                             ) -> dict[str, Any]:
    """A member's personal data (the admin, or the member)."""
    pseudonym = await acting_member(ctx, who, member_id, "admin", "member")
    profile = await run_in_threadpool(get_profile, ctx.directory, pseudonym)
    return {"member": pseudonym, "profile": profile}


@router.get("/{member_id}/export")
async def export(member_id: MemberId, ctx: ContextDep, who: CallerDep) -> Json:
    """Everything the program holds about the member, as one file signed by the log's key
    (docs/privacy.md, "Export"): the links, the personal data, every entry about them with
    its inclusion proof against the newest checkpoint, and their proofs of liabilities.
    ``profitpool verify-member FILE`` checks it offline. The admin, or the member for
    themself (another member's export is 403)."""
    pseudonym = await acting_member(ctx, who, member_id, "admin", "member")
    try:
        data = await run_in_threadpool(export_file, ctx, pseudonym)
    except ExportError as error:
        raise ServiceError("unknown_member", str(error)) from None
    return Json(orjson.Fragment(data), headers=export_headers(pseudonym))


def export_file(ctx: Context, pseudonym: str) -> bytes:
    """The member's signed export (disclosure/export.py), for the API and the wallet."""
    from ...disclosure.export import export_bytes, export_member
    from ...log.keys import load_key

    signer = load_key(ctx.settings.key)
    return export_bytes(export_member(ctx.store, ctx.directory, pseudonym, signer))


def export_headers(pseudonym: str) -> dict[str, str]:
    """A download that no cache keeps: it is personal data."""
    return {"Content-Disposition": f'attachment; filename="profitpool-{pseudonym}.json"',
            "Cache-Control": "no-store"}
