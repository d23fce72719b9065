"""A C2SP transparency-log witness, and the client a log uses to reach one.

A witness follows logs it trusts (by their checkpoint keys) and cosigns each
new checkpoint only if it is consistent with the last one it cosigned, so a
log cannot show different histories to different people and still collect
the same witnesses' cosignatures. See docs/witness.md.

    state.py    the latest cosigned checkpoint per log (SQLite), advanced atomically
    server.py   the Witness and its ASGI app: POST /add-checkpoint (c2sp.org/tlog-witness)
    client.py   request_cosignature and add_cosignatures, for the log's side
    keys.py     the witness's key file, and the Witness built from it for ``witness serve``
    quorum.py   k of n: how many trusted witnesses cosigned a checkpoint (for ``verify``)

Names are imported lazily: the client needs httpx and the server Starlette,
and neither should slow down ``profitpool --help``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "WitnessState": "state", "Cosigned": "state", "RefusedSubmission": "state",
    "Refusal": "state", "OldSizeMismatch": "state", "RootMismatch": "state",
    "InconsistentProof": "state", "WitnessStateError": "state",
    "Witness": "server", "create_app": "server", "parse_submission": "server",
    "Submission": "server", "MalformedSubmission": "server", "NotSignedByLog": "server",
    "UnknownLog": "server",
    "request_cosignature": "client", "add_cosignatures": "client",
    "format_submission": "client", "WitnessError": "client",
    "WitnessUnreachableError": "client", "MalformedResponseError": "client",
    "BadCosignatureError": "client", "WitnessRefusedError": "client",
    "MalformedRequestError": "client", "LogSignatureRejectedError": "client",
    "UnknownLogError": "client", "OldSizeMismatchError": "client", "ConflictError": "client",
    "InconsistentProofError": "client",
    "WitnessKeyError": "keys", "create_witness_key": "keys", "load_witness_key": "keys",
    "build_witness": "keys",
    "Quorum": "quorum", "QuorumError": "quorum", "check_quorum": "quorum",
    "newest_quorum": "quorum",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
