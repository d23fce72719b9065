"""What every route shares: the documented answers, bounds."""

from __future__ import annotations

from typing import Any, Final

from ..schemas import ErrorBody, WriteResult

MAX_INT: Final = 2**63 - 1
"""The largest integer the database holds (a signed 64-bit INTEGER or BIGINT). A query
with a larger one fails in the database driver, so parameters compared with stored
heights and indexes are bounded by it."""

_ERRORS = {400: "Malformed input (a code of docs/rules.md section 8).",
           401: "No key, or an unknown or revoked one.",
           403: "The key's role or binding does not allow this.",
           404: "No such resource.", 409: "Conflicts with an earlier command.",
           413: "The body is too large.", 422: "Refused by the rules.",
           429: "Too many requests from this key (see Retry-After).",
           503: "The log's database is unavailable; nothing was written."}

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _ERRORS.items()
}

REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"model": WriteResult,
          "description": "A retry of an earlier write: its first answer, marked as a replay."},
}
"""The answer of a write to a retry (same order id or Idempotency-Key, same body)."""
