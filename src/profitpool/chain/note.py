"""Signed notes and log checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint).

A signed note is a text ending in a newline, a blank line, then one or more
lines ``— <key name> base64(key id || Ed25519 signature)``. The log signs its
checkpoint (origin, tree size, root hash) as such a note, and witnesses add
their own signature lines to it. Parsing is as strict as the Go reference,
golang.org/x/mod/sumdb/note, and in places stricter: base64 must be canonical.

The exception tree::

    ValueError
     └── NoteError
           ├── MalformedKeyError          a key string is malformed or its key id is wrong
           ├── MalformedNoteError         a note (or a text to sign) is malformed
           ├── InvalidSignatureError      a trusted key's signature does not verify
           ├── UnverifiedNoteError        no trusted key signed the note
           └── MalformedCheckpointError   a note text is not a checkpoint
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Final, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519: Final = 0x01  # the signature type byte of signed-note
MAX_SIGNATURES: Final = 100  # as the Go reference: more makes a note malformed
MAX_TREE_SIZE: Final = 2**64 - 1
_SIGNATURE_PREFIX: Final = "\u2014 "  # em dash, space
_CONTROL: Final = re.compile("[\x00-\x09\x0b-\x1f]")  # ASCII controls other than newline
_KEY_ID_HEX: Final = re.compile("[0-9a-fA-F]{8}")
_TREE_SIZE: Final = re.compile("0|[1-9][0-9]*")  # ASCII digits, no leading zeros


class NoteError(ValueError):
    """A key string, note or checkpoint was refused."""


class MalformedKeyError(NoteError):
    """A key string is not well formed, or its key id does not match its key."""


class MalformedNoteError(NoteError):
    """A note, a signature line or a text to sign breaks the signed-note format."""


class InvalidSignatureError(NoteError):
    """A signature by a trusted key (same name and key id) does not verify."""

    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"invalid signature for key {name}+{key_id:08x}")
        self.name = name
        self.key_id = key_id


class UnverifiedNoteError(NoteError):
    """The note is well formed but no trusted key signed it."""


class MalformedCheckpointError(NoteError):
    """A checkpoint's text or fields break the tlog-checkpoint format."""


def is_valid_key_name(name: str) -> bool:
    """Whether ``name`` may name a key: non-empty UTF-8, no spaces, ``+`` or controls."""
    forbidden = any(char.isspace() or char < " " or char == "+" for char in name)
    return name != "" and not forbidden and _is_utf8(name)


def compute_key_id(name: str, public_key: bytes, key_type: int = ED25519) -> int:
    """The key id: SHA-256(name || 0x0A || key type || public key), first 4 bytes big-endian
    (type 0x01 for note signatures, 0x04 for witness cosignatures)."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


_Key = TypeVar("_Key", bound="PublicKey")


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key, the name it signs under, and its signature type byte.

    One shape for every key string ``name+hexkeyid+base64(type||public key)``;
    :class:`Verifier` (type 0x01) and chain/cosign.py's ``CosignatureVerifier``
    (type 0x04) add what their signatures mean.
    """

    KEY_TYPE: ClassVar[int] = ED25519
    name: str
    """The key name; signature lines carry it."""
    public_key: bytes
    """The raw 32-byte Ed25519 public key."""
    key_id: int = field(init=False)
    """Computed from name, key type and key (see ``compute_key_id``)."""
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise MalformedKeyError(f"invalid key name {self.name!r}")
        if len(self.public_key) != 32:
            raise MalformedKeyError("an Ed25519 public key is 32 bytes")
        object.__setattr__(self, "key_id",
                           compute_key_id(self.name, self.public_key, self.KEY_TYPE))
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public_key))

    @classmethod
    def parse(cls: type[_Key], key_string: str) -> _Key:
        """Read a key string ``name+hexkeyid+base64(type||public key)``.

        Raises:
            MalformedKeyError: malformed, another key type, or a wrong key id.
        """
        name, key_id, public_key = _parse_key_string(key_string, cls.KEY_TYPE)
        key = cls(name, public_key)
        _check_key_id(key, key_id)
        return key

    def key_string(self) -> str:
        """The key string; it is public."""
        return _format_key_string(self.name, self.key_id, self.public_key, self.KEY_TYPE)


