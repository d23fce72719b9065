"""``profitpool export-public``: a public copy of the log, for anyone to verify."""

from __future__ import annotations

from pathlib import Path

import click

from .common import clean_errors, count, db_option, open_store


@click.command("export-public")
@db_option()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@clean_errors
def export_public_command(db: str, out: Path) -> None:
    """Write a public copy of the log to the new SQLite file OUT.

    It holds what anyone may see: the log's entries, blocks, tiles, public key,
    format and genesis rules, anchors, witnesses' cosignatures and the monthly
    reports. It holds no API key, sign-in, webhook endpoint or secret, no event
    or delivery, no program secret, and nothing that ties members to their
    proof-of-liabilities leaves (docs/log.md, "A public copy"). Check it with
    `profitpool verify --db sqlite:///OUT --public-key KEY`. OUT must not exist.
    """
    from ..store.public import export_public

    with open_store(db) as store:
        summary = export_public(store.engine, out)
    rows = summary.rows
    click.echo(f"wrote {summary.path}: {count(rows['entries'], 'entry', 'entries')}, "
               f"{count(rows['blocks'], 'block')}, {count(rows['tiles'], 'tile')}, "
               f"{count(rows['anchors'], 'anchor')}, "
               f"{count(rows['cosignatures'], 'cosignature')}, "
               f"{count(rows['disclosures'], 'monthly report')}")
    click.echo(f"verify it: profitpool verify --db sqlite:///{summary.path} --public-key KEY",
               err=True)
