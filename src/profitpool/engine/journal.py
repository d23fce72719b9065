"""Undo for the one part of a command that runs before the command is checked.

docs/rules.md: time moves to ``at`` and due orders settle *before* the command is
checked, yet a rejected command must change nothing. So while those
settlements (and the forced exits they cause) run, every change they make is
noted here; if the command is then rejected, :meth:`Journal.rollback` puts the
ledger back exactly as it was. Accepted commands simply drop the journal.

Only settlement and exit code takes a journal; everything a command does
itself happens after all its checks have passed, so it never needs undoing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .state import Ledger

_SCALARS: Final = (
    "now", "pool", "total_shares", "injected", "paid_members", "paid_merchants",
    "paid_lenders", "exits", "live_lots", "next_lot_id", "cap_day", "cap_base_pool",
    "withdrawn_today",
)


class Journal:
    """Notes of how to undo changes, replayed newest first on rollback."""

    __slots__ = ("ledger", "scalars", "undo")

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.scalars = tuple(getattr(ledger, name) for name in _SCALARS)
        self.undo: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def note_attr(self, obj: object, name: str) -> None:
        """Remember ``obj.name`` as it is now."""
        self.undo.append((setattr, (obj, name, getattr(obj, name))))

    def note(self, undo: Callable[..., Any], *args: Any) -> None:
        """Remember to call ``undo(*args)`` on rollback."""
        self.undo.append((undo, args))

    def rollback(self) -> None:
        for undo, args in reversed(self.undo):
            undo(*args)
        ledger = self.ledger
        for name, value in zip(_SCALARS, self.scalars, strict=True):
            setattr(ledger, name, value)
