"""``profitpool rekey``: copy a log written with raw member ids into a new log with
pseudonyms, for a program that has not published yet (docs/privacy-existing-logs.md)."""

from __future__ import annotations

import base64
from pathlib import Path

import click

from .common import clean_errors, count, data_key_option

WARNING = ("warning: any copy of the old log already published (mirrors, witnesses, "
           "anchors, exports) stays readable with members' ids, and cannot be recalled; "
           "publish only the new log, and keep the old database private or delete it")


@click.command("rekey")
@click.option("--db", "old_db", required=True, metavar="URL",
              help="The old log (sqlite:///FILE or postgresql://…): it must verify.")
@click.option("--to", "new_db", required=True, metavar="URL",
              help="The new log: a database with no entries (created if missing).")
@click.option("--key", "key_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The new log's signing key (created, mode 0600, if missing); not the old "
              "log's: the new log needs an origin of its own.")
@data_key_option()
@click.option("--origin", default=None, metavar="NAME",
              help="The new log's name in its checkpoints (default: the old origin + "
              "'/rekeyed', or the name of an existing --key).")
@clean_errors
def rekey_command(old_db: str, new_db: str, key_path: Path, data_key: Path | None,
                  origin: str | None) -> None:
    """Copy the log at --db into a new log at --to with members under pseudonyms.

    The old log is verified first and refused if it does not. The new log's
    first entry names the old log's final signed checkpoint (origin, tree
    size, root); then every old command follows in order, each member id
    mapped to a fresh pseudonym linked outside the log (sealed with
    --data-key). Every new entry and the final ledger are checked to equal
    the old ones up to the members' names. Prints a summary, and a warning:
    copies of the old log published already cannot be made private.

    \b
    Exit status:
      0  the new log was written and matches the old one
      1  refused (the old log does not verify, the new one has entries, the
         origins are the same) or failed (one line on standard error)
    """
    from ..bootstrap import linked_submit, open_directory, open_writer
    from ..log.keys import load_key
    from ..log.rekey import RekeyError, adopt_genesis, entries_in, open_old, rekey
    from ..log.setup import initialise
    from ..members.directory import OPERATOR
    from ..store.repository import open_store
    from .init import report_initialised

    with open_store(old_db) as old_store:
        old = open_old(old_store)
        held = entries_in(new_db)
        if held:
            raise RekeyError(f"{new_db} holds {count(held, 'entry', 'entries')} already: "
                             "rekey writes only into an empty log")
        if origin is None:
            origin = (load_key(key_path).name if key_path.exists()
                      else f"{old.checkpoint.origin}/rekeyed")
        if origin == old.checkpoint.origin:
            raise RekeyError(f"the new log needs an origin of its own, not the old log's "
                             f"({origin!r}): witnesses would take it for the old log cut "
                             "back")
        report_initialised(initialise(new_db, key_path, origin), new_db, key_path)
        with open_store(new_db) as new_store:
            adopt_genesis(new_store, old.meta)
        writer = open_writer(new_db, key_path)
        try:
            directory = open_directory(writer, key_path, data_key)
            done = rekey(old, writer, linked_submit(writer, directory, OPERATOR),
                         lambda pseudonyms: directory.member_ids(pseudonyms, OPERATOR))
        except BaseException:
            writer.discard()  # only whole blocks: the pending entries are not kept
            raise
        writer.close()
    click.echo(f"re-keyed {old_db} into {new_db}: "
               f"{count(done.entries, 'entry', 'entries')} copied after the continues entry, "
               f"{count(len(done.renamed), 'member')} re-keyed to pseudonyms")
    if done.kept:
        click.echo(f"{count(done.kept, 'member')} already under pseudonyms kept them (their "
                   "links stay in the old database)")
    for name, checkpoint in (("old", done.old), ("new", done.new)):
        click.echo(f"{name} checkpoint: {checkpoint.origin} {checkpoint.size} "
                   f"{base64.b64encode(checkpoint.root).decode()}")
    click.echo(WARNING, err=True)
