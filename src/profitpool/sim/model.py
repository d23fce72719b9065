"""One simulated run: a scenario's members buying, withdrawing and paying, month by month,
through the real engine.

Nothing here computes a price or a payout: every order, withdrawal, payment,
transfer, pledge, release, seizure and burn is a command given to
:func:`profitpool.engine.execute`, and the figures
are read off the effects the engine returns and off its ledger. What this
module adds is the randomness (who arrives, who buys, where, for how much, who
withdraws, gives or pledges points, how members respond to the price) and the
bookkeeping a report needs (cohorts, who funded whom, lots'
time to exit).

Random draws (order values, margins, times, choices) are floats from numpy's
seeded generator; each is turned into integer fen or into a yes/no once,
before it reaches the engine. A run depends only on its scenario, its rules
and its seed, so it gives the same result in any process on any machine
with the same numpy.

Within a month, events happen in time order: the burn of the month before at
00:00 Asia/Shanghai on the 1st, then orders, withdrawals and payments at
random moments of the month (a bank run's withdrawals in its first three days).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from fractions import Fraction
from heapq import heappop, heappush
from typing import Any

import numpy as np

from ..engine import execute
from ..engine.cashable import WithdrawGate
from ..engine.commands import (
    Burn,
    ChangeRules,
    CreateCampaign,
    Pay,
    PlaceOrder,
    Pledge,
    RegisterLender,
    RegisterMerchant,
    Release,
    Seize,
    Transfer,
    Withdraw,
)
from ..engine.effects import (
    LotExited,
    MemberJoined,
    OrderPlaced,
    OrderSettled,
    PaidAtMerchant,
    Pledged,
    PledgeSeized,
    PointsMinted,
    Transferred,
    Withdrawn,
)
from ..engine.state import ACTIVE, Ledger
from ..errors import Rejected
from ..gcpause import paused_gc
from ..money import (
    INDEX_SCALE,
    SHARE_SCALE,
    parse_decimal,
    points_for_shares,
    price_micro,
    shares_for_points,
)
from ..rules import parse_rule_changes
from ..times import month_start
from .funding import NOT_JOINED, FundingBook, under_water
from .results import MONTHLY_COLUMNS, Cohort, MemberOutcomes, RunResult
from .scenario import LENDER_ID, Distribution, Scenario

_BANK_RUN_DAYS = 3
_ORDER, _WITHDRAW, _PAY, _TRANSFER, _PLEDGE, _END_PLEDGE = range(6)
"""Kinds of a month's events; at the same moment they run in this order."""
_new = tuple.__new__


def month_of(start: tuple[int, int], number: int) -> tuple[int, int]:
    """The (year, month) of simulated month ``number`` (1 = start)."""
    index = start[0] * 12 + start[1] - 1 + number - 1
    return index // 12, index % 12 + 1


def _sample(rng: np.random.Generator, dist: Distribution, size: int) -> np.ndarray:
    kind, params = dist.kind, dist.params
    if kind == "fixed":
        return np.full(size, params[0])
    if kind == "uniform":
        return rng.uniform(params[0], params[1], size)
    if kind == "triangular":
        return rng.triangular(params[0], params[1], params[2], size)
    median, sigma, cap = params
    return np.minimum(rng.lognormal(np.log(median), sigma, size), cap)


