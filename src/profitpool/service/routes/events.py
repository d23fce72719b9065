"""Events out: read the event feed, and register the webhooks that receive it.

``/v1/events`` is the outbox as a feed, in commit order (``seq``), each event
exactly the body a webhook carries (a merchant's with its own ids for the
members, events/localise.py). ``/v1/webhooks`` registers
endpoints: the admin for anyone (``owner``), a merchant or lender key for
itself. Every key sees only what its party may hear (events/domain.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from ...events.domain import ADMIN, EVENT_TYPES, Event
from ...events.endpoints import EndpointError, EndpointStore
from ...events.localise import localise
from ...events.outbox import Outbox
from ...events.worker import STATUS_KEY
from ..auth import Principal
from ..deps import READERS, CallerDep, Context, ContextDep, allow
from ..errors import ServiceError
from ..responses import Json
from .common import ERRORS, MAX_INT

router = APIRouter(prefix="/v1", responses=ERRORS)
MAX_WAIT_S = 25.0
FEED_ROLES = (*READERS, "merchant", "lender", "member")
OWNER_ROLES = ("admin", "merchant", "lender")


def owner_of(principal: Principal) -> str:
    """What a key may hear: ``admin`` (admin and auditor) or its own party."""
    if principal.role in READERS:
        return ADMIN
    return f"{principal.role}:{principal.party}"


def event_json(event: Event) -> dict[str, Any]:
    """An event in a feed: its seq and its body, byte for byte as delivered."""
    return {"seq": event.seq, "event": orjson.Fragment(event.body)}


@router.get("/events", tags=["events"])
async def events(
    ctx: ContextDep, who: CallerDep,
    after: Annotated[int, Query(ge=0, le=MAX_INT, description="The last seq already seen.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    type: Annotated[list[str] | None, Query(description="Only these event types.")] = None,
    party: Annotated[str | None, Query(max_length=210, description=(
        "Only what this party may hear (admin and auditor keys; others see their own)."))
    ] = None,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_S, description=(
        "Seconds to wait for a first event when there is none yet (long polling)."))] = 0,
) -> Json:
    """Events after ``after``, oldest first: ``{"data": [{"seq", "event"}], "next", "newest"}``.

    Read on with ``after=next``; ``newest`` is the newest seq of all (to start
    from now on, pass it as ``after``). Each ``event`` is the body webhooks and the
    stream carry (see the webhooks section of these docs for each type).
    """
    allow(who, *FEED_ROLES, party=who.party)
    owner = owner_of(who)
    if party is not None:
        if owner != ADMIN and party != owner:
            raise ServiceError("forbidden", f"this key hears only {owner!r}")
        owner = party
    unknown = [name for name in type or () if name not in EVENT_TYPES]
    if unknown:
        raise ServiceError("invalid_command", f"unknown event type {unknown[0]!r}")
    outbox = Outbox(ctx.store.engine)
    deadline = time.monotonic() + min(wait, ctx.settings.events_max_wait_seconds)
    while True:
        found = await run_in_threadpool(outbox.read, after, limit, types=type, owner=owner)
        if found or time.monotonic() >= deadline:
            break
        await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
    newest = await run_in_threadpool(outbox.last_seq)
    if owner.startswith("merchant:"):  # its own ids beside the pseudonyms, as its webhooks
        found = await run_in_threadpool(_localised, ctx, owner, found)
    # Json, not a dict: each body goes out as the exact bytes webhooks carry.
    return Json({"data": [event_json(event) for event in found],
                 "next": found[-1].seq if found else after, "newest": newest})


def _localised(ctx: Context, owner: str, events: list[Event]) -> list[Event]:
    def names(found: list[str]) -> dict[str, str]:
        return ctx.directory.member_ids(found, owner)

    return [dataclasses.replace(event, body=localise(event.body, names)) for event in events]


@router.get("/events/status", tags=["events"])
def events_status(ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """Whether events are going out: the events process, the stream, the newest event."""
    allow(who, *READERS)
    raw = ctx.store.meta().get(STATUS_KEY)
    worker = ctx.events
    return {
        "running": worker is not None and worker.alive,
        "stream": ctx.settings.events,
        "last_seq": Outbox(ctx.store.engine).last_seq(),
        "worker": None if raw is None else orjson.loads(raw),
    }


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2000, description="http(s) URL that receives the events.")
    types: list[str] = Field(default_factory=list, max_length=100, description=(
        "Event types or patterns (`order.*`); empty: every event the owner may hear but "
        "`block.committed`, which is heard only when named (or matched, `*` included)."))
    description: str = Field("", max_length=500)
    owner: str | None = Field(None, max_length=210, description=(
        "Admin keys only: `admin` (every event), `merchant:<id>` or `lender:<id>`. "
        "Merchant and lender keys always register for themselves."))


class WebhookChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, max_length=2000)
    types: list[str] | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = Field(None, description=(
        "false stops deliveries; true resumes them where they stopped (failures cleared)."))


class ReplayRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first: int = Field(ge=1, le=MAX_INT, description="The first event seq to send again.")
    last: int | None = Field(None, ge=1, le=MAX_INT, description=(
        "The last (default: the newest this endpoint was told of)."))


def _endpoints(ctx: Context) -> EndpointStore:
    return EndpointStore(ctx.store.engine)


def _policy(ctx: Context) -> Any:
    return ctx.settings.url_policy()


def _owner(who: Principal) -> str | None:
    """None for the admin (any endpoint), else the only owner this key may act for."""
    allow(who, *OWNER_ROLES, party=who.party)
    return None if who.role == "admin" else f"{who.role}:{who.party}"


def _refused(error: EndpointError) -> ServiceError:
    return ServiceError(error.code, error.message)


@router.post("/webhooks", status_code=201, tags=["webhooks"])
def create_webhook(body: WebhookCreate, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """Register an endpoint. The answer holds its ``secret`` (``whsec_…``), shown this once:
    receivers check each delivery's ``webhook-signature`` with it (Standard Webhooks).
    It hears events from now on; ask for a replay to get earlier ones."""
    owner = _owner(who)
    if owner is None:
        owner = body.owner or ADMIN
    elif body.owner not in (None, owner):
        raise ServiceError("forbidden", f"this key registers endpoints only for {owner!r}")
    try:
        endpoint, secret = _endpoints(ctx).create(owner, body.url, body.types,
                                                  body.description, policy=_policy(ctx))
    except EndpointError as error:
        raise _refused(error) from None
    return {**endpoint.public(), "secret": secret}


@router.get("/webhooks", tags=["webhooks"])
def list_webhooks(ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """Endpoints this key may see (the admin's and auditor's: all), never their secrets."""
    if who.role == "auditor":
        owner: str | None = None
    else:
        owner = _owner(who)
    data = [endpoint.public() for endpoint in _endpoints(ctx).list(owner)]
    return {"data": data, "count": len(data)}


@router.get("/webhooks/{endpoint_id}", tags=["webhooks"])
def get_webhook(endpoint_id: str, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    owner = None if who.role == "auditor" else _owner(who)
    try:
        return _endpoints(ctx).require(endpoint_id, owner).public()
    except EndpointError as error:
        raise _refused(error) from None


@router.patch("/webhooks/{endpoint_id}", tags=["webhooks"])
def change_webhook(endpoint_id: str, body: WebhookChange, ctx: ContextDep,
                   who: CallerDep) -> dict[str, Any]:
    """Change the URL, filter or description; disable, or enable again (it resumes where
    it stopped: nothing is lost while an endpoint is disabled)."""
    try:
        return _endpoints(ctx).update(
            endpoint_id, policy=_policy(ctx), owner=_owner(who), url=body.url,
            types=body.types, description=body.description, enabled=body.enabled).public()
    except EndpointError as error:
        raise _refused(error) from None


@router.delete("/webhooks/{endpoint_id}", status_code=204, tags=["webhooks"])
def delete_webhook(endpoint_id: str, ctx: ContextDep, who: CallerDep) -> None:
    """Remove an endpoint and its delivery log."""
    try:
        _endpoints(ctx).delete(endpoint_id, _owner(who))
    except EndpointError as error:
        raise _refused(error) from None


@router.post("/webhooks/{endpoint_id}/secret", tags=["webhooks"])
def rotate_secret(endpoint_id: str, ctx: ContextDep, who: CallerDep) -> dict[str, Any]:
    """A new secret, shown this once; the old one stops signing at once."""
    try:
        return {"id": endpoint_id,
                "secret": _endpoints(ctx).rotate_secret(endpoint_id, _owner(who))}
    except EndpointError as error:
        raise _refused(error) from None


@router.post("/webhooks/{endpoint_id}/replay", tags=["webhooks"])
def replay(endpoint_id: str, body: ReplayRange, ctx: ContextDep,
           who: CallerDep) -> dict[str, Any]:
    """Send events ``first`` to ``last`` (by seq) again, in order, before newer ones; the
    ids are the same, so a receiver that de-duplicates sees nothing twice."""
    try:
        return _endpoints(ctx).replay(endpoint_id, body.first, body.last,
                                      _owner(who)).public()
    except EndpointError as error:
        raise _refused(error) from None


@router.get("/webhooks/{endpoint_id}/deliveries", tags=["webhooks"])
def deliveries(
    endpoint_id: str, ctx: ContextDep, who: CallerDep,
    seq: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    before_us: Annotated[int | None, Query(ge=0, le=MAX_INT)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The delivery log, newest attempt first: each attempt's outcome (``delivered``,
    ``rejected``, ``failed``, ``timeout``, ...), the receiver's status and what went wrong."""
    owner = None if who.role == "auditor" else _owner(who)
    store = _endpoints(ctx)
    try:
        store.require(endpoint_id, owner)
    except EndpointError as error:
        raise _refused(error) from None
    data = store.deliveries(endpoint_id, before_us=before_us, seq=seq, limit=limit)
    return {"data": data, "count": len(data)}
