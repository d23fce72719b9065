"""Helpers for the witness tests: a log with a real Merkle tree, and a witness on a real port.

:class:`TreeLog` keeps its leaves in memory, computes RFC 6962 roots and
consistency proofs with ``chain.merkle`` and signs checkpoints with a
``note.Signer``, as the operator's log does. :meth:`TreeLog.fork` gives a log
under the *same key* whose history departs from this one: what a
misbehaving operator would show to some of its users.

:class:`RunningWitness` serves the witness app with uvicorn in a thread on a
free loopback port (as tests/service/servicehelpers.py does for the service),
and can be restarted on the same state file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from profitpool.chain import merkle
from profitpool.chain.cosign import Cosigner, CosignerKey
from profitpool.chain.note import Checkpoint, Signer, sign_checkpoint
from profitpool.witness.client import format_submission
from profitpool.witness.server import Witness, create_app
from profitpool.witness.state import WitnessState
from servers import ThreadServer

ORIGIN = "example.com/log"
WITNESS_NAME = "witness.example/w1"
FIXED_TIME_SECONDS = 1_700_000_000


def log_signer(origin: str = ORIGIN) -> Signer:
    return Signer(origin, Ed25519PrivateKey.generate())


class TreeLog:
    """A transparency log for tests: leaves in memory, checkpoints signed by ``signer``."""

    def __init__(self, signer: Signer | None = None, entries: Sequence[bytes] = ()) -> None:
        self.signer = signer or log_signer()
        self.leaf_hashes = [merkle.leaf_hash(entry) for entry in entries]

    @property
    def origin(self) -> str:
        return self.signer.name

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier.key_string()

    def append(self, count: int, label: str = "entry") -> TreeLog:
        """Add ``count`` entries ``<label> <index>``."""
        start = len(self.leaf_hashes)
        self.leaf_hashes += [merkle.leaf_hash(f"{label} {index}".encode())
                             for index in range(start, start + count)]
        return self

    def _subtree(self, height: int, index: int) -> bytes:
        return merkle.root_of(self.leaf_hashes[index << height:(index + 1) << height])

    def root(self, size: int) -> bytes:
        return merkle.tree_root(size, self._subtree)

    def proof(self, old_size: int, new_size: int) -> list[bytes]:
        return merkle.consistency_proof(old_size, new_size, self._subtree)

    def checkpoint(self, size: int) -> Checkpoint:
        return Checkpoint(self.origin, size, self.root(size))

    def note(self, size: int) -> str:
        """The checkpoint of the first ``size`` leaves, signed by the log."""
        return sign_checkpoint(self.checkpoint(size), self.signer)

    def submission(self, old_size: int, size: int) -> bytes:
        """An add-checkpoint body from ``old_size`` to ``size``, with the right proof."""
        return format_submission(self.note(size), old_size, self.proof(old_size, size))

    def fork(self, at_size: int, count: int) -> TreeLog:
        """Same key, same first ``at_size`` leaves, then ``count`` other ones."""
        forked = TreeLog(self.signer)
        forked.leaf_hashes = self.leaf_hashes[:at_size]
        return forked.append(count, label="forked")


def fixed_cosigner(name: str = WITNESS_NAME) -> Cosigner:
    """A fresh witness key whose clock always says FIXED_TIME_SECONDS."""
    return Cosigner(CosignerKey.generate(name), clock=lambda: FIXED_TIME_SECONDS)


@dataclass
class RunningWitness:
    """One test's witness: its key, the logs it follows, its state file, its server."""

    cosigner: Cosigner
    log_keys: list[str]
    state_path: Path
    url: str = ""
    witness: Witness | None = None
    _server: ThreadServer | None = None
    _client: httpx.Client | None = field(default=None, repr=False)

    def start(self) -> RunningWitness:
        self.witness = Witness(self.cosigner, self.log_keys, WitnessState(self.state_path))
        self._server = ThreadServer(create_app(self.witness), lifespan="off", what="witness")
        self.url = self._server.url
        self._client = httpx.Client(base_url=self.url, timeout=30)
        return self

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._server is not None:
            self._server.stop()
            self._server = None

    def restart(self) -> RunningWitness:
        self.stop()
        return self.start()

    @property
    def state(self) -> WitnessState:
        return WitnessState(self.state_path)

    def post(self, body: bytes) -> httpx.Response:
        assert self._client is not None, "start the witness first"
        return self._client.post("/add-checkpoint", content=body)

    def stored(self, origin: str = ORIGIN) -> tuple[int, bytes] | None:
        """The (size, root) the witness has recorded for ``origin``."""
        latest = self.state.latest(origin)
        return None if latest is None else (latest.tree_size, latest.root)
