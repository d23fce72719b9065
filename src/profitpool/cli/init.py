"""``profitpool init``: create (or upgrade) the log and the operator's key."""

from __future__ import annotations

from pathlib import Path

import click

from ..log.setup import DEFAULT_ORIGIN, Initialised, initialise
from .common import clean_errors, data_key_option, db_option, key_option


@click.command("init")
@db_option()
@key_option()
@data_key_option()
@click.option("--origin", default=None, metavar="NAME",
              help=f"The log's name in its checkpoints, e.g. shop.example/points "
              f"(default {DEFAULT_ORIGIN}, or the name of an existing key).")
@clean_errors
def init_command(db: str, key_path: Path, data_key: Path | None, origin: str | None) -> None:
    """Create (or upgrade) the log's database and the operator's signing key.

    Creates the schema in DB (or upgrades it), creates an Ed25519 key at KEY
    with mode 0600 unless one is there already, records the key's public half
    in the database and prints it. Publish that line: verifiers check the log
    against it with `profitpool verify --public-key`. Also creates the data key
    (--data-key, mode 0600) that seals who each member is outside the log: back
    it up apart from the database (docs/privacy.md). Running init again on an
    initialised log changes nothing but a schema upgrade.
    """
    report_initialised(initialise(db, key_path, origin, data_key), db, key_path)


def report_initialised(done: Initialised, db: str, key_path: Path,
                       quiet_if_done: bool = False) -> None:
    """Print what :func:`~profitpool.log.setup.initialise` did (``serve`` and ``demo`` say
    nothing about a log that was there already)."""
    if done.created_data_key is not None:
        click.echo(f"created the data key {done.created_data_key} (it seals who each "
                   "member is, outside the log; mode 0600; back it up apart from the "
                   "database)")
    if not done.created_log:
        if not quiet_if_done:
            click.echo(f"already initialised: {db}")
            click.echo(f"public key: {done.public_key}")
        return
    made = "created the key" if done.created_key else "using the key"
    click.echo(f"initialised the log in {db}")
    click.echo(f"{made} {key_path} (keep it secret; mode 0600)")
    click.echo(f"public key: {done.public_key}")
    click.echo("publish the public key: `profitpool verify --public-key '…'` checks the log "
               "against it")