@dataclass(frozen=True)
class Verifier(PublicKey):
    """A trusted Ed25519 public key and the name it signs notes under (type 0x01)."""

    def verify(self, text: str, signature: bytes) -> bool:
        """Whether ``signature`` (without the key id) is this key's signature of ``text``."""
        return self.verify_bytes(text.encode(), signature)

    def verify_bytes(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's raw Ed25519 signature of ``message``.

        For profitpool's own signed messages (block headers, snapshots), which
        carry a prefix of their own so they can never pass for a note.
        """
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Signer:
    """An Ed25519 private key and the name it signs under; never log or print it."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.verifier = Verifier(name, private_key.public_key().public_bytes_raw())

    @classmethod
    def parse(cls, key_string: str) -> Signer:
        """Read a signer key ``PRIVATE+KEY+name+hexkeyid+base64(0x01||seed)``."""
        if not key_string.startswith("PRIVATE+KEY+"):
            raise MalformedKeyError("a signer key starts with PRIVATE+KEY+")
        name, key_id, seed = _parse_key_string(key_string.removeprefix("PRIVATE+KEY+"))
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        _check_key_id(signer.verifier, key_id)
        return signer

    @property
    def name(self) -> str:
        return self.verifier.name

    @property
    def key_id(self) -> int:
        return self.verifier.key_id

    def key_string(self) -> str:
        """The signer key string; it is secret."""
        seed = self._private_key.private_bytes_raw()
        return "PRIVATE+KEY+" + _format_key_string(self.name, self.key_id, seed)

    def signature_line(self, text: str) -> str:
        """This key's signature line ``— name base64(key id || signature)\\n`` for ``text``."""
        _check_text(text)
        raw = self.key_id.to_bytes(4, "big") + self._private_key.sign(text.encode())
        return f"{_SIGNATURE_PREFIX}{self.name} {base64.b64encode(raw).decode()}\n"

    def sign_bytes(self, message: bytes) -> bytes:
        """A raw Ed25519 signature of ``message`` (see Verifier.verify_bytes)."""
        return self._private_key.sign(message)

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, key_id={self.key_id:08x})"


def generate_signer(name: str) -> tuple[str, str]:
    """A fresh Ed25519 key for ``name``: (signer key string, verifier key string)."""
    signer = Signer(name, Ed25519PrivateKey.generate())
    return signer.key_string(), signer.verifier.key_string()


@dataclass(frozen=True)
class Signature:
    """One signature line of a note."""

    name: str
    key_id: int
    encoded: str
    """base64(key id || signature), as in the line."""

    @property
    def line(self) -> str:
        return f"{_SIGNATURE_PREFIX}{self.name} {self.encoded}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text and who signed it."""

    text: str
    """The signed text, ending in a newline (the blank line is not part of it)."""
    signatures: tuple[Signature, ...]
    """Verified signatures by trusted keys, one per key, in note order."""
    unverified: tuple[Signature, ...] = ()
    """Signatures by keys not trusted: ignored, kept for passing the note on."""


