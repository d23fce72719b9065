"""``profitpool apply``: run a JSONL file of commands, in memory or through the signed log."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

import click

from ..batch import BatchResult, apply_lines, write_json
from ..engine import view
from ..log.sizes import DEFAULT_BLOCK_SIZE, DEFAULT_SNAPSHOT_EVERY
from ..texts import BURN_NOTE
from .common import (
    KEEP_UNTIL_EXIT,
    clean_errors,
    count,
    data_key_option,
    db_option,
    key_option,
)

if TYPE_CHECKING:
    from rich.console import Console

    from ..chain.block import BlockHeader

# Without --db nothing here imports a database library or rich (with --json): the log's
# writer, the member directory and the table printer load where they are used.

REJECTED_STATUS: Final = 3
"""The exit status of ``apply --strict`` when a line was rejected."""


@click.command("apply")
@click.argument("file", type=click.Path(allow_dash=True))
@click.option(
    "--json", "as_json", is_flag=True,
    help="Print the final state as JSON (docs/rules.md section 8).",
)
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(min=0),
    help="Rows per table in the readable summary (ignored with --json).",
)
@db_option(default=None)
@key_option()
@data_key_option()
@click.option("--block-size", default=DEFAULT_BLOCK_SIZE, show_default=True,
              type=click.IntRange(1, 1_000_000), help="Entries per block (with --db).")
@click.option("--snapshot-every", default=DEFAULT_SNAPSHOT_EVERY, show_default=True,
              type=click.IntRange(min=1),
              help="Store a signed snapshot of the ledger every N entries (with --db).")
@click.option("--progress", is_flag=True,
              help="Print a line to stderr after each block is committed (with --db).")
@click.option("--strict", is_flag=True,
              help=f"Exit with status {REJECTED_STATUS} if any line was rejected (the "
              "accepted ones are applied all the same).")
@clean_errors
def apply_command(
    file: str, as_json: bool, limit: int, db: str | None, key_path: Path,
    data_key: Path | None, block_size: int, snapshot_every: int, progress: bool,
    strict: bool,
) -> None:
    """Apply FILE, one JSON command per line.

    Without --db the ledger starts empty and lives in memory. With --db the
    ledger is the one in that database's log (see `profitpool init`): each
    accepted command becomes a log entry, and entries are committed in
    signed blocks of --block-size; a rejected command or an idempotent retry
    is not an entry. If the run stops half way, every block committed before
    is kept whole and nothing after it: apply the remaining lines again.
    With --db, members are named in the log by pseudonyms: each member id of
    FILE is linked to one outside the log (sealed with --data-key), and the
    output names members by the ids FILE used (docs/privacy.md).

    FILE may be '-' for standard input. The file is streamed, so it can be
    any length. Lines that are not JSON or that the rules refuse are listed
    with their line number and error code and change nothing; the run still
    succeeds, unless --strict is given.

    \b
    Exit status:
      0  every line was accepted (or some were rejected, without --strict)
      1  the run failed: FILE cannot be read, the log cannot be opened, a
         database error (one line on standard error)
      2  usage error: a bad option or argument
      3  with --strict: one or more lines were rejected (after the output in
         full; the accepted lines stay applied, and with --db committed)
    """
    names: dict[str, str] = {}
    with _open(file) as source:
        lines = _lines(source, file)
        if db is None:
            result = apply_lines(lines)
        else:
            result, names = _apply_to_log(lines, db, key_path, data_key, block_size,
                                          snapshot_every, progress, as_json)
    KEEP_UNTIL_EXIT.append(result)
    if as_json:
        write_json(result, sys.stdout, names)
    else:
        _print_summary(result, limit, names)
    if strict and result.rejected:
        raise SystemExit(REJECTED_STATUS)


def _open(path: str) -> IO[bytes]:
    """The file at ``path`` ('-': standard input), open for reading.

    Raises:
        click.ClickException: it cannot be opened (exit status 1).
    """
    try:
        return click.open_file(path, "rb")
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror or error}") from None


def _lines(source: IO[bytes], path: str) -> Iterator[bytes]:
    """The lines of ``source``; a read that fails is one line, exit status 1."""
    try:
        yield from source
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror or error}") from None


def _apply_to_log(lines: Iterator[bytes], db: str, key_path: Path, data_key: Path | None,
                  block_size: int, snapshot_every: int, progress: bool, as_json: bool
                  ) -> tuple[BatchResult, dict[str, str]]:
    """Apply ``lines`` through the log's writer, members mapped to pseudonyms (only whole
    blocks are kept); the result, and each pseudonym's id as the operator knows it."""
    from ..bootstrap import linked_submit, open_directory, open_writer, prefetched
    from ..members.directory import OPERATOR

    on_commit = _report_block if progress else None
    writer = open_writer(db, key_path, block_size=block_size,
                            snapshot_every=snapshot_every, on_commit=on_commit)
    start_size, start_height = writer.size, writer.height
    try:
        directory = open_directory(writer, key_path, data_key)
        result = apply_lines(prefetched(lines, directory), writer.ledger,
                             linked_submit(writer, directory))
    except BaseException:
        writer.discard()  # only whole blocks: the pending entries are not kept
        raise
    try:
        # The last block, with its links, before they are read back; the closing snapshot
        # is taken in a child process meanwhile (close waits for it).
        writer.leave_snapshot()
        names = directory.member_ids(writer.ledger.members, OPERATOR)
    finally:
        writer.close()
    click.echo(
        f"log {db}: {count(writer.size, 'entry', 'entries')} in "
        f"{count(writer.height, 'block')} (+{writer.size - start_size:,} entries, "
        f"+{writer.height - start_height:,} blocks); root {writer.tiles.root().hex()}",
        err=as_json,
    )
    return result, names


