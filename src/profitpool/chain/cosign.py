"""Witness cosignatures of checkpoints (c2sp.org/tlog-cosignature, Ed25519, type 0x04).

A witness that has checked a checkpoint is consistent with everything it saw
of the log before adds its own signature line to the checkpoint note::

    — <witness name> base64(key id || timestamp || Ed25519 signature)

The key id is SHA-256(name || "\\n" || 0x04 || public key)[:4]; the timestamp
is 8 bytes big-endian POSIX seconds (at most 2^63 - 1) and the signature is
over ``"cosignature/v1\\ntime <timestamp>\\n"`` followed by the checkpoint's
note text. The header line separates these signatures from the log's own
note signatures (type 0x01), so one can never pass for the other.

Key strings, like note.py's but with the type byte 0x04::

    vkey         <name>+<key id, 8 hex digits>+base64(0x04 || 32-byte public key)
    private key  PRIVATE+KEY+<name>+<key id, 8 hex digits>+base64(0x04 || 32-byte seed)

The exception tree (every one is a ``note.NoteError``, so a ``ValueError``)::

    NoteError
     ├── MalformedKeyError                  a key string is malformed or its key id is wrong
     └── CosignatureError
           ├── MalformedCosignatureError    not a signature line of this cosignature type
           │     └── TimestampRangeError    the timestamp exceeds 2^63 - 1
           ├── UnknownCosignerError         the line is by another key (name or key id)
           └── InvalidCosignatureError      the signature does not verify
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .note import (
    MalformedKeyError,
    MalformedNoteError,
    NoteError,
    PublicKey,
    _check_key_id,
    _decode_base64,
    _format_key_string,
    _parse_key_string,
    _split_note,
    compute_key_id,
    is_valid_key_name,
    parse_checkpoint,
)

COSIGNATURE_V1: Final = 0x04
"""The signature type byte of an Ed25519 checkpoint cosignature."""
MAX_TIMESTAMP_SECONDS: Final = 2**63 - 1
COSIGNATURE_HEADER: Final = "cosignature/v1\n"
TIMESTAMPED_SIGNATURE_BYTES: Final = 4 + 8 + 64
"""Decoded length of a cosignature: key id, timestamp, Ed25519 signature."""
_PRIVATE_PREFIX: Final = "PRIVATE+KEY+"
_SIGNATURE_PREFIX: Final = "\u2014 "  # em dash, space


class CosignatureError(NoteError):
    """A cosignature line was refused."""


class MalformedCosignatureError(CosignatureError):
    """A line is not a signature line, or not of the Ed25519 cosignature type."""


class TimestampRangeError(MalformedCosignatureError):
    """A cosignature's timestamp is above 2^63 - 1 (the spec forbids it)."""


class UnknownCosignerError(CosignatureError):
    """The line is signed by another key: its name or key id is not this verifier's."""


class InvalidCosignatureError(CosignatureError):
    """The line is by this verifier's key but its signature does not verify."""


def compute_cosigner_key_id(name: str, public_key: bytes) -> int:
    """The key id: SHA-256(name || 0x0A || 0x04 || public key), first 4 bytes big-endian."""
    return compute_key_id(name, public_key, COSIGNATURE_V1)


def cosigned_message(checkpoint_text: str, timestamp_seconds: int) -> bytes:
    """The bytes a cosignature signs: header line, time line, then the checkpoint text.

    Raises:
        MalformedNoteError: the text does not end in a newline.
        TimestampRangeError: the timestamp is negative or above 2^63 - 1.
    """
    if not checkpoint_text.endswith("\n"):
        raise MalformedNoteError("a checkpoint text ends with a newline")
    if not 0 <= timestamp_seconds <= MAX_TIMESTAMP_SECONDS:
        raise TimestampRangeError(f"timestamp {timestamp_seconds} is not in 0..2^63-1")
    return f"{COSIGNATURE_HEADER}time {timestamp_seconds}\n{checkpoint_text}".encode()


