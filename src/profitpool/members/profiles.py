"""Members' personal data (name, phone, ...), sealed outside the log.

A profile is a small JSON object of text fields, sealed with the data key
(datakey.py: a fresh data key per value, wrapped; the pseudonym is bound to it
as authenticated context, so a sealed profile moved to another member does not
open). It never enters the log, an event, a tile or a report; erasure deletes
it with the member's links.
"""

from __future__ import annotations

import time
from typing import Final

import orjson

from ..errors import Rejected
from .directory import Directory

FIELDS: Final = ("name", "phone", "email", "note")
MAX_TEXT: Final = 200


def _context(pseudonym: str) -> bytes:
    return f"member profile\x00{pseudonym}".encode()


def check_profile(fields: dict[str, object]) -> dict[str, str]:
    """The profile's fields, each text of at most 200 characters.

    Raises:
        Rejected(invalid_command): an unknown field, or a value that is not such text.
    """
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise Rejected("invalid_command", f"unknown profile field(s): {', '.join(unknown)} "
                       f"(known: {', '.join(FIELDS)})")
    profile: dict[str, str] = {}
    for name, value in fields.items():
        if type(value) is not str or len(value) > MAX_TEXT:
            raise Rejected("invalid_command", f"{name} must be text of at most {MAX_TEXT} "
                           "characters")
        if value:
            profile[name] = value
    return profile


def put_profile(directory: Directory, pseudonym: str, profile: dict[str, str]) -> None:
    """Store (replace) a member's profile, sealed."""
    sealed = directory.data_key().seal(orjson.dumps(profile, option=orjson.OPT_SORT_KEYS),
                                   _context(pseudonym))
    directory.store.put_profile(pseudonym, sealed, time.time_ns() // 1000)


def get_profile(directory: Directory, pseudonym: str) -> dict[str, str]:
    """A member's profile ({} if none)."""
    sealed = directory.store.profile(pseudonym)
    if sealed is None:
        return {}
    value: dict[str, str] = orjson.loads(directory.data_key().open(sealed, _context(pseudonym)))
    return value
