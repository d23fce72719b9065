"""One router per group of resources, gathered in :data:`ROUTERS`."""

from __future__ import annotations

from . import (
    attestations,
    cash,
    disclosures,
    events,
    lenders,
    members,
    operator,
    orders,
    public,
    tiles,
)

ROUTERS = (public.router, tiles.router, operator.router, orders.router, members.router,
           lenders.router, attestations.router, disclosures.router, events.router,
           cash.router)
