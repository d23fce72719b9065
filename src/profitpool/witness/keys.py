"""A witness's key file, and the :class:`~profitpool.witness.server.Witness` built from it.

The key file holds one line, the cosigner key string
``PRIVATE+KEY+<name>+<key id>+base64(0x04 || seed)`` (chain/cosign.py),
readable by its owner only: created with mode 0600, never overwritten, and
refused if group or others may read it (as the operator's key, log/keys.py).

The server (Starlette) is imported only when a witness is built, so the
``profitpool`` command starts as fast as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..chain.cosign import CosignerKey
from ..chain.note import NoteError
from ..errors import ProfitpoolError
from ..log.keys import read_secret_file, write_secret_file

if TYPE_CHECKING:
    from .server import Witness


class WitnessKeyError(ProfitpoolError):
    """The witness key file is missing, unreadable, too open, or not a key."""


def create_witness_key(path: Path, name: str) -> CosignerKey:
    """Generate a witness key named ``name`` and write it to ``path`` with mode 0600.

    Raises:
        WitnessKeyError: the file exists already, or ``name`` cannot name a key.
    """
    try:
        key = CosignerKey.generate(name)
    except NoteError as error:
        raise WitnessKeyError(f"{name!r} cannot name a witness: {error}") from None
    write_secret_file(path, key.key_string(), WitnessKeyError)
    return key


def load_witness_key(path: Path) -> CosignerKey:
    """Read the witness key.

    Raises:
        WitnessKeyError: missing, readable by others, or not a cosigner key.
    """
    text = read_secret_file(path, WitnessKeyError,
                            "create one with `profitpool witness init`")
    try:
        return CosignerKey.parse(text)
    except NoteError as error:
        raise WitnessKeyError(f"{path} holds no valid witness key: {error}") from None


def build_witness(key_path: Path, log_keys: Sequence[str], state_path: Path) -> Witness:
    """The witness ``serve`` runs: its key, the logs it follows, its state file.

    Raises:
        ProfitpoolError: a bad key file, log key or state file, in one line.
    """
    from ..chain.cosign import Cosigner
    from .server import Witness
    from .state import WitnessState

    cosigner = Cosigner(load_witness_key(key_path))
    if not log_keys:
        raise ProfitpoolError("give the verifier key of at least one log with --log")
    try:
        return Witness(cosigner, log_keys, WitnessState(state_path))
    except NoteError as error:
        raise ProfitpoolError(f"bad --log key: {error}") from None
