"""Public pseudonyms of members: a keyed hash of the member id.

The key is the program's own secret, kept beside the log (``program_secrets``,
store/secrets.py; never served, never in a public copy): anyone can look a
pseudonym up, nobody can compute one without the key, so the explorer shows a
member's public history without a list of members. A member sees their
pseudonym in their wallet, which makes the key if it is not there yet; a lookup
never makes it (before the key exists no pseudonym can have been shown).
"""

from __future__ import annotations

import threading

from fastapi import Request

from ..disclosure.publish import pseudonym_of
from ..service.deps import Context
from ..store.secrets import PSEUDONYM_KEY, SecretStore


class Pseudonyms:
    def __init__(self, key: bytes) -> None:
        self.key = key
        self._members: dict[str, str] = {}
        self._lock = threading.Lock()
        self._known = 0

    @classmethod
    def of(cls, request: Request, ctx: Context) -> Pseudonyms:
        """The program's pseudonyms, to show one (the key is made on first use)."""
        existing = getattr(request.app.state, "pseudonyms", None)
        if existing is not None:
            return existing  # type: ignore[no-any-return]
        made = cls(SecretStore(ctx.store.engine).get_or_create(PSEUDONYM_KEY))
        request.app.state.pseudonyms = made
        return made

    @classmethod
    def existing(cls, request: Request, ctx: Context) -> Pseudonyms | None:
        """The program's pseudonyms, to look one up: None while there is no key (no
        pseudonym can have been shown yet, so none can be looked up)."""
        existing = getattr(request.app.state, "pseudonyms", None)
        if existing is not None:
            return existing  # type: ignore[no-any-return]
        key = SecretStore(ctx.store.engine).get(PSEUDONYM_KEY)
        if key is None:
            return None
        made = cls(key)
        request.app.state.pseudonyms = made
        return made

    def of_member(self, member_id: str) -> str:
        return pseudonym_of(self.key, member_id)

    def member(self, pseudonym: str, members: list[str]) -> str | None:
        """The member with this pseudonym among ``members`` (an append-only list of every
        member: only those added since the last lookup are hashed)."""
        with self._lock:
            new = members[self._known:]
            for member_id in new:
                self._members[self.of_member(member_id)] = member_id
            self._known += len(new)
            return self._members.get(pseudonym)
