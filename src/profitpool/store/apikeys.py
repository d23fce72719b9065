"""API keys: random, shown once, stored only as SHA-256 hashes, revocable.

A key reads ``pp_<key id>_<secret>``: the key id (12 hex digits) is public
and names the key in lists and revocations; the secret (256 random bits) is
never stored. A key has a role and, for merchant, member and lender keys,
the one party it is bound to. Keys live beside the log, not in it: they are
not part of what the log proves.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..errors import ProfitpoolError
from .database import StoreError, describe_error
from .schema import api_keys

ROLES: Final = ("admin", "auditor", "merchant", "member", "lender")
BOUND_ROLES: Final = ("merchant", "member", "lender")
_KEY: Final = re.compile(r"pp_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


class KeyError_(ProfitpoolError):
    """A key cannot be created or revoked as asked."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    role: str
    party: str | None
    """The merchant, member or lender id the key is bound to (None for admin, auditor)."""
    label: str
    created_us: int
    revoked_us: int | None
    secret_hash: bytes

    def public(self) -> dict[str, object]:
        return {"id": self.key_id, "role": self.role, "party": self.party, "label": self.label,
                "created_us": self.created_us, "revoked": self.revoked_us is not None}


def hash_secret(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def key_id_of(key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    match = _KEY.fullmatch(key)
    return match.group(1) if match else None


def matches(key: str, stored: ApiKey) -> bool:
    return hmac.compare_digest(hash_secret(key), stored.secret_hash)


def _row(row: object) -> ApiKey:
    return ApiKey(row.key_id, row.role, row.party, row.label,  # type: ignore[attr-defined]
                  row.created_us, row.revoked_us, bytes(row.secret_hash))  # type: ignore[attr-defined]


class KeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, role: str, party: str | None = None, label: str = "") -> tuple[str, ApiKey]:
        """A new key: (the key itself, shown once; its stored record).

        Raises:
            KeyError_: unknown role, or a party missing or given where it does not belong.
        """
        if role not in ROLES:
            raise KeyError_(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if role in BOUND_ROLES and not party:
            raise KeyError_(f"a {role} key must be bound to a {role} id")
        if role not in BOUND_ROLES and party:
            raise KeyError_(f"an {role} key is not bound to a party")
        for _ in range(5):
            key_id = secrets.token_hex(6)
            key = f"pp_{key_id}_{secrets.token_urlsafe(32)}"
            record = ApiKey(key_id, role, party or None, label, time.time_ns() // 1000, None,
                            hash_secret(key))
            try:
                with self.engine.begin() as connection:
                    connection.execute(api_keys.insert(), [{
                        "key_id": record.key_id, "secret_hash": record.secret_hash,
                        "role": role, "party": record.party, "label": label,
                        "created_us": record.created_us, "revoked_us": None,
                    }])
                return key, record
            except IntegrityError:
                continue  # a key id drawn twice: draw again
            except SQLAlchemyError as error:
                raise StoreError(f"cannot store the key: {describe_error(error)}") from None
        raise StoreError("cannot draw an unused key id")

    def get(self, key_id: str) -> ApiKey | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(api_keys).where(api_keys.c.key_id == key_id)).first()
        return None if row is None else _row(row)

    def list(self, include_revoked: bool = True) -> list[ApiKey]:
        query = select(api_keys).order_by(api_keys.c.created_us, api_keys.c.key_id)
        if not include_revoked:
            query = query.where(api_keys.c.revoked_us.is_(None))
        with self.engine.connect() as connection:
            return [_row(row) for row in connection.execute(query)]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key (again is fine).

        Raises:
            KeyError_: no such key.
        """
        with self.engine.begin() as connection:
            connection.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_us.is_(None))
                .values(revoked_us=time.time_ns() // 1000))
        record = self.get(key_id)
        if record is None:
            raise KeyError_(f"there is no key {key_id!r}")
        return record

    def first_admin(self, label: str) -> str | None:
        """A new admin key if there is no live one (a fresh service's first key), else None."""
        if self.any_admin():
            return None
        return self.create("admin", label=label)[0]

    def any_admin(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(
                select(api_keys.c.key_id).where(api_keys.c.role == "admin",
                                                api_keys.c.revoked_us.is_(None)).limit(1)
            ).first() is not None
