"""Snapshots: the ledger state at a block boundary, so a restart need not replay everything.

A snapshot is the ledger pickled (protocol 5), compressed with zlib, and
signed by the operator's key over its block height, tree size and SHA-256.
Unpickling can run code, so a snapshot is opened only after its signature
verifies with the log's public key: a snapshot edited in the database is
refused, never loaded. After loading, the writer replays the entries that
follow it and checks the result against the last block's signed state
digest, so a snapshot can only speed up a restart, never change what the log
means. ``profitpool verify`` never reads snapshots: it replays from genesis.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib

from ..chain.note import Signer, Verifier
from ..engine import Ledger
from ..errors import ProfitpoolError
from ..store.repository import StoredSnapshot
from .keys import sign_snapshot, verify_snapshot


class SnapshotError(ProfitpoolError):
    """A snapshot could not be trusted: its signature does not verify."""


class UnreadableSnapshot(SnapshotError):
    """A signed snapshot this version cannot read (written by another version)."""


def take(ledger: Ledger, height: int, tree_size: int, signer: Signer) -> StoredSnapshot:
    """Serialise and sign the ledger as it is after block ``height``."""
    data = zlib.compress(pickle.dumps(ledger, protocol=5), 1)
    signature = sign_snapshot(signer, height, tree_size, hashlib.sha256(data).digest())
    return StoredSnapshot(height, tree_size, signature, data)


def load(snapshot: StoredSnapshot, verifier: Verifier) -> Ledger:
    """The ledger of a snapshot whose signature verifies.

    Raises:
        SnapshotError: the signature does not verify, or the data is not a ledger.
    """
    digest = hashlib.sha256(snapshot.data).digest()
    if not verify_snapshot(verifier, snapshot.height, snapshot.tree_size, digest,
                           snapshot.signature):
        raise SnapshotError(
            f"the snapshot at block {snapshot.height} is not signed by this log's key"
        )
    try:
        ledger = pickle.loads(zlib.decompress(snapshot.data))
    except Exception as error:  # signed but unreadable: another profitpool version
        raise UnreadableSnapshot(
            f"the snapshot at block {snapshot.height} cannot be read ({type(error).__name__})"
        ) from None
    if not isinstance(ledger, Ledger):
        raise UnreadableSnapshot(f"the snapshot at block {snapshot.height} holds no ledger")
    for name in ("custody", "disclosures", "erased", "payouts", "cash"):
        if not hasattr(ledger, name):  # a snapshot from before these existed
            setattr(ledger, name, {})
    for name in ("in_flight", "settled"):
        if not hasattr(ledger, name):
            setattr(ledger, name, 0)
    if not hasattr(ledger, "legacy_exits"):  # only logs of format 1 have such snapshots
        ledger.legacy_exits = True
    return ledger
