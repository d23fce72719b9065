"""Monthly disclosures (公示), members' proofs of liabilities, and custody figures."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from ...disclosure.month import MonthError
from ...disclosure.publish import (
    member_proof,
    prepare,
    recorded_disclosure,
    recorded_disclosures,
    save,
    stored_periods,
    stored_report,
    unsave,
)
from ...errors import Rejected
from ...times import parse_period
from ..deps import (
    READERS,
    CallerDep,
    ContextDep,
    IdempotencyKey,
    acting_member,
    allow,
    new_id,
    write_one,
)
from ..errors import ServiceError
from ..responses import Json
from ..schemas import Strict, WriteResult
from ..security import inline_policy
from .common import ERRORS, REPLAY

router = APIRouter(prefix="/v1", responses=ERRORS)

Period = Annotated[str, Path(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", examples=["2026-01"])]


class CustodyCreate(Strict):
    amount: str = Field(description="CNY the custody account holds", examples=["123456.78"])
    reference: str = Field(min_length=1, max_length=200,
                           description="The statement or attestation it is read from.")
    id: str | None = Field(default=None, max_length=100)


@router.post("/custody", status_code=201, response_model=WriteResult, responses=REPLAY,
             tags=["operator"])
async def record_custody(body: CustodyCreate, ctx: ContextDep, who: CallerDep,
                         idempotency_key: IdempotencyKey = None) -> Json:
    """Record what the pool's bank or custody account holds (a log entry beside the pool;
    a shortfall shows in the report and the explorer)."""
    allow(who, "admin")
    command = {"op": "custody", "id": body.id or new_id("custody-"), "amount": body.amount,
               "reference": body.reference}
    return await write_one(ctx, who, command, idempotency_key, body.model_dump())


@router.post("/disclosures/{period}", status_code=201, response_model=WriteResult,
             responses=REPLAY, tags=["operator"])
async def publish_disclosure(period: Period, ctx: ContextDep, who: CallerDep) -> Json:
    """Report a month that is over and record its SHA-256 and PoL root in the log.

    Builds the report by replaying the log to the month's end (in a worker
    thread; the sequencer goes on), stores it with the proof-of-liabilities
    tree, then submits the ``disclosure`` command. Once recorded, a month's
    report cannot be replaced: a different one is refused with ``conflict``.
    """
    allow(who, "admin")
    parsed = parse_period(period)
    try:
        prepared = await run_in_threadpool(prepare, ctx.store, parsed, ctx.sequencer.clock())
    except MonthError as error:
        raise Rejected("invalid_period", str(error)) from None
    recorded = recorded_disclosure(ctx.store, period)
    if recorded is not None and recorded["report_sha256"] != prepared.sha256:
        raise Rejected("conflict", f"{period} was disclosed already with SHA-256 "
                                   f"{recorded['report_sha256']}")
    await run_in_threadpool(save, ctx.store, prepared)
    command = {key: value for key, value in prepared.command("").items() if key != "at"}
    answer = await write_one(ctx, who, command, None, None)
    if answer.status_code >= 400 and recorded is None:
        await run_in_threadpool(unsave, ctx.store, period)  # the log refused: keep nothing
    return answer


@router.get("/disclosures", tags=["public"])
def list_disclosures(ctx: ContextDep) -> dict[str, Any]:
    """Every month disclosed: the report's SHA-256, the PoL root and total, its log entry."""
    data = []
    in_log = recorded_disclosures(ctx.reads.store)
    for row in stored_periods(ctx.reads.store):
        recorded = in_log.get(row.period)
        data.append({"period": row.period, "report_sha256": row.sha256,
                     "pol_root": row.pol_root, "pol_total_fen": row.pol_total,
                     "entry": None if recorded is None else recorded["index"],
                     "matches_log": recorded is not None
                     and recorded["report_sha256"] == row.sha256})
    return {"data": data, "count": len(data)}


@router.get("/disclosures/{period}", tags=["public"], response_class=Response,
            responses={200: {"content": {"application/json": {}, "text/html": {},
                                         "application/pdf": {}}}})
def get_disclosure(period: Period, ctx: ContextDep,
                   format: Annotated[Literal["json", "html", "pdf"], Query()] = "json",
                   ) -> Response:
    """A month's report: its JSON twin exactly as hashed in the log, or as HTML or PDF."""
    row = stored_report(ctx.reads.store, period)
    if row is None and ctx.reads.replicated:  # recorded since the replica's newest block?
        row = stored_report(ctx.reads.primary, period)
    if row is None:
        raise ServiceError("not_found", f"{period} has not been disclosed")
    if format == "json":
        return Response(bytes(row.report), media_type="application/json")
    from ...disclosure.render import render_html, render_pdf

    report = orjson.loads(row.report)
    if format == "html":
        # A standalone document (kept, mailed, printed) with its CSS and language switch
        # inline: its own policy allows exactly those, by hash, and loads nothing.
        page = render_html(report)
        return Response(page, media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": inline_policy(page)})
    return Response(render_pdf(report), media_type="application/pdf")


@router.get("/members/{member_id}/pol/{period}", tags=["members"])
async def member_pol_proof(member_id: str, period: Period, ctx: ContextDep,
                           who: CallerDep) -> Response:
    """The member's proof that their holding was counted in the month's proof of
    liabilities (check it with `profitpool pol verify` or on the explorer's page)."""
    pseudonym = await acting_member(ctx, who, member_id, *READERS, "member")
    proof = await run_in_threadpool(member_proof, ctx.reads.store, period, pseudonym)
    if proof is None and ctx.reads.replicated:  # recorded since the replica's newest block?
        proof = await run_in_threadpool(member_proof, ctx.reads.primary, period, pseudonym)
    if proof is None:
        raise ServiceError("not_found", f"no holding of {member_id!r} in {period}'s proof "
                                        "of liabilities")
    return Response(proof.to_json(), media_type="application/json")
