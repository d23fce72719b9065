"""What others attested about the log, for anyone: chain anchors (and their status)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ...store.attestations import AnchorRecord, AttestationStore
from ...times import format_time
from ..deps import ContextDep
from .common import ERRORS

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["public"])


def anchor_json(record: AnchorRecord) -> dict[str, Any]:
    return {
        "number": record.number, "tree_size": record.tree_size, "root": record.root.hex(),
        "block": record.block_height, "chain_id": record.chain_id, "contract": record.contract,
        "transaction": record.tx_hash, "chain_block": record.chain_block,
        "gas_used": record.gas_used, "recorded": format_time(record.time_us),
    }


@router.get("/anchors")
def anchors(ctx: ContextDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
            ) -> dict[str, Any]:
    """Checkpoints this log published on a chain, newest first, and the anchoring status.

    Check them yourself: read the contract's ``Anchored`` events for this
    log's program id (SHA-256 of its public key) and run
    ``profitpool verify --rpc URL`` on a copy of the log.
    """
    records = AttestationStore(ctx.store.engine).anchors(limit=limit, newest_first=True)
    loop = ctx.anchoring
    status: dict[str, Any] = {"enabled": loop is not None}
    if loop is not None:
        state = loop.status
        status.update({
            "failures": state.failures, "last_error": state.last_error,
            "last_success": format_time(state.last_success_us)
            if state.last_success_us else None,
            "next_try": format_time(state.next_try_us) if state.next_try_us else None,
        })
    return {"data": [anchor_json(record) for record in records], "count": len(records),
            "status": status}