@dataclass(frozen=True)
class SignatureLine:
    """A note signature line taken apart, checked for form only."""

    name: str
    key_id: int
    signature: bytes
    """The decoded signature after the key id (for a cosignature: timestamp || signature)."""


def parse_signature_line(line: str) -> SignatureLine:
    """Take apart ``— <name> base64(key id || signature)``, with or without its newline.

    Only the signed-note form is checked (canonical base64, at least one
    signature byte), so lines of other key types pass too.

    Raises:
        MalformedCosignatureError: the line is not a signature line.
    """
    text = line.removesuffix("\n")
    name, _, encoded = text.removeprefix(_SIGNATURE_PREFIX).partition(" ")
    raw = _decode_base64(encoded)
    well_formed = (text.startswith(_SIGNATURE_PREFIX) and "\n" not in text
                   and is_valid_key_name(name) and raw is not None and len(raw) >= 5)
    if not well_formed or raw is None:
        raise MalformedCosignatureError(f"malformed signature line {text[:200]!r}")
    return SignatureLine(name, int.from_bytes(raw[:4], "big"), raw[4:])


def note_text(note: str) -> str:
    """The signed text of ``note`` (ending in a newline), its signature lines dropped.

    Raises:
        MalformedNoteError: the note breaks the signed-note format.
    """
    return _split_note(note)[0]


@dataclass(frozen=True)
class CosignatureVerifier(PublicKey):
    """A witness's Ed25519 public key and name (type 0x04): checks its cosignatures."""

    KEY_TYPE: ClassVar[int] = COSIGNATURE_V1

    def matches(self, line: str) -> bool:
        """Whether ``line`` is a well-formed signature line under this name and key id."""
        try:
            parsed = parse_signature_line(line)
        except MalformedCosignatureError:
            return False
        return (parsed.name, parsed.key_id) == (self.name, self.key_id)

    def verify(self, checkpoint_text: str, line: str) -> int:
        """Check this witness's cosignature ``line`` of ``checkpoint_text``; its timestamp.

        Args:
            checkpoint_text: the note text (checkpoint lines, ending in a newline).
            line: the signature line, with or without its newline.

        Returns:
            The cosignature's timestamp, POSIX seconds.

        Raises:
            MalformedCosignatureError: not a signature line, or not 76 bytes once decoded.
            UnknownCosignerError: another name or key id.
            TimestampRangeError: the timestamp is above 2^63 - 1.
            InvalidCosignatureError: the signature does not verify.
        """
        parsed = parse_signature_line(line)
        if (parsed.name, parsed.key_id) != (self.name, self.key_id):
            raise UnknownCosignerError(
                f"cosignature by {parsed.name}+{parsed.key_id:08x}, "
                f"not {self.name}+{self.key_id:08x}")
        if len(parsed.signature) != TIMESTAMPED_SIGNATURE_BYTES - 4:
            raise MalformedCosignatureError(
                f"a cosignature is {TIMESTAMPED_SIGNATURE_BYTES} bytes, "
                f"got {len(parsed.signature) + 4}")
        timestamp_seconds = int.from_bytes(parsed.signature[:8], "big")
        message = cosigned_message(checkpoint_text, timestamp_seconds)
        try:
            self._key.verify(parsed.signature[8:], message)
        except InvalidSignature:
            raise InvalidCosignatureError(
                f"invalid cosignature for key {self.name}+{self.key_id:08x}") from None
        return timestamp_seconds


