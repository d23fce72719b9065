"""Payout runs and bank files in the running service: what the API and the operator
console both call (docs/cash.md).

The planning, the file and the matching are cash/'s (shared with ``profitpool payouts``);
here the commands go to the sequencer, in chunks, and the writer's answers decide what
the run's file carries and what an import lists.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool

from ..cash.operations import (
    finish_import,
    finish_run,
    prepare_import,
    prepare_run,
    previous_import,
)
from ..cash.reconcile import PayoutState
from ..cash.runs import payout_commands
from ..store.cash import CashStore
from ..times import SHANGHAI
from .deps import Context, submit
from .errors import ServiceError
from .reconciliation import reconciliation_status

CHUNK = 1_000
"""Commands submitted to the sequencer at once (as a batch of orders is)."""


def cash_store(ctx: Context) -> CashStore:
    return CashStore(ctx.store.engine)


async def _submit_all(ctx: Context, commands: list[dict[str, Any]]) -> dict[int, str]:
    """Submit in chunks; position -> error code of each refused command.

    Raises:
        ServiceError(unavailable): the log could not be written (what was stored stays,
            once: run the same action again).
    """
    refused: dict[int, str] = {}
    for start in range(0, len(commands), CHUNK):
        chunk = commands[start:start + CHUNK]
        outcomes = await submit(ctx, chunk, [None] * len(chunk), detail=False)
        for offset, outcome in enumerate(outcomes):
            if outcome.status >= 400:
                if outcome.body.get("error") == "unavailable":
                    raise ServiceError("unavailable", "the log could not be written: try "
                                       "again later (what was stored stays, once)")
                refused[start + offset] = str(outcome.body.get("error"))
    return refused


async def run_payouts(ctx: Context, minimum: int, execution: date | None) -> dict[str, Any]:
    """One payout per party owed at least ``minimum`` with a verified destination, logged,
    and the run's pain.001 stored; what it did and left out.

    Raises:
        Rejected: no custody account; a negative minimum.
    """
    now = datetime.now(SHANGHAI)
    store = cash_store(ctx)
    prepared = await run_in_threadpool(prepare_run, ctx.directory, store,
                                       ctx.read.owed_parties(), minimum, now)
    plan = prepared.plan
    commands = payout_commands(plan, "")
    for command in commands:
        del command["at"]  # the sequencer stamps it
    refused = await _submit_all(ctx, commands)
    result = await run_in_threadpool(
        finish_run, ctx.directory, store, prepared,
        {commands[position]["id"]: code for position, code in refused.items()}, now,
        execution or now.date())
    return {**result.summary(),
            "file_url": f"/v1/payouts/runs/{plan.run}/file" if result.stored else None}


def _payout_state(ctx: Context) -> Any:
    read = ctx.read

    def state(payout_id: str) -> PayoutState | None:
        found = read.payout(payout_id)
        if found is None:
            return None
        party, view = found
        return PayoutState(party, view.amount, view.status)
    return state


async def import_bank_file(ctx: Context, data: bytes) -> dict[str, Any]:
    """Read a camt.053, camt.054 or CSV: settle and return payouts, record the closing
    balance as custody, list what nothing explains. The same file again changes nothing
    (``already_imported``).

    Raises:
        Rejected(invalid_command): unreadable, another account or currency, no custody
            account.
    """
    store = cash_store(ctx)
    earlier = await run_in_threadpool(previous_import, store, data)
    if earlier is not None:
        return {**orjson.loads(earlier.summary), "already_imported": True}
    plan = await run_in_threadpool(prepare_import, store, data, _payout_state(ctx))
    refused = await _submit_all(ctx, [dict(command)
                                      for command in plan.reconciliation.commands])
    return {**await run_in_threadpool(finish_import, store, plan, refused),
            "already_imported": False}


async def status(ctx: Context, days: int) -> dict[str, Any]:
    return await run_in_threadpool(reconciliation_status, ctx.read, cash_store(ctx), days,
                                   time.time_ns() // 1000)
