"""The pages' sign-in sessions: a random id in the browser, only its SHA-256 hash here.

Signing in to the wallet, the merchant portal or the console opens a session
bound to the API key that signed in (its id, role and party) and to the page
area. The browser's cookie holds the session id alone, never the key, so a
stolen cookie dies with its session: when it has been idle too long, when its
absolute lifetime is over, when it is ended (signing out, or the console's
"end" button) and when its key is revoked (the service checks the key on each
use). The id has 256 random bits, so a plain SHA-256 is enough to store it:
whoever reads this table cannot sign in with what it holds.

Sessions live beside the log, not in it; what a timeout is comes from the
caller (the service's settings), and times are wall-clock microseconds.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .database import StoreError, describe_error
from .schema import api_keys, sessions

ID_BYTES: Final = 32
"""Random bytes in a session id (256 bits; ``secrets.token_urlsafe`` text of 43 characters)."""
MAX_ID_TEXT: Final = 64
"""Longer cookie values are not session ids and are not even hashed."""
USER_AGENT_CHARS: Final = 200


@dataclass(frozen=True, slots=True)
class Session:
    """One sign-in as stored: everything but the id itself."""

    id_hash: bytes
    key_id: str | None
    """The API key that signed in: revoking it ends the session (or ``pk_…``, the
    member's passkey that signed in: removing it ends the session)."""
    role: str
    party: str | None
    area: str
    """The page area (``/wallet``, ``/merchant``, ``/console``) the session is good for."""
    created_us: int
    last_seen_us: int
    expires_us: int
    """The end of the absolute lifetime (the idle timeout may end it sooner)."""
    revoked_us: int | None
    """When it was ended by signing out or by the console; None while it may be live."""
    user_agent: str

    def ends_us(self, idle_us: int) -> int:
        """When the session ends if it is not used again: idle timeout or lifetime, first."""
        return min(self.expires_us, self.last_seen_us + idle_us)

    def live(self, now_us: int, idle_us: int) -> bool:
        return self.revoked_us is None and now_us < self.ends_us(idle_us)

    def handle(self) -> str:
        """How the console names a session it may end: the hash, never the id."""
        return self.id_hash.hex()


def hash_session_id(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


def _row(row: object) -> Session:
    return Session(bytes(row.id_hash), row.key_id, row.role,  # type: ignore[attr-defined]
                   row.party, row.area, row.created_us,  # type: ignore[attr-defined]
                   row.last_seen_us, row.expires_us, row.revoked_us,  # type: ignore[attr-defined]
                   row.user_agent)  # type: ignore[attr-defined]


class SessionStore:
    """Opens, finds, refreshes, lists and ends sessions (the ``sessions`` table)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(self, key_id: str, role: str, party: str | None, area: str, user_agent: str,
             now_us: int, lifetime_us: int, idle_us: int) -> tuple[str, Session]:
        """A new session: (its id, for the cookie and nowhere else; its stored record).

        Sessions that have ended (idle, expired, signed out, or whose key was
        revoked) are deleted first, so the table holds about as many rows as
        there are people signed in.
        """
        self.purge(now_us, idle_us)
        for _ in range(3):
            session_id = secrets.token_urlsafe(ID_BYTES)
            record = Session(hash_session_id(session_id), key_id, role, party, area, now_us,
                             now_us, now_us + lifetime_us, None, user_agent[:USER_AGENT_CHARS])
            try:
                with self.engine.begin() as connection:
                    connection.execute(sessions.insert(), [{
                        "id_hash": record.id_hash, "key_id": key_id, "role": role,
                        "party": party, "area": area, "created_us": now_us,
                        "last_seen_us": now_us, "expires_us": record.expires_us,
                        "revoked_us": None, "user_agent": record.user_agent}])
                return session_id, record
            except IntegrityError:
                continue  # 256 random bits drawn twice: never, but draw again rather than fail
            except SQLAlchemyError as error:
                raise StoreError(f"cannot store the session: {describe_error(error)}") from None
        raise StoreError("cannot draw an unused session id")

    def find(self, session_id: str) -> Session | None:
        """The session whose id this is (live or not), or None."""
        if not session_id or len(session_id) > MAX_ID_TEXT:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(sessions).where(
                sessions.c.id_hash == hash_session_id(session_id))).first()
        return None if row is None else _row(row)

    def touch(self, id_hash: bytes, now_us: int) -> None:
        """Record a use (the idle timeout counts from the last one)."""
        with self.engine.begin() as connection:
            connection.execute(update(sessions).where(sessions.c.id_hash == id_hash)
                               .values(last_seen_us=now_us))

    def end(self, id_hash: bytes, now_us: int) -> bool:
        """End a session (signing out, or the console); False if it was not live."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(sessions)
                .where(sessions.c.id_hash == id_hash, sessions.c.revoked_us.is_(None))
                .values(revoked_us=now_us)).rowcount
        return bool(changed)

    def live(self, now_us: int, idle_us: int) -> list[Session]:
        """Every session that may still be used, oldest first: not ended, neither idle
        nor past its lifetime, and opened with a key that is not revoked (or with a
        passkey: removing it ends its sessions, store/passkeys.py)."""
        query = (select(sessions)
                 .outerjoin(api_keys, api_keys.c.key_id == sessions.c.key_id)
                 .where(sessions.c.revoked_us.is_(None), api_keys.c.revoked_us.is_(None),
                        sessions.c.expires_us > now_us,
                        sessions.c.last_seen_us > now_us - idle_us)
                 .order_by(sessions.c.created_us, sessions.c.id_hash))
        with self.engine.connect() as connection:
            return [_row(row) for row in connection.execute(query)]

    def purge(self, now_us: int, idle_us: int) -> int:
        """Delete the sessions that can never be used again; how many there were."""
        revoked_keys = select(api_keys.c.key_id).where(api_keys.c.revoked_us.is_not(None))
        with self.engine.begin() as connection:
            return connection.execute(delete(sessions).where(or_(
                sessions.c.revoked_us.is_not(None),
                sessions.c.expires_us <= now_us,
                sessions.c.last_seen_us <= now_us - idle_us,
                sessions.c.key_id.in_(revoked_keys)))).rowcount
