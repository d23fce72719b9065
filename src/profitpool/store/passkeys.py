"""Members' passkeys, the one-time links that register them, and the challenges given out.

A member signs in to the wallet with a passkey (WebAuthn) registered from a link
the operator or a merchant handed them. The link's secret has 256 random bits
and is stored only as its SHA-256 (like a session id): whoever reads this table
cannot register with what it holds. A link is good once, for ``LINK_HOURS``.

A passkey is stored by its credential id with its public key and the
authenticator's signature counter; its short ``id`` (``pk_`` and 16 hex digits)
names it in the wallet and is the ``key_id`` of the sessions it opens
(store/sessions.py), so removing it ends them at once, as revoking a key does.

Each WebAuthn ceremony answers a challenge the server drew; the challenge is
stored (hashed) until answered and is taken once: an answer sent twice finds no
challenge the second time. What the answer proves is checked above this module
(web/passkeys.py, with the ``webauthn`` package); this module keeps the state.
Times are wall-clock microseconds, like the sessions'.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import ProfitpoolError
from .schema import passkey_challenges, passkey_links, passkeys, sessions

LINK_HOURS: Final = 24
"""A registration link is good for this long after it was made (and once)."""
LINK_KEPT_DAYS: Final = 7
"""A link is kept this long after it expired (used or not), so that opening it says it was
used or expired rather than that there is no such link; then it is deleted."""
CHALLENGE_SECONDS: Final = 300
"""A challenge must be answered within this long."""
MAX_PENDING_CHALLENGES: Final = 10_000
"""Challenges given out and not answered: beyond this many, no new one is given out until
some expire (anyone may ask for a sign-in challenge; this bounds what that costs)."""
SECRET_BYTES: Final = 32
MAX_SECRET_TEXT: Final = 64
DEVICE_CHARS: Final = 200


class PasskeyError(ProfitpoolError):
    """A passkey cannot be stored or a challenge cannot be given out (the reason says why)."""


@dataclass(frozen=True, slots=True)
class Passkey:
    id: str
    """``pk_`` and 16 hex digits: how pages and sessions name it."""
    credential_id: bytes
    member: str
    """The member's pseudonym."""
    public_key: bytes
    """COSE_Key, as the authenticator gave it at registration."""
    sign_count: int
    rp_id: str
    """The relying party id (the site's host) it was made for."""
    device: str
    """The browser it was made in, as a person names it ("Chrome 126 · Android")."""
    created_us: int
    last_used_us: int | None


@dataclass(frozen=True, slots=True)
class Link:
    member: str
    issued_by: str
    """"admin", or "merchant:<id>" for a link a merchant issued to its customer."""
    created_us: int
    expires_us: int
    used_us: int | None

    def state(self, now_us: int) -> str:
        """"open" (may register), "used" or "expired"."""
        if self.used_us is not None:
            return "used"
        return "open" if now_us < self.expires_us else "expired"


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _passkey(row: object) -> Passkey:
    return Passkey(row.id, bytes(row.credential_id), row.member,  # type: ignore[attr-defined]
                   bytes(row.public_key), row.sign_count, row.rp_id,  # type: ignore[attr-defined]
                   row.device, row.created_us, row.last_used_us)  # type: ignore[attr-defined]


