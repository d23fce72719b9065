"""k of n: whether enough trusted witnesses cosigned a checkpoint (``verify --witness-key``).

A verifier who trusts some witnesses holds a log to them: each checkpoint it
brings, and the newest checkpoint stored with the log that enough of them
cosigned, must carry ``need`` valid cosignatures of those witnesses; the
replay then checks that the log contains that checkpoint. A cosignature line
by another key, or one that does not verify, counts for nothing
(:func:`~profitpool.chain.cosign.count_cosignatures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..chain.cosign import CosignatureVerifier, count_cosignatures
from ..chain.note import NoteError
from ..errors import ProfitpoolError
from ..store.repository import LogStore


class QuorumError(ProfitpoolError):
    """Too few of the trusted witnesses cosigned a checkpoint, or none cosigned any."""


@dataclass(frozen=True)
class Quorum:
    """A checkpoint and the trusted witnesses whose cosignatures on it verify."""

    note: str
    """The checkpoint with its cosignature lines (a signed note)."""
    tree_size: str
    """The checkpoint's tree size as the note writes it ('?' if it has no such line)."""
    witnesses: tuple[str, ...]
    """The names of the trusted witnesses that cosigned it, sorted."""
    trusted: int
    """How many witnesses were trusted."""


def check_quorum(note: str, verifiers: Sequence[CosignatureVerifier], need: int) -> Quorum:
    """The witnesses among ``verifiers`` that cosigned ``note``, if they are ``need`` or more.

    Raises:
        QuorumError: fewer than ``need`` of them cosigned it, or it is not a signed note.
    """
    size = note.split("\n", 2)[1] if note.count("\n") > 2 else "?"
    try:
        names = count_cosignatures(note, verifiers)
    except NoteError as error:
        raise QuorumError(f"the checkpoint of tree size {size} is not a signed note: "
                          f"{error}") from None
    if len(names) < need:
        got = ", ".join(sorted(names)) or "none"
        raise QuorumError(
            f"the checkpoint of tree size {size} carries {len(names)} valid cosignature(s) "
            f"of the trusted witnesses ({got}); {need} are required")
    return Quorum(note, size, tuple(sorted(names)), len(verifiers))


def newest_quorum(store: LogStore, verifiers: Sequence[CosignatureVerifier], need: int,
                  *, required: bool) -> Quorum | None:
    """The newest checkpoint stored with the log that ``need`` of ``verifiers`` cosigned.

    None if the log holds cosignatures but none on a checkpoint it still has,
    or holds none at all and ``required`` is false (the verifier brought
    checkpoints of its own).

    Raises:
        QuorumError: cosigned checkpoints are stored but none carries ``need`` trusted
            cosignatures (the message names the best of them), or none is stored and
            ``required`` is true.
    """
    from ..store.attestations import AttestationStore
    from .collector import cosigned_note  # the collector's module loads httpx

    attestations = AttestationStore(store.engine)
    sizes = attestations.cosigned_sizes()
    if not sizes and required:
        raise QuorumError("no cosigned checkpoint: this log holds no witness's "
                          "cosignature, and no --checkpoint was given")
    best: tuple[int, str] | None = None
    for size in sizes:  # newest first
        stored = cosigned_note(store, attestations, size)
        if stored is None:
            continue
        count = len(count_cosignatures(stored, verifiers))
        if count >= need:
            return check_quorum(stored, verifiers, need)
        if best is None or count > best[0]:
            best = (count, stored)
    if best is not None:
        check_quorum(best[1], verifiers, need)  # the best there is falls short: it raises
    return None
