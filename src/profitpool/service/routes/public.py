"""What anyone may read without a key: the pool, the rules, and the log with its proofs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from ...log.reader import block_json
from ...times import format_time
from ..deps import ContextDep
from ..errors import ServiceError
from ..readmodel import head_json, pool_figures
from ..responses import IMMUTABLE
from ..schemas import Page
from .common import ERRORS, MAX_INT

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["public"])


@router.get("/pool")
async def pool(ctx: ContextDep) -> dict[str, Any]:
    """Pool, supply, price and value per point now, after the newest durable block.

    ``value_per_point`` is what one point minted before any burn is worth
    (price x index): a burn raises the price but changes no holding's value.
    """
    with ctx.read.lock:
        head = ctx.read.head
    return head_json(head)


@router.get("/pool/history", response_model=Page)
def pool_history(ctx: ContextDep,
                 after: Annotated[int, Query(ge=0, le=MAX_INT,
                                             description="Blocks after this height")] = 0,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> dict[str, Any]:
    """The pool, supply, price and value per point after each block, oldest first."""
    data = []
    for row in ctx.reads.store.stats(after, limit):
        data.append({
            "block": row.height, "time": format_time(row.time_us), "tree_size": row.tree_size,
            **pool_figures(row.pool, int(row.total_shares), int(row.index)),
        })
    return {"data": data, "count": len(data)}


@router.get("/rules")
async def rules(ctx: ContextDep) -> dict[str, Any]:
    """The rules in force (they apply from the next command on)."""
    with ctx.read.lock:
        head = ctx.read.head
    return {"rules": head.rules, "block": head.height}


def _entries_of(ctx: ContextDep, party: str, before: int | None, limit: int) -> dict[str, Any]:
    data = [ctx.reads.reader.entry_json(index)
            for index in ctx.reads.store.party_entries(party, before, limit)]
    return {"data": data, "count": len(data)}


Before = Annotated[int | None, Query(ge=0, le=MAX_INT,
                                     description="Entries before this index")]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/rules/history", response_model=Page)
def rules_history(ctx: ContextDep, before: Before = None, limit: Limit = 100) -> dict[str, Any]:
    """Every rule change, newest first, as log entries."""
    return _entries_of(ctx, "rules", before, limit)


@router.get("/burns", response_model=Page)
def burns(ctx: ContextDep, before: Before = None, limit: Limit = 100) -> dict[str, Any]:
    """Every burn, newest first, as log entries."""
    return _entries_of(ctx, "burns", before, limit)


@router.get("/campaigns", response_model=Page)
async def campaigns(ctx: ContextDep) -> dict[str, Any]:
    with ctx.read.lock:
        data = [ctx.read.campaigns[c] for c in sorted(ctx.read.campaigns)]
    return {"data": data, "count": len(data)}


@router.get("/blocks", response_model=Page)
def blocks(ctx: ContextDep,
           before: Annotated[int | None, Query(ge=1, le=MAX_INT,
                                               description="Blocks below this height")]
           = None,
           limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    """Signed block headers, newest first."""
    data = [block_json(block) for block in ctx.reads.store.blocks_before(before, limit)]
    return {"data": data, "count": len(data)}


@router.get("/blocks/{height}")
def block(height: Annotated[int, Path(ge=0, le=MAX_INT)], ctx: ContextDep,
          response: Response) -> dict[str, Any]:
    """A signed block header (it never changes: cacheable for good)."""
    _, reader = ctx.reads.holding(height=height)
    found = reader.block_json(height)
    response.headers.update(IMMUTABLE)
    return found


@router.get("/entries", response_model=Page)
def entries(ctx: ContextDep, start: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
            limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """Log entries from index ``start`` on (each command with its effects)."""
    reader = ctx.reads.reader
    size = reader.size()
    data = [reader.entry_json(index) for index in range(start, min(size, start + limit))]
    return {"data": data, "count": len(data)}


@router.get("/entries/{index}")
def entry(index: Annotated[int, Path(ge=0, le=MAX_INT)], ctx: ContextDep,
          response: Response) -> dict[str, Any]:
    """A log entry (it never changes: cacheable for good)."""
    _, reader = ctx.reads.holding(tree_size=index + 1)
    if index < 0 or index >= reader.size():
        raise ServiceError("not_found", f"there is no committed entry {index}")
    found = reader.entry_json(index)
    response.headers.update(IMMUTABLE)
    return found


@router.get("/proofs/inclusion")
def inclusion(ctx: ContextDep, response: Response,
              index: Annotated[int, Query(ge=0, le=MAX_INT)],
              size: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` (default newest;
    with ``size`` given, the proof never changes: cacheable for good)."""
    _, reader = ctx.reads.holding(tree_size=max(index + 1, size or 0))
    proof = reader.inclusion(index, size)
    if size is not None:
        response.headers.update(IMMUTABLE)
    return proof


@router.get("/proofs/consistency")
def consistency(ctx: ContextDep, response: Response,
                old: Annotated[int, Query(ge=1, le=MAX_INT, alias="from")],
                new: Annotated[int | None, Query(ge=1, le=MAX_INT, alias="to")] = None,
                ) -> dict[str, Any]:
    """RFC 9162 consistency proof from tree size ``from`` to ``to`` (default newest; with
    ``to`` given, the proof never changes: cacheable for good)."""
    _, reader = ctx.reads.holding(tree_size=max(old, new or 0))
    proof = reader.consistency(old, new)
    if new is not None:
        response.headers.update(IMMUTABLE)
    return proof


@router.get("/public-key")
async def public_key(ctx: ContextDep) -> dict[str, Any]:
    """The log's origin and the operator's verifier key (C2SP signed-note ``vkey``)."""
    return {"origin": ctx.origin, "verifier_key": ctx.verifier_key}
