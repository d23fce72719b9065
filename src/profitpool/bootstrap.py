"""The composition root: the log opened with everything an entrypoint needs wired in.

Every entrypoint that writes the log (``profitpool apply``, the service, the
demo, the monthly disclosure) opens its writer here, so each stores the same
rows with each block: in particular the block's domain events for the outbox
(events/), which the log itself knows nothing of (log/ sits below events/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .engine import Applied
from .errors import Rejected
from .events.domain import block_events
from .log.datakey import DataKey, data_key_path
from .log.writer import LogWriter
from .members.directory import OPERATOR, Directory


def open_writer(url: str, key_path: Path, **options: object) -> LogWriter:
    """Open the log at ``url`` for writing with the key at ``key_path``, each block's
    events stored in its outbox. ``options`` are :class:`LogWriter`'s (``block_size``, ...).

    Raises:
        StoreError, OperatorKeyError, LogError: with one sentence each.
    """
    return LogWriter.open(url, key_path, block_events=block_events, **options)



def open_directory(writer: LogWriter, key_path: Path, data_key: Path | None = None
                   ) -> Directory:
    """The member directory of the writer's database, told of every block's new links.

    ``data_key`` is the data key file (default: beside the operator's key ``key_path``,
    log/datakey.py).

    Raises:
        DataKeyError: the data key file is missing or unreadable.
    """
    path = data_key if data_key is not None else data_key_path(key_path)
    directory = Directory(writer.store.engine, DataKey.load(path))
    writer.link_listener = directory
    return directory


def linked_submit(writer: LogWriter, directory: Directory, scope: str = OPERATOR,
                  drawn_here: bool = False) -> Callable[[object], Applied]:
    """``writer.submit`` for commands that name members by the ids of ``scope``: each is
    mapped to pseudonyms first (members/directory.py), its new links stored with it. The
    operator's commands may bring pseudonyms of their own (``drawn_here`` False: replaying
    entries of a log, which name members so)."""
    known = writer.ledger.members.__contains__

    def submit(obj: object) -> Applied:
        if type(obj) is not dict:
            return writer.submit(obj)
        mapped, links = directory.map_command(obj, scope, known, drawn_here=drawn_here)
        try:
            return writer.submit(mapped, links=links)
        except Rejected:
            directory.dropped(links)
            raise

    return submit


PREFETCH_LINES = 1000
"""Command lines whose member ids are looked up in one query before they are applied."""


def prefetched(lines: Iterable[bytes], directory: Directory, scope: str = OPERATOR
               ) -> Iterator[bytes]:
    """``lines`` as they are, each chunk's member ids read into the directory's cache
    before the chunk is applied (``apply --db``, ``rekey``)."""
    chunk: list[bytes] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == PREFETCH_LINES:
            directory.prefetch_lines(scope, chunk)
            yield from chunk
            chunk = []
    directory.prefetch_lines(scope, chunk)
    yield from chunk
