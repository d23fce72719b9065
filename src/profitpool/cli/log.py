"""``profitpool log show | proof``: blocks, entries and Merkle proofs, as JSON."""

from __future__ import annotations

import click

from ..log.reader import LogReader
from .common import clean_errors, db_option, open_store, print_json


@click.group("log")
def log_group() -> None:
    """Read the log: blocks, entries and Merkle proofs, as JSON."""


@log_group.command("show")
@db_option()
@click.option("--block", "height", type=click.IntRange(min=1), help="Block height.")
@click.option("--entry", "index", type=click.IntRange(min=0), help="Entry index (from 0).")
@clean_errors
def log_show(db: str, height: int | None, index: int | None) -> None:
    """Print a block header (default: the newest) or an entry as JSON.

    A block shows its header fields, its hash, signature and signed
    checkpoint (a C2SP tlog-checkpoint note); an entry shows its canonical
    JSON and its RFC 9162 leaf hash.
    """
    if height is not None and index is not None:
        raise click.UsageError("give --block or --entry, not both")
    with open_store(db) as store:
        reader = LogReader(store)
        value = reader.entry_json(index) if index is not None else reader.block_json(height)
    print_json(value)


@log_group.command("proof")
@db_option()
@click.option("--entry", "index", type=click.IntRange(min=0),
              help="Inclusion proof of this entry (index from 0).")
@click.option("--size", type=click.IntRange(min=1),
              help="Tree size for the inclusion proof (default: the newest).")
@click.option("--from", "old_size", type=click.IntRange(min=1),
              help="Consistency proof from this tree size.")
@click.option("--to", "new_size", type=click.IntRange(min=1),
              help="... to this tree size (default: the newest).")
@clean_errors
def log_proof(db: str, index: int | None, size: int | None, old_size: int | None,
              new_size: int | None) -> None:
    """Print an RFC 9162 inclusion proof (--entry) or consistency proof (--from) as JSON.

    Hashes are hex. An inclusion proof holds the leaf hash, the audit path
    and the root of that tree size; a consistency proof holds both roots and
    the path between them. Roots of sizes that end a block are also in that
    block's signed checkpoint.
    """
    if (index is None) == (old_size is None):
        raise click.UsageError("give --entry (inclusion) or --from (consistency)")
    if index is not None and new_size is not None:
        raise click.UsageError("--to goes with --from; use --size with --entry")
    if old_size is not None and size is not None:
        raise click.UsageError("--size goes with --entry; use --to with --from")
    with open_store(db) as store:
        reader = LogReader(store)
        if index is not None:
            value = reader.inclusion(index, size)
        else:
            assert old_size is not None
            value = reader.consistency(old_size, new_size)
    print_json(value)
