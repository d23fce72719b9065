"""API keys: random, shown once, stored only as SHA-256 hashes, revocable.

A key reads ``pp_<key id>_<secret>``: the key id (12 hex digits) is public
and names the key in lists and revocations; the secret (256 random bits) is
never stored. A key has a role and, for merchant, member and lender keys,
the one party it is bound to: an id that passes the commands' own id rule
(``engine.commands.check_id``) and that the log knows as a party of that kind
(:data:`PartyExists`). Keys live beside the log, not in it: they are not part
of what the log proves.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..engine.commands import check_id
from ..errors import ProfitpoolError, Rejected
from .database import StoreError, describe_error
from .repository import LogStore
from .schema import api_keys

ROLES: Final = ("admin", "auditor", "merchant", "member", "lender")
BOUND_ROLES: Final = ("merchant", "member", "lender")
_KEY: Final = re.compile(r"pp_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
UNKNOWN_PARTY: Final = {"merchant": "unknown_merchant", "member": "unknown_member",
                        "lender": "unknown_lender"}
"""The code refusing a key for a party the log does not know, by role (the engine's codes
for a command naming such a party)."""

PartyExists = Callable[[str, str], bool]
"""``exists(role, party)``: whether the log knows ``party`` as a ``role``: a registered
merchant or lender, or a member (who exists once they have an order in the log, or have
received a transfer)."""


class KeyError_(ProfitpoolError):
    """A key cannot be revoked as asked."""


class KeyRefused(Rejected):
    """A key cannot be created as asked; nothing was stored.

    ``code`` is the API's (``invalid_command``, ``invalid_id`` or ``unknown_<role>``);
    ``reason`` says which rule refused it, so the pages can say it in their own words
    (web/errors_i18n.py): ``unknown_role``, ``party_missing``, ``party_not_bound``,
    ``invalid_id`` or ``unknown_party``.
    """

    def __init__(self, code: str, reason: str, role: str, party: str | None,
                 message: str) -> None:
        super().__init__(code, message)
        self.reason = reason
        self.role = role
        self.party = party


def check_binding(role: str, party: str | None, exists: PartyExists) -> None:
    """Refuse a key whose role is unknown, or whose binding does not fit its role: a party
    missing, given to an unbound role, not an id, or not known to the log as a ``role``.

    Raises:
        KeyRefused
    """
    if role not in ROLES:
        raise KeyRefused("invalid_command", "unknown_role", role, party,
                         f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if role not in BOUND_ROLES:
        if party:
            raise KeyRefused("invalid_command", "party_not_bound", role, party,
                             f"an {role} key is not bound to a party")
        return
    if not party:
        raise KeyRefused("invalid_command", "party_missing", role, party,
                         f"a {role} key must be bound to a {role} id")
    try:
        check_id(party, "party")
    except Rejected as error:
        raise KeyRefused(error.code, "invalid_id", role, party, error.message) from None
    if not exists(role, party):
        joined = (": a member exists once they have an order in the log"
                  if role == "member" else "")
        raise KeyRefused(UNKNOWN_PARTY[role], "unknown_party", role, party,
                         f"there is no {role} {party!r}{joined}")


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

    def create(self, role: str, party: str | None = None, label: str = "", *,
               exists: PartyExists | None = None) -> tuple[str, ApiKey]:
        """A new key: (the key itself, shown once; its stored record).

        ``exists`` tells which parties the log knows (the service asks its read
        model); by default the log in this database is asked (:meth:`logged`).

        Raises:
            KeyRefused: the role or the binding is refused (:func:`check_binding`).
        """
        check_binding(role, party, self.logged if exists is None else exists)
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

    def logged(self, role: str, party: str) -> bool:
        """Whether an entry of the log concerns ``party`` as a ``role``: the first one to
        name a merchant or lender registers it, and the first to name a member is their
        first order (or a transfer to them), so this is whether that party exists."""
        return bool(LogStore(self.engine).party_entries(f"{role}:{party}", None, 1))

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

    def revoke_party(self, role: str, party: str) -> builtins.list[str]:
        """Revoke every live key of ``role`` bound to ``party`` (an erased member's); their
        ids."""
        with self.engine.begin() as connection:
            ids = [row.key_id for row in connection.execute(
                select(api_keys.c.key_id).where(api_keys.c.role == role,
                                                api_keys.c.party == party,
                                                api_keys.c.revoked_us.is_(None)))]
            if ids:
                connection.execute(update(api_keys).where(api_keys.c.key_id.in_(ids))
                                   .values(revoked_us=time.time_ns() // 1000))
        return ids

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
