"""The rule engine: a pure, deterministic state machine over integers.

Commands in, effects out; no I/O, no clock, no randomness. Everything else in
profitpool (``apply``, the service, the simulator, the verifier) calls this
one engine::

    from profitpool.engine import Ledger, apply
    ledger = Ledger()
    applied = apply(ledger, {"op": "merchant", "id": "m1", "at": "2026-01-01T09:00:00+08:00"})
    applied.effects  # [MerchantRegistered(merchant='m1', name='', industry='')]
"""

from .cashable import Cashable, Held, LotFacts, Market, PendingOrder, cashable, cashable_of
from .commands import OPS, Command, parse_command
from .effects import Effect, LotPart
from .minting import OrderPreview, preview_order
from .redemption import Redemption, plan_payment, plan_withdrawal
from .state import Ledger
from .transition import Admit, Applied, apply, execute
from .view import dump_state, summary

__all__ = [
    "OPS",
    "Admit",
    "Applied",
    "Cashable",
    "Command",
    "Effect",
    "Held",
    "Ledger",
    "LotFacts",
    "LotPart",
    "Market",
    "OrderPreview",
    "PendingOrder",
    "Redemption",
    "apply",
    "cashable",
    "cashable_of",
    "dump_state",
    "execute",
    "parse_command",
    "plan_payment",
    "plan_withdrawal",
    "preview_order",
    "summary",
]
