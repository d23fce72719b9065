"""The log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles), for any tlog client.

``/checkpoint`` is the newest signed checkpoint; ``/tile/<L>/<N>[.p/<W>]``
the hashes of a tile, ``/tile/entries/<N>[.p/<W>]`` an entry bundle. Full
tiles and bundles never change, so they are served as immutable; a partial
one is served as the prefix of width W of what is stored (tiles only grow at
the end), and only within the newest checkpoint's tree.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ...chain.merkle import HASH_BYTES
from ...chain.tiles import TILE_WIDTH, entry_bundle, parse_entries_path, parse_tile_path
from ...store.repository import LogStore
from ..deps import ContextDep
from ..errors import ServiceError
from ..responses import IMMUTABLE
from ..schemas import ErrorBody

router = APIRouter(tags=["tlog-tiles"], responses={404: {
    "model": ErrorBody,
    "description": "No such checkpoint, tile or entry bundle in the newest checkpoint's tree."}})

_FRESH = {"Cache-Control": "no-cache"}


def _size(store: LogStore) -> int:
    """The size of the newest tree ``store`` holds."""
    last = store.last_block()
    return 0 if last is None else last.header.tree_size


def _not_found(path: str) -> ServiceError:
    return ServiceError("not_found", f"there is no {path}")


@router.get("/checkpoint", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def checkpoint(ctx: ContextDep) -> Response:
    """The newest signed checkpoint (a C2SP signed note), served from memory."""
    note = ctx.read.checkpoint
    if note is None:
        raise ServiceError("not_found", "the log has no checkpoint yet")
    return Response(note, media_type="text/plain; charset=utf-8", headers=_FRESH)


@router.get("/tile/{path:path}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
def tile(path: str, ctx: ContextDep) -> Response:
    """A Merkle tree tile or an entry bundle."""
    full_path = f"tile/{path}"
    if path.startswith("entries/"):
        try:
            index, width = parse_entries_path(full_path)
        except ValueError as error:
            raise ServiceError("not_found", str(error)) from None
        first = index * TILE_WIDTH
        store = ctx.reads.holding(tree_size=first + width)[0]
        if first + width > _size(store):
            raise _not_found(full_path)
        data = [item for _, item in store.iter_entries(first, first + width)]
        if len(data) != width:
            raise _not_found(full_path)
        return Response(entry_bundle(data), media_type="application/octet-stream",
                        headers=IMMUTABLE)
    try:
        level, index, width = parse_tile_path(full_path)
    except ValueError as error:
        raise ServiceError("not_found", str(error)) from None
    # The tile exists in the newest tree if its hashes' subtrees all fit in it.
    needed = (index * TILE_WIDTH + width) * TILE_WIDTH ** level
    store = ctx.reads.holding(tree_size=needed)[0]
    if needed > _size(store):
        raise _not_found(full_path)
    stored = store.tile(level, index)
    if stored is None or len(stored) < width * HASH_BYTES:
        raise _not_found(full_path)
    return Response(stored[:width * HASH_BYTES], media_type="application/octet-stream",
                    headers=IMMUTABLE)
