"""What follows a member's ``erase`` entry, outside the log: the links and the data go.

The order matters and is the same for the API (``DELETE /v1/members/{id}``) and
the CLI (``profitpool members erase``): first the engine logs ``erase`` (which
it refuses while the member holds points or has an order unsettled), and only
once that entry's block is stored are the links, the profile, the member's payout
destinations (bank accounts), API keys and passkeys deleted. The other order could
leave a person unlinked from records the log never says were erased, or, if the entry
were refused, a member who holds points but can no longer be found by their id.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..store.apikeys import KeyStore
from ..store.destinations import DestinationStore
from ..store.passkeys import PasskeyStore
from .directory import Directory


@dataclass(frozen=True)
class Forgotten:
    """What an erasure deleted outside the log."""

    links_deleted: int
    """Rows of member_links, member_profiles and payout_destinations deleted (and
    overwritten on SQLite)."""
    keys_revoked: list[str]
    """The ids of the member's API keys, now revoked: whoever holds one is nobody now."""


def forget_member(directory: Directory, keys: KeyStore, pseudonym: str) -> Forgotten:
    """Delete ``pseudonym``'s links, personal data, payout destinations and passkeys and
    revoke its member keys; call only after its ``erase`` entry is stored. Idempotent: a
    second call deletes nothing."""
    deleted = directory.forget(pseudonym)
    # The store's, not cash/'s: cash/ builds on members/, which must not import it back.
    deleted += DestinationStore(directory.store.engine).forget_party(f"member:{pseudonym}")
    PasskeyStore(directory.store.engine).forget_member(pseudonym, time.time_ns() // 1000)
    return Forgotten(deleted, keys.revoke_party("member", pseudonym))


__all__ = ["Forgotten", "forget_member"]
