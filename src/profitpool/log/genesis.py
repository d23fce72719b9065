"""What a log starts from: its format and the rules in force before its first entry.

A log records, when it is created, the rules its ledger starts with
(``genesis_rules`` in its meta table, canonical JSON) and its format. Every
replay of the log (restart, ``verify``, the monthly report) starts from
:func:`genesis_ledger`, so changing a default in a later version of
profitpool never changes what an existing log means. The state digest of
every block covers the rules, so an edited ``genesis_rules`` fails the first
block's check.

Formats:

* **1**: logs created before the genesis rules were recorded. They started
  from the defaults of that time (``withdraw_min_gain`` 0), computed ``cost``
  exit triggers from the lots' rounded shares and broke exit ties by mint
  order alone; they replay exactly so (``Ledger.legacy_exits``).
* **2**: the genesis rules are recorded; exit triggers are exact and exit ties
  go to the lot with the earliest order time, then the first minted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import orjson

from ..chain.canonical import dumps
from ..engine import Ledger
from ..errors import ProfitpoolError, Rejected
from ..rules import Rules

LOG_FORMAT: Final = "2"
FORMAT_1_RULES: Final = Rules(withdraw_min_gain=(0, 1))
"""The defaults every format 1 log started from."""


class GenesisError(ProfitpoolError):
    """The log's recorded start cannot be read by this version of profitpool."""


def genesis_meta(rules: Rules | None = None) -> dict[str, str]:
    """The meta entries a new log records: its format and the rules it starts with."""
    start = rules if rules is not None else Rules()
    return {"format": LOG_FORMAT, "genesis_rules": dumps(start.to_json()).decode()}


def genesis_ledger(meta: Mapping[str, str]) -> Ledger:
    """A fresh ledger as the log described by ``meta`` starts.

    Raises:
        GenesisError: an unknown format, or genesis rules that do not parse.
    """
    log_format = meta.get("format", "1")
    if log_format == "1":
        return Ledger(FORMAT_1_RULES, legacy_exits=True)
    if log_format != LOG_FORMAT:
        raise GenesisError(f"the log is of format {log_format}, which this version of "
                           f"profitpool cannot read (it reads formats 1 and {LOG_FORMAT})")
    try:
        values = orjson.loads(meta["genesis_rules"])
        if type(values) is not dict:
            raise ValueError("not a JSON object")
        return Ledger(Rules.from_json(values))
    except (KeyError, ValueError, Rejected) as error:
        raise GenesisError(f"the log's genesis rules cannot be read: {error}") from None