def _report_block(header: BlockHeader) -> None:
    sys.stderr.write(f"block {header.height} committed: tree size {header.tree_size}\n")
    sys.stderr.flush()


def _print_summary(result: BatchResult, limit: int, names: dict[str, str]) -> None:
    from rich.console import Console
    from rich.table import Table

    ledger = result.ledger
    console = Console()
    head = view.head(ledger)
    totals = view.totals(ledger)
    console.print(
        f"[bold]{result.lines}[/] commands: [green]{result.accepted} accepted[/]"
        f" ({result.replays} idempotent retries), "
        f"[red]{len(result.rejected)} rejected[/]"
    )
    pool = Table(title="Pool", show_header=False)
    pool.add_column(style="bold")
    pool.add_column(justify="right")
    pool.add_row("pool (CNY)", head["pool"])
    pool.add_row("points in circulation", head["supply"])
    pool.add_row("price (CNY per point)", head["price"])
    pool.add_row("index (points per share)", head["index"])
    pool.add_row("forced exits", str(head["exits"]))
    pool.add_row("injected from profit", totals["injected"])
    pool.add_row("paid to members", totals["paid_members"])
    pool.add_row("paid to merchants", totals["paid_merchants"])
    pool.add_row("paid to lenders", totals["paid_lenders"])
    pool.add_row("owed, not sent yet", totals["owed"])
    pool.add_row("in flight to banks", totals["in_flight"])
    pool.add_row("settled at banks", totals["settled"])
    console.print(pool)
    console.print(f"[dim]{BURN_NOTE.en}[/]")

    _print_rows(console, "Members", ("member", "points", "value", "paid", "owed", "in_flight"),
                sorted((names.get(member, member), row) for member, row in view.members(ledger)),
                len(ledger.members), limit)
    _print_rows(console, "Merchants", ("merchant", "contributed", "received", "owed",
                                       "in_flight"),
                view.merchants(ledger), len(ledger.merchants), limit)
    if ledger.lenders:
        _print_rows(console, "Lenders", ("lender", "received", "owed", "in_flight"),
                    view.lenders(ledger), len(ledger.lenders), limit)
    if ledger.pledges:
        _print_rows(console, "Pledges", ("pledge", "status", "repaid"),
                    view.pledges(ledger), len(ledger.pledges), limit)
    if result.rejected:
        table = Table(title="Rejected lines")
        for column in ("line", "error", "message"):
            table.add_column(column)
        for rejection in result.rejected[:limit]:
            table.add_row(str(rejection.line), rejection.error, rejection.message)
        console.print(table)
        if len(result.rejected) > limit:
            console.print(f"… and {len(result.rejected) - limit} more rejected lines")


def _print_rows(
    console: Console, title: str, columns: tuple[str, ...], rows: object, count: int, limit: int
) -> None:
    from rich.table import Table

    table = Table(title=title)
    table.add_column(columns[0])
    for column in columns[1:]:
        table.add_column(column, justify="right")
    shown = 0
    for row_id, row in rows:  # type: ignore[attr-defined]
        if shown == limit:
            break
        table.add_row(row_id, *(row[column] for column in columns[1:]))
        shown += 1
    console.print(table)
    if count > shown:
        console.print(f"… and {count - shown} more {title.lower()} (use --json for all)")