class PasskeyStore:
    """The ``passkeys``, ``passkey_links`` and ``passkey_challenges`` tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # links -------------------------------------------------------------------------------
    def issue_link(self, member: str, issued_by: str, now_us: int,
                   lifetime_us: int = LINK_HOURS * 3_600_000_000) -> tuple[str, Link]:
        """A new one-time link for ``member``: (its secret, for the URL and nowhere else;
        its stored record). Links expired more than ``LINK_KEPT_DAYS`` ago are deleted
        first."""
        secret = secrets.token_urlsafe(SECRET_BYTES)
        link = Link(member, issued_by, now_us, now_us + lifetime_us, None)
        with self.engine.begin() as connection:
            connection.execute(delete(passkey_links).where(
                passkey_links.c.expires_us <= now_us - LINK_KEPT_DAYS * 86_400_000_000))
            connection.execute(passkey_links.insert(), [{
                "token_hash": secret_hash(secret), "member": member, "issued_by": issued_by,
                "created_us": now_us, "expires_us": link.expires_us, "used_us": None}])
        return secret, link

    def link(self, secret: str) -> Link | None:
        """The link whose secret this is (open, used or expired), or None."""
        if not secret or len(secret) > MAX_SECRET_TEXT:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(passkey_links).where(
                passkey_links.c.token_hash == secret_hash(secret))).first()
        return None if row is None else Link(row.member, row.issued_by, row.created_us,
                                             row.expires_us, row.used_us)

    # challenges ----------------------------------------------------------------------------
    def new_challenge(self, purpose: str, now_us: int, link_secret: str | None = None
                      ) -> bytes:
        """A fresh challenge (32 random bytes) for a ceremony of ``purpose`` ("register",
        bound to the link; "signin"), good for ``CHALLENGE_SECONDS``.

        Raises:
            PasskeyError: too many challenges are waiting for an answer.
        """
        challenge = secrets.token_bytes(32)
        with self.engine.begin() as connection:
            connection.execute(delete(passkey_challenges)
                               .where(passkey_challenges.c.expires_us <= now_us))
            waiting = connection.execute(
                select(func.count()).select_from(passkey_challenges)).scalar_one()
            if waiting >= MAX_PENDING_CHALLENGES:
                raise PasskeyError("too many sign-ins are under way; try again in a minute")
            connection.execute(passkey_challenges.insert(), [{
                "challenge_hash": hashlib.sha256(challenge).digest(), "purpose": purpose,
                "link_hash": None if link_secret is None else secret_hash(link_secret),
                "expires_us": now_us + CHALLENGE_SECONDS * 1_000_000}])
        return challenge

    def take_challenge(self, challenge: bytes, purpose: str, now_us: int,
                       link_secret: str | None = None) -> bool:
        """Whether ``challenge`` was given out for this ``purpose`` (and link) and is not
        expired; it is gone afterwards either way, so an answer counts once."""
        link_hash = None if link_secret is None else secret_hash(link_secret)
        with self.engine.begin() as connection:
            row = connection.execute(select(passkey_challenges).where(
                passkey_challenges.c.challenge_hash == hashlib.sha256(challenge).digest())
            ).first()
            if row is None:
                return False
            taken = connection.execute(delete(passkey_challenges).where(
                passkey_challenges.c.challenge_hash == row.challenge_hash)).rowcount
        return bool(taken) and row.purpose == purpose and row.expires_us > now_us \
            and (row.link_hash is None if link_hash is None
                 else bytes(row.link_hash) == link_hash)

    # passkeys ------------------------------------------------------------------------------
    def register(self, link_secret: str, credential_id: bytes, public_key: bytes,
                 sign_count: int, rp_id: str, device: str, now_us: int) -> Passkey | None:
        """Use the link (once) and store the passkey for its member, in one transaction;
        None if the link is not open (used, expired, unknown), and then nothing changes.

        Raises:
            PasskeyError: this credential is registered already.
        """
        record = Passkey(f"pk_{secrets.token_hex(8)}", credential_id, "", public_key,
                         sign_count, rp_id, device[:DEVICE_CHARS], now_us, None)
        link_hash = secret_hash(link_secret)
        try:
            with self.engine.begin() as connection:
                row = connection.execute(select(passkey_links.c.member).where(
                    passkey_links.c.token_hash == link_hash)).first()
                used = connection.execute(
                    update(passkey_links)
                    .where(passkey_links.c.token_hash == link_hash,
                           passkey_links.c.used_us.is_(None),
                           passkey_links.c.expires_us > now_us)
                    .values(used_us=now_us)).rowcount
                if row is None or not used:
                    return None
                record = Passkey(record.id, credential_id, row.member, public_key, sign_count,
                                 rp_id, record.device, now_us, None)
                connection.execute(passkeys.insert(), [{
                    "credential_id": credential_id, "id": record.id, "member": row.member,
                    "public_key": public_key, "sign_count": sign_count, "rp_id": rp_id,
                    "device": record.device, "created_us": now_us, "last_used_us": None}])
        except IntegrityError:
            raise PasskeyError("this passkey is registered already") from None
        return record

    def find(self, credential_id: bytes) -> Passkey | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(passkeys).where(
                passkeys.c.credential_id == credential_id)).first()
        return None if row is None else _passkey(row)

    def used(self, passkey: Passkey, new_sign_count: int, now_us: int) -> bool:
        """Record a sign-in with ``passkey``: its new counter and when. False if the passkey
        changed since it was read (removed, or another sign-in recorded a counter first):
        then this sign-in must not count."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(passkeys)
                .where(passkeys.c.credential_id == passkey.credential_id,
                       passkeys.c.sign_count == passkey.sign_count)
                .values(sign_count=new_sign_count, last_used_us=now_us)).rowcount
        return bool(changed)

    def of_member(self, member: str) -> list[Passkey]:
        """The member's passkeys, oldest first."""
        with self.engine.connect() as connection:
            return [_passkey(row) for row in connection.execute(
                select(passkeys).where(passkeys.c.member == member)
                .order_by(passkeys.c.created_us, passkeys.c.id))]

    def remove(self, member: str, passkey_id: str, now_us: int) -> bool:
        """Remove the member's passkey ``passkey_id`` and end the sessions it opened; False
        if the member has no such passkey (nothing changes)."""
        with self.engine.begin() as connection:
            removed = connection.execute(delete(passkeys).where(
                passkeys.c.id == passkey_id, passkeys.c.member == member)).rowcount
            if removed:
                connection.execute(update(sessions)
                                   .where(sessions.c.key_id == passkey_id,
                                          sessions.c.revoked_us.is_(None))
                                   .values(revoked_us=now_us))
        return bool(removed)

    def forget_member(self, member: str, now_us: int) -> int:
        """Remove every passkey and link of an erased member and end its passkeys' sessions;
        how many passkeys there were."""
        with self.engine.begin() as connection:
            ids = [row.id for row in connection.execute(
                select(passkeys.c.id).where(passkeys.c.member == member))]
            if ids:
                connection.execute(update(sessions)
                                   .where(sessions.c.key_id.in_(ids),
                                          sessions.c.revoked_us.is_(None))
                                   .values(revoked_us=now_us))
                connection.execute(delete(passkeys).where(passkeys.c.member == member))
            connection.execute(delete(passkey_links).where(passkey_links.c.member == member))
        return len(ids)


__all__ = ["CHALLENGE_SECONDS", "LINK_HOURS", "Link", "Passkey", "PasskeyError",
           "PasskeyStore", "secret_hash"]
