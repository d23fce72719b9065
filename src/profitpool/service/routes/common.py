"""What every route shares: the documented error answers."""

from __future__ import annotations

from typing import Any

from ..schemas import ErrorBody

_ERRORS = {400: "Malformed input (a code of RULES.md section 8).",
           401: "No key, or an unknown or revoked one.",
           403: "The key's role or binding does not allow this.",
           404: "No such resource.", 409: "Conflicts with an earlier command.",
           413: "The body is too large.", 422: "Refused by the rules.",
           429: "Too many requests from this key (see Retry-After).",
           503: "The log's database is unavailable; nothing was written."}

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _ERRORS.items()
}
