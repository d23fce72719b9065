"""Effects: what an accepted command did, in the order it happened.

Each accepted command yields a list of effects. Together with the command they
are the whole story: replaying the effects' numbers against the rules is how
the log, the API, the explorer and the verifier explain every fen.

Units: money in fen, points in point units (1/10,000), shares in share units
(1/10^24), times in epoch microseconds, rates as (numerator, denominator).
``pool_after`` and ``total_shares_after`` are the pool and the total shares
right after the effect, so V after every effect can be recomputed from the
effects alone. Lots are numbered from 1 in
the order they are created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, NamedTuple, overload

from ..money import Rational


class LotPart(NamedTuple):
    """A part of a lot that a command took.

    ``new_lot`` is the lot the part became (a transfer or a partial pledge
    splits it off), the same lot when a pledge takes a whole lot, or None when
    the part's shares were destroyed (withdraw, pay).
    """

    lot: int
    new_lot: int | None
    shares: int
    cost: int


class MerchantRegistered(NamedTuple):
    merchant: str
    name: str
    industry: str


class LenderRegistered(NamedTuple):
    lender: str
    name: str


class CampaignCreated(NamedTuple):
    campaign: str
    merchant: str | None
    multiplier: Rational
    start: int
    end: int


class MemberJoined(NamedTuple):
    """A member was created by their first order (or as a transfer's receiver)."""

    member: str


class OrderPlaced(NamedTuple):
    """An order was accepted; it settles at ``settles_at`` unless refunded before."""

    order: str
    merchant: str
    member: str
    amount: int
    profit: int
    campaign: str | None
    multiplier: Rational
    settles_at: int


class OrderRefunded(NamedTuple):
    order: str
    merchant: str
    member: str
    amount: int


class OrderSettled(NamedTuple):
    """An order's refund window closed: its profit share went into the pool."""

    order: str
    merchant: str
    member: str
    injection: int
    pool_after: int


class PointsMinted(NamedTuple):
    """A settled order minted a lot.

    ``price_micro`` is the displayed price used in ``at_price`` mode (0 in
    ``fixed`` mode). The lot exits when V (fen per share) reaches
    ``trigger`` = numerator / denominator.
    """

    lot: int
    member: str
    order: str
    points: int
    shares: int
    cost: int
    price_micro: int
    exit_multiple: Rational
    exit_basis: str
    trigger: Rational
    total_shares_after: int


class Withdrawn(NamedTuple):
    """A member sold points back: ``paid`` to them, ``value - paid`` stayed in the pool."""

    withdrawal: str
    member: str
    points: int
    shares: int
    value: int
    paid: int
    parts: tuple[LotPart, ...]
    pool_after: int
    total_shares_after: int


class PaidAtMerchant(NamedTuple):
    """A member spent points at a merchant; the pool paid the merchant ``paid``."""

    payment: str
    member: str
    merchant: str
    points: int
    shares: int
    value: int
    paid: int
    parts: tuple[LotPart, ...]
    pool_after: int
    total_shares_after: int


class Burned(NamedTuple):
    """Every holding shrank by ``burn_rate``; no holding's value changed."""

    period: str
    burn_rate: Rational
    index_before: int
    index_after: int


class Transferred(NamedTuple):
    transfer: str
    sender: str
    receiver: str
    points: int
    shares: int
    parts: tuple[LotPart, ...]


class Pledged(NamedTuple):
    pledge: str
    member: str
    lender: str
    points: int
    shares: int
    loan: int
    parts: tuple[LotPart, ...]


class PledgeReleased(NamedTuple):
    pledge: str
    member: str
    lender: str
    lots: tuple[int, ...]


class PledgeSeized(NamedTuple):
    """A pledge was redeemed: the lender got ``to_lender`` (up to the loan), the member the rest."""

    pledge: str
    member: str
    lender: str
    shares: int
    value: int
    paid: int
    to_lender: int
    to_member: int
    lots: tuple[int, ...]
    pool_after: int
    total_shares_after: int


class LotExited(NamedTuple):
    """A lot reached its exit trigger and was redeemed (a pledged lot pays its lender first)."""

    lot: int
    member: str
    shares: int
    value: int
    paid: int
    to_lender: int
    to_member: int
    pledge: str | None
    pool_after: int
    total_shares_after: int


class RulesChanged(NamedTuple):
    """Rules changed from the next command on: (rule name, canonical JSON value) pairs."""

    changes: tuple[tuple[str, object], ...]


class CustodyRecorded(NamedTuple):
    """The operator reported what the custody account holds; ``shortfall`` is what the
    pool has beyond it (0 when the account covers the pool)."""

    custody: str
    amount: int
    reference: str
    pool_after: int
    shortfall: int


class DisclosurePublished(NamedTuple):
    """A month's disclosure was published: the hash of its report, its PoL root and total."""

    period: str
    report_sha256: str
    pol_root: str
    pol_total: int
    pool_after: int


class MemberErased(NamedTuple):
    """The link between a member's pseudonym and the person was deleted (docs/privacy.md):
    the pseudonym's records stay, and no longer lead to anyone."""

    member: str


class PayoutSent(NamedTuple):
    """``amount`` of what a party is owed left for its bank account (docs/rules.md section
    10): exactly one of ``member``, ``merchant``, ``lender`` names the party; ``owed`` is
    what it is still owed after."""

    payout: str
    member: str | None
    merchant: str | None
    lender: str | None
    amount: int
    destination: str
    owed: int


class PayoutSettled(NamedTuple):
    """The bank confirmed a payout: the money reached the party."""

    payout: str
    member: str | None
    merchant: str | None
    lender: str | None
    amount: int
    reference: str


class PayoutReturned(NamedTuple):
    """The bank sent a payout back: the party is owed it again (``owed`` after)."""

    payout: str
    member: str | None
    merchant: str | None
    lender: str | None
    amount: int
    reason: str
    reference: str
    owed: int


Effect = (
    MerchantRegistered | LenderRegistered | CampaignCreated | MemberJoined | OrderPlaced
    | OrderRefunded | OrderSettled | PointsMinted | Withdrawn | PaidAtMerchant | Burned
    | Transferred | Pledged | PledgeReleased | PledgeSeized | LotExited | RulesChanged
    | CustodyRecorded | DisclosurePublished | MemberErased | PayoutSent | PayoutSettled
    | PayoutReturned
)


_PARTY_FIELDS: Final = (("member", "member"), ("sender", "member"), ("receiver", "member"),
                        ("merchant", "merchant"), ("lender", "lender"))
_FIELDS_OF: dict[type, tuple[tuple[int, str], ...]] = {}


def party_fields(kind: type) -> tuple[tuple[int, str], ...]:
    """(position, "member" | "merchant" | "lender") of each field of ``kind`` naming a party."""
    fields = _FIELDS_OF.get(kind)
    if fields is None:
        names: tuple[str, ...] = getattr(kind, "_fields", ())
        fields = tuple((names.index(name), party) for name, party in _PARTY_FIELDS
                       if name in names)
        _FIELDS_OF[kind] = fields
    return fields


def own_parties(effect: Effect) -> list[str]:
    """The members, merchants and lenders one effect names (``member:<id>``, ...)."""
    return [f"{party}:{effect[position]}" for position, party in party_fields(type(effect))
            if effect[position] is not None]


def parties(effects: list[Effect]) -> set[str]:
    """Who an accepted command's effects concern: ``member:<id>``, ``merchant:<id>``,
    ``lender:<id>``, ``rules`` for a rule change, ``burns`` for a burn and
    ``disclosures`` for a custody figure or a month's disclosure.

    This is what histories are made of (the member's own orders, withdrawals,
    and also a lot of theirs forced out by someone else's order).
    """
    found: set[str] = set()
    for effect in effects:
        kind = type(effect)
        if kind is RulesChanged:
            found.add("rules")
            continue
        if kind is Burned:
            found.add("burns")
            continue
        if kind is DisclosurePublished or kind is CustodyRecorded:
            found.add("disclosures")
            continue
        found.update(own_parties(effect))
    return found


# ``new_effect(Kind, (field, ...))`` builds an effect, fields in declaration order.
# A NamedTuple's own constructor is a Python-level function; going straight to
# ``tuple.__new__`` saves about a third of a microsecond per effect, which matters
# on the paths every order takes. For mypy, each kind built this way has an
# overload whose field tuple is the NamedTuple's own, so a missing, extra or
# mistyped field is a type error, as with the constructor.
if TYPE_CHECKING:
    @overload
    def new_effect(kind: type[OrderPlaced], fields: tuple[
        str, str, str, int, int, str | None, Rational, int]) -> OrderPlaced: ...
    @overload
    def new_effect(kind: type[OrderSettled], fields: tuple[
        str, str, str, int, int]) -> OrderSettled: ...
    @overload
    def new_effect(kind: type[PointsMinted], fields: tuple[
        int, str, str, int, int, int, int, Rational, str, Rational, int]) -> PointsMinted: ...
    def new_effect(kind: type[Effect], fields: tuple[object, ...]) -> Effect: ...
else:
    new_effect: Final = tuple.__new__

