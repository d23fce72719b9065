"""``profitpool payouts …``: paying out what the program owes, and reading the bank back.

    payouts account       set (or show) the custody account payouts are paid from
    payouts destinations  add, list, verify or fail a party's bank account
    payouts run           one payout per party owed at least --minimum, as a pain.001
    payouts send          one payout to one party, to a verified destination
    payouts file          a stored run's pain.001 again
    payouts import        a camt.053 / camt.054 / CSV: settled, returned, custody
    payouts status        custody against pool + owed + in flight, and every open item

Each writes to the log through its own writer: stop ``serve`` first, or use the
API (docs/cash.md). The logic is in cash/; this module only parses and prints.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import click

from .common import (
    clean_errors,
    count,
    data_key_option,
    db_option,
    key_option,
    open_directory_at,
    open_store,
    print_json,
)

_SHANGHAI_HELP = "ISO 8601 with an offset [default: now, or the log's last time if later]"


@click.group("payouts")
def payouts_group() -> None:
    """Pay out what the program owes through the bank, and reconcile custody."""


def _writer(db: str, key_path: Path, data_key: Path | None) -> tuple[Any, Any]:
    from ..bootstrap import open_directory, open_writer

    writer = open_writer(db, key_path)
    try:
        return writer, open_directory(writer, key_path, data_key)
    except BaseException:
        writer.close()
        raise


def _at(ledger: Any, at_text: str | None) -> str:
    from ..times import format_time

    return at_text or format_time(max(time.time_ns() // 1000, ledger.now))


def _money(text: str) -> int:
    from ..errors import Rejected
    from ..money import parse_money

    try:
        return parse_money(text)
    except Rejected as error:
        raise click.BadParameter(error.message) from None


@payouts_group.command("account")
@click.option("--holder", help="The account holder's name, as the bank has it.")
@click.option("--account", help="The account number (or IBAN).")
@click.option("--currency", default=None, help="ISO 4217 [default: CNY].")
@click.option("--bic", "agent_bic", default=None, help="The bank's BIC.")
@click.option("--cnaps", "agent_member_id", default=None,
              help="The bank's 12-digit CNAPS code.")
@db_option()
@clean_errors
def account_command(holder: str | None, account: str | None, currency: str | None,
                    agent_bic: str | None, agent_member_id: str | None, db: str) -> None:
    """Set the custody account (with --holder and --account), or show it."""
    from ..cash.operations import check_account
    from ..store.cash import CashStore

    with open_store(db) as store:
        cash = CashStore(store.engine)
        if holder is None and account is None:
            current = cash.account()
            if current is None:
                raise click.ClickException("no custody account is set: give --holder, "
                                           "--account and --bic or --cnaps")
            print_json(current._asdict())
            return
        fields: dict[str, object] = {"holder": holder or "", "account": account or ""}
        for name, value in (("currency", currency), ("agent_bic", agent_bic),
                            ("agent_member_id", agent_member_id)):
            if value is not None:
                fields[name] = value
        checked = check_account(fields)
        cash.set_account(checked, time.time_ns() // 1000)
    click.echo(f"custody account set: {checked.holder}, {checked.account} "
               f"({checked.currency})", err=True)


@payouts_group.group("destinations")
def destinations_group() -> None:
    """Parties' bank accounts: stored sealed, named in the log by an opaque id."""


def _party(directory: Any, party: str) -> str:
    """``member:<the operator's id>`` as ``member:<pseudonym>``; others as given."""
    from ..members.directory import OPERATOR

    if party.startswith("member:"):
        member_id = party[7:]
        return f"member:{directory.pseudonym_of(OPERATOR, member_id) or member_id}"
    return party


@destinations_group.command("add")
@click.argument("party")
@click.option("--account", required=True, help="Account or card number.")
@click.option("--name", required=True, help="The account holder's name.")
@click.option("--bank", default="", help="The bank's name.")
@click.option("--bank-code", default="", help="The bank's CNAPS code or BIC.")
@click.option("--verified", is_flag=True,
              help="Mark it verified at once (you checked the account with the bank).")
@db_option()
@key_option()
@data_key_option()
@clean_errors
def destinations_add(party: str, account: str, name: str, bank: str, bank_code: str,
                     verified: bool, db: str, key_path: Path, data_key: Path | None) -> None:
    """Add a bank account for PARTY (member:ID, merchant:ID or lender:ID); prints its id."""
    from ..cash.destinations import add_destination, set_status

    with open_store(db) as store:
        directory = open_directory_at(store.engine, key_path, data_key)
        fields: dict[str, object] = {"account": account, "name": name}
        if bank:
            fields["bank"] = bank
        if bank_code:
            fields["bank_code"] = bank_code
        destination = add_destination(directory, _party(directory, party), fields)
        if verified:
            set_status(directory, destination, "verified")
    click.echo(destination)