@dataclass(frozen=True)
class CosignerKey:
    """A witness's secret: name and Ed25519 seed. Never log or print it."""

    name: str
    seed: bytes = field(repr=False)
    """The 32-byte Ed25519 private key seed."""

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise MalformedKeyError(f"invalid key name {self.name!r}")
        if len(self.seed) != 32:
            raise MalformedKeyError("an Ed25519 seed is 32 bytes")

    @classmethod
    def generate(cls, name: str) -> CosignerKey:
        """A fresh random key for ``name``."""
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, key_string: str) -> CosignerKey:
        """Read ``PRIVATE+KEY+name+hexkeyid+base64(0x04||seed)``.

        Raises:
            MalformedKeyError: malformed, another key type, or a wrong key id.
        """
        if not key_string.startswith(_PRIVATE_PREFIX):
            raise MalformedKeyError(f"a cosigner key starts with {_PRIVATE_PREFIX}")
        name, key_id, seed = _parse_key_string(key_string.removeprefix(_PRIVATE_PREFIX),
                                               COSIGNATURE_V1)
        key = cls(name, seed)
        _check_key_id(key.verifier(), key_id)
        return key

    def key_string(self) -> str:
        """The private key string; it is secret."""
        return _PRIVATE_PREFIX + _format_key_string(self.name, self.verifier().key_id, self.seed,
                                                    COSIGNATURE_V1)

    def verifier(self) -> CosignatureVerifier:
        """The public half."""
        public_key = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return CosignatureVerifier(self.name, public_key.public_bytes_raw())


def _system_clock_seconds() -> int:
    return int(time.time())


class Cosigner:
    """Signs cosignatures with a ``CosignerKey``, timestamped by ``clock`` (POSIX seconds).

    It signs any well-formed checkpoint it is given: checking the checkpoint
    against the log's history is the witness's job (profitpool.witness).
    """

    def __init__(self, key: CosignerKey,
                 clock: Callable[[], int] = _system_clock_seconds) -> None:
        self._private_key = Ed25519PrivateKey.from_private_bytes(key.seed)
        self._clock = clock
        self.verifier = key.verifier()

    @classmethod
    def parse(cls, key_string: str,
              clock: Callable[[], int] = _system_clock_seconds) -> Cosigner:
        """A cosigner from its private key string (see ``CosignerKey.parse``)."""
        return cls(CosignerKey.parse(key_string), clock)

    @property
    def name(self) -> str:
        return self.verifier.name

    @property
    def key_id(self) -> int:
        return self.verifier.key_id

    def cosign(self, checkpoint_text: str, timestamp_seconds: int | None = None) -> str:
        """The cosignature line ``— name base64(key id || timestamp || sig)\\n``.

        Args:
            checkpoint_text: the checkpoint's note text, without signature lines.
            timestamp_seconds: the time to state; the clock's by default.

        Raises:
            MalformedCheckpointError: the text is not a checkpoint.
            TimestampRangeError: the timestamp is negative or above 2^63 - 1.
        """
        parse_checkpoint(checkpoint_text)
        if timestamp_seconds is None:
            timestamp_seconds = self._clock()
        message = cosigned_message(checkpoint_text, timestamp_seconds)
        raw = (self.key_id.to_bytes(4, "big") + timestamp_seconds.to_bytes(8, "big")
               + self._private_key.sign(message))
        return f"{_SIGNATURE_PREFIX}{self.name} {base64.b64encode(raw).decode()}\n"

    def __repr__(self) -> str:
        return f"Cosigner(name={self.name!r}, key_id={self.key_id:08x})"


def generate_cosigner(name: str) -> tuple[str, str]:
    """A fresh witness key for ``name``: (private key string, vkey)."""
    key = CosignerKey.generate(name)
    return key.key_string(), key.verifier().key_string()


def count_cosignatures(note: str, verifiers: Iterable[CosignatureVerifier]) -> set[str]:
    """The names of the witnesses among ``verifiers`` whose cosignature of ``note`` verifies.

    For k-of-n policies: ``len(count_cosignatures(note, witnesses)) >= k``.
    Lines by other keys (the log's own, unknown witnesses) are ignored, and so
    is a line that claims a known key but does not verify: it counts for nothing.

    Raises:
        MalformedNoteError: the note breaks the signed-note format.
    """
    text, signatures = _split_note(note)
    by_key = {(verifier.name, verifier.key_id): verifier for verifier in verifiers}
    names: set[str] = set()
    for signature in signatures:
        verifier = by_key.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        try:
            verifier.verify(text, signature.line)
        except CosignatureError:
            continue
        names.add(verifier.name)
    return names
