"""Payout runs and bank files, end to end, for the CLI and the service alike.

Each operation is split around the one step that differs between them, submitting
commands to the log (the CLI through its own writer, the service through its
sequencer): ``prepare_*`` checks everything and plans, the caller submits the
commands, ``finish_*`` stores what happened. Nothing is stored when ``prepare_*``
refuses.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple

import orjson

from ..engine.cash import cash_of
from ..engine.state import Ledger
from ..errors import Rejected
from ..gcpause import paused_gc
from ..log.writer import LogWriter
from ..members.directory import Directory
from ..money import format_fen
from ..store.cash import CashStore, CustodyAccount, ImportRow, RunRow
from .bankcsv import parse_bank_csv
from .camt import parse_statement
from .destinations import check_party, get_destination, open_many, verified_destinations
from .reconcile import PayoutState, Reconciliation, reconcile
from .runs import RunPlan, new_run_id, payment_file, plan_run
from .statement import BankFileError, BankStatement


def owed_in(ledger: Ledger) -> list[tuple[str, int]]:
    """(party, fen owed) of every party the ledger owes something."""
    found = []
    for kind, parties in (("member", ledger.members), ("merchant", ledger.merchants),
                          ("lender", ledger.lenders)):
        for party_id in parties:
            party = f"{kind}:{party_id}"
            owed = cash_of(ledger, party)[0]
            if owed > 0:
                found.append((party, owed))
    return found


def payout_state_in(ledger: Ledger) -> Callable[[str], PayoutState | None]:
    def state(payout_id: str) -> PayoutState | None:
        record = ledger.payouts.get(payout_id)
        if record is None:
            return None
        return PayoutState(record.command.party, record.command.amount, record.status)
    return state


def custody_account(store: CashStore) -> CustodyAccount:
    """The custody account, which runs pay from and statements must be of.

    Raises:
        Rejected(invalid_command): none is set yet.
    """
    account = store.account()
    if account is None:
        raise Rejected("invalid_command", "set the custody account first (profitpool payouts "
                       "account, or PUT /v1/custody/account): payouts are paid from it and "
                       "statements must be of it")
    return account


def check_account(fields: Mapping[str, object]) -> CustodyAccount:
    """The custody account from ``holder``, ``account``, ``currency`` (default CNY) and
    ``agent_bic`` and/or ``agent_member_id`` (the bank's CNAPS code).

    Raises:
        Rejected(invalid_command): saying what is wrong.
    """
    def text(name: str, limit: int, required: bool = False) -> str:
        value = fields.get(name, "")
        if value is None:
            value = ""
        if type(value) is not str or len(value) > limit or (required and not value.strip()):
            raise Rejected("invalid_command", f"{name} must be text of 1-{limit} characters"
                           if required else f"{name} must be text of at most {limit} characters")
        return value.strip()
    unknown = sorted(set(fields) - {"holder", "account", "currency", "agent_bic",
                                    "agent_member_id"})
    if unknown:
        raise Rejected("invalid_command", f"unknown field(s): {', '.join(unknown)}")
    account = CustodyAccount(
        text("holder", 140, True), "".join(text("account", 34, True).split()).upper(),
        text("currency", 3) or "CNY", text("agent_bic", 11).upper(),
        text("agent_member_id", 35))
    if len(account.currency) != 3 or not account.currency.isalpha():
        raise Rejected("invalid_command", "currency must be an ISO 4217 code such as CNY")
    if not account.agent_bic and not account.agent_member_id:
        raise Rejected("invalid_command", "name the custody bank by agent_bic (its BIC) or "
                       "agent_member_id (its 12-digit CNAPS code)")
    return account


def log_commands(writer: LogWriter, commands: Iterable[dict[str, Any]]) -> dict[int, str]:
    """Submit commands to the log and commit them, as ``apply --db`` does (the collector
    paused: it would rescan the whole ledger again and again); position -> error code of
    each command the engine refused."""
    refused: dict[int, str] = {}
    with paused_gc():
        for position, command in enumerate(commands):
            try:
                writer.submit(command)
            except Rejected as error:
                refused[position] = error.code
        writer.commit()
    return refused


# payout runs ---------------------------------------------------------------
class RunResult(NamedTuple):
    plan: RunPlan
    accepted: int
    total: int
    refused: list[dict[str, str]]
    """Payouts the log refused (the owed amount changed since the plan): id, code."""
    stored: bool
    """Whether a run (and its file) was stored: not when nothing was sent."""

    def summary(self) -> dict[str, Any]:
        return {**self.plan.summary(), "payouts": self.accepted,
                "total": format_fen(self.total), "refused": self.refused,
                "file": self.stored}


class PreparedRun(NamedTuple):
    account: CustodyAccount
    plan: RunPlan
    destinations: dict[str, dict[str, str]]
    """The plan's destinations, opened: a run never logs a payout its file cannot carry."""


def prepare_run(directory: Directory, store: CashStore, owed: Iterable[tuple[str, int]],
                minimum: int, now: datetime) -> PreparedRun:
    """Plan a run: every party owed at least ``minimum`` fen with a verified destination,
    its destination opened (before anything is logged).

    Raises:
        Rejected: no custody account (invalid_command), a negative minimum
            (invalid_amount).
    """
    if minimum < 0:
        raise Rejected("invalid_amount", "the minimum cannot be negative")
    account = custody_account(store)
    with paused_gc():  # a million parties: the collector would rescan them again and again
        owed = list(owed)
        verified = verified_destinations(directory, [party for party, _ in owed])
        plan = plan_run(owed, verified, minimum, new_run_id(now))
        destinations = open_many(directory, {payout.destination for payout in plan.payouts})
    return PreparedRun(account, plan, destinations)


def finish_run(directory: Directory, store: CashStore, prepared: PreparedRun,
               refused: Mapping[str, str], now: datetime, execution: date) -> RunResult:
    """Write and store the pain.001 of the payouts the log accepted (all but ``refused``:
    payout id -> error code)."""
    account, plan, destinations = prepared
    sent = [payout for payout in plan.payouts if payout.payout not in refused]
    total = sum(payout.amount for payout in sent)
    refusals = [{"payout": payout_id, "error": code} for payout_id, code in refused.items()]
    if not sent:
        return RunResult(plan, 0, 0, refusals, False)
    with paused_gc():
        data = payment_file(plan.run, now, execution, account, sent, destinations)
    summary = {**plan.summary(), "payouts": len(sent), "total": format_fen(total),
               "refused": refusals, "execution_date": execution.isoformat()}
    sealed = directory.data_key().seal(data, _run_context(plan.run))
    store.add_run(RunRow(plan.run, int(now.timestamp() * 1_000_000), plan.minimum,
                         len(sent), total, orjson.dumps(summary).decode()), sealed)
    return RunResult(plan, len(sent), total, refusals, True)


def _run_context(run: str) -> bytes:
    return f"payout run file\x00{run}".encode()


def run_file(directory: Directory, store: CashStore, run: str) -> bytes:
    """A stored run's pain.001, opened.

    Raises:
        Rejected(unknown_payout): no such run.
    """
    sealed = store.run_file(run)
    if sealed is None:
        raise Rejected("unknown_payout", f"no payout run {run!r}")
    return directory.data_key().open(sealed, _run_context(run))


def check_payout_destination(directory: Directory, party: str, destination: str) -> None:
    """A single payout's destination must be the party's and verified.

    Raises:
        Rejected: unknown_destination; invalid_command (another party's, or not verified).
    """
    check_party(party)
    found = get_destination(directory, destination)
    if found.party != party:
        raise Rejected("invalid_command", f"destination {destination} is not {party}'s")
    if found.status != "verified":
        why = f" ({found.reason})" if found.reason else ""
        raise Rejected("invalid_command", f"destination {destination} is {found.status}{why}: "
                       "only a verified destination is paid")


# bank files ----------------------------------------------------------------
class ImportPlan(NamedTuple):
    sha256: str
    statement: BankStatement
    reconciliation: Reconciliation


def read_bank_file(data: bytes) -> BankStatement:
    """A camt.053, camt.054 or the CSV of docs/bank-files.md, told apart by content.

    Raises:
        Rejected(invalid_command): the file cannot be read with certainty, and why.
    """
    try:
        if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            return parse_statement(data)
        return parse_bank_csv(data)
    except BankFileError as error:
        raise Rejected("invalid_command", f"the bank file cannot be read: {error.message}"
                       ) from None


def previous_import(store: CashStore, data: bytes) -> ImportRow | None:
    """The record of this very file, if it was read before (then reading it again
    changes nothing)."""
    return store.imported(hashlib.sha256(data).hexdigest())


def prepare_import(store: CashStore, data: bytes,
                   payout: Callable[[str], PayoutState | None]) -> ImportPlan:
    """Read and match a bank file; nothing is written.

    Raises:
        Rejected(invalid_command): unreadable, another account or currency, no custody
            account set.
    """
    account = custody_account(store)
    with paused_gc():
        statement = read_bank_file(data)
        sha256 = hashlib.sha256(data).hexdigest()
        return ImportPlan(sha256, statement, reconcile(statement, account, sha256, payout))


def finish_import(store: CashStore, plan: ImportPlan, refused: Mapping[int, str]
                  ) -> dict[str, Any]:
    """Record the file and the lines it listed (once per file); what it did.

    ``refused``: position in the plan's commands -> error code, for commands the log
    refused (another import closed the payout in between): they are listed too."""
    reconciliation = plan.reconciliation
    listed = [(item.line, item.kind, item.end_to_end_id, item.bank_reference, item.amount,
               item.credit, item.detail) for item in reconciliation.listed]
    for position, code in refused.items():
        command = reconciliation.commands[position]
        listed.append((0, "refused", command.get("payout", command.get("id", "")), "", 0,
                       False, f"the log refused {command['op']}: {code}"))
    summary = {**reconciliation.summary(), "kind": plan.statement.kind,
               "message_id": plan.statement.message_id, "lines": len(plan.statement.lines),
               "refused": len(refused)}
    store.add_import(ImportRow(plan.sha256, plan.statement.kind,
                               plan.statement.message_id or "", time.time_ns() // 1000,
                               orjson.dumps(summary).decode()), listed)
    return summary
