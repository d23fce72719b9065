"""The state transition: one command in, effects out, or a rejection and no change.

:func:`execute` reads in the order docs/rules.md section 4 gives:

1. an id seen before: the same body (``at`` aside) is an idempotent retry and
   changes nothing; another body is a ``conflict``;
2. ``at`` must not be earlier than the previous command's;
3. time moves to ``at``: due orders settle, oldest window first, with their
   forced exits; the withdrawal cap's day rolls over if a new day began;
4. the command is checked against that state, then applied, then exits.

If step 4 rejects the command, step 3 is undone (see journal.py), so a
rejected command leaves the ledger exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, NamedTuple

from ..errors import Rejected
from ..times import shanghai_day
from . import admin, cash, holdings, minting, privacy, redemption
from .commands import (
    Burn,
    ChangeRules,
    Command,
    ContinueLog,
    CreateCampaign,
    EraseMember,
    Pay,
    PlaceOrder,
    Pledge,
    PublishDisclosure,
    RecordCustody,
    Refund,
    RegisterLender,
    RegisterMerchant,
    Release,
    ReturnPayout,
    Seize,
    SendPayout,
    SettlePayout,
    Tick,
    Transfer,
    Withdraw,
    parse_command,
)
from .effects import Effect
from .journal import Journal
from .state import NO_TIME, Ledger


class Applied(NamedTuple):
    """An accepted command's effects; ``replay`` marks an idempotent retry (no effects)."""

    effects: list[Effect]
    replay: bool


_Handler = Callable[[Ledger, Any, list[Effect]], None]

_HANDLERS: Final[dict[type, _Handler]] = {
    RegisterMerchant: admin.register_merchant,
    RegisterLender: admin.register_lender,
    CreateCampaign: admin.create_campaign,
    PlaceOrder: minting.place_order,
    Refund: minting.refund,
    Withdraw: redemption.withdraw,
    Pay: redemption.pay,
    Burn: admin.burn,
    Transfer: holdings.transfer,
    Pledge: holdings.pledge,
    Release: holdings.release,
    Seize: redemption.seize,
    ChangeRules: admin.change_rules,
    Tick: admin.tick,
    RecordCustody: admin.record_custody,
    PublishDisclosure: admin.publish_disclosure,
    EraseMember: privacy.erase_member,
    ContinueLog: admin.continue_log,
    SendPayout: cash.send_payout,
    SettlePayout: cash.settle_payout,
    ReturnPayout: cash.return_payout,
}

# Commands with an id of their own: where their earlier namesakes are kept,
# and whether that store holds records (with .command) or the commands.
_IDEMPOTENT: Final[dict[type, tuple[str, bool]]] = {
    RegisterMerchant: ("merchants", True),
    RegisterLender: ("lenders", True),
    CreateCampaign: ("campaigns", True),
    PlaceOrder: ("orders", True),
    Pledge: ("pledges", True),
    Withdraw: ("withdrawals", False),
    Pay: ("payments", False),
    Transfer: ("transfers", False),
    RecordCustody: ("custody", False),
    PublishDisclosure: ("disclosures", False),
    SendPayout: ("payouts", True),
}

def apply(ledger: Ledger, obj: object) -> Applied:
    """Parse and execute one JSON command.

    Raises:
        Rejected: with a code of docs/rules.md section 8; the ledger is unchanged.
    """
    return execute(ledger, parse_command(obj))


Admit = Callable[[Ledger, Command], None]
"""A caller's own check of a command, run in the state the command meets (time moved to its
``at``, due orders settled) just before the rules run it; it refuses by raising
:class:`~profitpool.errors.Rejected`, which rolls back like any other refusal. The service
refuses more than the rules do (a withdrawal that would pay nothing, docs/service.md); a
replay of the log, which holds only accepted commands, needs no such check."""


def execute(ledger: Ledger, command: Command, admit: Admit | None = None) -> Applied:
    """Execute one parsed command (first asking ``admit``, if given).

    Raises:
        Rejected: with a code of docs/rules.md section 8; the ledger is unchanged.
    """
    kind = type(command)
    store = _IDEMPOTENT.get(kind)
    if store is not None:
        name, holds_records = store
        earlier = getattr(ledger, name).get(command[0])
        if earlier is not None:
            if holds_records:
                earlier = earlier.command
            if earlier[:-1] == command[:-1]:
                return Applied([], True)
            raise Rejected("conflict", f"{command[0]!r} was used before with another body")
    if kind is ContinueLog and ledger.now != NO_TIME:  # NO_TIME: no command accepted yet
        raise Rejected("continues_not_first", "continues names the log this one continues, "
                       "so it can only be a log's first command")
    at = command.at
    if at < ledger.now:
        raise Rejected("time_went_backwards", "at is earlier than the previous command")
    pending = ledger.pending
    journal = Journal(ledger) if pending and pending[0][0] <= at else None
    saved = ledger.now, ledger.cap_day, ledger.cap_base_pool, ledger.withdrawn_today
    effects: list[Effect] = []
    try:
        ledger.now = at
        if journal is not None:
            minting.settle_due(ledger, effects, journal)
        day = shanghai_day(at)
        if day != ledger.cap_day:
            ledger.cap_day = day
            ledger.cap_base_pool = ledger.pool
            ledger.withdrawn_today = 0
        if admit is not None:
            admit(ledger, command)
        _HANDLERS[kind](ledger, command, effects)
    except Rejected:
        if journal is not None:
            journal.rollback()
        else:
            ledger.now, ledger.cap_day, ledger.cap_base_pool, ledger.withdrawn_today = saved
        raise
    return Applied(effects, False)