@destinations_group.command("list")
@click.option("--party", default=None)
@click.option("--status", type=click.Choice(["unverified", "verified", "failed"]), default=None)
@db_option()
@key_option()
@data_key_option()
@clean_errors
def destinations_list(party: str | None, status: str | None, db: str, key_path: Path,
                      data_key: Path | None) -> None:
    """List destinations (ids, parties, status; never the accounts)."""
    from ..cash.destinations import list_destinations

    with open_store(db) as store:
        directory = open_directory_at(store.engine, key_path, data_key)
        rows = list_destinations(directory, None if party is None else _party(directory, party),
                                 status)
    print_json([{"id": row.id, "party": row.party, "status": row.status,
                 "reason": row.reason} for row in rows])


@destinations_group.command("verify")
@click.argument("destination")
@click.option("--failed", "reason", default=None, metavar="REASON",
              help="Mark it failed instead, saying why (what the bank answered).")
@db_option()
@key_option()
@data_key_option()
@clean_errors
def destinations_verify(destination: str, reason: str | None, db: str, key_path: Path,
                        data_key: Path | None) -> None:
    """Mark DESTINATION verified (the bank confirmed account and name), or --failed."""
    from ..cash.destinations import set_status

    with open_store(db) as store:
        directory = open_directory_at(store.engine, key_path, data_key)
        set_status(directory, destination, "failed" if reason else "verified", reason or "")
    click.echo(f"{destination}: {'failed' if reason else 'verified'}", err=True)


@payouts_group.command("run")
@click.option("--minimum", default="0.01", show_default=True, metavar="CNY",
              help="Pay only parties owed at least this much; the rest wait.")
@click.option("--execution-date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day the bank is to pay [default: today].")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Write the pain.001 here (it names accounts: keep it safe).")
@click.option("--at", "at_text", default=None, metavar="TIME", help=_SHANGHAI_HELP)
@db_option()
@key_option()
@data_key_option()
@clean_errors
def run_command(minimum: str, execution_date: datetime | None, out: Path,
                at_text: str | None, db: str, key_path: Path, data_key: Path | None) -> None:
    """Send one payout of everything owed to each party owed at least --minimum that has a
    verified destination; log them and write the pain.001 for the custody bank."""
    from ..cash.operations import finish_run, log_commands, owed_in, prepare_run
    from ..cash.runs import payout_commands
    from ..store.cash import CashStore
    from ..times import SHANGHAI

    if out.exists():
        raise click.ClickException(f"{out} exists already; not overwriting it")
    writer, directory = _writer(db, key_path, data_key)
    try:
        cash = CashStore(writer.store.engine)
        now = datetime.now(SHANGHAI)
        prepared = prepare_run(directory, cash, owed_in(writer.ledger), _money(minimum), now)
        plan = prepared.plan
        commands = payout_commands(plan, _at(writer.ledger, at_text))
        refused = log_commands(writer, commands)
        result = finish_run(directory, cash, prepared,
                            {commands[p]["id"]: code for p, code in refused.items()}, now,
                            (execution_date or now).date())
        if result.stored:
            from ..cash.operations import run_file

            out.write_bytes(run_file(directory, cash, plan.run))
            out.chmod(0o600)
    finally:
        writer.close()
    summary = result.summary()
    click.echo(f"run {plan.run}: {count(summary['payouts'], 'payout')}, {summary['total']} CNY"
               + (f", written to {out}" if result.stored else ", nothing to send"), err=True)
    left = summary["no_destination"]
    if left["parties"]:
        who = count(left["parties"], "party", "parties")
        click.echo(f"  left out: {who} owed {left['owed']} CNY with no verified destination",
                   err=True)
    small = summary["below_minimum"]
    if small["parties"]:
        who = count(small["parties"], "party", "parties")
        click.echo(f"  waiting: {who} owed {small['owed']} CNY in all, each below the "
                   f"minimum {minimum}", err=True)
    for refusal in result.refused:
        click.echo(f"  refused by the log: {refusal['payout']}: {refusal['error']}", err=True)


