"""What readers see: immutable views of the durable state, published per block.

The writer thread owns the ledger and changes it while it applies a batch;
readers must neither see a half-applied command nor anything that is not yet
durable, and must never make the writer wait on them. So after each block is
stored, the writer rebuilds the views of just the parties that block touched
(immutable tuples) and publishes them with the new head under a lock held for
microseconds; readers take the same lock only to pick up a consistent pair
(head, view). Figures that move with every order (value, price, exit
progress) are computed at read time from the view and the head.

What a block changes is one :class:`Delta`: the writer builds it, applies it to its
own model and hands it to its listeners (``serve --workers N``: the HTTP worker
processes, which apply the same delta to their copies; service/workers.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any, NamedTuple

from ..engine.cash import cash_of
from ..engine.effects import Effect
from ..engine.state import Ledger, Lot
from ..money import (
    INDEX_SCALE,
    SHARE_SCALE,
    format_fen,
    format_index,
    format_percent,
    format_points,
    format_price,
    format_rational,
    format_scaled,
    points_for_shares,
    price_micro,
)
from ..texts import BURN_NOTE
from ..times import format_time


class Head(NamedTuple):
    pool: int
    total_shares: int
    index_units: int
    exits: int
    injected: int
    paid_members: int
    paid_merchants: int
    paid_lenders: int
    now: int | None
    height: int
    tree_size: int
    members: int
    rules: dict[str, Any]
    cap_day: int
    """Asia/Shanghai day the two figures below are for."""
    cap_base_pool: int
    withdrawn_today: int
    in_flight: int = 0
    """Fen of payouts the bank has not settled or returned (docs/rules.md section 10)."""
    settled: int = 0
    """Fen of payouts the bank settled."""
    custody: tuple[str, int, str, int] | None = None
    """The newest custody record: (id, fen, reference, time)."""


class LotView(NamedTuple):
    lot: int
    shares: int
    cost: int
    order: str
    order_at: int
    trigger: tuple[int, int]
    exit_multiple: str
    exit_basis: str
    pledge: str | None
    mint_pool: int = 0
    """Pool and total shares just after its mint: V at mint (the gain gate's base)."""
    mint_shares: int = 1


class MemberView(NamedTuple):
    member: str
    shares: int
    paid: int
    lots: tuple[LotView, ...]


class OrderView(NamedTuple):
    order: str
    merchant: str
    member: str
    amount: int
    profit: int
    campaign: str | None
    multiplier: str
    at: int
    settles_at: int
    status: str


class PledgeView(NamedTuple):
    pledge: str
    member: str
    lender: str
    points: int
    loan: int
    status: str
    repaid: int
    lots: tuple[int, ...]
    shares: int = 0
    """The shares its lots still hold (0 once it is released, seized or exited)."""


class PayoutView(NamedTuple):
    payout: str
    amount: int
    destination: str
    status: str
    """in_flight, settled or returned."""
    sent_at: int
    closed_at: int | None
    reference: str
    """The bank's reference, once it settled or returned the payout."""
    reason: str
    """Why the bank returned it."""


class CashView(NamedTuple):
    """What the program owes one party and what it sent (docs/rules.md section 10)."""

    party: str
    owed: int
    in_flight: int
    settled: int
    payouts: tuple[PayoutView, ...]
    """Newest first."""


_MEMBER_FIELDS = ("member", "sender", "receiver")


class Delta(NamedTuple):
    """What one stored block changed in the views (built by the writer, applied by every
    copy of the read model)."""

    head: Head
    checkpoint: str | None
    members: dict[str, MemberView]
    orders: dict[str, OrderView]
    new_orders: list[str]
    """Order ids not seen before, in the order the ledger placed them."""
    merchants: dict[str, dict[str, Any]]
    lenders: dict[str, dict[str, Any]]
    campaigns: dict[str, dict[str, Any]]
    pledges: dict[str, PledgeView]
    new_pledges: list[str]
    cash: dict[str, CashView]
    erased: set[str]
    payouts: dict[str, str]
    """Payout id -> party, for the payouts sent in the block."""


Listener = Callable[[str, object], None]
"""Told ``("delta", Delta)`` after each block and ``("state", dict)`` after a (re)load,
in the writer's thread, in order (:meth:`ReadModel.subscribe`)."""

_STATE = ("head", "members", "member_order", "orders", "orders_by_merchant",
          "orders_by_member", "merchants", "lenders", "campaigns", "pledges",
          "pledges_by_lender", "pledges_by_member", "erased", "cash", "payout_parties",
          "checkpoint")
"""The attributes a copy of the model needs (:meth:`ReadModel.state`)."""
_APPENDED = ("orders_by_merchant", "orders_by_member", "pledges_by_lender",
             "pledges_by_member")
"""Those that are dicts of lists a block appends to."""


class ReadModel:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._publishing = threading.Lock()
        """Held while a block's delta is applied and told, and while a listener joins:
        a listener gets the state and then every delta after it, none twice, none lost."""
        self._listeners: list[Listener] = []
        self.head = Head(0, 0, INDEX_SCALE, 0, 0, 0, 0, 0, None, 0, 0, 0, {}, -1, 0, 0)
        self.members: dict[str, MemberView] = {}
        self.member_order: list[str] = []
        """Member ids in the order they first appeared (append-only: readers slice it)."""
        self.orders: dict[str, OrderView] = {}
        self.orders_by_merchant: dict[str, list[str]] = {}
        self.orders_by_member: dict[str, list[str]] = {}
        """Order ids per member (pseudonym), oldest first: the wallet's pending orders."""
        self.merchants: dict[str, dict[str, Any]] = {}
        self.lenders: dict[str, dict[str, Any]] = {}
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.pledges: dict[str, PledgeView] = {}
        self.pledges_by_lender: dict[str, list[str]] = {}
        self.pledges_by_member: dict[str, list[str]] = {}
        self.erased: set[str] = set()
        """Members whose link was erased (the ``member.erased`` entries)."""
        self.cash: dict[str, CashView] = {}
        """Parties the pool has paid (``member:ID``, ...): owed, in flight, settled."""
        self.payouts_by_party: dict[str, list[str]] = {}
        """Payout ids per party, oldest first (kept by the writer thread alone)."""
        self.payout_parties: dict[str, str] = {}
        """Payout id -> its party."""
        self.checkpoint: str | None = None
        """The newest stored block's signed checkpoint (served at /checkpoint from memory)."""

    # publishing (writer thread) ---------------------------------------------
    def load(self, ledger: Ledger, height: int, tree_size: int,
             checkpoint: str | None = None) -> None:
        """Build every view from the ledger (at start, and when the writer reopens the
        log), and tell the listeners the whole state."""
        self.payouts_by_party = {}
        payouts = {}
        for payout_id, record in ledger.payouts.items():
            self.payouts_by_party.setdefault(record.command.party, []).append(payout_id)
            payouts[payout_id] = record.command.party
        with self._publishing:
            self.apply(self._delta(ledger, height, tree_size, checkpoint,
                                    dict.fromkeys(ledger.members), set(ledger.orders),
                                    set(ledger.merchants), set(ledger.lenders),
                                    set(ledger.campaigns), set(ledger.pledges), payouts))
            if self._listeners:
                state = self.state()
                for listener in self._listeners:
                    listener("state", state)

    def refresh(self, ledger: Ledger, effects: Iterable[list[Effect]], height: int,
                tree_size: int, checkpoint: str | None = None) -> None:
        """Publish the views of what a stored block's effects touched, and the new head;
        tell the listeners."""
        payouts: dict[str, str] = {}
        members: dict[str, None] = {}
        """The members touched, in the order the block names them (a set would list new
        members in no fixed order: ``member_order`` is the order they appeared in)."""
        orders: set[str] = set()
        merchants: set[str] = set()
        lenders: set[str] = set()
        campaigns: set[str] = set()
        pledges: set[str] = set()
        for entry_effects in effects:
            for effect in entry_effects:
                fields = effect._fields
                for name in _MEMBER_FIELDS:
                    if name in fields:
                        member = getattr(effect, name)
                        if member is not None:  # a payout names one party of three
                            members[member] = None
                if "order" in fields:
                    orders.add(effect.order)  # type: ignore[union-attr]
                if "merchant" in fields and effect.merchant is not None:  # type: ignore[union-attr]
                    merchants.add(effect.merchant)  # type: ignore[union-attr]
                if "lender" in fields and effect.lender is not None:  # type: ignore[union-attr]
                    lenders.add(effect.lender)  # type: ignore[union-attr]
                if "campaign" in fields and effect.campaign is not None:  # type: ignore[union-attr]
                    campaigns.add(effect.campaign)  # type: ignore[union-attr]
                if "pledge" in fields and effect.pledge is not None:  # type: ignore[union-attr]
                    pledges.add(effect.pledge)  # type: ignore[union-attr]
                    pledge = ledger.pledges[effect.pledge].command  # type: ignore[union-attr]
                    members[pledge.member] = None
                    lenders.add(pledge.lender)  # an exit or seizure pays it: it is owed
                if "payout" in fields and "destination" in fields:  # a payout was sent
                    record = ledger.payouts[effect.payout]  # type: ignore[union-attr]
                    self.payouts_by_party.setdefault(record.command.party, []).append(
                        effect.payout)  # type: ignore[union-attr]
                    payouts[effect.payout] = record.command.party  # type: ignore[union-attr]
        delta = self._delta(ledger, height, tree_size, checkpoint, members, orders, merchants,
                            lenders, campaigns, pledges, payouts)
        with self._publishing:
            self.apply(delta)
            for listener in self._listeners:
                listener("delta", delta)

    def subscribe(self, listener: Listener, then: Callable[[Head], None] | None = None
                  ) -> None:
        """Tell ``listener`` every block from now on; ``then`` is called with the head it
        starts from, before any block is told."""
        with self._publishing:
            self._listeners.append(listener)
            if then is not None:
                then(self.head)

    def locked_state(self, then: Callable[[dict[str, Any]], None]) -> None:
        """Call ``then`` with the state, no block published meanwhile (a worker joins)."""
        with self._publishing:
            then(self.state())

    def state(self) -> dict[str, Any]:
        """Everything a copy of this model needs, as of the newest block: copies of the
        containers later blocks change (the views themselves are immutable), so it can be
        read, pickled, sent while blocks go on."""
        with self.lock:
            state: dict[str, Any] = {
                name: (value.copy() if isinstance(value, dict | list | set) else value)
                for name in _STATE for value in (getattr(self, name),)}
        for name in _APPENDED:
            state[name] = {key: list(ids) for key, ids in state[name].items()}
        return state

    def restore(self, state: Mapping[str, Any]) -> None:
        """Become the copy :meth:`state` describes (a worker process's, at start)."""
        with self.lock:
            for name in _STATE:
                setattr(self, name, state[name])

    def _delta(self, ledger: Ledger, height: int, tree_size: int, checkpoint: str | None,
               members: Mapping[str, None], orders: set[str], merchants: set[str],
               lenders: set[str], campaigns: set[str], pledges: set[str],
               payouts: dict[str, str]) -> Delta:
        member_views = {m: _member_view(ledger, m) for m in members if m in ledger.members}
        order_views = {o: _order_view(ledger, o) for o in orders if o in ledger.orders}
        new_orders = [o for o in sorted(order_views, key=lambda o: ledger.orders[o].seq)
                      if o not in self.orders]
        merchant_views = {m: _merchant_view(ledger, m) for m in merchants
                          if m in ledger.merchants}
        lender_views = {x: _lender_view(ledger, x) for x in lenders if x in ledger.lenders}
        campaign_views = {c: _campaign_view(ledger, c) for c in campaigns
                          if c in ledger.campaigns}
        pledge_views = {p: _pledge_view(ledger, p) for p in pledges if p in ledger.pledges}
        new_pledges = [p for p in sorted(pledge_views) if p not in self.pledges]
        head = Head(
            ledger.pool, ledger.total_shares, ledger.index, ledger.exits, ledger.injected,
            ledger.paid_members, ledger.paid_merchants, ledger.paid_lenders,
            None if ledger.now < 0 else ledger.now, height, tree_size, len(ledger.members),
            ledger.rules.to_json(), ledger.cap_day, ledger.cap_base_pool, ledger.withdrawn_today,
            ledger.in_flight, ledger.settled, _last_custody(ledger),
        )
        cash_views = {}
        for kind, ids, accounts in (("member", members, ledger.members),
                                    ("merchant", merchants, ledger.merchants),
                                    ("lender", lenders, ledger.lenders)):
            for party_id in ids:
                if party_id in accounts:
                    party = f"{kind}:{party_id}"
                    cash = _cash_view(ledger, party, self.payouts_by_party.get(party, ()))
                    if cash is not None:
                        cash_views[party] = cash
        erased = {m for m in members if m in ledger.erased}
        return Delta(head, checkpoint, member_views, order_views, new_orders, merchant_views,
                     lender_views, campaign_views, pledge_views, new_pledges, cash_views,
                     erased, payouts)

    def apply(self, delta: Delta) -> None:
        """Apply a block's delta (built by :meth:`_delta`, here or in the writer's model)."""
        with self.lock:
            self.payout_parties.update(delta.payouts)
            self.cash.update(delta.cash)
            self.erased |= delta.erased
            self.member_order.extend(m for m in delta.members if m not in self.members)
            self.members.update(delta.members)
            self.orders.update(delta.orders)
            for order_id in delta.new_orders:
                self.orders_by_merchant.setdefault(delta.orders[order_id].merchant,
                                                   []).append(order_id)
                self.orders_by_member.setdefault(delta.orders[order_id].member,
                                                 []).append(order_id)
            self.merchants.update(delta.merchants)
            self.lenders.update(delta.lenders)
            self.campaigns.update(delta.campaigns)
            self.pledges.update(delta.pledges)
            for pledge_id in delta.new_pledges:
                view = delta.pledges[pledge_id]
                self.pledges_by_lender.setdefault(view.lender, []).append(pledge_id)
                self.pledges_by_member.setdefault(view.member, []).append(pledge_id)
            self.checkpoint = delta.checkpoint
            self.head = delta.head

    # reading (any thread) -------------------------------------------------
    def member(self, member_id: str) -> tuple[Head, MemberView | None]:
        with self.lock:
            return self.head, self.members.get(member_id)

    def member_and_orders(self, member_id: str
                          ) -> tuple[Head, MemberView | None, list[OrderView]]:
        """The head, the member's view and their orders (oldest first), as one block left
        them."""
        with self.lock:
            orders = [self.orders[order] for order in self.orders_by_member.get(member_id, ())]
            return self.head, self.members.get(member_id), orders

    def cash_of(self, party: str) -> CashView:
        """What ``party`` (``member:ID``, ...) is owed, has in flight and settled."""
        with self.lock:
            return self.cash.get(party) or CashView(party, 0, 0, 0, ())

    def payout(self, payout_id: str) -> tuple[str, PayoutView] | None:
        """(party, payout) as the newest stored block left it, or None."""
        party = self.payout_parties.get(payout_id)
        if party is None:
            return None
        with self.lock:
            view = self.cash.get(party)
        for payout in view.payouts if view is not None else ():
            if payout.payout == payout_id:
                return party, payout
        return None

    def cash_views(self) -> list[CashView]:
        """Every party's cash view (a payout run, the reconciliation)."""
        with self.lock:
            return list(self.cash.values())

    def owed_parties(self) -> list[tuple[str, int]]:
        """(party, fen owed) of every party owed something, in no particular order."""
        with self.lock:
            views = list(self.cash.values())
        return [(view.party, view.owed) for view in views if view.owed > 0]

    def knows(self, role: str, party: str) -> bool:
        """Whether the durable log has ``party`` as a ``role``: a registered merchant or
        lender, or a member (who exists from their first order, or a transfer to them).
        The API keys' check (store/apikeys.py ``PartyExists``)."""
        with self.lock:
            if role == "member":
                return party in self.members
            if role == "merchant":
                return party in self.merchants
            return role == "lender" and party in self.lenders


_rule_text = lru_cache(maxsize=256)(format_rational)
"""``format_rational`` for the views' exit multiples and campaign multipliers: they take a
handful of values, so equal values share one string instead of a new one per lot and per
order, for every lot and order the read model holds (docs/performance.md, "Memory")."""


def _lot_view(lot: Lot) -> LotView:
    return LotView(lot.lot_id, lot.shares, lot.cost, lot.order_id, lot.order_at,
                   (lot.trigger[0], lot.trigger[1]), _rule_text(lot.exit_multiple),
                   lot.exit_basis, None if lot.pledge is None else lot.pledge.command.id,
                   lot.mint_pool, lot.mint_shares)


def _member_view(ledger: Ledger, member_id: str) -> MemberView:
    member = ledger.members[member_id]
    return MemberView(member_id, member.shares, member.paid,
                      tuple(_lot_view(lot) for lot in member.lots if lot.shares))


def _order_view(ledger: Ledger, order_id: str) -> OrderView:
    record = ledger.orders[order_id]
    command = record.command
    return OrderView(order_id, command.merchant, command.member, command.amount, command.profit,
                     command.campaign, _rule_text(record.multiplier), command.at,
                     record.settles_at, record.status)


def _merchant_view(ledger: Ledger, merchant_id: str) -> dict[str, Any]:
    merchant = ledger.merchants[merchant_id]
    return {"id": merchant_id, "name": merchant.command.name,
            "industry": merchant.command.industry,
            "contributed": format_fen(merchant.contributed),
            "received": format_fen(merchant.received)}


def _lender_view(ledger: Ledger, lender_id: str) -> dict[str, Any]:
    lender = ledger.lenders[lender_id]
    return {"id": lender_id, "name": lender.command.name, "received": format_fen(lender.received)}


def _last_custody(ledger: Ledger) -> tuple[str, int, str, int] | None:
    if not ledger.custody:
        return None
    command = next(reversed(ledger.custody.values()))
    return command.id, command.amount, command.reference, command.at


def _cash_view(ledger: Ledger, party: str, payout_ids: Iterable[str]) -> CashView | None:
    """The party's cash, or None while the pool never paid it anything."""
    owed, in_flight, settled = cash_of(ledger, party)
    if owed == in_flight == settled == 0:
        return None
    payouts = []
    for payout_id in reversed(list(payout_ids)):
        record = ledger.payouts[payout_id]
        closed = record.closed_by
        payouts.append(PayoutView(
            payout_id, record.command.amount, record.command.destination, record.status,
            record.command.at, None if closed is None else closed.at,
            "" if closed is None else closed.reference,
            getattr(closed, "reason", "") if closed is not None else ""))
    return CashView(party, owed, in_flight, settled, tuple(payouts))


def cash_json(view: CashView) -> dict[str, Any]:
    """A party's owed, in flight and settled, and its payouts (newest first)."""
    return {
        "owed": format_fen(view.owed), "in_flight": format_fen(view.in_flight),
        "settled": format_fen(view.settled),
        "payouts": [{
            "payout": payout.payout, "amount": format_fen(payout.amount),
            "destination": payout.destination, "status": payout.status,
            "sent_at": format_time(payout.sent_at),
            "closed_at": None if payout.closed_at is None else format_time(payout.closed_at),
            "reference": payout.reference, "reason": payout.reason,
        } for payout in view.payouts],
    }


def _campaign_view(ledger: Ledger, campaign_id: str) -> dict[str, Any]:
    command = ledger.campaigns[campaign_id].command
    return {"id": campaign_id, "merchant": command.merchant,
            "multiplier": format_rational(command.multiplier),
            "start": format_time(command.start), "end": format_time(command.end)}


def _pledge_view(ledger: Ledger, pledge_id: str) -> PledgeView:
    record = ledger.pledges[pledge_id]
    command = record.command
    return PledgeView(pledge_id, command.member, command.lender, command.points, command.loan,
                      record.status, record.repaid, tuple(lot.lot_id for lot in record.lots),
                      sum(lot.shares for lot in record.lots if lot.pledge is record))


# rendering (any thread) ---------------------------------------------------------
def value_fen(head: Head, shares: int) -> int:
    return 0 if head.total_shares == 0 else shares * head.pool // head.total_shares


def pool_figures(pool: int, total_shares: int, index_units: int) -> dict[str, str]:
    """Pool, supply, price and value per point (docs/rules.md section 8 precision).

    ``value_per_point`` is what one point minted before any burn is worth now:
    pool / shares (price x index). A burn shrinks every holding's points and
    raises the price by the same factor, so the price alone overstates growth;
    this figure is what burns leave unchanged, and what a holding's value follows.
    """
    return {
        "pool": format_fen(pool),
        "supply": format_points(points_for_shares(total_shares, index_units)),
        "price": format_price(price_micro(pool, total_shares, index_units)),
        "value_per_point": format_price(price_micro(pool, total_shares, INDEX_SCALE)),
        "index": format_index(index_units),
    }


def head_json(head: Head) -> dict[str, Any]:
    """The figures of :func:`pool_figures` now, with the totals and the newest block."""
    return {
        **pool_figures(head.pool, head.total_shares, head.index_units),
        "exits": head.exits,
        "members": head.members,
        "injected": format_fen(head.injected),
        "paid_members": format_fen(head.paid_members),
        "paid_merchants": format_fen(head.paid_merchants),
        "paid_lenders": format_fen(head.paid_lenders),
        "owed": format_fen(head.paid_members + head.paid_merchants + head.paid_lenders
                           - head.in_flight - head.settled),
        "in_flight": format_fen(head.in_flight),
        "settled": format_fen(head.settled),
        "time": None if head.now is None else format_time(head.now),
        "block": head.height,
        "tree_size": head.tree_size,
        "note": BURN_NOTE.en,
    }


def member_json(head: Head, view: MemberView) -> dict[str, Any]:
    lots = []
    for lot in view.lots:
        value = value_fen(head, lot.shares)
        # The trigger is in fen per whole share (SHARE_SCALE share units).
        numerator, denominator = lot.trigger
        target = numerator * lot.shares // (denominator * SHARE_SCALE)
        progress = (0 if head.total_shares == 0 else
                    head.pool * SHARE_SCALE * denominator * 10_000
                    // (head.total_shares * numerator))
        lots.append({
            "lot": lot.lot, "order": lot.order, "order_at": format_time(lot.order_at),
            "points": format_points(points_for_shares(lot.shares, head.index_units)),
            "cost": format_fen(lot.cost), "value": format_fen(value),
            "exit_multiple": lot.exit_multiple, "exit_basis": lot.exit_basis,
            "exit_target": format_fen(target),
            "exit_progress": format_scaled(min(progress, 10_000), 10_000, 4),
            "pledge": lot.pledge,
        })
    return {
        "member": view.member,
        "points": format_points(points_for_shares(view.shares, head.index_units)),
        "value": format_fen(value_fen(head, view.shares)),
        "paid": format_fen(view.paid),
        "lots": lots,
        "block": head.height,
    }


def order_json(view: OrderView, merchant_order_id: str,
               member_ids: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An order as the API shows it: ``member`` the pseudonym the log names the customer
    by, ``member_id`` the caller's id for them when it may see one (``member_ids``)."""
    return {
        "id": merchant_order_id, "log_id": view.order, "merchant": view.merchant,
        "member": view.member, "member_id": (member_ids or {}).get(view.member),
        "amount": format_fen(view.amount),
        "profit": format_fen(view.profit), "campaign": view.campaign,
        "multiplier": view.multiplier, "at": format_time(view.at),
        "settles_at": format_time(view.settles_at), "status": view.status,
    }


def pledge_json(view: PledgeView, head: Head | None = None) -> dict[str, Any]:
    """A pledge as the API shows it; with ``head``, also its collateral now: the points its
    lots hold, their value at V (truncated to the fen, as every holding's), what the loan
    still owes (loan − repaid), the value's share of that (one decimal, truncated; None
    when nothing is owed) and whether the value covers it."""
    shown: dict[str, Any] = {
        "id": view.pledge, "member": view.member, "lender": view.lender,
        "points": format_points(view.points), "loan": format_fen(view.loan),
        "status": view.status, "repaid": format_fen(view.repaid), "lots": list(view.lots)}
    if head is not None:
        value = value_fen(head, view.shares)
        outstanding = view.loan - view.repaid
        shown["collateral"] = {
            "points": format_points(points_for_shares(view.shares, head.index_units)),
            "value": format_fen(value), "outstanding": format_fen(outstanding),
            "coverage": (format_percent(Fraction(value, outstanding)) if outstanding > 0
                         else None),
            "covered": value >= outstanding,
            "block": head.height}
    return shown
