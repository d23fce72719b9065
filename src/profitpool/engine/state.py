"""The ledger's state: plain objects, integers only, no behaviour beyond lookups.

The engine's cost per command must not grow with the number of members, so
the state is shaped for the rules' access paths:

* every party, order and pledge is a dict lookup by id;
* a member's lots are a list kept oldest first (by order time, then mint
  order), so withdrawals and payments walk only that member's lots;
* lots waiting to exit sit in one heap keyed by their exit trigger, so the next
  exit is found in O(log n) and a cascade of k exits costs O(k log n);
* pending orders sit in a heap keyed by (settlement time, order sequence);
* the burn touches one number, ``index``.

Lots that are emptied (withdrawn, paid, transferred, exited) stay in these
structures with ``shares == 0`` until they are swept lazily; every reader
skips them. That sweeping never changes what the ledger means.
"""

from __future__ import annotations

from typing import Final

from ..money import INDEX_SCALE, Rational
from ..rules import Rules
from .commands import (
    CreateCampaign,
    Pay,
    PlaceOrder,
    Pledge,
    PublishDisclosure,
    RecordCustody,
    RegisterLender,
    RegisterMerchant,
    ReturnPayout,
    SendPayout,
    SettlePayout,
    Transfer,
    Withdraw,
)

NO_TIME: Final = -(1 << 62)
"""``Ledger.now`` before the first command."""

PENDING: Final = "pending"
SETTLED: Final = "settled"
REFUNDED: Final = "refunded"

ACTIVE: Final = "active"
RELEASED: Final = "released"
SEIZED: Final = "seized"
EXITED: Final = "exited"

IN_FLIGHT: Final = "in_flight"
RETURNED: Final = "returned"


class Trigger(tuple[int, int]):
    """An exit trigger in fen per share, as a reduced fraction (numerator, denominator).

    Equal triggers are equal tuples (fast C comparison); only when two
    different triggers share the same integer heap key does ``<`` fall back to
    the exact cross-multiplication below.
    """

    __slots__ = ()

    def __lt__(self, other: tuple[int, ...]) -> bool:
        return self[0] * other[1] < other[0] * self[1]

    def __gt__(self, other: tuple[int, ...]) -> bool:
        return self[0] * other[1] > other[0] * self[1]

    def __le__(self, other: tuple[int, ...]) -> bool:
        return self[0] * other[1] <= other[0] * self[1]

    def __ge__(self, other: tuple[int, ...]) -> bool:
        return self[0] * other[1] >= other[0] * self[1]


class Lot:
    """The points minted by one order (or a fragment split off such a lot)."""

    __slots__ = (
        "lot_id", "origin", "member", "shares", "cost", "order_id", "order_at",
        "trigger", "exit_multiple", "exit_basis", "mint_pool", "mint_shares", "pledge",
    )

    def __init__(
        self, lot_id: int, origin: int, member: Member, shares: int, cost: int,
        order_id: str, order_at: int, trigger: Trigger, exit_multiple: Rational,
        exit_basis: str, mint_pool: int, mint_shares: int,
    ) -> None:
        self.lot_id = lot_id
        """Number of this lot, from 1, in creation order."""
        self.origin = origin
        """Number of the minted lot this one descends from (itself if minted): its age."""
        self.member = member
        self.shares = shares
        """Share units held; 0 once the lot is gone."""
        self.cost = cost
        """Fen spent on the part of the order this lot still represents."""
        self.order_id = order_id
        self.order_at = order_at
        """Time of the order that minted it (the hold period counts from here)."""
        self.trigger = trigger
        """Exit when V (fen per share) reaches this. Never changes, even when split."""
        self.exit_multiple = exit_multiple
        self.exit_basis = exit_basis
        self.mint_pool = mint_pool
        """Pool (fen) just after the mint: V at mint = mint_pool / mint_shares."""
        self.mint_shares = mint_shares
        """Total shares just after the mint."""
        self.pledge: PledgeRecord | None = None


class Member:
    """A member: their lots (oldest first) and what they have been paid."""

    __slots__ = ("member_id", "lots", "shares", "paid", "empty_lots")

    def __init__(self, member_id: str) -> None:
        self.member_id = member_id
        self.lots: list[Lot] = []
        """Lots oldest first; may hold emptied lots (shares 0) until swept."""
        self.shares = 0
        """Sum of the shares of the member's lots."""
        self.paid = 0
        """Fen received: withdrawals, exits, seizure remainders."""
        self.empty_lots = 0
        """How many entries of ``lots`` are emptied and wait to be swept."""


class Merchant:
    __slots__ = ("command", "contributed", "received")

    def __init__(self, command: RegisterMerchant) -> None:
        self.command = command
        self.contributed = 0
        """Fen its settled orders injected into the pool."""
        self.received = 0
        """Fen the pool paid it for points spent there."""


class Lender:
    __slots__ = ("command", "received")

    def __init__(self, command: RegisterLender) -> None:
        self.command = command
        self.received = 0
        """Fen paid to it from seizures and exits of pledged lots."""


class Campaign:
    __slots__ = ("command",)

    def __init__(self, command: CreateCampaign) -> None:
        self.command = command


