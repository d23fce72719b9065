"""Re-keying a log written before pseudonyms: the same commands in a new log, members renamed.

A log written before members had pseudonyms names them in its public entries
by the ids merchants sent ("u00000"). Those entries cannot be made private
once anyone has a copy (docs/privacy-existing-logs.md), but a program that has
not published yet can start over: :func:`rekey` writes a new log whose first
entry, ``continues``, names the old log's final signed checkpoint (origin,
tree size, root), followed by every old command in order, each member id
mapped to a fresh pseudonym by the caller's ``submit`` (the member directory,
wired by the CLI: log/ sits below members/).

Nothing is trusted: the old log must verify before it is read, the new log
must be empty, and at the end every entry of the new log, pseudonyms named
back, must be the old entry byte for byte, and the new ledger the old one.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import orjson

from ..chain.canonical import dumps
from ..chain.note import Checkpoint, Verifier, open_checkpoint
from ..engine import Applied, Ledger, dump_state
from ..errors import ProfitpoolError, Rejected
from ..store.database import StoreError
from ..store.repository import LogStore, open_store
from ..times import format_time
from .genesis import FORMAT_1_RULES
from .replay import Replay, command_part, from_genesis
from .verify import verify_log
from .writer import LogWriter

Submit = Callable[[object], Applied]
"""Submit one JSON command to the new log, its member ids mapped to pseudonyms first."""
MemberIds = Callable[[Iterable[str]], Mapping[str, str]]
"""{pseudonym: the member id it was drawn for} for the new log's pseudonyms."""


class RekeyError(ProfitpoolError):
    """The log cannot be re-keyed, or its copy does not match it."""


class OldLog(NamedTuple):
    """A log that verified, and the checkpoint it ends at."""

    store: LogStore
    meta: dict[str, str]
    checkpoint: Checkpoint
    """The signed checkpoint of its last block."""


class Rekeyed(NamedTuple):
    """What :func:`rekey` did."""

    entries: int
    """Entries copied from the old log (the new one holds one more: ``continues``)."""
    renamed: dict[str, str]
    """{member id in the old log: its new pseudonym}."""
    kept: int
    """Members the old log named by pseudonyms already, kept as they were."""
    old: Checkpoint
    new: Checkpoint


def open_old(store: LogStore) -> OldLog:
    """The old log, verified from genesis, and its final checkpoint.

    Raises:
        RekeyError: it does not verify, or holds no entry.
    """
    report = verify_log(store)
    if report.divergence is not None:
        raise RekeyError(f"the old log does not verify ({report.divergence}): "
                         "re-keying copies only a log that does")
    last = store.last_block()
    if last is None:
        raise RekeyError("the old log holds no entry: there is nothing to re-key")
    meta = store.meta()
    checkpoint = open_checkpoint(last.checkpoint, Verifier.parse(meta["verifier_key"]),
                                 origin=meta["origin"])
    return OldLog(store, meta, checkpoint)


def entries_in(url: str) -> int:
    """How many entries the log at ``url`` holds (0: no database or no log there yet)."""
    try:
        with open_store(url) as store:
            return store.entry_count()
    except StoreError:
        return 0


def adopt_genesis(new: LogStore, old_meta: Mapping[str, str]) -> None:
    """Make the new, empty log start where the old one started (its format and rules), so
    the same commands mean the same there whatever today's defaults are (genesis.py).

    Raises:
        RekeyError: the new log holds entries already.
    """
    if new.entry_count():
        raise RekeyError("the new log holds entries already: re-key into an empty one")
    log_format = old_meta.get("format", "1")
    rules = old_meta.get("genesis_rules") or dumps(FORMAT_1_RULES.to_json()).decode()
    new.set_meta({"format": log_format, "genesis_rules": rules})


def continues_command(checkpoint: Checkpoint, at: int) -> dict[str, Any]:
    """The new log's first command: the old log's checkpoint, root in base64 as checkpoints
    write it."""
    return {"op": "continues", "origin": checkpoint.origin, "tree_size": checkpoint.size,
            "root": base64.b64encode(checkpoint.root).decode(), "at": format_time(at)}


def rekey(old: OldLog, writer: LogWriter, submit: Submit, member_ids: MemberIds) -> Rekeyed:
    """Write ``continues`` and then every old command to the empty log of ``writer``
    through ``submit``; commit, and check the copy (:func:`compare`).

    Raises:
        RekeyError: the new log is not empty, an old command is refused in it, or the
            copy does not match (then the new log holds what was written: discard it).
    """
    if writer.size:
        raise RekeyError("the new log holds entries already: re-key into an empty one")
    replay = Replay(from_genesis(old.meta), old.store.iter_entries(0, old.checkpoint.size))
    copied = 0
    for replayed in replay:
        if not copied:
            submit(continues_command(old.checkpoint, replayed.command.at))
        try:
            applied = submit(orjson.loads(command_part(replayed.data)))
        except Rejected as error:
            raise RekeyError(f"entry {replayed.log_index} of the old log was refused in the "
                             f"new one ({error})") from None
        if applied.replay:
            raise RekeyError(f"entry {replayed.log_index} of the old log is a retry in the "
                             "new one: two old members were given one pseudonym")
        copied += 1
    writer.commit()
    names = dict(member_ids(writer.ledger.members))
    compare(old, writer, names, replay.ledger)
    assert writer.last_checkpoint is not None  # a block was committed
    new = open_checkpoint(writer.last_checkpoint, writer.verifier, origin=writer.origin)
    return Rekeyed(copied, {member: pseudonym for pseudonym, member in names.items()},
                   len(writer.ledger.members) - len(names), old.checkpoint, new)


def compare(old: OldLog, writer: LogWriter, names: Mapping[str, str], old_ledger: Ledger
            ) -> None:
    """Check the copy: each new entry after ``continues``, its pseudonyms named back by
    ``names``, is the old entry byte for byte, and so is the whole ledger (every figure:
    pool, shares, lots, payouts, orders).

    Raises:
        RekeyError: naming the first entry that differs, or the ledger.
    """
    new_entries = writer.store.iter_entries(1)
    for (index, data), (_, copy) in zip(old.store.iter_entries(0, old.checkpoint.size),
                                        new_entries, strict=True):
        if dumps(renamed(orjson.loads(copy), names)) != data:
            raise RekeyError(f"entry {index} of the old log differs in the new one "
                             "(beyond its members' names): discard the new log")
    if renamed(dump_state(writer.ledger), names) != renamed(dump_state(old_ledger), {}):
        raise RekeyError("the new log's ledger differs from the old one's (beyond its "
                         "members' names): discard the new log")


def renamed(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` with every string (and key) that ``names`` maps replaced, at any depth."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict):
        return {names.get(key, key) if isinstance(key, str) else key: renamed(item, names)
                for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [renamed(item, names) for item in value]
    return value
