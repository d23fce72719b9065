"""Who is calling: API keys by role, bound to one party, rate limited per key.

Roles: ``admin`` (everything), ``auditor`` (reads everything, writes
nothing), ``merchant``, ``member`` and ``lender`` (bound to one party: they
read and act only as that party). A key is sent as ``Authorization: Bearer
<key>``. Keys are checked against their stored hash; a key's record is
cached for ``KEY_CACHE_SECONDS``, so a revocation made elsewhere (the CLI)
takes effect within that time, and at once when made through this service.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from ..store.apikeys import ApiKey, KeyStore, key_id_of, matches
from ..store.database import is_unavailable
from .errors import ServiceError
from .health import RETRY_AFTER_S, DatabaseHealth

KEY_CACHE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: str
    party: str | None

    def scope(self) -> str:
        """The namespace of this caller's Idempotency-Keys."""
        return f"key:{self.role}:{self.party or ''}"


class NeedsLookup(Exception):
    """The key's record must be read from the database first."""


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second, bursts of ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str, cost: float = 1.0) -> float | None:
        """Take ``cost`` tokens; None when granted, else the seconds to wait."""
        if self.rate <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[key_id] = (tokens - cost, now)
                return None
            self._buckets[key_id] = (tokens, now)
            return (cost - tokens) / self.rate


class Authenticator:
    def __init__(self, keys: KeyStore, limiter: RateLimiter,
                 health: DatabaseHealth | None = None) -> None:
        self.keys = keys
        self.limiter = limiter
        self.health = health
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}

    def forget(self, key_id: str) -> None:
        self._cache.pop(key_id, None)

    def key(self, key_id: str) -> ApiKey | None:
        """A key's record as the cache holds it (read again at most once a second).

        The pages' sessions check their key here on each use, so revoking the key
        ends them as fast as it stops the key itself. Reads the database: call it
        off the event loop.
        """
        return self._record(key_id, fetch=True)

    def _record(self, key_id: str, fetch: bool) -> ApiKey | None:
        """The key's record, read again at most once a second.

        While the database cannot be read, a key seen before keeps the record last read
        (a revocation made meanwhile by the CLI takes effect once it answers again); a
        key never seen is refused with ``unavailable``, since it cannot be checked.
        """
        now = time.monotonic()
        cached = self._cache.get(key_id)
        if cached is not None and now - cached[0] < KEY_CACHE_SECONDS:
            return cached[1]
        if not fetch:
            raise NeedsLookup(key_id)
        try:
            record = self.keys.get(key_id)
        except SQLAlchemyError as error:
            if not is_unavailable(error):
                raise
            if self.health is not None:
                self.health.failed(error)
            if cached is not None:
                return cached[1]
            raise ServiceError("unavailable", "the log's database is unavailable, so this "
                               "key cannot be checked; retry later",
                               retry_after=RETRY_AFTER_S) from None
        self._cache[key_id] = (now, record)
        return record

    def principal(self, authorization: str | None, fetch: bool = True) -> Principal:
        """The caller of a request.

        With ``fetch`` False, a key whose record is not cached raises
        :class:`NeedsLookup` instead of reading the database (so the event loop
        never waits on it; the caller retries on a worker thread).

        Raises:
            ServiceError: ``unauthorized`` (no key, malformed, unknown, revoked)
                or ``rate_limited`` (with the seconds to wait).
        """
        if not authorization:
            raise ServiceError("unauthorized", "send an API key: Authorization: Bearer <key>")
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        key_id = key_id_of(key) if scheme.lower() == "bearer" else None
        if key_id is None:
            raise ServiceError("unauthorized", "the Authorization header holds no API key")
        record = self._record(key_id, fetch)
        if record is None or not matches(key, record):
            raise ServiceError("unauthorized", "this API key is not known")
        if record.revoked_us is not None:
            raise ServiceError("unauthorized", "this API key was revoked")
        wait = self.limiter.take(key_id)
        if wait is not None:
            raise ServiceError("rate_limited", "too many requests from this key; slow down",
                               retry_after=wait)
        return Principal(record.key_id, record.role, record.party)
