"""Errors over HTTP: one body shape, one status per code, one handler.

Every error answer is ``{"error": code, "message": text}``. The engine's codes
(docs/rules.md section 8, :mod:`profitpool.errors`) keep their names; the service
adds its own for what only HTTP can get wrong (``unauthorized``,
``forbidden``, ``not_found``, ``rate_limited``, ``payload_too_large``,
``unavailable``, and ``invalid_url`` for a webhook URL deliveries may not go to).
Routes raise; the handlers in :func:`install` answer.
"""

from __future__ import annotations

import math
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import CODES, ProfitpoolError, Rejected
from .responses import Json

SERVICE_CODES: Final = (
    "unauthorized", "forbidden", "not_found", "method_not_allowed", "rate_limited",
    "payload_too_large", "unsupported_media_type", "unavailable", "invalid_url",
)

_STATUS: Final[dict[str, int]] = {
    "invalid_json": 400, "invalid_command": 400, "unknown_op": 400, "invalid_time": 400,
    "invalid_id": 400, "invalid_amount": 400, "invalid_profit": 400, "invalid_points": 400,
    "invalid_multiplier": 400, "invalid_period": 400, "invalid_rules": 400,
    "unknown_member": 404, "unknown_merchant": 404, "unknown_lender": 404,
    "unknown_order": 404, "unknown_campaign": 404, "unknown_pledge": 404,
    "duplicate_id": 409, "conflict": 409, "not_pending": 409, "already_burned": 409,
    "pledge_closed": 409, "time_went_backwards": 409,
    "campaign_not_applicable": 422, "insufficient_points": 422, "daily_cap_reached": 422,
    "transfers_disabled": 422,
    "unauthorized": 401, "forbidden": 403, "not_found": 404, "method_not_allowed": 405,
    "rate_limited": 429, "payload_too_large": 413, "unsupported_media_type": 415,
    "unavailable": 503, "invalid_url": 400,
}
assert set(_STATUS) == set(CODES) | set(SERVICE_CODES)


def status_of(code: str) -> int:
    """The HTTP status for an error code."""
    return _STATUS[code]


class ServiceError(ProfitpoolError):
    """Refused by the service before (or instead of) the engine."""

    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        assert code in _STATUS, code
        self.code = code
        self.message = message
        self.retry_after = retry_after


def error_body(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": message}


def error_response(code: str, message: str, retry_after: float | None = None) -> Json:
    headers = None
    if retry_after is not None:
        headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}
    return Json(error_body(code, message), status_code=_STATUS[code], headers=headers)


_HTTP_CODES: Final = {400: "invalid_json", 401: "unauthorized", 403: "forbidden",
                      404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
                      415: "unsupported_media_type"}
"""Codes for what Starlette and FastAPI refuse themselves (FastAPI answers 400 to a body
it cannot decode at all, e.g. one that is not UTF-8)."""


def _validation_message(error: RequestValidationError) -> tuple[str, str]:
    """The first problem, in one sentence; JSON that does not parse is ``invalid_json``."""
    problems = error.errors()
    if not problems:
        return "invalid_command", "the request is not valid"
    first = problems[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    if first.get("type") == "json_invalid":
        return "invalid_json", f"the body is not valid JSON: {first.get('msg', '')}"
    if first.get("type") == "extra_forbidden":
        return "invalid_command", f"unknown field {where!r}"
    return "invalid_command", f"{where or 'body'}: {first.get('msg', 'invalid')}"


def install(app: FastAPI) -> None:
    """Map every error to ``{"error", "message"}`` with its status."""

    @app.exception_handler(Rejected)
    async def rejected(_request: Request, error: Rejected) -> Json:
        return error_response(error.code, error.message)

    @app.exception_handler(ServiceError)
    async def refused(_request: Request, error: ServiceError) -> Json:
        return error_response(error.code, error.message, error.retry_after)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> Json:
        code, message = _validation_message(error)
        return error_response(code, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> Json:
        code = _HTTP_CODES.get(error.status_code, "not_found")
        response = error_response(code, str(error.detail))
        if error.headers:  # e.g. the Allow header of a 405, which RFC 9110 requires
            response.headers.update(error.headers)
        return response
