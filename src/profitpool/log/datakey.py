"""The data key: what seals the links between pseudonyms and people, never in the database.

It sits beside the operator's signing key (keys.py) because it is made and kept the
same way, by ``profitpool init``; what it seals is members/'s (docs/privacy.md).

One file of 32 random bytes (hex), mode 0600, next to the operator's key
(``profitpool-data.key`` beside ``profitpool.key``; ``$PROFITPOOL_DATA_KEY``
names another). From it, by HKDF-SHA256, come two keys with their own purpose:

- the **link key** (HMAC-SHA256): an id is stored only as its keyed hash, so a
  copy of the database finds no phone number or customer number in it, and
  nobody without the key can test a guess;
- the **wrapping key** (AES-256-GCM): it wraps the database's *data
  encryption key*, a random 256-bit key made once and kept in the database
  only wrapped (``program_secrets``); every sealed value (an id to show, a
  member's profile) is encrypted with that key and a random nonce (envelope
  encryption, with ``cryptography``'s AEAD). A stolen database holds the
  wrapped key, which opens with nothing in it; a new key file means
  rewrapping one key, not every value. (A fresh data key per value, tried
  first, cost 25 us a link: a fifth of storing a new member's order.)

Losing the file loses the links: back it up apart from the database. A
database that was linked with another key is refused at once (the
``data_key_check`` secret), rather than have every member look new.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import ProfitpoolError
from .keys import read_secret_file, write_secret_file

ENVIRONMENT: Final = "PROFITPOOL_DATA_KEY"
_SEAL_VERSION: Final = b"\x02"
_NONCE: Final = 12
_DEK_CONTEXT: Final = b"profitpool data encryption key v1"


class DataKeyError(ProfitpoolError):
    """The data key is missing, unreadable, or not the one this database was sealed with."""


def data_key_path(operator_key: Path) -> Path:
    """``$PROFITPOOL_DATA_KEY``, else the file beside the operator's key: ``<name>-data.key``
    (``profitpool.key`` -> ``profitpool-data.key``)."""
    named = os.environ.get(ENVIRONMENT)
    if named:
        return Path(named)
    return operator_key.with_name(f"{operator_key.stem}-data.key")


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"profitpool " + purpose).derive(master)


@dataclass(frozen=True)
class DataKey:
    """The keys derived from the data key file (see the module docstring)."""

    link_key: bytes
    wrap_key: bytes
    check: str
    """A keyed hash of a fixed text: tells this key from another without revealing it."""
    _link: hmac.HMAC = field(init=False, repr=False, compare=False)
    """HMAC-SHA256 keyed with ``link_key``, before any message: each id's hash starts from
    a copy of it (the key schedule once, not once an id)."""
    _wrap: AESGCM = field(init=False, repr=False, compare=False)
    _dek: AESGCM | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_link", hmac.new(self.link_key, digestmod=hashlib.sha256))
        object.__setattr__(self, "_wrap", AESGCM(self.wrap_key))
        object.__setattr__(self, "_dek", None)

    @classmethod
    def from_bytes(cls, master: bytes) -> DataKey:
        link_key = _derive(master, b"member link hash v1")
        check = hmac.new(_derive(master, b"data key check v1"), b"profitpool",
                         hashlib.sha256).hexdigest()
        return cls(link_key, _derive(master, b"envelope wrap v1"), check)

    @classmethod
    def load(cls, path: Path) -> DataKey:
        """The data key in ``path``.

        Raises:
            DataKeyError: missing, unreadable, readable by others, or not 32 bytes of hex.
        """
        text = read_secret_file(path, DataKeyError, "run `profitpool init` to create one, "
                                "or restore it from your backup")
        try:
            master = bytes.fromhex(text)
        except ValueError:
            master = b""
        if len(master) != 32:
            raise DataKeyError(f"{path} is not a data key (64 hex digits)")
        return cls.from_bytes(master)

    @classmethod
    def create(cls, path: Path) -> DataKey:
        """A new data key, written to ``path`` (mode 0600; never over an existing file).

        Raises:
            DataKeyError: the file exists or cannot be created.
        """
        master = secrets.token_bytes(32)
        write_secret_file(path, master.hex(), DataKeyError)
        return cls.from_bytes(master)

    def id_hash(self, scope: str, member_id: str) -> bytes:
        """The keyed hash under which the id ``member_id`` of ``scope`` is stored."""
        mac = self._link.copy()
        mac.update(scope.encode() + b"\x00" + member_id.encode())
        return mac.digest()

    def new_dek(self) -> str:
        """A new data encryption key, wrapped by the wrapping key (hex): what the database
        keeps (``program_secrets``), useless without this file."""
        nonce = os.urandom(_NONCE)
        return (nonce + self._wrap.encrypt(nonce, AESGCM.generate_key(bit_length=256),
                                           _DEK_CONTEXT)).hex()

    def with_dek(self, wrapped: str) -> DataKey:
        """This key, able to seal and open with the database's data encryption key.

        Raises:
            DataKeyError: the wrapped key does not open with this file's key.
        """
        from cryptography.exceptions import InvalidTag

        raw = bytes.fromhex(wrapped)
        try:
            dek = self._wrap.decrypt(raw[:_NONCE], raw[_NONCE:], _DEK_CONTEXT)
        except InvalidTag:
            raise DataKeyError("the database's data encryption key does not open with this "
                               "data key: restore the right key file") from None
        bound = DataKey(self.link_key, self.wrap_key, self.check)
        object.__setattr__(bound, "_dek", AESGCM(dek))
        return bound

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        """``plaintext`` encrypted (AES-256-GCM, a random nonce) with the database's data
        encryption key; ``context`` (what the value belongs to) is authenticated, not
        stored. Needs :meth:`with_dek`."""
        nonce = os.urandom(_NONCE)
        return _SEAL_VERSION + nonce + self._bound().encrypt(nonce, plaintext, context)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        """What :meth:`seal` sealed.

        Raises:
            DataKeyError: sealed with another key, for another context, or altered.
        """
        from cryptography.exceptions import InvalidTag

        if sealed[:1] != _SEAL_VERSION or len(sealed) < 1 + _NONCE + 16:
            raise DataKeyError("a sealed value is not in a form this profitpool reads")
        try:
            return self._bound().decrypt(sealed[1:1 + _NONCE], sealed[1 + _NONCE:], context)
        except InvalidTag:
            raise DataKeyError("a sealed value does not open with this data key (another "
                               "key, or the value was altered)") from None

    def _bound(self) -> AESGCM:
        if self._dek is None:
            raise DataKeyError("no data encryption key yet (members/directory.py binds one)")
        return self._dek
