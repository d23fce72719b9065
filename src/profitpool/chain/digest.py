"""The state digest a block header commits to (docs/log.md).

    state digest = SHA-256(canonical JSON of {now, rules, pool, total_shares,
                   index, injected, paid_members, paid_merchants, paid_lenders,
                   exits, holdings})

``holdings`` commits to every member's holding: for each member a *record*
(id, shares, paid, and each live lot's number, shares, cost and pledge) is
hashed with SHA-256, expanded with SHAKE-256 to 2048 bits, and the
expansions of all members are added modulo 2^2048 (AdHash, Bellare and
Micciancio 1997; at this modulus finding two sets with the same sum is
infeasible). Adding is order-free and incremental: a block re-hashes only
the members its effects touched (subtract the old record, add the new), so
the cost of a block does not grow with the number of members.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

from ..engine import Effect, Ledger
from ..engine import effects as fx
from ..engine.state import NO_TIME, Member
from ..times import format_time
from .canonical import dumps

_MODULUS: Final = 1 << 2048
_EXPANSION_BYTES: Final = 256

# Effects that can change a member's holding, and the fields naming members.
_MEMBER_FIELDS: Final[dict[type, tuple[str, ...]]] = {
    fx.MemberJoined: ("member",),
    fx.PointsMinted: ("member",),
    fx.Withdrawn: ("member",),
    fx.PaidAtMerchant: ("member",),
    fx.Transferred: ("sender", "receiver"),
    fx.Pledged: ("member",),
    fx.PledgeReleased: ("member",),
    fx.PledgeSeized: ("member",),
    fx.LotExited: ("member",),
}


_MEMBER_POSITIONS: Final[dict[type, tuple[int, ...]]] = {
    kind: tuple(kind._fields.index(field) for field in fields)  # type: ignore[attr-defined]
    for kind, fields in _MEMBER_FIELDS.items()
}


def touched_members(effects: Iterable[Effect]) -> set[str]:
    """The members whose holding these effects may have changed."""
    touched: set[str] = set()
    positions = _MEMBER_POSITIONS
    for effect in effects:
        for position in positions.get(type(effect), ()):
            touched.add(effect[position])  # type: ignore[arg-type]  # a member id
    return touched


def member_record(member: Member) -> bytes:
    """Canonical bytes of one member's holding."""
    lots = [
        [lot.lot_id, str(lot.shares), str(lot.cost),
         None if lot.pledge is None else lot.pledge.command.id]
        for lot in member.lots if lot.shares
    ]
    return dumps([member.member_id, str(member.shares), str(member.paid), lots])


def _expand(record_hash: bytes) -> int:
    return int.from_bytes(hashlib.shake_256(record_hash).digest(_EXPANSION_BYTES), "big")


class Holdings:
    """The AdHash of all members' records, kept up to date block by block."""

    __slots__ = ("total", "record_hashes")

    def __init__(self) -> None:
        self.total = 0
        self.record_hashes: dict[str, bytes] = {}

    @classmethod
    def of(cls, ledger: Ledger) -> Holdings:
        """Compute from scratch (restart, verification of a snapshot)."""
        holdings = cls()
        holdings.update(ledger, ledger.members)
        return holdings

    def update(self, ledger: Ledger, member_ids: Iterable[str]) -> None:
        """Re-hash these members' records as they are now."""
        members = ledger.members
        hashes = self.record_hashes
        total = self.total
        for member_id in member_ids:
            new = hashlib.sha256(member_record(members[member_id])).digest()
            old = hashes.get(member_id)
            if old == new:
                continue
            if old is not None:
                total -= _expand(old)
            total += _expand(new)
            hashes[member_id] = new
        self.total = total % _MODULUS

    def digest(self) -> bytes:
        """The 2048-bit sum as bytes."""
        return self.total.to_bytes(_EXPANSION_BYTES, "big")


def state_digest(ledger: Ledger, holdings: Holdings) -> bytes:
    """SHA-256 of the canonical summary of the ledger (see the module docstring)."""
    return hashlib.sha256(dumps(state_summary(ledger, holdings))).digest()


def state_summary(ledger: Ledger, holdings: Holdings) -> dict[str, object]:
    """What the state digest hashes, as canonical JSON values (``erased``, how many
    members were erased, only once one was: the digests of logs without an erasure are
    what they always were)."""
    summary: dict[str, object] = {
        "now": None if ledger.now == NO_TIME else format_time(ledger.now),
        "rules": ledger.rules.to_json(),
        "pool": str(ledger.pool),
        "total_shares": str(ledger.total_shares),
        "index": str(ledger.index),
        "injected": str(ledger.injected),
        "paid_members": str(ledger.paid_members),
        "paid_merchants": str(ledger.paid_merchants),
        "paid_lenders": str(ledger.paid_lenders),
        "exits": ledger.exits,
        "holdings": holdings.digest().hex(),
    }
    if ledger.erased:
        summary["erased"] = len(ledger.erased)
    if ledger.payouts:  # likewise: only once there was a payout (docs/log.md)
        summary["in_flight"] = str(ledger.in_flight)
        summary["settled"] = str(ledger.settled)
        summary["payouts"] = len(ledger.payouts)
    return summary

