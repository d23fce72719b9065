"""``profitpool report month | verify`` and ``profitpool custody record``: disclosures.

``report month`` and ``custody record`` append to the log through the
operator's writer, like ``apply --db`` (disclosure/record.py); while
``profitpool serve`` runs, use its API instead (one writer at a time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .common import clean_errors

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
@clean_errors
def month_command(period: str, db: str, key_path: Path, out_dir: Path | None,
                  no_publish: bool) -> None:
    """Report the month PERIOD (YYYY-MM) and record its SHA-256 and PoL root in the log.

    The month must be over. The report is written as JSON (its twin, whose
    SHA-256 the log records), HTML (Chinese first) and PDF; members' proofs
    of inclusion are stored for the API, the wallet and `profitpool pol verify`.
    """
    from ..disclosure.record import disclose_month
    from ..disclosure.render import write_report_files

    prepared = disclose_month(db, None if no_publish else key_path, period,
                              time.time_ns() // 1000)
    folder = out_dir or Path(f"disclosure-{period}")
    write_report_files(folder, prepared.report, prepared.report_json)
    tree = prepared.tree
    click.echo(f"{period}: report SHA-256 {prepared.sha256}")
    click.echo(f"proof of liabilities: root {tree.root.hex()}, total "
               f"{prepared.report['proof_of_liabilities']['total']} over "
               f"{tree.parties_text} ({tree.leaf_count:,} leaves)")
    click.echo("recorded in the log" if not no_publish else "not recorded (--no-publish)")
    click.echo(f"files: {folder}/report.json, report.html, report.pdf")


@report_group.command("verify")
@click.argument("period")
@click.argument("file", type=click.File("rb"))
@click.option("--db", default=None, metavar="URL", help="The log's database.")
@clean_errors
def verify_command(period: str, file: Any, db: str | None) -> None:
    """Check that a report's JSON twin (FILE) is the one the log recorded for PERIOD."""
    from ..disclosure.record import check_report
    from ..store.database import default_url

    recorded = check_report(db or default_url(), period, file.read())
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
@clean_errors
def record_command(amount: str, reference: str, record_id: str | None, db: str,
                   key_path: Path) -> None:
    """Record the custody account's balance beside the pool (a shortfall shows in red)."""
    from ..disclosure.record import record_custody
    from ..money import format_fen

    effect = record_custody(db, key_path, amount, reference, record_id, time.time_ns() // 1000)
    if effect is None:
        click.echo("already recorded (the same id and figures)")
        return
    click.echo(f"custody {format_fen(effect.amount)} against a pool of "
               f"{format_fen(effect.pool_after)}: " + (
                   f"SHORTFALL {format_fen(effect.shortfall)}" if effect.shortfall
                   else "covered"))
