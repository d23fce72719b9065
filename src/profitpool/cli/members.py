"""``profitpool members export | erase`` and ``profitpool verify-member``: a member's own data.

The operator exports, for a member who asks (docs/rules.md section 11), everything
the program holds about them as one signed JSON file; the member checks it
with ``verify-member`` on their own machine, with no database
(disclosure/export.py, docs/privacy-export.md).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import BinaryIO

import click

from .common import (
    clean_errors,
    data_key_option,
    db_option,
    key_option,
    open_directory_at,
    open_store,
)


@click.group("members")
def members_group() -> None:
    """Members' own data: export everything the program holds about one member, or erase
    who they are."""


@members_group.command("export")
@click.argument("member_id", metavar="ID")
@db_option()
@key_option()
@data_key_option()
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the export to this file [default: standard output].")
@clean_errors
def export_command(member_id: str, db: str, key_path: Path, data_key: Path | None,
                   out: Path | None) -> None:
    """Export member ID (a pseudonym, or the operator's id for them) as signed JSON.

    The file holds the member's pseudonym, every id linked to it, their profile,
    every log entry about them with its inclusion proof against the newest
    signed checkpoint, and their proof of liabilities in each published month,
    signed by the log's key. Check it with `profitpool verify-member FILE`.
    It is personal data: hand it to the member only.
    """
    from ..disclosure.export import export_bytes, export_member
    from ..log.keys import load_key
    from ..members.directory import OPERATOR

    signer = load_key(key_path)
    with open_store(db) as store:
        directory = open_directory_at(store.engine, key_path, data_key)
        # An id with no link may still be a member of a log written before pseudonyms,
        # named in it as sent: export_member refuses it if the log has nothing of it.
        pseudonym = directory.pseudonym_of(OPERATOR, member_id) or member_id
        document = export_member(store, directory, pseudonym, signer)
    data = export_bytes(document)
    if out is None:
        sys.stdout.buffer.write(data)
        return
    try:
        with out.open("xb") as file:
            file.write(data)
    except FileExistsError:
        raise click.ClickException(f"{out} exists already; not overwriting it") from None
    click.echo(f"wrote {out}: {document['member']['pseudonym']}, "
               f"{len(document['entries']):,} entries, "
               f"{len(document['proofs_of_liabilities'])} proof(s) of liabilities", err=True)


@members_group.command("erase")
@click.argument("member_id", metavar="ID")
@db_option()
@key_option()
@data_key_option()
@click.option("--at", "at_text", metavar="TIME", default=None,
              help="The erase entry's time (ISO 8601) [default: now, or the log's last "
              "time if later].")
@clean_errors
def erase_command(member_id: str, db: str, key_path: Path, data_key: Path | None,
                  at_text: str | None) -> None:
    """Erase member ID (a pseudonym, or the operator's id for them): who they are goes.

    Logs an `erase` entry (member.erased, naming the pseudonym), then deletes
    every link from an id to the pseudonym, the member's personal data and
    their API keys. The log keeps the pseudonym's records, which lead to nobody
    any more, and still verifies. Refused while the member holds points or has
    an order waiting to settle: cash out first. The same id arriving later is a
    new member. Stop `serve` first: one writer at a time (or use
    DELETE /v1/members/{id} on the running service).
    """
    from ..bootstrap import open_directory, open_writer
    from ..errors import Rejected
    from ..members.directory import OPERATOR
    from ..members.erasure import forget_member
    from ..store.apikeys import KeyStore
    from ..times import format_time

    writer = open_writer(db, key_path)
    try:
        directory = open_directory(writer, key_path, data_key)
        pseudonym = directory.pseudonym_of(OPERATOR, member_id) or member_id
        ledger = writer.ledger
        if pseudonym not in ledger.members:
            raise click.ClickException(f"there is no member {member_id!r} in this log")
        if pseudonym in ledger.erased:
            click.echo(f"{pseudonym} was erased already", err=True)
        else:
            at = at_text or format_time(max(time.time_ns() // 1000, ledger.now))
            try:
                writer.submit({"op": "erase", "member": pseudonym, "at": at})
            except Rejected as refused:
                raise click.ClickException(f"{refused.code}: {refused.message}") from None
            writer.commit()  # the entry is stored before anything is deleted
        forgotten = forget_member(directory, KeyStore(writer.store.engine), pseudonym)
    finally:
        writer.close()
    click.echo(f"erased {pseudonym}: {forgotten.links_deleted} link and data rows deleted, "
               f"{len(forgotten.keys_revoked)} key(s) revoked; the log still holds its records "
               "under the pseudonym, linked to nobody")


@click.command("verify-member")
@click.argument("export_file", metavar="FILE", type=click.File("rb"))
@click.option("--public-key", metavar="KEY",
              help="The log's published public key (printed by `profitpool init`). Without "
              "it the key written in FILE is trusted, which shows the file is whole but not "
              "that it is the published log's.")
def verify_member_command(export_file: BinaryIO, public_key: str | None) -> None:
    """Check a member's export FILE offline: prints OK and what it holds, or FAILED and why
    (exit 1)."""
    from ..disclosure.export import ExportInvalid, describe, verify_export
    from ..errors import Rejected
    from ..jsontext import loads

    try:
        summary = verify_export(loads(export_file.read()), public_key)
    except Rejected as error:
        click.echo(f"FAILED: the file is not JSON: {error.message}", err=True)
        sys.exit(1)
    except ExportInvalid as error:
        click.echo(f"FAILED: {error}", err=True)
        sys.exit(1)
    for line in describe(summary):
        click.echo(line)
    if not summary.key_trusted:
        click.echo(f"note: checked with the key written in the file ({summary.verifier_key}); "
                   "pass the log's published key as --public-key to know it is that log's",
                   err=True)
