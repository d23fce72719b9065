"""Public pseudonyms of members: a keyed hash of the member id.

The key is the program's own secret, kept beside the log (``log_meta``, never
served): anyone can look a pseudonym up, nobody can compute one without the
key, so the explorer shows a member's public history without a list of
members. A member sees their pseudonym in their wallet.
"""

from __future__ import annotations

import threading

from fastapi import Request

from ..disclosure.publish import PSEUDONYM_META, program_secret, pseudonym_of
from ..service.deps import Context

META_KEY = PSEUDONYM_META


class Pseudonyms:
    def __init__(self, key: bytes) -> None:
        self.key = key
        self._members: dict[str, str] = {}
        self._lock = threading.Lock()
        self._known = 0

    @classmethod
    def of(cls, request: Request, ctx: Context) -> Pseudonyms:
        """The program's pseudonyms (the key is created on first use)."""
        existing = getattr(request.app.state, "pseudonyms", None)
        if existing is not None:
            return existing  # type: ignore[no-any-return]
        made = cls(program_secret(ctx.store, META_KEY))
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
