"""The program's own secrets: the pseudonym key and the proof of liabilities' secret.

They live in ``program_secrets``, never in ``log_meta``, so a public copy of the
log (store/public.py) holds none. Each is 32 random bytes, stored as hex, and made
only when something that will succeed is about to use it (a month's report, a
pseudonym shown to a member), so a refused request leaves none behind.

Two processes may need the same secret at once (the service's wallet page and a
``profitpool report month`` run): :meth:`SecretStore.get_or_create` inserts a new
one only where none is stored (the insert ignores a conflict) and then reads what
is stored, so both use the one that won.
"""

from __future__ import annotations

import secrets
import time
from typing import Final

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from .database import StoreError, describe_error
from .schema import program_secrets

PSEUDONYM_KEY: Final = "pseudonym_key"
"""Keys the explorer's public pseudonyms of members (web/pseudonyms.py), also the ones in
the proof of liabilities."""
POL_SECRET: Final = "pol_secret"
"""Salts and splits the holdings in each month's proof of liabilities (disclosure/pol.py)."""
DATA_KEY_CHECK: Final = "data_key_check"
"""A keyed hash that tells the data key the member links were sealed with from any other
(members/datakey.py); it reveals nothing of the key."""
DATA_DEK: Final = "data_encryption_key"
"""The data encryption key that seals member links and profiles, wrapped by the data key
file's wrapping key (log/datakey.py): it opens with nothing the database holds."""
SECRET_BYTES: Final = 32


class SecretStore:
    """Reading and making the program's secrets (``program_secrets``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    def get(self, name: str) -> bytes | None:
        """The secret ``name``, or None if it was never made."""
        with self.engine.connect() as connection:
            value = connection.execute(
                select(program_secrets.c.value).where(program_secrets.c.name == name)
            ).scalar_one_or_none()
        return None if value is None else bytes.fromhex(value)

    def settle(self, name: str, value: str) -> str:
        """Store ``value`` (text) as ``name`` unless one is stored already; the one stored.

        Raises:
            StoreError: the database refused.
        """
        statement = self._insert(program_secrets).values(
            name=name, value=value, created_us=time.time_ns() // 1000,
        ).on_conflict_do_nothing(index_elements=[program_secrets.c.name])
        try:
            with self.engine.begin() as connection:
                connection.execute(statement)
                stored = connection.execute(
                    select(program_secrets.c.value).where(program_secrets.c.name == name)
                ).scalar_one()
        except SQLAlchemyError as error:
            raise StoreError(f"cannot store {name}: {describe_error(error)}") from None
        return str(stored)

    def get_or_create(self, name: str) -> bytes:
        """The secret ``name``, made now if it was never made (the same one in every
        process, even when two make it at once).

        Raises:
            StoreError: the database refused.
        """
        existing = self.get(name)
        if existing is not None:
            return existing
        statement = self._insert(program_secrets).values(
            name=name, value=secrets.token_hex(SECRET_BYTES),
            created_us=time.time_ns() // 1000,
        ).on_conflict_do_nothing(index_elements=[program_secrets.c.name])
        try:
            with self.engine.begin() as connection:
                connection.execute(statement)
        except SQLAlchemyError as error:
            raise StoreError(f"cannot store the secret {name}: {describe_error(error)}") \
                from None
        stored = self.get(name)
        assert stored is not None  # inserted now, or by whoever won the race
        return stored
