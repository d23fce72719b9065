"""``profitpool report month`` and ``profitpool custody record``: disclosures from the CLI.

Both append to the log through the operator's writer, like ``apply --db``;
while ``profitpool serve`` runs, use its API instead (one writer at a time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

_F = TypeVar("_F", bound=Callable[..., Any])


def _options(function: _F) -> _F:
    from ..log.keys import default_key_path
    from ..store.database import default_url

    function = click.option("--key", "key_path", type=click.Path(dir_okay=False,
                                                                   path_type=Path),
                            default=default_key_path, help="The operator's signing key.")(function)
    return click.option("--db", default=default_url, metavar="URL",
                        help="The log's database.")(function)


@click.group("report")
def report_group() -> None:
    """Monthly disclosures (公示): report, proof of liabilities, log entry."""


@report_group.command("month")
@click.argument("period")
@_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Where to write report.json/.html/.pdf [default: "
                                 "disclosure-PERIOD].")
@click.option("--no-publish", is_flag=True,
              help="Write the files only; do not record the report in the log.")
def month_command(period: str, db: str, key_path: Path, out_dir: Path | None,
                  no_publish: bool) -> None:
    """Report the month PERIOD (YYYY-MM) and record its SHA-256 and PoL root in the log.

    The month must be over. The report is written as JSON (its twin, whose
    SHA-256 the log records), HTML (Chinese first) and PDF; members' proofs
    of inclusion are stored for the API, the wallet and `profitpool pol verify`.
    """
    from ..cli import open_store
    from ..errors import ProfitpoolError
    from ..log.writer import LogWriter
    from ..times import format_time, parse_period
    from .month import MonthError
    from .publish import prepare, save, stored_report
    from .render import render_html, render_pdf

    try:
        parsed = parse_period(period)
    except ProfitpoolError as error:
        raise click.ClickException(str(error)) from None
    now = time.time_ns() // 1000
    with open_store(db) as store:
        try:
            prepared = prepare(store, parsed, now)
        except MonthError as error:
            raise click.ClickException(str(error)) from None
        stored = stored_report(store, period)
    if no_publish:
        if stored is None:
            with open_store(db) as store:
                save(store, prepared)
    else:
        writer = LogWriter.open(db, key_path)
        try:
            recorded = writer.ledger.disclosures.get(parsed)
            if recorded is not None and recorded[1] != prepared.sha256:  # report_sha256
                raise click.ClickException(
                    f"{period} was disclosed already with SHA-256 {recorded[1]}; "
                    "the report in the log cannot be replaced")
            with open_store(db) as store:
                save(store, prepared)
            writer.submit(prepared.command(format_time(max(now, writer.ledger.now))))
            writer.close()
        except ProfitpoolError as error:
            writer.discard()
            raise click.ClickException(str(error)) from None
        except click.ClickException:
            writer.discard()
            raise
    folder = out_dir or Path(f"disclosure-{period}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_bytes(prepared.report_json)
    (folder / "report.html").write_text(render_html(prepared.report), encoding="utf-8")
    (folder / "report.pdf").write_bytes(render_pdf(prepared.report))
    tree = prepared.tree
    click.echo(f"{period}: report SHA-256 {prepared.sha256}")
    click.echo(f"proof of liabilities: root {tree.root.hex()}, total "
               f"{prepared.report['proof_of_liabilities']['total']} over "
               f"{len(tree.member_ids):,} members ({tree.leaf_count:,} leaves)")
    click.echo("recorded in the log" if not no_publish else "not recorded (--no-publish)")
    click.echo(f"files: {folder}/report.json, report.html, report.pdf")


@report_group.command("verify")
@click.argument("period")
@click.argument("file", type=click.File("rb"))
@click.option("--db", default=None, metavar="URL", help="The log's database.")
def verify_command(period: str, file: Any, db: str | None) -> None:
    """Check that a report's JSON twin (FILE) is the one the log recorded for PERIOD."""
    import hashlib

    from ..cli import open_store
    from ..store.database import default_url
    from .publish import recorded_disclosure

    digest = hashlib.sha256(file.read()).hexdigest()
    with open_store(db or default_url()) as store:
        recorded = recorded_disclosure(store, period)
    if recorded is None:
        raise click.ClickException(f"the log records no disclosure of {period}")
    if recorded["report_sha256"] != digest:
        raise click.ClickException(
            f"MISMATCH: this report's SHA-256 is {digest}, but the log's entry "
            f"{recorded['index']} recorded {recorded['report_sha256']} for {period}: the "
            "report was changed after it was disclosed")
    click.echo(f"OK: the report is the one recorded for {period} in entry {recorded['index']} "
               f"(PoL root {recorded['pol_root']}, total {recorded['pol_total']})")


@click.group("custody")
def custody_group() -> None:
    """What the pool's bank or custody account holds, recorded in the log."""


@custody_group.command("record")
@click.option("--amount", required=True, help="CNY held, e.g. 123456.78.")
@click.option("--reference", required=True, help="The statement it is read from.")
@click.option("--id", "record_id", default=None, help="[default: custody-<time>]")
@_options
def record_command(amount: str, reference: str, record_id: str | None, db: str,
                   key_path: Path) -> None:
    """Record the custody account's balance beside the pool (a shortfall shows in red)."""
    from ..engine.effects import CustodyRecorded
    from ..errors import ProfitpoolError
    from ..log.writer import LogWriter
    from ..money import format_fen
    from ..times import format_time

    now = time.time_ns() // 1000
    writer = LogWriter.open(db, key_path)
    try:
        at = format_time(max(now, writer.ledger.now))
        applied = writer.submit({"op": "custody", "id": record_id or f"custody-{now}",
                                 "amount": amount, "reference": reference, "at": at})
        writer.close()
    except ProfitpoolError as error:
        writer.discard()
        raise click.ClickException(str(error)) from None
    if not applied.effects:
        click.echo("already recorded (the same id and figures)")
        return
    effect = applied.effects[0]
    assert isinstance(effect, CustodyRecorded)
    click.echo(f"custody {format_fen(effect.amount)} against a pool of "
               f"{format_fen(effect.pool_after)}: " + (
                   f"SHORTFALL {format_fen(effect.shortfall)}" if effect.shortfall
                   else "covered"))
