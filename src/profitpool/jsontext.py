"""Reading JSON text that others send: one meaning or a refusal.

JSON (RFC 8259) leaves an object with the same name twice undefined, and
parsers disagree: most keep the last value, some the first, some refuse.
A command whose ``"amount"`` appears twice would be one order to a gateway
that keeps the first value and another to us, so every command we take in,
through the API or ``profitpool apply``, is read here and refused with
``invalid_json`` if a name repeats, if it is not UTF-8, or if it nests too
deeply to parse.
"""

from __future__ import annotations

import json
from typing import Any, Final

from .errors import Rejected

MAX_DEPTH: Final = 64
"""Objects and arrays nested deeper than this are refused (a command nests two levels)."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _Duplicate(name)
            seen.add(name)
    return obj


class _Duplicate(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


class _NotJson(Exception):
    pass


_DECODER: Final = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_constant)


def loads(text: bytes | str) -> Any:
    """The value of one JSON text.

    Raises:
        Rejected(invalid_json): not UTF-8, not JSON, a name twice in one object,
            or nested deeper than :data:`MAX_DEPTH`.
    """
    if not isinstance(text, str):
        data = bytes(text)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Rejected("invalid_json", f"the JSON is not UTF-8 text (byte {error.start} "
                           f"is {data[error.start]:#04x})") from None
    if text.startswith("\ufeff"):
        raise Rejected("invalid_json", "the JSON starts with a byte order mark (U+FEFF): "
                       "send plain UTF-8")
    if _too_deep(text):
        raise Rejected("invalid_json", f"the JSON nests objects or arrays more than "
                       f"{MAX_DEPTH} levels deep")
    try:
        return _DECODER.decode(text)
    except _Duplicate as duplicate:
        raise Rejected("invalid_json", f"the name {duplicate.name!r} appears twice in one "
                       "object: send each field once") from None
    except json.JSONDecodeError as error:
        raise Rejected("invalid_json", f"not valid JSON: {error.msg} at line {error.lineno} "
                       f"column {error.colno}") from None
    except _NotJson as error:  # NaN, Infinity: Python's parser takes them, JSON has none
        raise Rejected("invalid_json", f"not valid JSON: {error}") from None
    except ValueError as error:  # an integer of thousands of digits (int's own limit)
        raise Rejected("invalid_json", f"a number cannot be read: {error}") from None
    except RecursionError:  # pragma: no cover - _too_deep refuses it first
        raise Rejected("invalid_json", "the JSON nests too deeply") from None


def _too_deep(text: str) -> bool:
    """Whether brackets outside strings nest deeper than :data:`MAX_DEPTH` (a quick scan
    that only runs when the text holds that many opening brackets at all)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False
