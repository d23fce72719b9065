"""docs/rules.md section 7, checked after every step of random command sequences.

A hypothesis state machine drives one ledger with orders, refunds, withdrawals,
payments, transfers, pledges, releases, seizures, burns, rule changes, time
and junk, under randomly chosen rules (both mint modes, both exit bases,
settlement windows, hold days, gain thresholds, a daily cap). After every step:

* pool = injected - paid to members - paid to merchants - paid to lenders;
* pool >= the sum of every holding's value, truncated (all can be paid at once);
* total shares = the sum of every live lot's shares = the sum of members' shares;
  nothing is negative; no pledge has repaid more than its loan;
* along the effects of each command, V never falls at a withdrawal, exit or
  seizure, and a burn leaves pool and shares alone;
* every ``cost`` trigger is exactly exit_multiple x amount x index / points, and
  each cascade redeems lots smallest trigger first, ties oldest first (order
  time, then the lot they descend from, then lot number);
* injected = pool + owed + in flight + settled (section 10), with what each party is owed,
  has in flight and has settled counted here from the effects, apart from the engine's
  own accounts, and equal to them; payouts above what is owed, to unknown parties, and
  settling or returning a payout twice are refused;
* a rejected command leaves the whole ledger as it was;
* replaying the accepted commands on a fresh ledger gives the same state, byte
  for byte.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import orjson
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from profitpool.chain.canonical import entry_bytes
from profitpool.engine import Ledger, apply, dump_state, parse_command
from profitpool.engine.view import summary as view_summary
from profitpool.errors import CODES, Rejected
from profitpool.log.verify import check_entry
from profitpool.money import format_fen as fen_text

MEMBERS = ["u0", "u1", "u2", "u3", "u4"]
MERCHANTS = ["m0", "m1"]
START = datetime.fromisoformat("2026-01-01T09:00:00+08:00")

money = st.integers(min_value=1, max_value=500_000).map(lambda fen: f"{fen // 100}.{fen % 100:02d}")
points = st.sampled_from(["0.0001", "0.5", "1", "2.25", "4", "all"])
rule_sets = st.fixed_dictionaries(
    {},
    optional={
        "mint_mode": st.sampled_from(["fixed", "at_price"]),
        "exit_basis": st.sampled_from(["cost", "mint_value"]),
        "exit_multiple": st.sampled_from(["1.01", "1.2", "2", "3"]),
        "settle_days": st.sampled_from([0, 1, 3]),
        "min_hold_days": st.sampled_from([0, 2]),
        "withdraw_min_gain": st.sampled_from(["none", "0", "0.1"]),
        "daily_withdraw_cap_rate": st.sampled_from([None, "0.3"]),
        "pay_rate": st.sampled_from(["1", "0.9"]),
        "exit_payout_rate": st.sampled_from(["0.8", "1"]),
        "burn_rate": st.sampled_from(["0.01", "0.5"]),
    },
)
rule_changes = st.fixed_dictionaries(
    {},
    optional={
        "exit_multiple": st.sampled_from(["1.05", "2", "3"]),
        "pool_share_of_profit": st.sampled_from(["0", "0.3", "1"]),
        "points_per_yuan": st.sampled_from(["0", "0.21", "5"]),
        "mint_mode": st.sampled_from(["fixed", "at_price"]),
        "exit_basis": st.sampled_from(["cost", "mint_value"]),
        "settle_days": st.sampled_from([0, 2]),
    },
).filter(bool)
junk = st.one_of(
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=4),
    st.lists(st.integers(), max_size=3),
    st.builds(lambda amount: {"op": "order", "id": "junk", "merchant": "m0", "member": "u0",
                              "amount": amount, "profit": "0"},
              st.sampled_from(["-1", "1.001", 5, "", "1e3"])),
)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger()
        self.clock = START
        self.accepted: list[dict[str, Any]] = []
        self.entries: list[bytes] = []  # the log entries these commands make
        self.serial = 0
        self.order_ids: list[str] = []
        self.pledge_ids: list[str] = []
        self.started = False
        self.codes_seen: set[str] = set()
        # section 10, counted from the effects: party -> [owed, in flight, settled]
        self.cash: dict[str, list[int]] = {}
        self.payouts: dict[str, tuple[str, int]] = {}  # open payouts: id -> (party, fen)
        self.closed_payouts: list[str] = []

    # helpers --------------------------------------------------------------
    def next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def send(self, op: str, **fields: Any) -> list[Any] | None:
        command = {"op": op, "at": self.clock.isoformat(), **fields}
        before = dump_state(self.ledger)
        start = self.ledger.value_per_share()
        lots_before = exit_order_keys(self.ledger)
        try:
            applied = apply(self.ledger, command)
        except Rejected as error:
            assert error.code in CODES
            self.codes_seen.add(error.code)
            assert dump_state(self.ledger) == before, f"rejected {op} changed the ledger"
            return None
        self.accepted.append(command)
        if not applied.replay:
            self.entries.append(entry_bytes(parse_command(command), applied.effects))
        check_value_per_share_along(start, applied.effects)
        check_triggers_are_exact(self.ledger, applied.effects)
        check_cascades_go_by_trigger_then_age(lots_before, applied.effects)
        self.count_cash(applied.effects)
        return applied.effects

    def count_cash(self, effects: list[Any]) -> None:
        """What the pool paid becomes owed; payouts move it on (docs/rules.md section 10)."""
        def owe(party: str, fen: int) -> None:
            self.cash.setdefault(party, [0, 0, 0])[0] += fen
        for effect in effects:
            kind = type(effect).__name__
            if kind == "Withdrawn":
                owe(f"member:{effect.member}", effect.paid)
            elif kind == "PaidAtMerchant":
                owe(f"merchant:{effect.merchant}", effect.paid)
            elif kind in ("PledgeSeized", "LotExited"):
                owe(f"member:{effect.member}", effect.to_member)
                if effect.to_lender:
                    pledge = effect.pledge
                    owe(f"lender:{self.ledger.pledges[pledge].command.lender}",
                        effect.to_lender)
            elif kind == "PayoutSent":
                party, fen = self.payouts[effect.payout]
                account = self.cash[party]
                account[0] -= fen
                account[1] += fen
            elif kind in ("PayoutSettled", "PayoutReturned"):
                party, fen = self.payouts.pop(effect.payout)
                self.closed_payouts.append(effect.payout)
                account = self.cash[party]
                account[1] -= fen
                account[0 if kind == "PayoutReturned" else 2] += fen

    # setup ----------------------------------------------------------------
    @precondition(lambda self: not self.started)
    @rule(rules=rule_sets)
    def start(self, rules: dict[str, Any]) -> None:
        self.started = True
        if rules:
            assert self.send("rules", **rules) is not None
        self.send("rules", transfers_enabled=True)
        for merchant in MERCHANTS:
            self.send("merchant", id=merchant)
        self.send("lender", id="b0")
        self.send("campaign", id="c0", merchant="m0", multiplier="2",
                  start=START.isoformat(), end=(START + timedelta(days=20)).isoformat())

    # commands -------------------------------------------------------------
    @precondition(lambda self: self.started)
    @rule(orders=st.lists(
        st.tuples(st.sampled_from(MEMBERS), st.sampled_from(MERCHANTS), money,
                  st.sampled_from([0, 10, 30, 100, 101]), st.booleans()),
        min_size=1, max_size=4))
    def order(self, orders: list[tuple[str, str, str, int, bool]]) -> None:
        for member, merchant, amount, profit_share, campaign in orders:
            fen = int(amount.replace(".", ""))
            profit_fen = fen * profit_share // 100
            order_id = self.next_id("o")
            fields: dict[str, Any] = {"id": order_id, "merchant": merchant, "member": member,
                                      "amount": amount,
                                      "profit": f"{profit_fen // 100}.{profit_fen % 100:02d}"}
            if campaign:
                fields["campaign"] = "c0"
            if self.send("order", **fields) is not None:
                self.order_ids.append(order_id)

    @precondition(lambda self: self.started)
    @rule(profit=money)
    def sponsor(self, profit: str) -> None:
        """Profit that mints nothing (points_per_yuan 0 for one order): V rises, lots exit."""
        rules = self.ledger.rules.to_json()
        self.send("rules", points_per_yuan="0", mint_mode="fixed")
        self.send("order", id=self.next_id("s"), merchant="m0", member="sponsor",
                  amount=profit, profit=profit)
        self.send("rules", points_per_yuan=rules["points_per_yuan"],
                  mint_mode=rules["mint_mode"])

    @precondition(lambda self: self.started)
    @rule(hours=st.integers(min_value=0, max_value=80))
    def advance(self, hours: int) -> None:
        self.clock += timedelta(hours=hours)
        self.send("tick")

    @precondition(lambda self: self.started)
    @rule(hours=st.integers(min_value=1, max_value=80))
    def wait(self, hours: int) -> None:
        """Time passes silently: the next command, accepted or not, meets due settlements."""
        self.clock += timedelta(hours=hours)

    @precondition(lambda self: self.started and self.order_ids)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        self.send("refund", order=data.draw(st.sampled_from(self.order_ids)))

    def holder(self, data: st.DataObject) -> str:
        """Usually a member who exists; now and then one who does not."""
        known = sorted(self.ledger.members)
        return data.draw(st.sampled_from(known) if known and data.draw(st.integers(0, 9))
                         else st.sampled_from(MEMBERS))

    @precondition(lambda self: self.started)
    @rule(data=st.data(), amount=points)
    def withdraw(self, data: st.DataObject, amount: str) -> None:
        self.send("withdraw", id=self.next_id("w"), member=self.holder(data), points=amount)

    @precondition(lambda self: self.started)
    @rule(data=st.data(), merchant=st.sampled_from(MERCHANTS), amount=points)
    def pay(self, data: st.DataObject, merchant: str, amount: str) -> None:
        self.send("pay", id=self.next_id("p"), member=self.holder(data), merchant=merchant,
                  points=amount)

    @precondition(lambda self: self.started)
    @rule(data=st.data(), receiver=st.sampled_from([*MEMBERS, "u9"]),
          amount=points.filter(lambda text: text != "all"))
    def transfer(self, data: st.DataObject, receiver: str, amount: str) -> None:
        sender = self.holder(data)
        if sender != receiver:
            self.send("transfer", id=self.next_id("t"), **{"from": sender}, to=receiver,
                      points=amount)

    @precondition(lambda self: self.started)
    @rule(data=st.data(), amount=points.filter(lambda text: text != "all"), loan=money)
    def pledge(self, data: st.DataObject, amount: str, loan: str) -> None:
        member = self.holder(data)
        pledge_id = self.next_id("pl")
        if self.send("pledge", id=pledge_id, member=member, lender="b0", points=amount,
                     loan=loan) is not None:
            self.pledge_ids.append(pledge_id)

    @precondition(lambda self: self.started and self.pledge_ids)
    @rule(data=st.data(), seize=st.booleans())
    def close_pledge(self, data: st.DataObject, seize: bool) -> None:
        pledge_id = data.draw(st.sampled_from(self.pledge_ids))
        self.send("seize" if seize else "release", pledge=pledge_id)

    @precondition(lambda self: self.started)
    @rule(data=st.data(), share=st.sampled_from([1, 2, 3, 4]), above=st.booleans())
    def payout(self, data: st.DataObject, share: int, above: bool) -> None:
        """Send a part (1/share) of what a party is owed, or a fen more than all of it."""
        parties = sorted(self.cash) + ["member:u9", "merchant:nobody", "lender:b0", "bank:b0"]
        party = data.draw(st.sampled_from(parties))
        owed = self.cash.get(party, [0, 0, 0])[0]
        fen = owed + 1 if above else owed // share
        if fen <= 0:
            return
        payout_id = self.next_id("po")
        self.payouts[payout_id] = (party, fen)
        effects = self.send("payout", id=payout_id, party=party,
                            amount=f"{fen // 100}.{fen % 100:02d}", destination="dst_1")
        if effects is None:
            del self.payouts[payout_id]
        assert (effects is None) == (above or party not in self.cash), (party, fen, owed)

    @precondition(lambda self: self.started and (self.payouts or self.closed_payouts))
    @rule(data=st.data(), settle=st.booleans())
    def close_payout(self, data: st.DataObject, settle: bool) -> None:
        """Settle or return an open payout; now and then a closed or unknown one (refused)."""
        payout_id = data.draw(st.sampled_from(
            sorted(self.payouts) + self.closed_payouts[-2:] + ["po_none"]))
        was_open = payout_id in self.payouts
        fields = {"reference": "B1"} if settle else {"reason": "AC04", "reference": "B1"}
        effects = self.send("payout_settled" if settle else "payout_returned",
                            payout=payout_id, **fields)
        assert (effects is not None) == was_open

    @precondition(lambda self: self.started)
    @rule(months_back=st.integers(min_value=-1, max_value=2))
    def burn(self, months_back: int) -> None:
        local = self.clock
        year, month = local.year, local.month - months_back
        while month < 1:
            year, month = year - 1, month + 12
        while month > 12:
            year, month = year + 1, month - 12
        settled = self.send("tick")  # settle first, so the burn's own effects are pure
        pool, shares = self.ledger.pool, self.ledger.total_shares
        effects = self.send("burn", period=f"{year:04d}-{month:02d}")
        assert settled is not None
        if effects is not None:
            assert [type(effect).__name__ for effect in effects] == ["Burned"]
            assert (self.ledger.pool, self.ledger.total_shares) == (pool, shares)

    @precondition(lambda self: self.started)
    @rule(changes=rule_changes)
    def change_rules(self, changes: dict[str, Any]) -> None:
        assert self.send("rules", **changes) is not None

    @precondition(lambda self: self.started)
    @rule(obj=junk)
    def junk(self, obj: Any) -> None:
        before = dump_state(self.ledger)
        if isinstance(obj, dict):
            obj = {**obj, "at": self.clock.isoformat()}
        try:
            apply(self.ledger, obj)
        except Rejected:
            assert dump_state(self.ledger) == before
        else:
            raise AssertionError(f"junk accepted: {obj!r}")

    @precondition(lambda self: self.started)
    @rule()
    def replay_is_idempotent(self) -> None:
        with_id = [command for command in self.accepted if "id" in command]
        if with_id:
            before = dump_state(self.ledger)
            assert apply(self.ledger, with_id[-1]).replay
            assert dump_state(self.ledger) == before

    # invariants -----------------------------------------------------------
    @invariant()
    def pool_is_what_came_in_minus_what_went_out(self) -> None:
        ledger = self.ledger
        assert ledger.pool == (ledger.injected - ledger.paid_members - ledger.paid_merchants
                               - ledger.paid_lenders)
        assert ledger.pool >= 0

    @invariant()
    def injected_is_pool_owed_in_flight_and_settled(self) -> None:
        ledger = self.ledger
        owed = sum(account[0] for account in self.cash.values())
        in_flight = sum(account[1] for account in self.cash.values())
        settled = sum(account[2] for account in self.cash.values())
        assert ledger.injected == ledger.pool + owed + in_flight + settled
        assert min((min(account) for account in self.cash.values()), default=0) >= 0
        summary = view_summary(ledger)
        assert summary["totals"]["owed"] == fen_text(owed)
        assert summary["totals"]["in_flight"] == fen_text(in_flight)
        assert summary["totals"]["settled"] == fen_text(settled)
        for party, account in self.cash.items():
            kind, party_id = party.split(":")
            row = summary[f"{kind}s"][party_id]
            assert (row["owed"], row["in_flight"]) == (fen_text(account[0]),
                                                       fen_text(account[1])), party

    @invariant()
    def pool_covers_every_holding_at_once(self) -> None:
        ledger = self.ledger
        if ledger.total_shares:
            owed = sum(member.shares * ledger.pool // ledger.total_shares
                       for member in ledger.members.values())
            assert ledger.pool >= owed

    @invariant()
    def shares_add_up_and_nothing_is_negative(self) -> None:
        ledger = self.ledger
        lot_total = 0
        for member in ledger.members.values():
            live = [lot for lot in member.lots if lot.shares]
            assert all(lot.shares > 0 and lot.cost >= 0 for lot in live)
            assert member.shares == sum(lot.shares for lot in live)
            assert member.paid >= 0
            lot_total += member.shares
        assert ledger.total_shares == lot_total
        assert ledger.live_lots == sum(
            1 for member in ledger.members.values() for lot in member.lots if lot.shares)
        for record in ledger.pledges.values():
            assert 0 <= record.repaid <= record.command.loan

    def teardown(self) -> None:
        """Same commands, same state, byte for byte; and the log entries they
        made replay (as `profitpool verify` replays them) to the same bytes."""
        fresh = Ledger()
        for command in self.accepted:
            apply(fresh, command)
        assert json.dumps(dump_state(fresh)) == json.dumps(dump_state(self.ledger))
        replayed = Ledger()
        for data in self.entries:
            assert data == orjson.dumps(orjson.loads(data), option=orjson.OPT_SORT_KEYS)
            check_entry(replayed, data)  # raises EntryMismatch naming the field
        assert json.dumps(dump_state(replayed)) == json.dumps(dump_state(self.ledger))


def check_value_per_share_along(start: tuple[int, int], effects: list[Any]) -> None:
    """V never falls at a withdrawal, exit or seizure (while shares remain)."""
    pool, shares = start
    for effect in effects:
        name = type(effect).__name__
        if name in ("Withdrawn", "LotExited", "PledgeSeized"):
            after_pool, after_shares = effect.pool_after, effect.total_shares_after
            if after_shares and shares:
                assert after_pool * shares >= pool * after_shares, f"{name} lowered V"
            pool, shares = after_pool, after_shares
        elif name == "PaidAtMerchant":
            pool, shares = effect.pool_after, effect.total_shares_after
        elif name == "OrderSettled":
            pool = effect.pool_after
        elif name == "PointsMinted":
            shares = effect.total_shares_after


def check_triggers_are_exact(ledger: Ledger, effects: list[Any]) -> None:
    """A ``cost`` trigger is exit_multiple x amount x index / points, never rounded.

    No burn shares a command with a mint, so the index now is the one at the mint.
    """
    for effect in effects:
        if type(effect).__name__ == "PointsMinted" and effect.exit_basis == "cost":
            exact = (Fraction(*effect.exit_multiple) * effect.cost * ledger.index * 10**4
                     / (effect.points * 10**24))
            assert Fraction(*effect.trigger) == exact, f"lot {effect.lot}'s trigger is rounded"


def exit_order_keys(ledger: Ledger) -> dict[int, tuple[Fraction, int, int, int]]:
    """(exact trigger, order time, origin, lot number) of every live lot, by lot number."""
    return {lot.lot_id: (Fraction(*lot.trigger), lot.order_at, lot.origin, lot.lot_id)
            for member in ledger.members.values() for lot in member.lots if lot.shares}


def check_cascades_go_by_trigger_then_age(
    keys: dict[int, tuple[Fraction, int, int, int]], effects: list[Any]
) -> None:
    """Within each run of exits, lots go smallest trigger first, ties oldest first.

    (Only lots that existed before the command are known here; a run ends at any
    other effect, since a mint between two exits may queue a smaller trigger.)
    """
    run: list[tuple[Fraction, int, int, int]] = []
    for effect in effects:
        if type(effect).__name__ != "LotExited":
            run = []
            continue
        key = keys.get(effect.lot)
        if key is None:
            continue
        assert not run or run[-1] < key, f"lot {effect.lot} exited out of order"
        run.append(key)


LedgerMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLedgerInvariants = LedgerMachine.TestCase