class _Run:
    """The state of one run besides the engine's ledger: members' histories and totals."""

    def __init__(self, scenario: Scenario, variant: str | None, seed: int,
                 record: Callable[[Any], None] | None) -> None:
        self.scenario = scenario
        self.rng = np.random.default_rng(seed)
        self.ledger = Ledger()
        self.record = record
        self.variant = variant
        self.month = 0
        self.serial = 0
        self.member_ids: list[str] = []
        self.cohort: list[int] = []
        """Arrival month of each member (by number); members are 'u0', 'u1', ..."""
        self.index_of: dict[str, int] = {}
        self.spent = np.zeros(0, dtype=np.int64)
        """Fen each member spent on accepted orders."""
        self.contributed: list[int] = []
        self.received_cash: list[int] = []
        self.received_goods: list[int] = []
        self.reference_value: list[float] = []
        """V when the member last withdrew (or first got points): their gain's base."""
        self.active = np.zeros(0, dtype=np.int64)
        self.lot_month = array("H", [0])
        self.lot_trigger: list[tuple[int, int]] = [(0, 1)]
        """By lot id (from 1): the month a lot was minted and its exit trigger. Lists, not a
        dict: the engine numbers the lots of accepted commands 1, 2, 3, ..."""
        self.promised = 0
        self.lot_promised = array("q", [0])
        """By lot id: the whole lot's advertised exit value at mint (fen)."""
        self.lot_injection = array("q", [0])
        """By lot id: what the order that minted it put into the pool (fen)."""
        self.last_injection = 0
        self.last_price = 0
        """The displayed price after the last accepted command (0 with no points)."""
        self.exit_months = [0] * (scenario.months + 1)
        months = scenario.months
        self.mix = [0] * months
        """The pool's money by contributing cohort (docs/simulator.md: who funded whom)."""
        self.funded = [[0] * months for _ in range(months)]
        self.month_contributed = [0] * months
        self.month_received = [0] * months
        self.cohort_lots = [0] * months
        self.cohort_exits = [0] * months
        self.monthly: dict[str, list[int]] = {name: [] for name in MONTHLY_COLUMNS}
        self.row: dict[str, int] = {}
        self.invariants_ok = True
        self.refused = ""
        """The code of the engine's last refusal."""
        self.withdraw_refusals: dict[str, list[int]] = {}
        """Refused withdrawal attempts by cause, one count per month (RunResult)."""
        self.join_position: list[int] = []
        """By member: the order in which they joined (first accepted order), from 0."""
        self.joined = 0
        self.funding = FundingBook()
        self.left_over = 0
        """What the pool held when the last points left, until a lot is minted again."""
        self.pay_share = _ratio(scenario.pay_share)
        self.transfer_share = _ratio(scenario.transfer_share)
        pledge = scenario.pledge
        self.pledge_share = _ratio(pledge.share if pledge else 1.0)
        self.loan_share = _ratio(pledge.loan_share if pledge else 1.0)
        self.moves: tuple[list[int], list[int], list[int], list[str], list[bool]] = (
            [], [], [], [], [])
        """The month's transfers (givers, receivers), pledgers, and pledges ending (ids, and
        whether each is seized), by event position (:meth:`_move`)."""
        self.pledges_due: dict[int, list[str]] = {}
        """Month -> the pledges the run made that end then, in the order they were made."""

    # engine calls ---------------------------------------------------------------

    def execute(self, command: Any) -> bool:
        """Give one command to the engine; account its effects; False if refused."""
        if self.record is not None:
            self.record(command)
        try:
            effects = execute(self.ledger, command).effects
        except Rejected as refusal:
            self.refused = refusal.code
            return False
        self.account(effects)
        self.price_moved()
        return True

    def price_moved(self) -> None:
        """Count a change of the displayed price made by the command just accepted.

        A move to or from a price of 0 (no points left) is not a rise or a fall: a move
        from 0 is the price restarting (docs/rules.md section 2), counted where the last
        points left (``pool_emptied``, :meth:`_emptied`).
        """
        ledger = self.ledger
        now = price_micro(ledger.pool, ledger.total_shares, ledger.index)
        before = self.last_price
        if now == before:
            return
        row = self.row
        if before and now:
            row["price_moves"] += 1
            if now < before:
                row["price_falls"] += 1
        self.last_price = now

    def account(self, effects: list[Any]) -> None:
        """Book what the effects did to members, cohorts, lots and the month's figures.

        Orders placed are booked in bulk by :meth:`run_month` (numpy), so an
        ``OrderPlaced`` needs nothing here; this loop runs for every effect.
        """
        row = self.row
        cohort = self.cohort
        index_of = self.index_of
        for effect in effects:
            kind = type(effect)
            if kind is OrderPlaced:
                continue
            if kind is OrderSettled:
                member = index_of[effect.member]
                self.contributed[member] += effect.injection
                self.last_injection = effect.injection
                self.month_contributed[cohort[member]] += effect.injection
                row["injected_fen"] += effect.injection
                row["orders_settled"] += 1
            elif kind is PointsMinted:
                member = index_of[effect.member]
                trigger = effect.trigger
                if effect.lot != len(self.lot_trigger):  # pragma: no cover - never seen
                    raise ValueError(f"lot {effect.lot} minted out of order")
                self.lot_trigger.append(trigger)
                self.lot_month.append(self.month)
                numerator, denominator = trigger
                whole = effect.shares * numerator // (denominator * SHARE_SCALE)
                self.promised += whole
                self.lot_promised.append(whole)
                self.lot_injection.append(self.last_injection)
                self.last_injection = 0
                row["lots_minted"] += 1
                self.cohort_lots[cohort[member]] += 1
                if self.reference_value[member] == 0.0:
                    self.reference_value[member] = self.ledger.pool / effect.total_shares_after
                if self.left_over and effect.total_shares_after == effect.shares:
                    # the first lot into an empty pool owns what was left (docs/rules.md s. 2)
                    row["pool_taken_fen"] += self.left_over
                    self.left_over = 0
            elif kind is MemberJoined:
                row["arrivals"] += 1
                self.join_position[index_of[effect.member]] = self.joined
                self.joined += 1
            elif kind is Withdrawn or kind is PaidAtMerchant:
                member = index_of[effect.member]
                for part in effect.parts:
                    numerator, denominator = self.lot_trigger[part.lot]
                    self.promised -= part.shares * numerator // (denominator * SHARE_SCALE)
                self.month_received[cohort[member]] += effect.paid
                if kind is Withdrawn:
                    self.received_cash[member] += effect.paid
                    row["withdrawals"] += 1
                    row["paid_withdrawals_fen"] += effect.paid
                    if effect.total_shares_after:
                        self.reference_value[member] = (
                            effect.pool_after / effect.total_shares_after)
                else:
                    self.received_goods[member] += effect.paid
                    row["payments"] += 1
                    row["paid_merchants_fen"] += effect.paid
                if not effect.total_shares_after:
                    self._emptied(effect.pool_after)
            elif kind is Transferred or kind is Pledged:
                self._fragments(effect.parts)
                if kind is Transferred:
                    receiver = index_of[effect.receiver]
                    if self.reference_value[receiver] == 0.0 and self.ledger.total_shares:
                        self.reference_value[receiver] = (
                            self.ledger.pool / self.ledger.total_shares)
            elif kind is PledgeSeized:
                member = index_of[effect.member]
                # the lender's part paid the member's loan: the member got it as cash
                self.received_cash[member] += effect.paid
                self.month_received[cohort[member]] += effect.paid
                row["paid_seizures_fen"] += effect.paid
                if not effect.total_shares_after:
                    self._emptied(effect.pool_after)
            elif kind is LotExited:
                member = index_of[effect.member]
                numerator, denominator = self.lot_trigger[effect.lot]
                minted_month = self.lot_month[effect.lot]
                part = effect.shares * numerator // (denominator * SHARE_SCALE)
                self.promised -= part
                row["exit_promised_fen"] += part
                whole = self.lot_promised[effect.lot]
                if whole:
                    row["exit_contributed_fen"] += self.lot_injection[effect.lot] * part // whole
                # a pledged lot pays the member's loan first: cash the member got
                self.received_cash[member] += effect.to_member + effect.to_lender
                self.month_received[cohort[member]] += effect.paid
                self.exit_months[self.month - minted_month] += 1
                self.cohort_exits[cohort[member]] += 1
                row["exits"] += 1
                row["paid_exits_fen"] += effect.paid
                if not effect.total_shares_after:
                    self._emptied(effect.pool_after)

    def _fragments(self, parts: tuple[Any, ...]) -> None:
        """Lots split off by a transfer or a pledge: each new lot keeps its origin's records
        (month, trigger, and the whole origin's promise and injection, for pro rata)."""
        for part in parts:
            if part.new_lot is None or part.new_lot == part.lot:
                continue
            if part.new_lot != len(self.lot_trigger):  # pragma: no cover - never seen
                raise ValueError(f"lot {part.new_lot} split off out of order")
            self.lot_trigger.append(self.lot_trigger[part.lot])
            self.lot_month.append(self.lot_month[part.lot])
            self.lot_promised.append(self.lot_promised[part.lot])
            self.lot_injection.append(self.lot_injection[part.lot])

    def _emptied(self, pool_fen: int) -> None:
        """The last points just left: count it and keep what the pool still holds."""
        self.row["pool_emptied"] += 1
        self.row["pool_left_fen"] += pool_fen
        self.left_over = pool_fen

    # a month --------------------------------------------------------------------

    def setup(self) -> None:
        scenario = self.scenario
        at = month_start(*scenario.start)
        changes = scenario.rule_changes(self.variant)
        if changes:  # a rules command, like any operator's, so `apply` can replay the run
            self._must(_new(ChangeRules, (parse_rule_changes(changes), at)))
        for merchant in scenario.merchants:
            self._must(_new(RegisterMerchant, (merchant.id, merchant.name, merchant.industry,
                                               at)))
        if scenario.pledge is not None:  # the bank members pledge their points to
            self._must(_new(RegisterLender, (LENDER_ID, "银行", at)))
        for campaign in scenario.campaigns:
            first = month_start(*month_of(scenario.start, campaign.start_month))
            after = month_start(*month_of(scenario.start, campaign.end_month + 1))
            self._must(_new(CreateCampaign, (
                campaign.id, campaign.merchant,
                parse_decimal(campaign.multiplier, "invalid_multiplier"), first, after, at)))

    def _must(self, command: Any) -> None:
        if not self.execute(command):
            raise ValueError(f"the engine refused the scenario's command: {self.refused}")

    def add_member(self, member_id: str, cohort: int) -> int:
        """A new member of the month ``cohort`` (0 is the first): every per-member record
        gets its entry. Returns the member's index."""
        member = len(self.member_ids)
        self.member_ids.append(member_id)
        self.index_of[member_id] = member
        self.cohort.append(cohort)
        self.contributed.append(0)
        self.received_cash.append(0)
        self.received_goods.append(0)
        self.reference_value.append(0.0)
        self.join_position.append(NOT_JOINED)
        return member

    def run_month(self, number: int) -> None:
        scenario, rng, ledger = self.scenario, self.rng, self.ledger
        self.month = number
        self.row = dict.fromkeys(MONTHLY_COLUMNS, 0)
        self.row["month"] = number
        year, month = month_of(scenario.start, number)
        start = month_start(year, month)
        end = month_start(*month_of(scenario.start, number + 1))
        if scenario.burn and number > 1:
            previous = month_of(scenario.start, number - 1)
            self.row["burned"] = int(self.execute(_new(Burn, (previous, start))))
        for change in scenario.rule_changes_scheduled:  # the operator's response, if any
            if change.month == number:
                self._must(_new(ChangeRules, (parse_rule_changes(change.rules), start)))

        # who buys this month: those still buying, then the new arrivals
        active = self.active
        if scenario.monthly_churn and len(active):
            active = active[rng.random(len(active)) >= scenario.monthly_churn]
        arrivals = round(scenario.arrivals[number - 1] * scenario.arrivals_factor(number))
        first_new = len(self.member_ids)
        for member in range(first_new, first_new + arrivals):
            self.add_member(f"u{member}", number - 1)
        new_members = np.arange(first_new, first_new + arrivals, dtype=np.int64)
        rate = scenario.orders_per_member_month * scenario.purchase_factor(number)
        if scenario.buy_more_after_rise is not None:
            rise, factor = scenario.buy_more_after_rise
            if self._price_change(number) >= rise:
                rate *= factor
        counts = rng.poisson(rate, len(active))
        # an arrival is a member's first order: every new member buys at least once
        new_counts = np.maximum(1, rng.poisson(rate, arrivals))
        self.active = np.concatenate([active, new_members])
        buyers = np.concatenate([np.repeat(active, counts), np.repeat(new_members, new_counts)])
        orders = len(buyers)

        merchants = scenario.merchants
        weights = np.array([merchant.weight for merchant in merchants])
        at_merchant = rng.choice(len(merchants), orders, p=weights / weights.sum())
        value = np.empty(orders)
        margin = np.empty(orders)
        for position, merchant in enumerate(merchants):
            chosen = at_merchant == position
            size = int(chosen.sum())
            value[chosen] = _sample(rng, merchant.order_value, size)
            margin[chosen] = _sample(rng, merchant.margin, size)
        amount_fen = np.maximum(1, np.rint(value * 100)).astype(np.int64)
        profit_fen = np.minimum(amount_fen, np.floor(amount_fen * margin)).astype(np.int64)
        order_times = np.sort(rng.integers(start, end, orders))
        campaign_of = np.full(orders, -1, dtype=np.int64)
        for position, campaign in enumerate(scenario.campaigns):
            if campaign.start_month <= number <= campaign.end_month:
                eligible = campaign_of < 0
                if campaign.merchant is not None:
                    eligible &= at_merchant == [m.id for m in merchants].index(campaign.merchant)
                eligible &= rng.random(orders) < campaign.share_of_orders
                campaign_of[eligible] = position
        # times are sorted, so buyers are shuffled to spread everyone over the month
        buyers = rng.permutation(buyers)

        # who withdraws or pays this month
        members_now = len(self.member_ids)
        withdrawers = np.flatnonzero(rng.random(members_now) < scenario.withdraw_probability)
        if scenario.withdraw_gain_threshold is not None and ledger.total_shares:
            value_now = ledger.pool / ledger.total_shares
            reference = np.array(self.reference_value)
            gained = (reference > 0) & (value_now >= reference * (
                1 + scenario.withdraw_gain_threshold))
            withdrawers = np.union1d(withdrawers, np.flatnonzero(gained))
        withdraw_times = rng.integers(start, end, len(withdrawers))
        if scenario.bank_run_month == number:
            running = np.flatnonzero(rng.random(members_now) < scenario.bank_run_share)
            withdrawers = np.concatenate([withdrawers, running])
            withdraw_times = np.concatenate([withdraw_times, rng.integers(
                start, min(end, start + _BANK_RUN_DAYS * 86_400_000_000), len(running))])
        payers = np.flatnonzero(rng.random(members_now) < scenario.pay_probability)
        pay_times = rng.integers(start, end, len(payers))
        pay_merchants = rng.integers(0, len(merchants), len(payers))
        # the behaviours added later draw after the ones above (and only when the scenario
        # has them), so a scenario without them draws exactly what it drew before
        if scenario.withdraw_after_fall is not None:
            drop, probability = scenario.withdraw_after_fall
            chosen = rng.random(members_now) < probability
            if -self._price_change(number) >= drop:
                chosen[withdrawers] = False  # those already withdrawing this month
                falling = np.flatnonzero(chosen)
                withdrawers = np.concatenate([withdrawers, falling])
                withdraw_times = np.concatenate([withdraw_times,
                                                 rng.integers(start, end, len(falling))])
        givers = receivers = give_times = np.zeros(0, np.int64)
        if scenario.transfer_probability and members_now > 1:
            givers = np.flatnonzero(rng.random(members_now) < scenario.transfer_probability)
            give_times = rng.integers(start, end, len(givers))
            # anyone else known at the month's start: skip the giver's own position
            receivers = rng.integers(0, members_now - 1, len(givers))
            receivers += receivers >= givers
        pledgers = pledge_times = ending_times = np.zeros(0, np.int64)
        ending: list[str] = []
        seized: list[bool] = []
        if scenario.pledge is not None:
            pledgers = np.flatnonzero(rng.random(members_now) < scenario.pledge.probability)
            pledge_times = rng.integers(start, end, len(pledgers))
            ending = self.pledges_due.pop(number, [])
            seized = (rng.random(len(ending)) < scenario.pledge.seize_probability).tolist()
            ending_times = rng.integers(start, end, len(ending))

        events = np.concatenate([
            np.stack([order_times, np.full(orders, _ORDER, np.int64), np.arange(orders)]),
            np.stack([withdraw_times, np.full(len(withdrawers), _WITHDRAW, np.int64),
                      np.arange(len(withdrawers))]),
            np.stack([pay_times, np.full(len(payers), _PAY, np.int64), np.arange(len(payers))]),
            np.stack([give_times, np.full(len(givers), _TRANSFER, np.int64),
                      np.arange(len(givers))]),
            np.stack([pledge_times, np.full(len(pledgers), _PLEDGE, np.int64),
                      np.arange(len(pledgers))]),
            np.stack([ending_times, np.full(len(ending), _END_PLEDGE, np.int64),
                      np.arange(len(ending))]),
        ], axis=1)
        events = events[:, np.lexsort((events[2], events[1], events[0]))]
        self.moves = (givers.tolist(), receivers.tolist(), pledgers.tolist(), ending, seized)
        refused = self._play(events.T.tolist(), buyers.tolist(), at_merchant.tolist(),
                             amount_fen.tolist(), profit_fen.tolist(), campaign_of.tolist(),
                             withdrawers.tolist(), payers.tolist(), pay_merchants.tolist())
        self._book_orders(buyers, amount_fen, profit_fen, refused)
        self.close_month()

    def _price_change(self, number: int) -> float:
        """How much the displayed price moved over the month before ``number``: its end over
        the end of the month before it, minus 1 (0 without two month ends with a price)."""
        prices = self.monthly["price_micro"]
        if number < 3 or not prices[number - 3] or not prices[number - 2]:
            return 0.0
        return prices[number - 2] / prices[number - 3] - 1

    def _book_orders(self, buyers: np.ndarray, amount_fen: np.ndarray, profit_fen: np.ndarray,
                     refused: list[int]) -> None:
        """The month's accepted orders, in bulk: counts, sums, each member's spending."""
        row = self.row
        accepted = np.ones(len(buyers), dtype=bool)
        accepted[refused] = False
        buyers, amount_fen = buyers[accepted], amount_fen[accepted]
        row["orders"] = len(buyers)
        row["orders_refused"] = len(refused)
        row["amount_fen"] = int(amount_fen.sum())
        row["profit_fen"] = int(profit_fen[accepted].sum())
        row["buyers"] = len(np.unique(buyers))
        if len(self.spent) < len(self.member_ids):
            grown = np.zeros(len(self.member_ids), dtype=np.int64)
            grown[:len(self.spent)] = self.spent
            self.spent = grown
        np.add.at(self.spent, buyers, amount_fen)

    def _play(self, events: list[list[int]], buyers: list[int], at_merchant: list[int],
              amount_fen: list[int], profit_fen: list[int], campaign_of: list[int],
              withdrawers: list[int], payers: list[int], pay_merchants: list[int]) -> list[int]:
        """Give the month's events to the engine in time order; the refused orders' positions."""
        ledger, row = self.ledger, self.row
        refused: list[int] = []
        serial = self.serial
        member_ids = self.member_ids
        merchant_ids = [merchant.id for merchant in self.scenario.merchants]
        campaign_ids = [campaign.id for campaign in self.scenario.campaigns]
        members = ledger.members
        share_numerator, share_denominator = self.pay_share
        execute_one = self.execute
        no_pledges = self.scenario.pledge is None
        for at, kind, position in events:
            serial += 1
            if kind == _ORDER:
                campaign = campaign_of[position]
                command = _new(PlaceOrder, (
                    f"o{serial}", merchant_ids[at_merchant[position]],
                    member_ids[buyers[position]], amount_fen[position], profit_fen[position],
                    None if campaign < 0 else campaign_ids[campaign], at))
                if not execute_one(command):
                    refused.append(position)
                continue
            if kind == _WITHDRAW:
                member_id = member_ids[withdrawers[position]]
                holder = members.get(member_id)
                if holder is None or holder.shares == 0:
                    continue  # nothing to withdraw: no command
                if not execute_one(_new(Withdraw, (f"w{serial}", member_id, None, at))):
                    if self.refused == "daily_cap_reached":
                        row["withdrawals_refused_cap"] += 1
                    else:
                        row["withdrawals_refused_other"] += 1
                    self._refusal(holder, at)
                continue
            if kind != _PAY:
                self._move(kind, position, serial, at)
                continue
            member_id = member_ids[payers[position]]
            holder = members.get(member_id)
            if holder is None or holder.shares == 0:
                continue
            free = holder.shares if no_pledges else _unpledged(holder)
            points = (points_for_shares(free, ledger.index) * share_numerator
                      // share_denominator)
            if points:
                execute_one(_new(Pay, (f"p{serial}", member_id,
                                       merchant_ids[pay_merchants[position]], points, at)))
        self.serial = serial
        return refused

    def _move(self, kind: int, position: int, serial: int, at: int) -> None:
        """A transfer, a pledge, or a pledge's end (release or seizure), as commands.

        A member with no unpledged points to give or pledge, a receiver who has not joined
        yet, a pledge already closed (its lots all exited) or a loan below 1 fen: no command.
        """
        ledger, row = self.ledger, self.row
        givers, receivers, pledgers, ending, seized = self.moves
        if kind == _END_PLEDGE:
            pledge_id = ending[position]
            record = ledger.pledges[pledge_id]
            if record.status != ACTIVE:
                return
            if seized[position]:
                lots = [(lot.lot_id, lot.shares) for lot in record.lots if lot.shares]
                if self.execute(_new(Seize, (pledge_id, at))):
                    row["seizures"] += 1
                    for lot, shares in lots:  # the seized lots' promises are gone
                        numerator, denominator = self.lot_trigger[lot]
                        self.promised -= shares * numerator // (denominator * SHARE_SCALE)
                else:
                    row["seizures_refused"] += 1
            elif self.execute(_new(Release, (pledge_id, at))):
                row["releases"] += 1
            else:
                row["releases_refused"] += 1
            return
        member_id = self.member_ids[givers[position] if kind == _TRANSFER
                                    else pledgers[position]]
        holder = ledger.members.get(member_id)
        free = 0 if holder is None else _unpledged(holder)
        if not free:
            return
        if kind == _TRANSFER:
            receiver = self.member_ids[receivers[position]]
            numerator, denominator = self.transfer_share
            points = points_for_shares(free, ledger.index) * numerator // denominator
            if not points or receiver not in ledger.members:
                return
            accepted = self.execute(_new(Transfer, (f"t{serial}", member_id, receiver,
                                                    points, at)))
            row["transfers" if accepted else "transfers_refused"] += 1
            return
        numerator, denominator = self.pledge_share
        points = points_for_shares(free, ledger.index) * numerator // denominator
        # the loan: loan_share of what the pledged points are worth now, rounded down
        value = shares_for_points(points, ledger.index) * ledger.pool // ledger.total_shares
        loan_numerator, loan_denominator = self.loan_share
        loan = value * loan_numerator // loan_denominator
        if not points or not loan:
            return
        pledge_id = f"g{serial}"
        if self.execute(_new(Pledge, (pledge_id, member_id, LENDER_ID, points, loan, at))):
            row["pledges"] += 1
            assert self.scenario.pledge is not None
            due = self.month + self.scenario.pledge.months
            if due <= self.scenario.months:
                self.pledges_due.setdefault(due, []).append(pledge_id)
        else:
            row["pledges_refused"] += 1

    def _refusal(self, holder: Any, at: int) -> None:
        """Count a refused withdrawal under its cause (RunResult.withdraw_refusals).

        The engine refuses "no lot eligible" as ``insufficient_points`` whatever
        kept the lots; the engine's own gate names which one kept the oldest lot.
        """
        cause = self.refused
        if cause == "insufficient_points":
            ledger = self.ledger
            gate = WithdrawGate(ledger.rules, ledger.pool, ledger.total_shares, at)
            oldest = next((lot for lot in holder.lots if lot.shares), None)
            kept = None if oldest is None else gate.blocks(
                oldest.order_at, oldest.mint_pool, oldest.mint_shares, oldest.pledge is not None)
            if kept is not None:
                cause = f"{cause}/{kept}"
        counts = self.withdraw_refusals.get(cause)
        if counts is None:
            counts = self.withdraw_refusals[cause] = [0] * self.scenario.months
        counts[self.month - 1] += 1

    def close_month(self) -> None:
        """Record the month's end figures, check the invariants, move the pool's mix."""
        ledger, row = self.ledger, self.row
        pool, total = ledger.pool, ledger.total_shares
        row["members"] = len(ledger.members)
        row["pool_fen"] = pool
        row["supply_points"] = points_for_shares(total, ledger.index)
        row["price_micro"] = price_micro(pool, total, ledger.index)
        row["value_micro"] = pool * 10_000 * SHARE_SCALE // total if total else 0
        holdings = (sum(member.shares * pool // total for member in ledger.members.values()
                        if member.shares) if total else 0)
        row["holdings_value_fen"] = holdings
        row["promised_fen"] = self.promised
        trigger = nearest_trigger(ledger.exit_queue)
        if trigger is not None:
            numerator, denominator = trigger
            row["exit_price_micro"] = (numerator * INDEX_SCALE * 10**4
                                       // (denominator * ledger.index))
        row["orders_zero_points"] = row["orders_settled"] - row["lots_minted"]
        paid = ledger.paid_members + ledger.paid_merchants + ledger.paid_lenders
        if pool != ledger.injected - paid or pool < holdings:
            self.invariants_ok = False
        for name, column in self.monthly.items():
            column.append(row[name])
        self._move_mix()
        received = (np.asarray(self.received_cash, dtype=np.int64)
                    + np.asarray(self.received_goods, dtype=np.int64))
        self.funding.close_month(self.contributed, received.tolist(), self.join_position)

    def _move_mix(self) -> None:
        """Draw the month's payouts from the pool's mix of contributions, pro rata.

        The pool is a mixture of every cohort's contributions; each month's
        payouts (to members and merchants) take from it in proportion, in whole
        fen (largest remainders), so no cohort's balance goes below 0.
        """
        mix, received = self.mix, self.month_received
        for cohort, amount in enumerate(self.month_contributed):
            mix[cohort] += amount
        payouts = sum(received)
        available = sum(mix)
        if payouts and available:
            taken = _apportion(payouts, mix, available)
            for contributor, amount in enumerate(taken):
                if amount:
                    mix[contributor] -= amount
                    for receiver, share in enumerate(_apportion(amount, received, payouts)):
                        if share:
                            self.funded[receiver][contributor] += share
        self.month_contributed = [0] * len(mix)
        self.month_received = [0] * len(mix)

    def result(self, run: int, seed: int, point: dict[str, Any]) -> RunResult:
        ledger = self.ledger
        months = self.scenario.months
        cohorts = [Cohort(month=month + 1, funded_by=self.funded[month])
                   for month in range(months)]
        pool, total = ledger.pool, ledger.total_shares
        outcomes = MemberOutcomes()
        for number, member_id in enumerate(self.member_ids):
            holder = ledger.members.get(member_id)
            if holder is None:
                continue
            cohort = cohorts[self.cohort[number]]
            cohort.members += 1
            cohort.spent_fen += int(self.spent[number])
            cohort.contributed_fen += self.contributed[number]
            cohort.received_cash_fen += self.received_cash[number]
            cohort.received_goods_fen += self.received_goods[number]
            value = holder.shares * pool // total if total else 0
            cohort.holding_value_fen += value
            received = self.received_cash[number] + self.received_goods[number]
            cohort.received_beyond_own_fen += max(0, received - self.contributed[number])
            outcomes.add(self.cohort[number] + 1, self.contributed[number], value + received)
            if holder.shares:
                cohort.holders += 1
                cohort.holders_under_water += under_water(value + received,
                                                          self.contributed[number])
        for month, cohort in enumerate(cohorts):
            cohort.lots_minted = self.cohort_lots[month]
            cohort.lots_exited = self.cohort_exits[month]
        final = {
            "pool_fen": pool, "injected_fen": ledger.injected,
            "paid_members_fen": ledger.paid_members, "paid_merchants_fen": ledger.paid_merchants,
            "paid_lenders_fen": ledger.paid_lenders, "exits": ledger.exits,
            "members": len(ledger.members), "orders": ledger.next_order_seq - 1,
            "supply_points": points_for_shares(total, ledger.index),
            "price_micro": price_micro(pool, total, ledger.index), "index": ledger.index,
        }
        return RunResult(
            scenario=self.scenario.name, point=point, seed=seed, run=run,
            rules=ledger.rules.to_json(), monthly=self.monthly, cohorts=cohorts,
            exit_months=self.exit_months[:months], final=final,
            invariants_ok=self.invariants_ok,
            withdraw_refusals=self.withdraw_refusals,
            member_funding=self.funding.result(self.joined),
            members=outcomes,
        )


def _ratio(share: float) -> tuple[int, int]:
    """A share written in the scenario (a float) as the exact decimal it was written as."""
    exact = Fraction(repr(share))
    return exact.numerator, exact.denominator


def _unpledged(holder: Any) -> int:
    """The shares of a member's lots that are not pledged."""
    if holder.shares == 0:
        return 0
    return sum(lot.shares for lot in holder.lots if lot.shares and lot.pledge is None)


def nearest_trigger(queue: list[Any]) -> tuple[int, int] | None:
    """The smallest exit trigger of a live lot in the engine's exit queue, or None.

    The queue is a heap that still holds lots emptied since they were pushed;
    walking it best first from the root skips them without changing it.
    """
    frontier: list[tuple[Any, int]] = [(queue[0], 0)] if queue else []
    while frontier:
        entry, position = heappop(frontier)
        if entry[-1].shares:
            trigger: tuple[int, int] = entry[1]
            return trigger
        for child in (2 * position + 1, 2 * position + 2):
            if child < len(queue):
                heappush(frontier, (queue[child], child))
    return None


def _apportion(total: int, weights: list[int], weight_sum: int) -> list[int]:
    """Split ``total`` fen in proportion to ``weights`` (largest remainders, ties to the first)."""
    shares = []
    remainders = []
    for position, weight in enumerate(weights):
        share, remainder = divmod(total * weight, weight_sum)
        shares.append(share)
        if remainder:
            remainders.append((-remainder, position))
    left = total - sum(shares)
    for _, position in sorted(remainders)[:left]:
        shares[position] += 1
    return shares


def simulate_run(scenario: Scenario, variant: str | None, seed: int, run: int = 0,
                 point: dict[str, Any] | None = None,
                 record: Callable[[Any], None] | None = None) -> RunResult:
    """Run a scenario once under a variant's rules with one seed.

    ``record``, if given, receives every command in the order the engine got
    it (tests replay them through ``profitpool apply``).
    """
    with paused_gc():  # no cyclic garbage here; rescanning the ledger cost 45% (measured)
        state = _Run(scenario, variant, seed, record)
        state.setup()
        for number in range(1, scenario.months + 1):
            state.run_month(number)
    return state.result(run, seed, point if point is not None else {"variant": variant or "base"})
