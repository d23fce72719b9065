"""Security headers on every answer, and the narrower policies a few documents need.

Every response, whatever answered it (a route, the static files, the docs, an
error handler, a 404, Starlette's own 500), carries:

- ``X-Content-Type-Options: nosniff``: a browser takes each answer for the type
  it is declared as (a JSON error is never run as a script);
- ``X-Frame-Options: DENY`` and the policy's ``frame-ancestors 'none'``: no
  site can frame a page to trick a click (the first for older browsers);
- ``Referrer-Policy: same-origin``: links to other sites get no Referer, yet
  our own forms keep their ``Origin``, which the pages' check against
  cross-site forms needs (``no-referrer`` would make browsers send
  ``Origin: null`` on every form);
- ``Content-Security-Policy``: :data:`STRICT_POLICY` unless the answer brought
  its own: only this site's own scripts, styles and images, no inline script or
  style, no plugins, no ``<base>``, forms only to this site. A self-contained
  document (the monthly report served as HTML) brings :func:`inline_policy`'s
  instead: its own inline script and style, by hash, and nothing from anywhere.

Answers to a request that carried an API key (``Authorization``) get
``Cache-Control: no-store``: they are that key's business and some hold secrets
(``POST /v1/keys``, a webhook's signing secret), so no cache may keep them.
:class:`NoStore` does the same for whole path prefixes (the pages' signed-in
areas, web/app.py).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Final

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_POLICY: Final = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                        "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                        "form-action 'self'; frame-ancestors 'none'")
"""The policy of every page of this site (and of every other answer)."""

HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
NO_STORE: Final = "no-store"

_INLINE = re.compile(r"<(script|style)(\s[^>]*)?>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)


def inline_policy(document: str) -> str:
    """The policy of a self-contained HTML document: each of its own inline scripts and
    styles may run, allowed by its SHA-256 (CSP level 2 hashes), and nothing is loaded
    from anywhere, this site included. Anything injected into it later would not match
    a hash and would not run."""
    allowed: dict[str, list[str]] = {"script": [], "style": []}
    for tag, attributes, body in _INLINE.findall(document):
        if "src=" in (attributes or "").lower():
            continue  # a script loaded from a URL: default-src 'none' refuses it
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        allowed[tag.lower()].append(f"'sha256-{digest}'")
    parts = ["default-src 'none'"]
    parts += [f"{tag}-src {' '.join(hashes)}" for tag, hashes in allowed.items() if hashes]
    parts += ["img-src data:", "base-uri 'none'", "form-action 'none'",
              "frame-ancestors 'none'"]
    return "; ".join(parts)


class SecurityHeaders:
    """Adds the headers of this module's docstring to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        keyed = any(name == b"authorization" for name, _ in scope.get("headers", ()))

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS:
                    headers[name.decode()] = value.decode()
                headers.setdefault("content-security-policy", STRICT_POLICY)
                if keyed:
                    headers["cache-control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, secured)


class NoStore:
    """``Cache-Control: no-store`` on every answer under the given path prefixes."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.prefixes = prefixes

    def _private(self, path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + "/") for prefix in self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._private(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def unstored(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["cache-control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, unstored)


class SecuredFastAPI(FastAPI):
    """FastAPI whose every answer passes through :class:`SecurityHeaders`.

    The headers wrap the whole middleware stack, Starlette's server-error layer
    included (``add_middleware`` would put them inside it), so an unhandled
    error's 500 carries them like any other answer.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())
