"""Cash after the pool (docs/rules.md section 10): what the program owes, and payouts.

Everything the pool pays (a withdrawal, an exit or a seizure to a member, a payment to a
merchant, a seizure or a pledged exit to a lender) leaves the pool at once and is then
*owed* to that party: a debt of the program, held in custody beside the pool. A payout
moves part of it *in flight* to the party's bank; the bank settles it (it reached the
party) or returns it (it is owed again, never back in the pool).

What a party is owed is not stored: it is what the pool paid it (``Member.paid``,
``Merchant.received``, ``Lender.received``) minus what is in flight and settled for it, so
no rule that pays out had to change, and

    injected = pool + owed + in flight + settled

follows from section 7's ``pool = injected - paid``.
"""

from __future__ import annotations

from ..errors import Rejected
from ..money import format_fen
from .commands import ReturnPayout, SendPayout, SettlePayout, split_party
from .effects import Effect, PayoutReturned, PayoutSent, PayoutSettled
from .state import IN_FLIGHT, RETURNED, SETTLED, Ledger, PayoutRecord


def received(ledger: Ledger, party: str) -> int | None:
    """Fen the pool has paid ``party`` (``member:ID``, ...), or None if there is no such
    party (an erased member is none)."""
    kind, party_id = party.partition(":")[::2]
    if kind == "member":
        member = ledger.members.get(party_id)
        if member is None or party_id in ledger.erased:
            return None
        return member.paid
    if kind == "merchant":
        merchant = ledger.merchants.get(party_id)
        return None if merchant is None else merchant.received
    if kind == "lender":
        lender = ledger.lenders.get(party_id)
        return None if lender is None else lender.received
    return None


def cash_of(ledger: Ledger, party: str) -> tuple[int, int, int]:
    """(owed, in flight, settled) in fen for a party that exists (0s for one that does not)."""
    paid = received(ledger, party) or 0
    in_flight, settled = ledger.cash.get(party, (0, 0))
    return paid - in_flight - settled, in_flight, settled


def total_owed(ledger: Ledger) -> int:
    """Fen the program owes all parties together (not yet sent)."""
    paid = ledger.paid_members + ledger.paid_merchants + ledger.paid_lenders
    return paid - ledger.in_flight - ledger.settled


def _named(party: str) -> tuple[str | None, str | None, str | None]:
    """(member, merchant, lender): the party's id in its own place, None in the others."""
    kind, party_id = party.partition(":")[::2]
    return (party_id if kind == "member" else None,
            party_id if kind == "merchant" else None,
            party_id if kind == "lender" else None)


def send_payout(ledger: Ledger, command: SendPayout, effects: list[Effect]) -> None:
    """owed -= amount, in flight += amount.

    Raises:
        Rejected: unknown_party; invalid_amount above what the party is owed.
    """
    party = command.party
    split_party(party)
    if received(ledger, party) is None:
        raise Rejected("unknown_party", f"no party {party!r}")
    owed, in_flight, settled = cash_of(ledger, party)
    if command.amount > owed:
        raise Rejected("invalid_amount", f"{party} is owed {format_fen(owed)} CNY, less than "
                       f"the payout's {format_fen(command.amount)}")
    ledger.cash[party] = [in_flight + command.amount, settled]
    ledger.in_flight += command.amount
    ledger.payouts[command.id] = PayoutRecord(command)
    effects.append(PayoutSent(command.id, *_named(party), command.amount, command.destination,
                              owed - command.amount))


def _open_payout(ledger: Ledger, payout_id: str) -> PayoutRecord:
    record = ledger.payouts.get(payout_id)
    if record is None:
        raise Rejected("unknown_payout", f"no payout {payout_id!r}")
    if record.status != IN_FLIGHT:
        raise Rejected("payout_closed", f"payout {payout_id!r} was {record.status} already")
    return record


def settle_payout(ledger: Ledger, command: SettlePayout, effects: list[Effect]) -> None:
    """in flight -= amount, settled += amount.

    Raises:
        Rejected: unknown_payout; payout_closed once settled or returned.
    """
    record = _open_payout(ledger, command.payout)
    party, amount = record.command.party, record.command.amount
    account = ledger.cash[party]
    account[0] -= amount
    account[1] += amount
    ledger.in_flight -= amount
    ledger.settled += amount
    record.status = SETTLED
    record.closed_by = command
    effects.append(PayoutSettled(command.payout, *_named(party), amount, command.reference))


def return_payout(ledger: Ledger, command: ReturnPayout, effects: list[Effect]) -> None:
    """in flight -= amount, owed += amount: the money is still the party's, not the pool's.

    Raises:
        Rejected: unknown_payout; payout_closed once settled or returned.
    """
    record = _open_payout(ledger, command.payout)
    party, amount = record.command.party, record.command.amount
    ledger.cash[party][0] -= amount
    ledger.in_flight -= amount
    record.status = RETURNED
    record.closed_by = command
    owed = cash_of(ledger, party)[0]
    effects.append(PayoutReturned(command.payout, *_named(party), amount, command.reason,
                                  command.reference, owed))
