"""Where the service reads the stored log: the writer's database, or a streaming replica of it.

``serve --read-db postgresql://…`` sends the reads of the stored log (histories, blocks,
entries, proofs, tiles, and the pages built from them) to a PostgreSQL streaming replica
of the writer's database (``--db``); without it they go to the writer's database.

A replica lags the writer, usually by milliseconds, sometimes by more. Each block is one
transaction and a replica applies them in commit order, so a replica always holds the log
as some earlier block left it: a prefix of it, never half a block. What the service does
about the lag:

- the answer to a write comes from the writer (the sequencer's outcome), never a replica;
- what is served from memory (the pool, holdings, orders, pledges, ``/checkpoint``) is the
  writer's own state, as without a replica;
- lists and pages (histories, ``/v1/blocks``, ``/v1/entries``, the explorer) show the
  replica's log as it is: they may be a few blocks behind the writer;
- a read that names something the writer has stored and the replica does not hold yet (a
  block by height, an entry by index, a proof for a tree size, a tile or entry bundle
  within the newest checkpoint) is read from the writer's database at once (no waiting):
  what the writer has stored is never answered 404. One asking for more than the writer
  has stored goes to the replica, which answers that it is not there.

Knowing what the replica holds costs one query (its newest block) only when a request
asks for more than it was last seen to hold: what a replica holds only grows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..log.reader import LogReader
from ..store.repository import LogStore
from .readmodel import Head


class LogReads:
    """The stored log as the service's readers see it: :attr:`store` and :attr:`reader`
    (a replica's, or the writer's database's), and :meth:`holding` for a read that names
    something the writer may have stored after the replica's newest block."""

    def __init__(self, store: LogStore, primary: LogStore, head: Callable[[], Head]) -> None:
        self.store = store
        """Where reads go: the replica (``--read-db``), else the writer's database."""
        self.reader = LogReader(store)
        self.replicated = store is not primary
        self.primary = primary
        self.primary_reader = LogReader(primary) if self.replicated else self.reader
        self._head = head
        self._held = (0, 0)
        """(tree size, height) the replica was last seen to hold."""
        self._lock = threading.Lock()

    def holding(self, *, tree_size: int = 0, height: int = 0) -> tuple[LogStore, LogReader]:
        """The store and reader to read the tree of ``tree_size`` and the block of
        ``height`` from: the replica's if it holds them; else, if the writer has stored
        them (its published head), the writer's database's; else the replica's, which
        answers that they are not there."""
        if not self.replicated or self._holds(tree_size, height):
            return self.store, self.reader
        head = self._head()
        if tree_size > head.tree_size or height > head.height:
            return self.store, self.reader
        last = self.store.last_block()
        if last is not None:
            with self._lock:
                self._held = (max(self._held[0], last.header.tree_size),
                              max(self._held[1], last.header.height))
        if self._holds(tree_size, height):
            return self.store, self.reader
        return self.primary, self.primary_reader

    def _holds(self, tree_size: int, height: int) -> bool:
        held_size, held_height = self._held
        return tree_size <= held_size and height <= held_height


__all__ = ["LogReads"]
