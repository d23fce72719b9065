"""``profitpool keys create | list | revoke``: the service's API keys."""

from __future__ import annotations

import click
import orjson

from .common import clean_errors, db_option, open_store


@click.group("keys")
def keys_group() -> None:
    """Create, list and revoke API keys (stored as hashes; a key is shown once)."""


@keys_group.command("create")
@db_option()
@click.option("--role", required=True,
              type=click.Choice(["admin", "auditor", "merchant", "member", "lender"]))
@click.option("--party", default=None, metavar="ID",
              help="The merchant, member or lender a merchant, member or lender key acts for.")
@click.option("--label", default="", help="A note to recognise the key by.")
@clean_errors
def keys_create(db: str, role: str, party: str | None, label: str) -> None:
    """Create a key and print it (once)."""
    from ..store.apikeys import KeyStore

    with open_store(db) as store:
        key, record = KeyStore(store.engine).create(role, party, label)
    click.echo(key)
    click.echo(f"id {record.key_id}: {role}{' for ' + party if party else ''}", err=True)


@keys_group.command("list")
@db_option()
@clean_errors
def keys_list(db: str) -> None:
    """List keys: id, role, party, label, revoked or not (never the keys themselves)."""
    from ..store.apikeys import KeyStore

    with open_store(db) as store:
        records = KeyStore(store.engine).list()
    for record in records:
        click.echo(orjson.dumps(record.public()).decode())


@keys_group.command("revoke")
@db_option()
@click.argument("key_id")
@clean_errors
def keys_revoke(db: str, key_id: str) -> None:
    """Revoke a key by its id (a running service stops accepting it within a second)."""
    from ..store.apikeys import KeyStore

    with open_store(db) as store:
        KeyStore(store.engine).revoke(key_id)
    click.echo(f"revoked {key_id}")
