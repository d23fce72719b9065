"""What routes depend on: the service context, the caller, role checks, writes."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError

from ..anchor.publisher import AnchorLoop
from ..errors import CODES, ProfitpoolError, Rejected
from ..events.worker import EventsWorker
from ..members.directory import MEMBER_FIELDS, OPERATOR, Directory
from ..members.pseudonyms import is_pseudonym
from ..store.apikeys import KeyStore
from ..store.refusals import RefusalStore
from ..store.repository import LogStore
from ..times import shanghai_day
from ..witness.collector import CosignLoop
from .auth import Authenticator, NeedsLookup, Principal
from .errors import ServiceError, status_of
from .health import RETRY_AFTER_S
from .lookups import Lookups
from .readmodel import ReadModel
from .reads import LogReads
from .responses import Json
from .sequencer import IdemKey, Outcome, Sequencer, request_digest
from .sequencer import Request as WriteRequest
from .settings import Settings
from .workers import RemoteEvents, RemoteJob, RemoteSequencer

log = logging.getLogger("profitpool.service")


@dataclass(slots=True)
class Context:
    settings: Settings
    store: LogStore
    """The writer's database: writes, and reads that must see them (keys, sessions, ...)."""
    reads: LogReads
    """The stored log as readers see it (a replica with ``--read-db``; reads.py)."""
    keys: KeyStore
    auth: Authenticator
    sequencer: Sequencer | RemoteSequencer
    """The writer (a worker process of ``serve --workers N``: its link to the writer)."""
    read: ReadModel
    directory: Directory
    lookups: Lookups
    origin: str
    verifier_key: str
    anchoring: AnchorLoop | RemoteJob | None = None
    witnessing: CosignLoop | RemoteJob | None = None
    events: EventsWorker | RemoteEvents | None = None


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
                 preview: bool = False, scope: str = OPERATOR) -> list[Outcome]:
    """Queue commands for the writer; resolve when their block is durable.

    Members may be named by the ids of ``scope`` (the operator's, or a merchant's): the
    links they need are read here first (with those of the other requests in flight,
    lookups.py) and the ids already linked are mapped to their pseudonyms here, so the
    writer waits on no lookup and maps only new members (members/directory.py). With ``detail``
    False the answers name each entry (index, block) without its command and effects
    (batches: a 1,000-order answer stays small)."""
    named = [command[field] for command in commands
             for field, _ in MEMBER_FIELDS.get(command.get("op", ""), ())
             if type(command.get(field)) is str]
    if named:
        if not ctx.directory.cached(scope, named):
            await ctx.lookups.prefetch(scope, named)
        commands = [ctx.directory.map_known(command, scope) for command in commands]
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[Outcome]] = loop.create_future()

    def resolve(outcomes: list[Outcome]) -> None:
        if not future.done():
            future.set_result(outcomes)

    def deliver(outcomes: list[Outcome]) -> None:
        loop.call_soon_threadsafe(resolve, outcomes)

    ctx.sequencer.put(WriteRequest(commands, keys, deliver, detail, preview, scope))
    outcomes = await future
    if not preview:
        await count_refusals(ctx, commands, outcomes)
    return outcomes


COUNTED_REFUSALS = ("withdraw",)
"""The ops whose refusals are counted per day and code (store/refusals.py): the console
shows withdrawals refused by reason over time."""


async def count_refusals(ctx: Context, commands: list[dict[str, Any]],
                         outcomes: list[Outcome]) -> None:
    """Count the engine's refusals of :data:`COUNTED_REFUSALS` ops, on the service clock's
    Asia/Shanghai day. A count that cannot be stored is logged, never turned into an error:
    the command's answer stands (it was refused, and nothing changed)."""
    codes = [str(outcome.body.get("error")) for command, outcome in zip(commands, outcomes,
                                                                         strict=False)
             if command.get("op") in COUNTED_REFUSALS and outcome.status >= 400
             and outcome.body.get("error") in CODES]
    if not codes:
        return
    day = shanghai_day(ctx.sequencer.clock())
    try:
        await run_in_threadpool(RefusalStore(ctx.store.engine).add, day, "withdraw", codes)
    except (ProfitpoolError, SQLAlchemyError) as error:
        log.warning("withdrawal refusals not counted: %s", error)


