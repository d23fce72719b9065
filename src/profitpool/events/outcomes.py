"""What one webhook attempt came to: its outcome, the receiver's status, a one-line detail.

Outcomes (the delivery log's ``outcome`` column): ``delivered`` (2xx),
``redirect`` (3xx; never followed), ``rejected`` (4xx), ``failed`` (5xx),
``timeout``, ``unreachable`` (no such name, no connection), ``forbidden_address``
(the URL policy refused the address; nothing was sent) and ``error``
(anything else: the receiver hung up without answering, a malformed answer, TLS).
A receiver's bytes are cut to :data:`EXCERPT_CHARS` printable characters.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Final

from .http import Answer, BadAnswer, ForbiddenAddress, Unreachable

DELIVERED: Final = "delivered"
REDIRECT: Final = "redirect"
REJECTED: Final = "rejected"
FAILED: Final = "failed"
TIMEOUT: Final = "timeout"
UNREACHABLE: Final = "unreachable"
FORBIDDEN_ADDRESS: Final = "forbidden_address"
ERROR: Final = "error"

EXCERPT_CHARS: Final = 200


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one POST came to."""

    outcome: str
    http_status: int | None
    detail: str
    duration_ms: int


def answered(answer: Answer, duration_ms: int) -> Attempt:
    """The outcome of an attempt the receiver answered."""
    status = answer.status
    said = printable(answer.excerpt)
    detail = f"HTTP {status}" + (f": {said}" if said else "")
    if 200 <= status < 300:
        outcome = DELIVERED
    elif 300 <= status < 400:
        outcome = REDIRECT
        location = printable(answer.location.encode())
        detail = (f"HTTP {status} to {location or '(no Location)'}: redirects are not "
                  "followed, register the final URL")
    elif 400 <= status < 500:
        outcome = REJECTED
    elif 500 <= status < 600:
        outcome = FAILED
    else:
        outcome = ERROR
    if answer.cut is not None:
        detail += f" ({answer.cut})"
    return Attempt(outcome, status, detail, duration_ms)


def failure(error: BaseException, timeout_s: float) -> tuple[str, None, str]:
    """The outcome, status and detail of an attempt that got no answer."""
    if isinstance(error, ForbiddenAddress):
        return FORBIDDEN_ADDRESS, None, str(error)
    if isinstance(error, TimeoutError):
        return TIMEOUT, None, f"no answer within {timeout_s:g} s"
    if isinstance(error, Unreachable):
        return UNREACHABLE, None, str(error)
    if isinstance(error, ssl.SSLError):
        return ERROR, None, f"TLS failed: {error.reason or error}"
    if isinstance(error, BadAnswer):
        return ERROR, None, str(error)
    return ERROR, None, f"{type(error).__name__}: {printable(str(error).encode())}"


def printable(raw: bytes) -> str:
    """A short one-line excerpt of a receiver's bytes, safe to log and show."""
    text = raw[:EXCERPT_CHARS].decode("utf-8", "replace")
    text = "".join(char if char.isprintable() else " " for char in text)
    text = " ".join(text.split())
    return text if len(raw) <= EXCERPT_CHARS else text + "…"
