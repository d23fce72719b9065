"""Disclosures from the operator's machine: through the operator's log writer, as ``apply --db``.

``profitpool report month``, ``report verify`` and ``custody record`` call
these; while ``profitpool serve`` runs, its API records them instead (one
writer at a time), through the sequencer.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..bootstrap import open_writer
from ..engine.effects import CustodyRecorded
from ..errors import ProfitpoolError
from ..store.repository import open_store
from ..times import format_period, format_time, parse_period, shanghai_month
from .job import SETTLE_US, program_start
from .month import MonthError, month_range
from .publish import Prepared, prepare, recorded_disclosure, save, stored_report


class DisclosureError(ProfitpoolError):
    """A month cannot be reported or recorded, or a report is not the one the log recorded."""


def disclose_month(db: str, key_path: Path | None, period: str, now_us: int) -> Prepared:
    """Report the month ``period`` (YYYY-MM) of the log at ``db`` and store the report.

    With ``key_path`` the report's SHA-256 and PoL root are also recorded in
    the log, signed with that key; a month recorded already is recorded
    again only with the same report (an idempotent retry). Without it the
    report is stored unless one is stored already, and not recorded.

    Raises:
        DisclosureError: the month is not over, ends before the program started, or
            was recorded already with another report.
        ProfitpoolError: ``period`` is not a month, or the log cannot be opened or extended.
    """
    parsed = parse_period(period)
    with open_store(db) as store:
        try:
            prepared = prepare(store, parsed, now_us)
        except MonthError as error:
            raise DisclosureError(str(error)) from None
        stored = stored_report(store, period)
        if key_path is None:
            if stored is None:
                save(store, prepared)
            return prepared
    writer = open_writer(db, key_path)
    try:
        recorded = writer.ledger.disclosures.get(parsed)
        if recorded is not None and recorded[1] != prepared.sha256:  # report_sha256
            raise DisclosureError(
                f"{period} was disclosed already with SHA-256 {recorded[1]}; "
                "the report in the log cannot be replaced")
        with open_store(db) as store:
            save(store, prepared)
        writer.submit(prepared.command(format_time(max(now_us, writer.ledger.now))))
    except BaseException:
        writer.discard()
        raise
    writer.close()
    return prepared


def check_report(db: str, period: str, report_json: bytes) -> dict[str, Any]:
    """The log's ``disclosure`` entry for ``period``, if ``report_json`` is the report it hashes.

    Raises:
        DisclosureError: the log records no disclosure of ``period``, or one of
            another report (the message says MISMATCH and both SHA-256s).
    """
    digest = hashlib.sha256(report_json).hexdigest()
    with open_store(db) as store:
        recorded = recorded_disclosure(store, period)
    if recorded is None:
        raise DisclosureError(f"the log records no disclosure of {period}")
    if recorded["report_sha256"] != digest:
        raise DisclosureError(
            f"MISMATCH: this report's SHA-256 is {digest}, but the log's entry "
            f"{recorded['index']} recorded {recorded['report_sha256']} for {period}: the "
            "report was changed after it was disclosed")
    return recorded


def record_custody(db: str, key_path: Path, amount: str, reference: str,
                   record_id: str | None, now_us: int) -> CustodyRecorded | None:
    """Record the custody account's balance in the log; None if this record is there already.

    ``record_id`` defaults to ``custody-<now_us>``.

    Raises:
        ProfitpoolError: the command was refused (e.g. ``invalid_amount``), or the log
            cannot be opened or extended.
    """
    writer = open_writer(db, key_path)
    try:
        at = format_time(max(now_us, writer.ledger.now))
        applied = writer.submit({"op": "custody", "id": record_id or f"custody-{now_us}",
                                 "amount": amount, "reference": reference, "at": at})
    except BaseException:
        writer.discard()
        raise
    writer.close()
    if not applied.effects:
        return None
    effect = applied.effects[0]
    assert isinstance(effect, CustodyRecorded)
    return effect


def disclose_finished_months(db: str, key_path: Path, now_us: int) -> list[str]:
    """Disclose, oldest first, every month of the log that is over and has no report yet,
    as the service does for the month just ended (job.py): the report and proof of
    liabilities stored, the ``disclosure`` entry in the log (``profitpool demo`` calls it
    for the months it built). Returns the months disclosed."""

    with open_store(db) as store:
        start = program_start(store)
        if start is None:
            return []
        period = shanghai_month(start)
        last = shanghai_month(now_us - SETTLE_US)
        due = []
        while period < last:
            if month_range(period)[1] <= now_us - SETTLE_US and stored_report(
                    store, format_period(period)) is None:
                due.append(format_period(period))
            period = (period[0] + 1, 1) if period[1] == 12 else (period[0], period[1] + 1)
    for month in due:
        disclose_month(db, key_path, month, now_us)
    return due
