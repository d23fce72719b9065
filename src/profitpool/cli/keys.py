"""``profitpool keys create | list | revoke``: the service's API keys."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from .common import clean_errors, data_key_option, db_option, key_option, open_store


@click.group("keys")
def keys_group() -> None:
    """Create, list and revoke API keys (stored as hashes; a key is shown once)."""


@keys_group.command("create")
@db_option()
@click.option("--role", required=True,
              type=click.Choice(["admin", "auditor", "merchant", "member", "lender"]))
@click.option("--party", default=None, metavar="ID",
              help="The merchant, member or lender a merchant, member or lender key acts for: "
              "a registered merchant or lender, or a member with an order in the log.")
@click.option("--label", default="", help="A note to recognise the key by.")
@key_option()
@data_key_option()
@clean_errors
def keys_create(db: str, role: str, party: str | None, label: str, key_path: Path,
                data_key: Path | None) -> None:
    """Create a key and print it (once).

    A key for a party the log does not know as that role is refused (unknown_merchant,
    unknown_member, unknown_lender), as is a party that is not an id (invalid_id). A
    member key's party may be the member's pseudonym or the operator's id for them (read
    through the data key, --data-key); the key is bound to the pseudonym.
    """
    from ..members.directory import member_key_party
    from ..store.apikeys import KeyStore

    with open_store(db) as store:
        if role == "member" and party:
            party = member_key_party(store.engine, party, data_key, key_path)
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
    """Revoke a key by its id (a running service stops accepting it, and ends the page
    sign-ins it opened, within a second)."""
    from ..store.apikeys import KeyStore

    with open_store(db) as store:
        KeyStore(store.engine).revoke(key_id)
    click.echo(f"revoked {key_id}")
