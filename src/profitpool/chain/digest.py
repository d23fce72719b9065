"""The state digest a block header commits to (docs/log.md).

    state digest = SHA-256(canonical JSON of {now, rules, pool, total_shares,
                   index, injected, paid_members, paid_merchants, paid_lenders,
                   exits, holdings})

``holdings`` commits to every holding through one *record* per member and
one per live lot (ids never contain "|")::

    m|<member id>|<paid, fen>
    l|<member id>|<lot number>|<shares, 1e-24 units>|<cost, fen>|<pledge id or empty>

Each record is hashed with SHA-256, expanded with SHAKE-256 to 2048 bits,
and the expansions are added modulo 2^2048 (AdHash, Bellare and Micciancio
1997; at this modulus finding two sets with the same sum is infeasible).
The sum is order-free and incremental: a block re-hashes only the members
and the lots its effects name (subtract the old record, add the new), so its
cost grows neither with the number of members nor with the lots a member
holds. A member's shares are the sum of their lots', so they need no record
of their own.

Computing the sum from scratch (:meth:`Holdings.of`, on every restart) and
incrementally must agree; the restart compares the two through the last
block's signed digest, and the tests after every command.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

from ..engine import Effect, Ledger
from ..engine import effects as fx
from ..engine.state import NO_TIME, Lot, Member
from ..times import format_time
from .canonical import dumps

_MODULUS: Final = 1 << 2048
_EXPANSION_BYTES: Final = 256

# Effects that can change a member's record (paid) or join one, by position of the member.
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
    """The members whose record these effects may have changed."""
    touched: set[str] = set()
    positions = _MEMBER_POSITIONS
    for effect in effects:
        for position in positions.get(type(effect), ()):
            touched.add(effect[position])  # type: ignore[arg-type]  # a member id
    return touched


def touched_lots(effects: Iterable[Effect], into: dict[int, str]) -> None:
    """Add to ``into`` every lot (number -> its member) these effects created or changed."""
    for effect in effects:
        kind = type(effect)
        if kind is fx.PointsMinted or kind is fx.LotExited:
            into[effect.lot] = effect.member  # type: ignore[union-attr]
        elif kind is fx.Withdrawn or kind is fx.PaidAtMerchant or kind is fx.Pledged:
            member = effect.member  # type: ignore[union-attr]
            for part in effect.parts:  # type: ignore[union-attr]
                into[part.lot] = member
                if part.new_lot is not None:
                    into[part.new_lot] = member
        elif kind is fx.Transferred:
            for part in effect.parts:  # type: ignore[union-attr]
                into[part.lot] = effect.sender  # type: ignore[union-attr]
                if part.new_lot is not None:
                    into[part.new_lot] = effect.receiver  # type: ignore[union-attr]
        elif kind is fx.PledgeReleased or kind is fx.PledgeSeized:
            for lot in effect.lots:  # type: ignore[union-attr]
                into[lot] = effect.member  # type: ignore[union-attr]


def member_record(member: Member) -> bytes:
    return f"m|{member.member_id}|{member.paid}".encode()


def lot_record(lot: Lot) -> bytes:
    pledge = "" if lot.pledge is None else lot.pledge.command.id
    return f"l|{lot.member.member_id}|{lot.lot_id}|{lot.shares}|{lot.cost}|{pledge}".encode()


def _expand(record: bytes) -> int:
    digest = hashlib.sha256(record).digest()
    return int.from_bytes(hashlib.shake_256(digest).digest(_EXPANSION_BYTES), "big")


class Holdings:
    """The AdHash of all member and live-lot records, kept up to date block by block."""

    __slots__ = ("total", "members", "lots")

    def __init__(self) -> None:
        self.total = 0
        self.members: dict[str, bytes] = {}
        """Member id -> its record."""
        self.lots: dict[int, tuple[Lot, bytes]] = {}
        """Live lot number -> the lot and its record."""

    @classmethod
    def of(cls, ledger: Ledger) -> Holdings:
        """Compute from scratch (restart, verification of a snapshot)."""
        holdings = cls()
        total = 0
        for member_id, member in ledger.members.items():
            record = member_record(member)
            holdings.members[member_id] = record
            total += _expand(record)
            for lot in member.lots:
                if lot.shares:
                    record = lot_record(lot)
                    holdings.lots[lot.lot_id] = (lot, record)
                    total += _expand(record)
        holdings.total = total % _MODULUS
        return holdings

    def update(self, ledger: Ledger, effects: Iterable[list[Effect]]) -> None:
        """Re-hash what these effects (a block's, entry by entry) touched, as it is now."""
        member_ids: set[str] = set()
        lot_ids: dict[int, str] = {}
        for entry_effects in effects:
            member_ids |= touched_members(entry_effects)
            touched_lots(entry_effects, lot_ids)
        members, total = ledger.members, self.total
        for member_id in member_ids:
            new = member_record(members[member_id])
            old = self.members.get(member_id)
            if new != old:
                if old is not None:
                    total -= _expand(old)
                total += _expand(new)
                self.members[member_id] = new
        for lot_id, member_id in lot_ids.items():
            known = self.lots.get(lot_id)
            lot = known[0] if known is not None else _find(members[member_id], lot_id)
            new_lot = lot_record(lot) if lot is not None and lot.shares else None
            old_lot = None if known is None else known[1]
            if new_lot == old_lot:
                continue
            if old_lot is not None:
                total -= _expand(old_lot)
            if new_lot is None:
                del self.lots[lot_id]
            else:
                total += _expand(new_lot)
                self.lots[lot_id] = (lot, new_lot)  # type: ignore[assignment]
        self.total = total % _MODULUS

    def digest(self) -> bytes:
        """The 2048-bit sum as bytes."""
        return self.total.to_bytes(_EXPANSION_BYTES, "big")


def _find(member: Member, lot_id: int) -> Lot | None:
    """The member's lot with this number (newest first: a new lot is usually last)."""
    for lot in reversed(member.lots):
        if lot.lot_id == lot_id:
            return lot
    return None


def state_digest(ledger: Ledger, holdings: Holdings) -> bytes:
    """SHA-256 of the canonical summary of the ledger (see the module docstring)."""
    return hashlib.sha256(dumps(state_summary(ledger, holdings))).digest()


def state_summary(ledger: Ledger, holdings: Holdings) -> dict[str, object]:
    """What the state digest hashes, as canonical JSON values."""
    return {
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

