"""What anyone may read without a key: the pool, the rules, and the log with its proofs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from ...log.reader import block_json
from ...times import format_time
from ..deps import ContextDep
from ..errors import ServiceError
from ..readmodel import head_json, pool_figures
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
    for row in ctx.store.stats(after, limit):
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
    data = [ctx.reader.entry_json(index)
            for index in ctx.store.party_entries(party, before, limit)]
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
    data = [block_json(block) for block in ctx.store.blocks_before(before, limit)]
    return {"data": data, "count": len(data)}


@router.get("/blocks/{height}")
def block(height: Annotated[int, Path(ge=0, le=MAX_INT)], ctx: ContextDep) -> dict[str, Any]:
    return ctx.reader.block_json(height)


@router.get("/entries", response_model=Page)
def entries(ctx: ContextDep, start: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
            limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """Log entries from index ``start`` on (each command with its effects)."""
    size = ctx.reader.size()
    data = [ctx.reader.entry_json(index) for index in range(start, min(size, start + limit))]
    return {"data": data, "count": len(data)}


@router.get("/entries/{index}")
def entry(index: Annotated[int, Path(ge=0, le=MAX_INT)], ctx: ContextDep) -> dict[str, Any]:
    if index < 0 or index >= ctx.reader.size():
        raise ServiceError("not_found", f"there is no committed entry {index}")
    return ctx.reader.entry_json(index)


@router.get("/proofs/inclusion")
def inclusion(ctx: ContextDep, index: Annotated[int, Query(ge=0, le=MAX_INT)],
              size: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` (default newest)."""
    return ctx.reader.inclusion(index, size)


@router.get("/proofs/consistency")
def consistency(ctx: ContextDep,
                old: Annotated[int, Query(ge=1, le=MAX_INT, alias="from")],
                new: Annotated[int | None, Query(ge=1, le=MAX_INT, alias="to")] = None,
                ) -> dict[str, Any]:
    """RFC 9162 consistency proof from tree size ``from`` to ``to`` (default newest)."""
    return ctx.reader.consistency(old, new)


@router.get("/public-key")
async def public_key(ctx: ContextDep) -> dict[str, Any]:
    """The log's origin and the operator's verifier key (C2SP signed-note ``vkey``)."""
    return {"origin": ctx.origin, "verifier_key": ctx.verifier_key}