@payouts_group.command("send")
@click.argument("party")
@click.argument("amount")
@click.option("--destination", required=True, help="A verified destination of PARTY.")
@click.option("--id", "payout_id", default=None, help="The payout's id [default: a new one].")
@click.option("--at", "at_text", default=None, metavar="TIME", help=_SHANGHAI_HELP)
@db_option()
@key_option()
@data_key_option()
@clean_errors
def send_command(party: str, amount: str, destination: str, payout_id: str | None,
                 at_text: str | None, db: str, key_path: Path, data_key: Path | None) -> None:
    """Log one payout of AMOUNT (CNY) to PARTY; the operator sends it by other means."""
    import secrets

    from ..cash.operations import check_payout_destination
    from ..errors import Rejected

    writer, directory = _writer(db, key_path, data_key)
    try:
        party = _party(directory, party)
        check_payout_destination(directory, party, destination)
        command = {"op": "payout", "id": payout_id or f"po-{secrets.token_hex(8)}",
                   "party": party, "amount": amount, "destination": destination,
                   "at": _at(writer.ledger, at_text)}
        try:
            writer.submit(command)
        except Rejected as refused:
            raise click.ClickException(f"{refused.code}: {refused.message}") from None
        writer.commit()
    finally:
        writer.close()
    click.echo(command["id"])


@payouts_group.command("file")
@click.argument("run")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              required=True)
@db_option()
@key_option()
@data_key_option()
@clean_errors
def file_command(run: str, out: Path, db: str, key_path: Path, data_key: Path | None) -> None:
    """Write a stored run's pain.001 again."""
    from ..cash.operations import run_file
    from ..store.cash import CashStore

    with open_store(db) as store:
        directory = open_directory_at(store.engine, key_path, data_key)
        data = run_file(directory, CashStore(store.engine), run)
    if out.exists():
        raise click.ClickException(f"{out} exists already; not overwriting it")
    out.write_bytes(data)
    out.chmod(0o600)
    click.echo(f"wrote {out}", err=True)


@payouts_group.command("import")
@click.argument("bank_file", metavar="FILE", type=click.File("rb"))
@click.option("--at", "at_text", default=None, metavar="TIME", help=_SHANGHAI_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print what the file did as JSON.")
@db_option()
@key_option()
@data_key_option()
@clean_errors
def import_command(bank_file: BinaryIO, at_text: str | None, as_json: bool, db: str,
                   key_path: Path, data_key: Path | None) -> None:
    """Read a bank's camt.053 statement, camt.054 notification or CSV (docs/bank-files.md):
    settle and return payouts by their reference, record the closing balance as custody,
    and list every line nothing explains. The same file twice changes nothing."""
    import orjson

    from ..cash.operations import (
        finish_import,
        log_commands,
        payout_state_in,
        prepare_import,
        previous_import,
    )
    from ..store.cash import CashStore

    data = bank_file.read()
    writer, _directory = _writer(db, key_path, data_key)
    try:
        cash = CashStore(writer.store.engine)
        earlier = previous_import(cash, data)
        if earlier is not None:
            summary = {**orjson.loads(earlier.summary), "already_imported": True}
        else:
            plan = prepare_import(cash, data, payout_state_in(writer.ledger))
            at = _at(writer.ledger, at_text)
            refused = log_commands(writer, [{**command, "at": at}
                                           for command in plan.reconciliation.commands])
            summary = finish_import(cash, plan, refused)
    finally:
        writer.close()
    if as_json:
        print_json(summary)
        return
    if summary.get("already_imported"):
        click.echo("this file was read before: nothing changed. What it did then:", err=True)
    click.echo(f"{summary['kind']} {summary.get('message_id') or ''}: "
               f"{summary['settled']} settled, {summary['returned']} returned, "
               f"{summary['already']} already recorded"
               + (f", closing balance {summary['closing']} recorded as custody"
                  if summary.get("closing") else ""), err=True)
    for kind, number in sorted(summary["listed"].items()):
        click.echo(f"  listed for you: {number} {kind.replace('_', ' ')}", err=True)


@payouts_group.command("status")
@click.option("--days", default=5, show_default=True,
              help="List payouts in flight for longer than this.")
@db_option()
@key_option()
@clean_errors
def status_command(days: int, db: str, key_path: Path) -> None:
    """Custody (the last recorded balance) against pool + owed + in flight, and every open
    item: payouts in flight too long, returned payouts not re-sent, statement lines
    nothing explains."""
    from ..bootstrap import open_writer
    from ..service.readmodel import ReadModel
    from ..service.reconciliation import reconciliation_status
    from ..store.cash import CashStore

    writer = open_writer(db, key_path)
    try:
        read = ReadModel()
        read.load(writer.ledger, 0, 0)
        status = reconciliation_status(read, CashStore(writer.store.engine), days,
                                       time.time_ns() // 1000)
    finally:
        writer.close()
    print_json(status)


__all__ = ["payouts_group", "date"]
