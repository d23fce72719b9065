"""The operator's signing key: one Ed25519 key for checkpoints, blocks and snapshots.

The key file holds a single line, the C2SP signer key string
``PRIVATE+KEY+<origin>+<key id>+<base64>``, readable by its owner only (0600;
a file others can read is refused). Its public half, the verifier key string
``<origin>+<key id>+<base64>``, is stored in the database and printed by
``profitpool init`` for publication: verifiers should check the log against
the published string, not the copy in the database.

Each kind of signed message carries its own prefix, so a signature made for
one can never be passed off as another (domain separation)::

    block header    b"profitpool block v1\\n" + canonical header bytes
    snapshot        b"profitpool snapshot v1\\n" + "<height> <tree size>\\n" + SHA-256 of the data
    member export   b"profitpool member export v1\\n" + canonical JSON of the export
                    without its signature (disclosure/export.py)
    checkpoint      the C2SP signed note over the checkpoint text (note.py)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from ..chain.note import NoteError, Signer, Verifier, generate_signer
from ..errors import ProfitpoolError

BLOCK_PREFIX: Final = b"profitpool block v1\n"
SNAPSHOT_PREFIX: Final = b"profitpool snapshot v1\n"
MEMBER_EXPORT_PREFIX: Final = b"profitpool member export v1\n"
DEFAULT_KEY_PATH: Final = "profitpool.key"


class OperatorKeyError(ProfitpoolError):
    """The key file is missing, unreadable, too open, or not a key."""


def write_secret_file(path: Path, text: str, error: type[ProfitpoolError]) -> None:
    """Create ``path`` with mode 0600 holding ``text``; never overwrite an existing file.

    Every secret key profitpool writes (the operator's, a witness's) goes through here.

    Raises:
        error: the file exists already, or cannot be created.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise error(f"{path} exists already; not overwriting a key") from None
    except OSError as failure:
        raise error(f"cannot create {path}: {failure.strerror}") from None
    with os.fdopen(descriptor, "w") as file:
        file.write(text + "\n")


def read_secret_file(path: Path, error: type[ProfitpoolError], create_hint: str) -> str:
    """The stripped text of a secret key file, refused if group or others may read it.

    Raises:
        error: missing (``create_hint`` says how to make one), unreadable, or too open.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise error(f"no key at {path} ({create_hint})") from None
    except OSError as failure:
        raise error(f"cannot read the key {path}: {failure.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{path} is not a key file (not UTF-8 text)") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise error(f"{path} can be read by others: `chmod 600 {path}` first")
    return text


def default_key_path() -> Path:
    """``$PROFITPOOL_KEY`` or ``profitpool.key`` in the current directory."""
    return Path(os.environ.get("PROFITPOOL_KEY", DEFAULT_KEY_PATH))


def create_key(path: Path, origin: str) -> Signer:
    """Generate a key for ``origin`` and write it to ``path`` with mode 0600.

    Raises:
        OperatorKeyError: the file exists already, or the origin is not a valid key name.
    """
    try:
        secret, _ = generate_signer(origin)
    except NoteError as error:
        raise OperatorKeyError(f"{origin!r} cannot name a log: {error}") from None
    write_secret_file(path, secret, OperatorKeyError)
    return Signer.parse(secret)


def load_key(path: Path) -> Signer:
    """Read the operator key.

    Raises:
        OperatorKeyError: missing, readable by others, or not a signer key.
    """
    text = read_secret_file(path, OperatorKeyError, "create one with `profitpool init`")
    try:
        return Signer.parse(text)
    except NoteError as error:
        raise OperatorKeyError(f"{path} holds no valid signing key: {error}") from None


def sign_block(signer: Signer, header_bytes: bytes) -> bytes:
    return signer.sign_bytes(BLOCK_PREFIX + header_bytes)


def verify_block(verifier: Verifier, header_bytes: bytes, signature: bytes) -> bool:
    return verifier.verify_bytes(BLOCK_PREFIX + header_bytes, signature)


def _snapshot_message(height: int, tree_size: int, digest: bytes) -> bytes:
    return SNAPSHOT_PREFIX + f"{height} {tree_size}\n".encode() + digest


def sign_snapshot(signer: Signer, height: int, tree_size: int, digest: bytes) -> bytes:
    return signer.sign_bytes(_snapshot_message(height, tree_size, digest))


def verify_snapshot(
    verifier: Verifier, height: int, tree_size: int, digest: bytes, signature: bytes
) -> bool:
    return verifier.verify_bytes(_snapshot_message(height, tree_size, digest), signature)


def sign_member_export(signer: Signer, document_bytes: bytes) -> bytes:
    return signer.sign_bytes(MEMBER_EXPORT_PREFIX + document_bytes)


def verify_member_export(verifier: Verifier, document_bytes: bytes, signature: bytes) -> bool:
    return verifier.verify_bytes(MEMBER_EXPORT_PREFIX + document_bytes, signature)
