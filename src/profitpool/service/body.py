"""Request bodies, read whole and checked before any route sees them.

:class:`RequestBody` is the first thing every request meets. It reads the
body, declared (``Content-Length``) or streamed (chunked), and refuses it
with 413 ``payload_too_large`` as soon as it passes the limit, so a body
without a declared length cannot grow without bound. A body sent to the API
(``/v1/…``) must be JSON: another ``Content-Type`` (text, a form) is 415
``unsupported_media_type``; text that is not UTF-8, a name given twice in
one object, or nesting deeper than any command needs is 400 ``invalid_json``
with a sentence saying which (jsontext.py, the reader ``profitpool apply``
uses too). Only then is the request passed on, with the body it was sent.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import Rejected
from ..jsontext import loads
from .errors import error_response

API_PREFIX: Final = "/v1/"
_WITH_BODY: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON: application/json or application/<x>+json."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                            and media.endswith("+json"))


class RequestBody:
    """Read, bound and (for the API) check every request body (see the module docstring)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.limit
            except ValueError:
                too_large = True
            if too_large:
                await self._refuse(scope, receive, send, "payload_too_large",
                                   f"the body is larger than {self.limit:,} bytes")
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send, "payload_too_large",
                                   f"the body is larger than {self.limit:,} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and scope["method"] in _WITH_BODY and scope["path"].startswith(API_PREFIX):
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if not is_json(content_type):
                named = f"{content_type!r}" if content_type else "no Content-Type"
                await self._refuse(scope, receive, send, "unsupported_media_type",
                                   f"the API takes JSON bodies (Content-Type: application/"
                                   f"json), not {named}")
                return
            try:
                loads(body)
            except Rejected as error:
                await self._refuse(scope, receive, send, error.code, error.message)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # e.g. the disconnect a long poll waits for

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, code: str,
                      message: str) -> None:
        await error_response(code, message)(scope, receive, send)
