"""Block headers: what the operator signs for each group of entries.

A block commits entries [first_index, first_index + count) of the log. Its
header binds them to everything before (``prev_hash``), to the Merkle root of
the whole log after them, and to the ledger state they produced. Every field
can be recomputed by replaying the log; the verifier does exactly that.

The header's canonical bytes (canonical JSON, see canonical.py) are what the
operator's Ed25519 key signs; its hash (SHA-256 of those bytes) is the next
block's ``prev_hash``. The first block's ``prev_hash`` is 32 zero bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from ..times import format_time
from .canonical import dumps

GENESIS_HASH: Final = bytes(32)


@dataclass(frozen=True, slots=True)
class BlockHeader:
    height: int
    """1 for the first block, then one more for each."""
    prev_hash: bytes
    """Hash of the previous block's header (32 zero bytes for the first)."""
    time: int
    """Epoch microseconds: the ``at`` of the block's last entry."""
    first_index: int
    """Log index of the block's first entry (entries are numbered from 0)."""
    count: int
    """Number of entries in the block (at least 1)."""
    tree_size: int
    """Size of the Merkle tree after the block: first_index + count."""
    root: bytes
    """RFC 9162 Merkle root of the log after the block."""
    state_digest: bytes
    """SHA-256 digest of the ledger state after the block (digest.py)."""

    def canonical(self) -> bytes:
        """The bytes that are signed and hashed."""
        return dumps({
            "height": self.height,
            "prev_hash": self.prev_hash.hex(),
            "time": format_time(self.time),
            "first_index": self.first_index,
            "count": self.count,
            "tree_size": self.tree_size,
            "root": self.root.hex(),
            "state_digest": self.state_digest.hex(),
        })

    def hash(self) -> bytes:
        return hashlib.sha256(self.canonical()).digest()
