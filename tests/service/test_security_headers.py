"""Every answer carries the security headers (API, pages, static files, docs, errors, 404s,
even a 500), the site's pages the strict Content-Security-Policy, and the two documents
that need another policy a narrower one of their own."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx
from servicehelpers import Service

from profitpool.service.security import STRICT_POLICY, inline_policy
from profitpool.service.settings import Settings
from profitpool.web import create_app
from servers import ThreadServer

EXPECTED = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
            "referrer-policy": "same-origin"}


def _assert_secured(headers: object, what: str, policy: str | None = STRICT_POLICY) -> None:
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (what, name)  # type: ignore[attr-defined]
    if policy is not None:
        assert headers.get("content-security-policy") == policy, what  # type: ignore[attr-defined]


def test_the_strict_policy_is_the_one_the_pages_were_made_for() -> None:
    directives = dict(part.strip().split(" ", 1) for part in STRICT_POLICY.split(";"))
    assert directives == {
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
        "img-src": "'self' data:", "object-src": "'none'", "base-uri": "'none'",
        "form-action": "'self'", "frame-ancestors": "'none'"}
    assert "unsafe" not in STRICT_POLICY


def test_every_kind_of_answer_carries_the_security_headers(sqlite_service: Service) -> None:
    client = sqlite_service.client()
    admin = sqlite_service.admin()
    answers = {
        "an API read": client.get("/v1/pool"),
        "a keyed API read": admin.get("/v1/merchants"),
        "a page": client.get("/"),
        "a sign-in page": client.get("/console"),
        "a static file": client.get("/static/site.css"),
        "the docs": client.get("/docs"),
        "the docs' assets": client.get("/docs-assets/swagger-ui.css"),
        "the OpenAPI document": client.get("/openapi.json"),
        "a checkpoint": client.get("/checkpoint"),
        "an API 404": client.get("/v1/blocks/999"),
        "a page 404": client.get("/entry/999"),
        "a route that is not there": client.get("/nothing/here"),
        "a 401": client.get("/v1/merchants"),
        "a 405": client.put("/v1/pool"),
        "a 413": admin.post("/v1/merchants", content=b"x" * 2_000_000,
                            headers={"Content-Type": "application/json"}),
        "a cross-site form": client.post("/console/login", data={"key": "x"}),
        "a report not there": client.get("/v1/disclosures/2025-12", params={"format": "html"}),
    }
    assert answers["a 413"].status_code == 413 and answers["a page 404"].status_code == 404
    assert answers["a cross-site form"].status_code == 403
    for what, answer in answers.items():
        _assert_secured(answer.headers, what)


def test_an_unhandled_error_s_500_carries_them_too(tmp_path: Path) -> None:
    app = create_app(Settings(db=f"sqlite:///{tmp_path / 'unused.db'}",
                              key=tmp_path / "unused.key"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    server = ThreadServer(app, lifespan="off", what="app")  # the route needs no log
    try:
        answer = httpx.get(f"{server.url}/boom")
    finally:
        server.stop()
    assert answer.status_code == 500
    _assert_secured(answer.headers, "a 500")


def test_the_inline_policy_allows_a_document_s_own_inline_code_by_hash_and_nothing_else(
        ) -> None:
    document = ("<style>p{color:red}</style><script src=/a.js></script>"
                "<script>\nrun();\n</script><p>x</p>")

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() \
            + "'"

    assert inline_policy(document) == (
        f"default-src 'none'; script-src {digest(chr(10) + 'run();' + chr(10))}; "
        f"style-src {digest('p{color:red}')}; img-src data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'")
    # a document without inline code may run and load nothing at all
    assert inline_policy("<p>x</p>").startswith("default-src 'none'; img-src data:")