def outcome_response(outcome: Outcome) -> Json:
    """A write's answer over HTTP; ``unavailable`` says when to retry (Retry-After)."""
    headers = None
    if outcome.status == status_of("unavailable"):
        headers = {"Retry-After": str(RETRY_AFTER_S)}
    return Json(outcome.body, status_code=outcome.status, headers=headers)


def checked_idempotency_key(value: str) -> str:
    """An ``Idempotency-Key`` as sent, if it is printable ASCII (HTTP headers carry bytes;
    another character would be stored as whatever the bytes meant in Latin-1).

    Raises:
        ServiceError(invalid_command)
    """
    if not (value.isascii() and value.isprintable() and value.strip()):
        raise ServiceError("invalid_command", "Idempotency-Key must be 1 to 200 printable "
                           "ASCII characters (letters, digits, punctuation, spaces)")
    return value


async def write_one(ctx: Context, principal: Principal, command: dict[str, Any],
                    idempotency_key: str | None, body: object) -> Json:
    """One command, idempotent under the caller's ``Idempotency-Key`` if given.

    Raises:
        ServiceError(invalid_command): the Idempotency-Key is not printable ASCII.
    """
    key = None
    if idempotency_key is not None:
        key = IdemKey(principal.scope(), checked_idempotency_key(idempotency_key),
                      request_digest([command.get("op"), body]), True)
    [outcome] = await submit(ctx, [command], [key])
    return outcome_response(outcome)


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


async def member_pseudonym(ctx: Context, principal: Principal, member_id: str) -> str:
    """The pseudonym a member route's ``member_id`` names: a pseudonym as it is; an id as
    the operator uses it (for the admin, and for a member naming themself), read through
    the directory. Auditors verify without the links: they name members by pseudonym.

    Raises:
        ServiceError(unknown_member): the id is linked to no member (or the caller may not
            look ids up).
    """
    if is_pseudonym(member_id):
        return member_id
    if principal.role in ("admin", "member"):
        found = await run_in_threadpool(ctx.directory.pseudonym_of, OPERATOR, member_id)
        if found is None and member_id in ctx.read.members:
            found = member_id  # a member of a log written before pseudonyms
        if principal.role == "member" and found != principal.party:
            # The same answer whether the id is someone else's or nobody's: a member key
            # must not learn which phone numbers are members.
            raise ServiceError("forbidden", "a member key acts for its own member only")
        if found is not None:
            return found
    raise ServiceError("unknown_member", f"there is no member {member_id!r}")


async def acting_member(ctx: Context, principal: Principal, member_id: str,
                        *roles: str) -> str:
    """The pseudonym a member route names, once the caller may act for it: ``roles`` may,
    a bound role only for its own party. A role that may not is refused (403) before any
    lookup, so the answer never tells whether an id is a member."""
    allow(principal, *roles, party=principal.party)
    pseudonym = await member_pseudonym(ctx, principal, member_id)
    allow(principal, *roles, party=pseudonym)
    return pseudonym


async def shown_ids(ctx: Context, principal: Principal, pseudonyms: list[str]
                    ) -> dict[str, str]:
    """{pseudonym: the id this caller knows the member by}, for those it may see: the
    admin the operator's ids, a merchant the ids it sent itself, a member their own;
    auditors and the public none (docs/privacy.md)."""
    wanted = [name for name in dict.fromkeys(pseudonyms) if is_pseudonym(name)]
    if principal.role == "member":
        wanted = [name for name in wanted if name == principal.party]
        scope = OPERATOR
    elif principal.role == "merchant":
        scope = f"merchant:{principal.party}"
    elif principal.role == "admin":
        scope = OPERATOR
    else:
        return {}
    if not wanted:
        return {}
    return await run_in_threadpool(ctx.directory.member_ids, wanted, scope)


def listed_keys(ctx: Context) -> list[dict[str, Any]]:
    """Every key's public record; a member key's with ``member_id``, the operator's id for
    its member (None once erased, or for a member named only by pseudonym)."""
    records = ctx.keys.list()
    members = [record.party for record in records if record.role == "member" and record.party]
    ids = ctx.directory.member_ids(members, OPERATOR) if members else {}
    return [{**record.public(), "member_id": ids.get(record.party or "")}
            if record.role == "member" else record.public() for record in records]
