"""Errors over HTTP: one body shape, one status per code, one handler.

Every error answer is ``{"error": code, "message": text}``. The engine's codes
(docs/rules.md section 8, :mod:`profitpool.errors`) keep their names; the service
adds its own for what only HTTP can get wrong (``unauthorized``,
``forbidden``, ``not_found``, ``rate_limited``, ``payload_too_large``,
``unavailable``, ``internal_error`` for a fault of the service itself, and ``invalid_url``
for a webhook URL deliveries may not go to).
Routes raise; the handlers in :func:`install` answer.
"""

from __future__ import annotations

import logging
import math
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..errors import CODES, ProfitpoolError, Rejected
from ..store.database import StoreError, describe_error, from_read_only, is_unavailable
from .responses import Json

log = logging.getLogger("profitpool.service")

SERVICE_CODES: Final = (
    "unauthorized", "forbidden", "not_found", "method_not_allowed", "rate_limited",
    "payload_too_large", "unsupported_media_type", "unavailable", "invalid_url",
    "internal_error",
)

_STATUS: Final[dict[str, int]] = {
    "invalid_json": 400, "invalid_command": 400, "unknown_op": 400, "invalid_time": 400,
    "invalid_id": 400, "invalid_amount": 400, "invalid_profit": 400, "invalid_points": 400,
    "invalid_multiplier": 400, "invalid_period": 400, "invalid_rules": 400,
    "unknown_member": 404, "unknown_merchant": 404, "unknown_lender": 404,
    "unknown_order": 404, "unknown_campaign": 404, "unknown_pledge": 404,
    "unknown_destination": 404,
    "duplicate_id": 409, "conflict": 409, "not_pending": 409, "already_burned": 409,
    "pledge_closed": 409, "time_went_backwards": 409, "cannot_erase": 409,
    "continues_not_first": 409, "payout_closed": 409, "unknown_party": 404,
    "unknown_payout": 404,
    "campaign_not_applicable": 422, "insufficient_points": 422, "daily_cap_reached": 422,
    "transfers_disabled": 422,
    "unauthorized": 401, "forbidden": 403, "not_found": 404, "method_not_allowed": 405,
    "rate_limited": 429, "payload_too_large": 413, "unsupported_media_type": 415,
    "unavailable": 503, "invalid_url": 400, "internal_error": 500,
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


def database_error(request: Request, error: BaseException) -> Json:
    """A database error a route met: ``unavailable`` (503, Retry-After) when the database
    could not be used, noted once in the service's health (health.py); otherwise the
    database refused what was asked, a fault of the service: ``internal_error`` (500)."""
    from .health import RETRY_AFTER_S

    if is_unavailable(error):
        # A replica's outage (--read-db) is noted apart: the writer's database is fine.
        replica = from_read_only(error)
        health = getattr(request.app.state, "read_health" if replica else "health", None)
        if health is not None:
            health.failed(error)
        what = "the log's read replica" if replica else "the log's database"
        return error_response("unavailable", f"{what} is unavailable; retry later",
                              retry_after=RETRY_AFTER_S)
    log.error("%s %s failed in the database: %s", request.method, request.url.path,
              describe_error(error) if isinstance(error, SQLAlchemyError) else error)
    return error_response("internal_error", "the service failed to read or write its "
                          "database (the operator is told)")


def install(app: FastAPI) -> None:
    """Map every error to ``{"error", "message"}`` with its status."""

    @app.exception_handler(SQLAlchemyError)
    async def database(request: Request, error: SQLAlchemyError) -> Json:
        return database_error(request, error)

    @app.exception_handler(StoreError)
    async def store(request: Request, error: StoreError) -> Json:
        return database_error(request, error)

    @app.exception_handler(Exception)
    async def fault(_request: Request, _error: Exception) -> Json:
        # Starlette logs the traceback after this answer: a fault is a bug to fix.
        return error_response("internal_error", "the service failed on this request "
                              "(the operator is told)")

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
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 405:
            return wrong_method(request)
        code = _HTTP_CODES.get(error.status_code, "not_found")
        response = error_response(code, str(error.detail))
        if error.headers:
            response.headers.update(error.headers)
        return response


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app takes at the request's path, and OPTIONS.

    (Starlette answers a wrong method with the methods of the first route whose path
    matches; a path several routes share, one per method, takes them all.)
    """
    methods = {"OPTIONS"}
    routes = request.app.router.routes
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in routes):
            methods.add(method)
    return sorted(methods)


_METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def wrong_method(request: Request) -> Response:
    """``OPTIONS``: 204 with ``Allow``; any other method no route takes: 405 with ``Allow``
    naming every method the path takes (RFC 9110 sections 9.3.7 and 15.5.6)."""
    allow = ", ".join(allowed_methods(request))
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": allow})
    response = error_response("method_not_allowed", f"{request.url.path} takes {allow}; "
                              f"not {request.method}")
    response.headers["Allow"] = allow
    return response