def sign(text: str, signers: Sequence[Signer]) -> str:
    """Sign ``text`` with each of ``signers``, in order; return the signed note."""
    if not 1 <= len(signers) <= MAX_SIGNATURES:
        raise MalformedNoteError(f"a note has 1 to {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(signer.signature_line(text) for signer in signers)


def open_note(note: str, verifiers: Sequence[Verifier]) -> Note:
    """Parse ``note`` and verify every signature by one of ``verifiers``.

    Signatures by other keys (another name or another key id) are kept as
    unverified and otherwise ignored.

    Raises:
        MalformedNoteError: the note breaks the format.
        InvalidSignatureError: a trusted key's signature does not verify.
        UnverifiedNoteError: no trusted key signed the note.
    """
    text, signatures = _split_note(note)
    trusted: dict[tuple[str, int], Verifier] = {}
    for candidate in verifiers:
        if trusted.setdefault((candidate.name, candidate.key_id), candidate) != candidate:
            raise NoteError(f"two trusted keys share {candidate.name}+{candidate.key_id:08x}")
    verified: dict[tuple[str, int], Signature] = {}
    unverified: dict[Signature, None] = {}  # ordered set
    for signature in signatures:
        verifier = trusted.get((signature.name, signature.key_id))
        if verifier is None:
            unverified[signature] = None
        elif verifier.verify(text, base64.b64decode(signature.encoded)[4:]):
            verified.setdefault((signature.name, signature.key_id), signature)
        else:
            raise InvalidSignatureError(signature.name, signature.key_id)
    if not verified:
        raise UnverifiedNoteError("no trusted key signed the note")
    return Note(text, tuple(verified.values()), tuple(unverified))


def add_signatures(note: str, signature_lines: Iterable[str]) -> str:
    """Append signature lines (a witness's cosignature, say) to ``note``.

    A new line replaces an existing one by the same key (name and key id);
    identical new lines count once. Nothing is verified: open the result.
    """
    text, existing = _split_note(note)
    lines = [line.removesuffix("\n") for line in signature_lines]
    if any("\n" in line for line in lines):
        raise MalformedNoteError("one signature line per item")
    block = "".join(line + "\n" for line in lines)
    added = list(dict.fromkeys(_parse_signatures(block))) if lines else []
    replaced = {(signature.name, signature.key_id) for signature in added}
    kept = [s for s in existing if (s.name, s.key_id) not in replaced]
    if len(kept) + len(added) > MAX_SIGNATURES:
        raise MalformedNoteError(f"more than {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(signature.line for signature in kept + added)


@dataclass(frozen=True)
class Checkpoint:
    """The signed head of the log's Merkle tree (c2sp.org/tlog-checkpoint)."""

    origin: str
    """The log's unique name; by convention also the name of its key."""
    size: int
    """Number of leaves in the tree."""
    root: bytes
    """RFC 6962 root hash of the tree of ``size`` leaves, 32 bytes."""
    extensions: tuple[str, ...] = ()
    """Opaque non-empty extra lines (not recommended)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for line in (self.origin, *self.extensions):
            if line == "" or "\n" in line or _CONTROL.search(line) or not _is_utf8(line):
                raise MalformedCheckpointError(f"invalid checkpoint line {line!r}")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise MalformedCheckpointError(f"tree size {self.size} out of range")
        if len(self.root) != 32:
            raise MalformedCheckpointError("the root hash is 32 bytes")

    def body(self) -> str:
        """The note text: origin, size, base64 root and extensions, a line each."""
        lines = (self.origin, str(self.size), base64.b64encode(self.root).decode())
        return "".join(line + "\n" for line in lines + self.extensions)


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint note text, strictly; raise ``MalformedCheckpointError`` if not one."""
    if not text.endswith("\n"):
        raise MalformedCheckpointError("a checkpoint ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpointError("a checkpoint has at least three lines")
    origin, size, root_base64, *extensions = lines
    if not _TREE_SIZE.fullmatch(size):
        raise MalformedCheckpointError(f"tree size {size!r} is not a decimal without leading 0")
    root = _decode_base64(root_base64)
    if root is None:
        raise MalformedCheckpointError(f"root hash {root_base64!r} is not canonical base64")
    return Checkpoint(origin, int(size), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The checkpoint as a note signed by ``signer``."""
    return sign(checkpoint.body(), [signer])


def open_checkpoint(note: str, verifier: Verifier, *, origin: str | None = None) -> Checkpoint:
    """Verify ``note`` with ``verifier`` and read its checkpoint (of ``origin``, if given)."""
    checkpoint = parse_checkpoint(open_note(note, [verifier]).text)
    if origin is not None and checkpoint.origin != origin:
        raise MalformedCheckpointError(f"checkpoint of {checkpoint.origin!r}, not {origin!r}")
    return checkpoint


# helpers --------------------------------------------------------------------


def _is_utf8(text: str) -> bool:
    """Whether ``text`` encodes to UTF-8 (a str with lone surrogates does not)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _decode_base64(encoded: str) -> bytes | None:
    """Standard base64 decoded, or None unless ``encoded`` is the canonical encoding."""
    try:
        decoded = base64.b64decode(encoded, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        return None
    return decoded if base64.b64encode(decoded).decode() == encoded else None


def _parse_key_string(key_string: str, key_type: int = ED25519) -> tuple[str, int, bytes]:
    """Split ``name+hexkeyid+base64(type||key)`` into name, key id and 32 key bytes."""
    name, _, rest = key_string.partition("+")
    key_id_hex, _, key_base64 = rest.partition("+")
    key_data = _decode_base64(key_base64)
    if not is_valid_key_name(name) or not _KEY_ID_HEX.fullmatch(key_id_hex) or not key_data:
        raise MalformedKeyError(f"malformed key string for {name!r}")
    if key_data[0] != key_type or len(key_data) != 33:
        raise MalformedKeyError(f"key of {name!r} is not an Ed25519 key of type "
                                f"0x{key_type:02x}")
    return name, int(key_id_hex, 16), key_data[1:]


def _format_key_string(name: str, key_id: int, key: bytes, key_type: int = ED25519) -> str:
    return f"{name}+{key_id:08x}+{base64.b64encode(bytes([key_type]) + key).decode()}"


def _check_key_id(verifier: PublicKey, key_id: int) -> None:
    if key_id != verifier.key_id:
        raise MalformedKeyError(f"key id {key_id:08x} does not match the key of {verifier.name!r}")


def _check_text(text: str) -> None:
    """Refuse a text no note could carry."""
    if not text.endswith("\n") or _CONTROL.search(text) or not _is_utf8(text):
        raise MalformedNoteError("note text must end in a newline and have no control characters")


def _split_note(note: str) -> tuple[str, list[Signature]]:
    """A note's text and signature lines, checked for form only."""
    if _CONTROL.search(note) or not _is_utf8(note):
        raise MalformedNoteError("note is not UTF-8 or has control characters")
    split = note.rfind("\n\n")  # the last blank line ends the text
    if split < 0:
        raise MalformedNoteError("no blank line before the signatures")
    return note[: split + 1], _parse_signatures(note[split + 2 :])


def _parse_signatures(block: str) -> list[Signature]:
    """Parse one or more signature lines, each ending in a newline."""
    if not block.endswith("\n") or _CONTROL.search(block) or not _is_utf8(block):
        raise MalformedNoteError("signature lines must end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"more than {MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        name, _, encoded = line.removeprefix(_SIGNATURE_PREFIX).partition(" ")
        raw = _decode_base64(encoded)
        if not line.startswith(_SIGNATURE_PREFIX) or not is_valid_key_name(name):
            raise MalformedNoteError(f"malformed signature line {line!r}")
        if raw is None or len(raw) < 5:  # a key id and at least one byte of signature
            raise MalformedNoteError(f"malformed signature in line {line!r}")
        signatures.append(Signature(name, int.from_bytes(raw[:4], "big"), encoded))
    return signatures