class OrderRecord:
    __slots__ = ("command", "status", "settles_at", "seq", "multiplier")

    def __init__(
        self, command: PlaceOrder, settles_at: int, seq: int, multiplier: Rational
    ) -> None:
        self.command = command
        self.status = PENDING
        self.settles_at = settles_at
        self.seq = seq
        """Order sequence number from 1: breaks ties between orders due together."""
        self.multiplier = multiplier
        """The campaign multiplier (1 without a campaign)."""


class PledgeRecord:
    __slots__ = ("command", "status", "repaid", "lots")

    def __init__(self, command: Pledge) -> None:
        self.command = command
        self.status = ACTIVE
        self.repaid = 0
        """Fen paid to the lender so far (seizure or exits), never above the loan."""
        self.lots: list[Lot] = []
        """The lots locked by this pledge (some may have exited)."""


class PayoutRecord:
    """A payout (docs/rules.md section 10): in flight until the bank settles or returns it."""

    __slots__ = ("command", "status", "closed_by")

    def __init__(self, command: SendPayout) -> None:
        self.command = command
        self.status = IN_FLIGHT
        """in_flight, then settled or returned (once)."""
        self.closed_by: SettlePayout | ReturnPayout | None = None


class Ledger:
    """The whole state of one program. Create with ``Ledger()`` (default rules)."""

    __slots__ = (
        "rules", "now", "pool", "total_shares", "index", "injected", "paid_members",
        "paid_merchants", "paid_lenders", "exits", "live_lots", "next_lot_id", "next_order_seq",
        "members", "merchants", "lenders", "campaigns", "orders", "pledges", "withdrawals",
        "payments", "transfers", "burned", "pending", "exit_queue", "cap_day",
        "cap_base_pool", "withdrawn_today", "queue_serial", "custody", "disclosures",
        "legacy_exits", "erased", "payouts", "in_flight", "settled", "cash",
    )

    def __init__(self, rules: Rules | None = None, *, legacy_exits: bool = False) -> None:
        self.rules = rules if rules is not None else Rules()
        self.now = NO_TIME
        """Time of the last accepted command (epoch microseconds)."""
        self.pool = 0
        """Fen held for the members."""
        self.total_shares = 0
        self.index = INDEX_SCALE
        """Points per share, in 1/10^24; each burn multiplies it by (1 - burn_rate)."""
        self.injected = 0
        self.paid_members = 0
        self.paid_merchants = 0
        self.paid_lenders = 0
        self.exits = 0
        """Lots forced out so far."""
        self.live_lots = 0
        """Lots holding shares now (the exit queue is swept when it grows past twice this)."""
        self.next_lot_id = 1
        self.next_order_seq = 1
        self.members: dict[str, Member] = {}
        self.merchants: dict[str, Merchant] = {}
        self.lenders: dict[str, Lender] = {}
        self.campaigns: dict[str, Campaign] = {}
        self.orders: dict[str, OrderRecord] = {}
        self.pledges: dict[str, PledgeRecord] = {}
        self.withdrawals: dict[str, Withdraw] = {}
        """Accepted withdraw commands by id (for idempotent retries)."""
        self.payments: dict[str, Pay] = {}
        self.transfers: dict[str, Transfer] = {}
        self.burned: dict[str, int] = {}
        """Burned periods 'YYYY-MM' -> time of the burn."""
        self.custody: dict[str, RecordCustody] = {}
        """Custody figures recorded, by id (the commands, for idempotent retries)."""
        self.disclosures: dict[tuple[int, int], PublishDisclosure] = {}
        """Published monthly disclosures by period (the commands)."""
        self.erased: dict[str, int] = {}
        """Members whose link to a person was erased, with when (docs/privacy.md)."""
        self.payouts: dict[str, PayoutRecord] = {}
        """Payouts by id (docs/rules.md section 10)."""
        self.in_flight = 0
        """Fen sent to parties' banks, not yet settled or returned."""
        self.settled = 0
        """Fen the bank confirmed as having reached the parties."""
        self.cash: dict[str, list[int]] = {}
        """Party (``member:ID``, ...) -> [fen in flight, fen settled], for parties that had a
        payout. What a party is owed is derived: what the pool paid it minus these two."""
        self.pending: list[tuple[int, int, OrderRecord]] = []
        """Heap of (settles_at, order seq, order) for pending orders."""
        self.exit_queue: list[tuple[int, Trigger, int, int, int, int, Lot]] = []
        """Heap of (trigger key, trigger, order time, origin, lot id, queue serial, lot):
        the smallest trigger first, ties to the oldest lot."""
        self.cap_day = -1
        """Asia/Shanghai day (days since 1970-01-01) the cap counters below are for."""
        self.cap_base_pool = 0
        """Pool at that day's start, after its first command's settlements."""
        self.withdrawn_today = 0
        """Fen paid by withdrawals that day."""
        self.queue_serial = 0
        """Makes every exit-queue entry unique, so a heap comparison never reaches a Lot
        (a mint undone by a rejection leaves an entry whose lot number is reused).
        Never rolled back, not part of what the ledger means."""
        self.legacy_exits = legacy_exits
        """Replaying a log of format 1, written before exits were exact: ``cost``
        triggers from the lots' rounded shares, and exit ties by mint order alone.
        Never set for a new program (docs/log.md)."""

    def value_per_share(self) -> tuple[int, int]:
        """V as a fraction (fen, share units); (0, 1) with no shares."""
        if self.total_shares == 0:
            return 0, 1
        return self.pool, self.total_shares
