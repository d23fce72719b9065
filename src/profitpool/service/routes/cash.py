"""Cash (docs/rules.md section 10, docs/cash.md): the custody account, parties' bank
accounts, payout runs and single payouts, bank files read back, and reconciliation.

Everything here is the operator's, except that a member, merchant or lender may add a
bank account of its own (the operator verifies it) and list its own. The logic is in
cash/ (shared with ``profitpool payouts``); these routes check who asks, submit the
commands to the sequencer and answer.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from ...cash import destinations as dest
from ...cash.operations import (
    check_account,
    check_payout_destination,
    custody_account,
    run_file,
)
from ...errors import Rejected
from ...money import format_fen, parse_money
from ...times import format_time
from .. import payouts
from ..deps import (
    READERS,
    CallerDep,
    Context,
    ContextDep,
    IdempotencyKey,
    allow,
    member_pseudonym,
    new_id,
    write_one,
)
from ..errors import ServiceError
from ..responses import Json
from ..schemas import Strict, WriteResult
from .common import ERRORS, REPLAY

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["cash"])

_cash = payouts.cash_store


async def _party(ctx: Context, who: Any, party: str | None) -> str:
    """The party a request names, as the log names it; a bound key's own by default.

    Raises:
        ServiceError: forbidden (another party's), unknown_party.
    """
    if party is None:
        if who.role in ("member", "merchant", "lender"):
            return f"{who.role}:{who.party}"
        raise ServiceError("invalid_command", "name the party: member:ID, merchant:ID or "
                           "lender:ID")
    kind, _, party_id = party.partition(":")
    if kind not in ("member", "merchant", "lender") or not party_id:
        raise Rejected("unknown_party", "party must be member:ID, merchant:ID or lender:ID, "
                       f"not {party!r}")
    allow(who, "admin", "member", "merchant", "lender", party=who.party)
    if kind == "member":
        party_id = await member_pseudonym(ctx, who, party_id)
    allow(who, "admin", kind, party=party_id)
    return f"{kind}:{party_id}"


# the custody account -----------------------------------------------------------
class AccountBody(Strict):
    holder: str = Field(max_length=140, description="The account holder, as the bank has it.")
    account: str = Field(max_length=40, description="The account number or IBAN.")
    currency: str = Field(default="CNY", max_length=3)
    agent_bic: str = Field(default="", max_length=11, description="The bank's BIC.")
    agent_member_id: str = Field(default="", max_length=35,
                                 description="The bank's 12-digit CNAPS code.")


@router.put("/custody/account")
async def put_account(body: AccountBody, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """Set the custody account payouts are paid from and statements must be of."""
    allow(who, "admin")
    account = check_account(body.model_dump())
    await run_in_threadpool(_cash(ctx).set_account, account, time.time_ns() // 1000)
    return account._asdict()


@router.get("/custody/account")
async def get_account(ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    allow(who, *READERS)
    return (await run_in_threadpool(custody_account, _cash(ctx)))._asdict()


# destinations ------------------------------------------------------------------
class DestinationBody(Strict):
    party: str | None = Field(default=None, max_length=200, examples=["merchant:m1"],
                              description="member:ID, merchant:ID or lender:ID (a member, "
                              "merchant or lender key: its own, by default).")
    account: str = Field(max_length=64)
    name: str = Field(max_length=200, description="The account holder's name.")
    bank: str = Field(default="", max_length=200)
    bank_code: str = Field(default="", max_length=20, description="CNAPS code or BIC.")


@router.post("/destinations", status_code=201)
async def add_destination(body: DestinationBody, ctx: ContextDep, who: CallerDep
                          ) -> dict[str, Any]:
    """Add a bank account for a party (sealed outside the log; the log will name it by
    the id answered). It is ``unverified`` until the operator verifies it: only verified
    accounts are paid."""
    party = await _party(ctx, who, body.party)
    fields = {name: value for name, value in body.model_dump().items()
              if name != "party" and value}
    destination = await run_in_threadpool(dest.add_destination, ctx.directory, party, fields)
    return {"id": destination, "party": party, "status": "unverified"}


@router.get("/destinations")
async def list_destinations(ctx: ContextDep, who: CallerDep,
                            party: Annotated[str | None, Query(max_length=200)] = None,
                            status: Literal["unverified", "verified", "failed"] | None = None,
                            ) -> dict[str, Any]:
    """Bank accounts with their status and the account masked (``6222 **** **** 6789``)."""
    if who.role != "admin" or party is not None:
        party = await _party(ctx, who, party)

    def listed() -> list[dict[str, Any]]:
        rows = dest.list_destinations(ctx.directory, party, status)
        opened = dest.open_many(ctx.directory, [row.id for row in rows])
        return [{"id": row.id, "party": row.party, "status": row.status, "reason": row.reason,
                 "account": dest.masked_account(opened[row.id]["account"]),
                 "bank": opened[row.id].get("bank", ""),
                 "created": format_time(row.created_us)} for row in rows]
    data = await run_in_threadpool(listed)
    return {"data": data, "count": len(data)}


class StatusBody(Strict):
    status: Literal["verified", "failed"]
    reason: str = Field(default="", max_length=200,
                        description="Why it failed (what the bank answered).")


@router.post("/destinations/{destination_id}/status")
async def set_destination_status(destination_id: str, body: StatusBody, ctx: ContextDep,
                                 who: CallerDep) -> dict[str, Any]:
    """Verify an account (the bank confirmed number and holder), or mark it failed."""
    allow(who, "admin")
    await run_in_threadpool(dest.set_status, ctx.directory, destination_id, body.status,
                            body.reason)
    return {"id": destination_id, "status": body.status, "reason": body.reason}


# payouts -----------------------------------------------------------------------
class RunBody(Strict):
    minimum: str = Field(default="0.01", description="Pay only parties owed at least this "
                         "(CNY); the rest wait for a later run.", examples=["10.00"])
    execution_date: date | None = Field(default=None, description="The day the bank is to "
                                        "pay [default: today, Asia/Shanghai].")


@router.post("/payouts:run")
async def run_payouts(body: RunBody, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """One payout of everything owed to each party owed at least ``minimum`` with a verified
    destination, logged as ``payout`` entries and written as one ISO 20022 pain.001 file
    (``GET /v1/payouts/runs/{run}/file``). Says what it left out, and why."""
    allow(who, "admin")
    return await payouts.run_payouts(ctx, parse_money(body.minimum, "invalid_amount"),
                                     body.execution_date)


@router.get("/payouts/runs")
async def list_runs(ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    allow(who, "admin")
    rows = await run_in_threadpool(_cash(ctx).runs)
    data = [{"run": row.id, "created": format_time(row.created_us),
             "minimum": format_fen(row.minimum), "payouts": row.payouts,
             "total": format_fen(row.total), "file_url": f"/v1/payouts/runs/{row.id}/file"}
            for row in rows]
    return {"data": data, "count": len(data)}


@router.get("/payouts/runs/{run}/file", response_class=Response,
            responses={200: {"content": {"application/xml": {}}}})
async def get_run_file(run: str, ctx: ContextDep, who: CallerDep) -> Response:
    """The run's pain.001.001.09 file for the custody bank. It names accounts and
    holders: personal data, for the operator only."""
    allow(who, "admin")
    data = await run_in_threadpool(run_file, ctx.directory, _cash(ctx), run)
    return Response(data, media_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{run}.pain001.xml"',
        "Cache-Control": "no-store"})


class PayoutBody(Strict):
    party: str = Field(max_length=200, examples=["merchant:m1"])
    amount: str = Field(examples=["120.50"])
    destination: str = Field(max_length=64, description="A verified destination of the party.")
    id: str | None = Field(default=None, max_length=100)


@router.post("/payouts", status_code=201, response_model=WriteResult, responses=REPLAY)
async def send_payout(body: PayoutBody, ctx: ContextDep, who: CallerDep,
                      idempotency_key: IdempotencyKey = None) -> Json:
    """One payout, sent by the operator by other means than a run's file."""
    allow(who, "admin")
    party = await _party(ctx, who, body.party)
    await run_in_threadpool(check_payout_destination, ctx.directory, party, body.destination)
    command = {"op": "payout", "id": body.id or new_id("po-"), "party": party,
               "amount": body.amount, "destination": body.destination}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


class SettledBody(Strict):
    reference: str = Field(default="", max_length=200, description="The bank's reference.")


class ReturnedBody(Strict):
    reason: str = Field(max_length=200, examples=["AC04 account closed"])
    reference: str = Field(default="", max_length=200)


@router.post("/payouts/{payout_id}/settled", status_code=201, response_model=WriteResult,
             responses=REPLAY)
async def settle_payout(payout_id: str, body: SettledBody, ctx: ContextDep, who: CallerDep,
                        idempotency_key: IdempotencyKey = None) -> Json:
    """The bank confirmed a payout (when no statement says so: imports do it themselves)."""
    allow(who, "admin")
    return await write_one(ctx, who, {"op": "payout_settled", "payout": payout_id,
                                      "reference": body.reference}, idempotency_key,
                           [payout_id, body.model_dump()])


@router.post("/payouts/{payout_id}/returned", status_code=201, response_model=WriteResult,
             responses=REPLAY)
async def return_payout(payout_id: str, body: ReturnedBody, ctx: ContextDep, who: CallerDep,
                        idempotency_key: IdempotencyKey = None) -> Json:
    """The bank sent a payout back: the party is owed it again."""
    allow(who, "admin")
    return await write_one(ctx, who, {"op": "payout_returned", "payout": payout_id,
                                      "reason": body.reason, "reference": body.reference},
                           idempotency_key, [payout_id, body.model_dump()])


# bank files ----------------------------------------------------------------------
class BankFileBody(Strict):
    data: str = Field(description="The file's text: a camt.053 or camt.054 (XML) or the CSV "
                      "of docs/bank-files.md. Larger files: `profitpool payouts import`.")


@router.post("/bank-files")
async def import_bank_file(body: BankFileBody, ctx: ContextDep, who: CallerDep
                           ) -> dict[str, Any]:
    """Read a bank's answer: settle and return payouts by their reference, record the
    closing balance as custody, list every line nothing explains. The same file again
    changes nothing (``already_imported``)."""
    allow(who, "admin")
    return await payouts.import_bank_file(ctx, body.data.encode())


@router.get("/bank-files")
async def list_bank_files(ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    allow(who, *READERS)
    rows = await run_in_threadpool(_cash(ctx).imports)
    data = [{"sha256": row.sha256, "kind": row.kind, "message_id": row.message_id,
             "imported": format_time(row.imported_us), **orjson.loads(row.summary)}
            for row in rows]
    return {"data": data, "count": len(data)}


# reconciliation ------------------------------------------------------------------
@router.get("/reconciliation")
async def reconciliation(ctx: ContextDep, who: CallerDep,
                         days: Annotated[int, Query(ge=0, le=3650)] = 5) -> dict[str, Any]:
    """Custody (the newest custody record) against pool + owed + in flight, and every open
    item: payouts in flight for more than ``days`` days, returned payouts not sent again,
    statement lines nothing explains."""
    allow(who, *READERS)
    return await payouts.status(ctx, days)


class ResolveBody(Strict):
    resolution: str = Field(min_length=1, max_length=200,
                            description="What the line was, and what was done about it.")


@router.post("/reconciliation/items/{item_id}/resolve")
async def resolve_item(item_id: int, body: ResolveBody, ctx: ContextDep, who: CallerDep
                       ) -> dict[str, Any]:
    """Close a statement line nothing explained, saying what it was."""
    allow(who, "admin")
    done = await run_in_threadpool(_cash(ctx).resolve, item_id, body.resolution,
                                   time.time_ns() // 1000)
    if not done:
        raise ServiceError("not_found", f"no open item {item_id}")
    return {"id": item_id, "resolution": body.resolution}
