"""Payout runs: what is owed, turned into payouts and one payment file for the bank.

A run takes every party owed at least the operator's minimum that has a verified
destination, and sends each one payout of everything it is owed (docs/cash.md):

1. :func:`plan_run` chooses, from (party, owed) and the verified destinations, and
   says what it left out and why (no verified destination; below the minimum);
2. the caller submits the plan's ``payout`` commands to the log (the CLI through the
   writer, the service through its sequencer); the engine refuses any payout above
   what is owed at that moment, so a plan made from a view a block old cannot overpay;
3. :func:`payment_file` writes the accepted payouts as one ISO 20022 pain.001 file,
   each transfer's EndToEndId the payout's id, which is how the bank's statements
   name them back (reconcile.py).

The file names accounts and holders: it is kept sealed with the data key
(store/cash.py), and opened only to be downloaded by the operator.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final, NamedTuple

from ..money import format_fen
from ..store.cash import CustodyAccount
from .pain001 import Debtor, Transfer, write_pain001

_BIC: Final = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")
_CNAPS: Final = re.compile(r"[0-9]{12}")


class PlannedPayout(NamedTuple):
    payout: str
    """The payout's id, and the transfer's EndToEndId (at most 35 characters)."""
    party: str
    amount: int
    destination: str


class RunPlan(NamedTuple):
    run: str
    minimum: int
    """Fen: parties owed less were left for a later run."""
    payouts: list[PlannedPayout]
    no_destination: list[tuple[str, int]]
    """(party, fen owed) left out: no verified destination."""
    below_minimum: tuple[int, int]
    """(parties, fen) left out: owed less than the minimum."""

    @property
    def total(self) -> int:
        return sum(payout.amount for payout in self.payouts)

    def summary(self) -> dict[str, Any]:
        """What the run sent and left out, as JSON values."""
        return {
            "run": self.run, "minimum": format_fen(self.minimum),
            "payouts": len(self.payouts), "total": format_fen(self.total),
            "no_destination": {"parties": len(self.no_destination),
                               "owed": format_fen(sum(fen for _, fen in self.no_destination))},
            "below_minimum": {"parties": self.below_minimum[0],
                              "owed": format_fen(self.below_minimum[1])},
        }


def new_run_id(when: datetime) -> str:
    """``r`` + the date + 24 random bits: ``r20261207-3fa9c1`` (16 characters, so a payout
    id ``<run>.<n>`` fits an EndToEndId's 35 for up to 10^18 payouts)."""
    return f"r{when:%Y%m%d}-{secrets.token_hex(3)}"


def plan_run(owed: Iterable[tuple[str, int]], verified: Mapping[str, str], minimum: int,
             run: str) -> RunPlan:
    """One payout of everything owed per party owed at least ``minimum`` fen (and at least
    a fen) with a verified destination, in party order (so a run is reproducible)."""
    payouts: list[PlannedPayout] = []
    missing: list[tuple[str, int]] = []
    small_parties = small_fen = 0
    floor = max(minimum, 1)
    for party, fen in sorted(owed):
        if fen < floor:
            if fen > 0:
                small_parties += 1
                small_fen += fen
            continue
        destination = verified.get(party)
        if destination is None:
            missing.append((party, fen))
            continue
        payouts.append(PlannedPayout(f"{run}.{len(payouts) + 1}", party, fen, destination))
    return RunPlan(run, minimum, payouts, missing, (small_parties, small_fen))


def payout_commands(plan: RunPlan, at: str) -> list[dict[str, Any]]:
    """The plan's ``payout`` commands (docs/rules.md section 10)."""
    return [{"op": "payout", "id": payout.payout, "party": payout.party,
             "amount": format_fen(payout.amount), "destination": payout.destination,
             "at": at} for payout in plan.payouts]


def debtor_of(account: CustodyAccount) -> Debtor:
    return Debtor(account.holder, account.account, account.agent_bic or None,
                  account.agent_member_id or None)


def creditor_agent(bank_code: str) -> tuple[str | None, str | None]:
    """(BIC, CNAPS code) from a destination's bank code: one of them, or neither."""
    code = bank_code.strip().upper()
    if _CNAPS.fullmatch(code):
        return None, code
    if _BIC.fullmatch(code):
        return code, None
    return None, None


def payment_file(run: str, created: datetime, execution: date, account: CustodyAccount,
                 payouts: Sequence[PlannedPayout],
                 destinations: Mapping[str, Mapping[str, str]]) -> bytes:
    """The pain.001.001.09 file of the accepted payouts (docs/bank-files.md).

    Raises:
        ValueError: a field the file cannot carry (pain001.write_pain001 says which).
    """
    transfers = []
    for payout in payouts:
        fields = destinations[payout.destination]
        bic, cnaps = creditor_agent(fields.get("bank_code", ""))
        transfers.append(Transfer(payout.payout, payout.amount, fields["name"],
                                  fields["account"], bic, cnaps,
                                  f"profitpool payout {payout.payout}"))
    return write_pain001(run, created, debtor_of(account), execution, transfers,
                         account.currency)
