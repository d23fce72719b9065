"""The public copy of the served log, for anyone to download and verify (``/public-copy.db``).

Made by :func:`profitpool.store.public.export_public`, the same code as ``profitpool
export-public``: a new SQLite file with the log's entries, blocks, tiles, public key and
attestations, and none of the operator's or the program's secrets (store/public.py says
what is left out and why). Copies are made on demand, one at a time, into a folder of this
process's own, and reused: a new one only once the log has grown and the last is a minute
old, so downloads cannot keep the server copying. The copy before the newest is kept too,
as a download may still be reading it. The explorer's ``/public-copy.db`` and the auditor's
``/auditor/public-copy`` serve the same copies.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import Final

from sqlalchemy import Engine

from ..store.public import export_public

MIN_AGE_S: Final = 60.0
"""A copy younger than this is served even if the log has grown since."""


@dataclass(frozen=True)
class Copy:
    path: Path
    tree_size: int
    """The entries the copy holds (with ``--read-db``, the replica's log may be shorter than
    the writer's when the copy was asked for)."""
    made: float
    """``time.monotonic()`` when it was made."""


class PublicCopies:
    """The newest public copy of the log in ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.folder = Path(tempfile.mkdtemp(prefix="profitpool-public-copy-"))
        self.copies: list[Copy] = []
        self.made = 0
        weakref.finalize(self, shutil.rmtree, self.folder, True)

    def newest(self, tree_size: int) -> Copy:
        """A copy of the log holding at least ``tree_size`` entries, or one made within
        :data:`MIN_AGE_S`; made now if there is none.

        Raises:
            StoreError: the log cannot be read or the copy written.
        """
        with self.lock:
            if self.copies:
                last = self.copies[-1]
                if last.tree_size >= tree_size or monotonic() - last.made < MIN_AGE_S:
                    return last
            self.made += 1
            out = self.folder / f"public-copy-{self.made}.db"
            made = export_public(self.engine, out)
            # labelled with what it holds: a replica (serve --read-db) may lag the writer
            self.copies.append(Copy(out, made.rows.get("entries", 0), monotonic()))
            for old in self.copies[:-2]:
                old.path.unlink(missing_ok=True)
            self.copies = self.copies[-2:]
            return self.copies[-1]
