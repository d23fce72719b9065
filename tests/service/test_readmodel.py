"""The read model's views, built from a hand-made ledger (no server)."""

from __future__ import annotations

from profitpool.engine import Ledger, apply
from profitpool.service.readmodel import ReadModel

AT = "2026-01-05T10:00:00+08:00"


def test_views_of_equal_multiples_share_one_string() -> None:
    # Two members, three orders, default rules: exit multiple 3, no campaign (multiplier
    # 1). Every view must say so, and equal texts must be one string, not one per view
    # (the read model holds a view of every live lot and every order: docs/performance.md).
    ledger = Ledger()
    apply(ledger, {"op": "merchant", "id": "m1", "name": "shop", "at": AT})
    for number, member in enumerate(["a", "b", "a"]):
        apply(ledger, {"op": "order", "id": f"o{number}", "merchant": "m1", "member": member,
                       "amount": f"{100 + number}.00", "profit": "30.00", "at": AT})
    model = ReadModel()
    model.load(ledger, 1, 4)
    lots = [lot for member in ("a", "b") for lot in model.members[member].lots]
    assert [lot.order for lot in lots] == ["o0", "o2", "o1"]
    assert [lot.exit_multiple for lot in lots] == ["3", "3", "3"]
    assert len({id(lot.exit_multiple) for lot in lots}) == 1
    orders = [model.orders[f"o{number}"] for number in range(3)]
    assert [order.multiplier for order in orders] == ["1", "1", "1"]
    assert len({id(order.multiplier) for order in orders}) == 1
