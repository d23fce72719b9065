"""The operator's commands: parties, campaigns, the monthly burn, rule changes, and a
re-keyed log's first entry naming the log it continues.

Merchants and lenders share one namespace of organisation ids (both will get
API keys), so a lender cannot take a merchant's id: ``duplicate_id``.
"""

from __future__ import annotations

from ..errors import Rejected
from ..times import format_period, shanghai_month
from .commands import (
    Burn,
    ChangeRules,
    ContinueLog,
    CreateCampaign,
    PublishDisclosure,
    RecordCustody,
    RegisterLender,
    RegisterMerchant,
    Tick,
)
from .effects import (
    Burned,
    CampaignCreated,
    CustodyRecorded,
    DisclosurePublished,
    Effect,
    LenderRegistered,
    MerchantRegistered,
    RulesChanged,
)
from .state import Campaign, Ledger, Lender, Merchant


def register_merchant(ledger: Ledger, command: RegisterMerchant, effects: list[Effect]) -> None:
    if command.id in ledger.lenders:
        raise Rejected("duplicate_id", f"{command.id!r} is already a lender's id")
    ledger.merchants[command.id] = Merchant(command)
    effects.append(MerchantRegistered(command.id, command.name, command.industry))


def register_lender(ledger: Ledger, command: RegisterLender, effects: list[Effect]) -> None:
    if command.id in ledger.merchants:
        raise Rejected("duplicate_id", f"{command.id!r} is already a merchant's id")
    ledger.lenders[command.id] = Lender(command)
    effects.append(LenderRegistered(command.id, command.name))


def create_campaign(ledger: Ledger, command: CreateCampaign, effects: list[Effect]) -> None:
    if command.merchant is not None and command.merchant not in ledger.merchants:
        raise Rejected("unknown_merchant", f"no merchant {command.merchant!r}")
    ledger.campaigns[command.id] = Campaign(command)
    effects.append(
        CampaignCreated(
            command.id, command.merchant, command.multiplier, command.start, command.end
        )
    )


def burn(ledger: Ledger, command: Burn, effects: list[Effect]) -> None:
    """index x (1 - burn_rate), once per period. O(1): no holding is touched.

    Every holding's points shrink and the price rises by 1/(1 - burn_rate), but
    no holding's value changes, so a burn never triggers an exit. A period that
    has not started yet cannot be burned.
    """
    period = format_period(command.period)
    if command.period > shanghai_month(command.at):
        raise Rejected("invalid_period", f"{period} has not started yet")
    if period in ledger.burned:
        raise Rejected("already_burned", f"{period} was burned already")
    rate = ledger.rules.burn_rate
    rate_numerator, rate_denominator = rate
    before = ledger.index
    # Truncated to 1/10^24; never 0, so points can always be converted to shares.
    after = max(1, before * (rate_denominator - rate_numerator) // rate_denominator)
    ledger.index = after
    ledger.burned[period] = command.at
    effects.append(Burned(period, rate, before, after))


def change_rules(ledger: Ledger, command: ChangeRules, effects: list[Effect]) -> None:
    """New rules apply from the next command on; lots keep their exit terms."""
    ledger.rules = ledger.rules.with_changes(command.changes)
    canonical = ledger.rules.to_json()
    effects.append(RulesChanged(tuple((name, canonical[name]) for name, _, _ in command.changes)))


def tick(ledger: Ledger, command: Tick, effects: list[Effect]) -> None:
    """Nothing beyond moving time, which the engine has done already."""


def record_custody(ledger: Ledger, command: RecordCustody, effects: list[Effect]) -> None:
    """Put the custody account's figure in the log beside the pool; nothing else changes."""
    ledger.custody[command.id] = command
    effects.append(CustodyRecorded(
        command.id, command.amount, command.reference, ledger.pool,
        max(0, ledger.pool - command.amount)))


def publish_disclosure(ledger: Ledger, command: PublishDisclosure, effects: list[Effect]
                       ) -> None:
    """Record a month's report hash and PoL root, once per month; nothing else changes."""
    ledger.disclosures[command.period] = command
    effects.append(DisclosurePublished(
        format_period(command.period), command.report_sha256, command.pol_root,
        command.pol_total, ledger.pool))


def continue_log(ledger: Ledger, command: ContinueLog, effects: list[Effect]) -> None:
    """Nothing to do: the entry itself, signed and in the Merkle tree, is the record that
    this log continues the one named (transition.py lets it in only as the first command)."""
