"""A merchant's copy of an event: its own ids for the members beside their pseudonyms.

Events name members by pseudonyms, as the log does (docs/privacy.md). A
merchant sent its own id for each of its customers; the service maps that id
in on the way to the engine, and on the way out a webhook or feed read by that
merchant carries a top-level ``member_ids`` object, ``{pseudonym: the
merchant's id}``, for the members it has sent ids for and no others. It never
learns the id another merchant, or the operator, uses for the same person.
``data`` stays exactly as the entry holds it, so the event still checks
against the log; only the envelope gains the field. Every other owner (the
operator, lenders, the stream) gets the body as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from ..members.pseudonyms import is_pseudonym

Names = Callable[[list[str]], dict[str, str]]
"""Pseudonyms → the ids one merchant uses for them (those it has)."""


def pseudonyms_in(value: Any) -> Iterable[str]:
    """Every pseudonym among the strings of ``value`` (an event's data), in order."""
    if isinstance(value, str):
        if is_pseudonym(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from pseudonyms_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from pseudonyms_in(item)


def localise(body: bytes, names: Names) -> bytes:
    """``body`` with ``member_ids`` for the members ``names`` knows; unchanged if none."""
    if b'"p-' not in body:
        return body
    event = orjson.loads(body)
    found = list(dict.fromkeys(pseudonyms_in(event.get("data"))))
    shown = names(found) if found else {}
    if not shown:
        return body
    event["member_ids"] = dict(sorted(shown.items()))
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


__all__ = ["Names", "localise", "pseudonyms_in"]
