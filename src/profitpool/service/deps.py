"""What routes depend on: the service context, the caller, role checks, writes."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..anchor.publisher import AnchorLoop
from ..errors import Rejected
from ..events.worker import EventsWorker
from ..log.reader import LogReader
from ..store.apikeys import KeyStore
from ..store.repository import LogStore
from ..witness.collector import CosignLoop
from .auth import Authenticator, NeedsLookup, Principal
from .errors import ServiceError
from .readmodel import ReadModel
from .responses import Json
from .sequencer import IdemKey, Outcome, Sequencer, request_digest
from .sequencer import Request as WriteRequest
from .settings import Settings


@dataclass(slots=True)
class Context:
    settings: Settings
    store: LogStore
    reader: LogReader
    keys: KeyStore
    auth: Authenticator
    sequencer: Sequencer
    read: ReadModel
    origin: str
    verifier_key: str
    anchoring: AnchorLoop | None = None
    witnessing: CosignLoop | None = None
    events: EventsWorker | None = None


async def context(request: Request) -> Context:
    return request.app.state.context  # type: ignore[no-any-return]


ContextDep = Annotated[Context, Depends(context)]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer pp_…`")


async def caller(request: Request, ctx: ContextDep,
                 credentials: Annotated[HTTPAuthorizationCredentials | None,
                                        Depends(_bearer)]
                 ) -> Principal:
    header = request.headers.get("authorization")
    del credentials  # declared for the OpenAPI security scheme; the header is parsed here
    try:
        return ctx.auth.principal(header, fetch=False)
    except NeedsLookup:
        return await run_in_threadpool(ctx.auth.principal, header)


CallerDep = Annotated[Principal, Depends(caller)]

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=200,
    description="Makes the write idempotent: a retry with the same key and body gets the "
                "first answer (marked as a replay); another body gets 409 conflict.")]

READERS = ("admin", "auditor")


def allow(principal: Principal, *roles: str, party: str | None = None) -> None:
    """Let ``principal`` through if its role is one of ``roles`` and, for a bound
    role, ``party`` is the party it is bound to.

    Raises:
        ServiceError(forbidden)
    """
    if principal.role not in roles:
        raise ServiceError("forbidden", f"a {principal.role} key may not do this")
    if principal.role in ("merchant", "member", "lender") and principal.party != party:
        raise ServiceError("forbidden", f"this {principal.role} key acts only for "
                           f"{principal.party!r}")


async def submit(ctx: Context, commands: list[dict[str, Any]],
                 keys: list[IdemKey | None], detail: bool = True,
                 preview: bool = False) -> list[Outcome]:
    """Queue commands for the writer; resolve when their block is durable.

    With ``detail`` False the answers name each entry (index, block) without
    its command and effects (batches: a 1,000-order answer stays small)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[Outcome]] = loop.create_future()

    def resolve(outcomes: list[Outcome]) -> None:
        if not future.done():
            future.set_result(outcomes)

    def deliver(outcomes: list[Outcome]) -> None:
        loop.call_soon_threadsafe(resolve, outcomes)

    ctx.sequencer.put(WriteRequest(commands, keys, deliver, detail, preview))
    return await future


async def write_one(ctx: Context, principal: Principal, command: dict[str, Any],
                    idempotency_key: str | None, body: object) -> Json:
    """One command, idempotent under the caller's ``Idempotency-Key`` if given."""
    key = None
    if idempotency_key is not None:
        key = IdemKey(principal.scope(), idempotency_key,
                      request_digest([command.get("op"), body]), True)
    [outcome] = await submit(ctx, [command], [key])
    return Json(outcome.body, status_code=outcome.status)


def new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(10)}"


def merchant_command(merchant_id: str, name: str, industry: str) -> dict[str, Any]:
    """The command that registers a merchant through the service.

    Raises:
        Rejected(invalid_id): the id holds ':' (order ids in the log are
            ``<merchant>:<order id>``; a colon in the merchant would make them ambiguous).
    """
    if ":" in merchant_id:
        raise Rejected("invalid_id", "a merchant id may not contain ':'")
    return {"op": "merchant", "id": merchant_id, "name": name, "industry": industry}
