"""Pseudonyms: what the log calls a member.

A pseudonym is ``p-`` and 32 lowercase hex digits: 128 random bits from the
operating system's generator, drawn the first time an id reaches the program
and never derived from the id, a phone number or a name, so nothing about
the person can be worked out from it. It is a valid id for the engine
(letters, digits and ``-``), and ids of this form are kept for pseudonyms:
a merchant or the operator may not use one as a member's own id.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

PREFIX: Final = "p-"
BITS: Final = 128
_FORM: Final = re.compile(r"p-[0-9a-f]{32}")


def new_pseudonym() -> str:
    """A fresh pseudonym (128 random bits)."""
    return PREFIX + secrets.token_hex(BITS // 8)


def is_pseudonym(text: str) -> bool:
    """Whether ``text`` has the form of a pseudonym."""
    return _FORM.fullmatch(text) is not None
