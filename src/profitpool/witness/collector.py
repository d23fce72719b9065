"""The log's side: asking witnesses to cosign each new checkpoint, and keeping the answers.

The service runs :class:`CosignLoop` (a :class:`~profitpool.background.RetryingLoop`):
when the newest block's checkpoint is not yet cosigned by every configured
witness, it sends it to each, with a consistency proof from the size that
witness cosigned last (kept in the ``cosignatures`` table, or learnt from the
witness's 409 answer), checks the returned line against the witness's vkey
and stores it. A witness that is down or refuses is retried with backoff;
the sequencer never waits for one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..background import Job
from ..chain.cosign import CosignatureVerifier
from ..chain.note import NoteError
from ..log.reader import LogReader
from ..store.attestations import AttestationStore, CosignatureRecord
from ..store.repository import LogStore
from .client import OldSizeMismatchError, WitnessError, add_cosignatures, request_cosignature


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness the log asks: its submission URL and its vkey."""

    url: str
    verifier: CosignatureVerifier

    @classmethod
    def parse(cls, text: str) -> WitnessEndpoint:
        """``"URL VKEY"`` (as ``serve --witness`` takes it).

        Raises:
            WitnessError: not two parts, not an http(s) URL, or not a witness vkey.
        """
        parts = text.split()
        if len(parts) != 2 or not parts[0].startswith(("http://", "https://")):
            raise WitnessError(f"a witness is 'URL VKEY', not {text!r}")
        try:
            return cls(parts[0].rstrip("/"), CosignatureVerifier.parse(parts[1]))
        except NoteError as error:
            raise WitnessError(f"{parts[1]!r} is not a witness vkey: {error}") from None

    @property
    def name(self) -> str:
        return self.verifier.name


def cosign_latest(store: LogStore, attestations: AttestationStore,
                  witnesses: list[WitnessEndpoint]) -> list[CosignatureRecord]:
    """Ask every witness that has not yet cosigned the newest checkpoint; what was added.

    Raises:
        WitnessError: the first witness that failed (the others were still asked).
    """
    block = store.last_block()
    if block is None:
        return []
    size, note = block.header.tree_size, block.checkpoint
    reader = LogReader(store)
    added, failure = [], None
    for witness in witnesses:
        old = attestations.witnessed_size(witness.name)
        if old >= size:
            continue
        try:
            try:
                lines = request_cosignature(witness.url, note, old,
                                            reader.consistency_hashes(old, size) if old else [])
            except OldSizeMismatchError as mismatch:  # its record and ours differ: use its own
                old = mismatch.witness_size
                if old > size:
                    raise WitnessError(f"witness {witness.name} has cosigned size {old:,}, "
                                       f"beyond this log's {size:,}") from None
                lines = request_cosignature(witness.url, note, old,
                                            reader.consistency_hashes(old, size) if old else [])
            cosigned = add_cosignatures(note, lines, witness.verifier)
        except WitnessError as error:
            failure = failure or WitnessError(f"witness {witness.name}: {error}")
            continue
        line = next(line for line in cosigned[len(note):].splitlines(keepends=True)
                    if witness.verifier.matches(line))
        record = CosignatureRecord(witness.name, size, line.rstrip("\n"), time.time_ns() // 1000)
        attestations.add_cosignature(record)
        added.append(record)
    if failure is not None:
        raise failure
    return added


def cosigned_note(store: LogStore, attestations: AttestationStore,
                  size: int | None = None) -> str | None:
    """The checkpoint of ``size`` (default: the newest any witness cosigned), with every
    stored cosignature on it."""
    size = attestations.latest_cosigned_size() if size is None else size
    if size == 0:
        return None
    block = store.block_at_size(size)
    if block is None:
        return None
    lines = [record.line + "\n" for record in attestations.cosignatures_at(size)]
    return block.checkpoint + "".join(lines)


class CosignLoop(Job):
    """The service's cosignature collection, in a thread of its own."""

    def __init__(self, store: LogStore, witnesses: list[WitnessEndpoint], poll_s: float = 1.0,
                 max_backoff_s: float = 600.0) -> None:
        self.store = store
        self.witnesses = witnesses
        self.attestations = AttestationStore(store.engine)
        super().__init__("witnessing", poll_s, max_backoff_s)

    def due(self) -> bool:
        block = self.store.last_block()
        if block is None:
            return False
        size = block.header.tree_size
        return any(self.attestations.witnessed_size(w.name) < size for w in self.witnesses)

    def run_once(self) -> list[CosignatureRecord]:
        return cosign_latest(self.store, self.attestations, self.witnesses)
