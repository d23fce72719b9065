"""What others attested about the log, for anyone: chain anchors and witnesses' cosignatures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from ...store.attestations import AnchorRecord, AttestationStore
from ...times import format_time
from ...witness.collector import cosigned_note
from ..deps import ContextDep
from ..errors import ServiceError
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
    records = AttestationStore(ctx.reads.store.engine).anchors(limit=limit,
                                                               newest_first=True)
    return {"data": [anchor_json(record) for record in records], "count": len(records),
            "status": _status(ctx.anchoring)}


def _status(job: Any) -> dict[str, Any]:
    status: dict[str, Any] = {"enabled": job is not None}
    if job is not None:
        state = job.status
        status.update({
            "failures": state.failures, "last_error": state.last_error,
            "last_success": format_time(state.last_success_us)
            if state.last_success_us else None,
            "next_try": format_time(state.next_try_us) if state.next_try_us else None,
        })
    return status


@router.get("/checkpoint/cosigned", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def cosigned_checkpoint(ctx: ContextDep) -> Response:
    """The newest checkpoint witnesses cosigned, with their cosignature lines (a signed note).

    Check it with the log's key and the witnesses' vkeys
    (c2sp.org/tlog-cosignature); ``profitpool verify --witness-key`` does.
    """
    note = cosigned_note(ctx.reads.store, AttestationStore(ctx.reads.store.engine))
    if note is None:
        raise ServiceError("not_found", "no witness has cosigned a checkpoint of this log yet")
    return Response(note, media_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


@router.get("/witnesses")
def witnesses(ctx: ContextDep) -> dict[str, Any]:
    """The witnesses this service asks, what each cosigned last, and the collection status."""
    job = ctx.witnessing
    store = AttestationStore(ctx.reads.store.engine)
    data = [] if job is None else [
        {"name": w.name, "url": w.url, "vkey": w.verifier.key_string(),
         "cosigned_tree_size": store.witnessed_size(w.name)} for w in job.witnesses]
    return {"data": data, "count": len(data), "status": _status(job)}
