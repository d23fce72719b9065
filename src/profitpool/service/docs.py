"""``/docs``: Swagger UI served from this server, never from a CDN.

FastAPI's own ``/docs`` loads Swagger UI from a CDN and its favicon from another
site: blank where that CDN is unreachable (a closed network, and many networks in
China), and third-party code on the page where an admin pastes a key. Here the
bundle, its CSS and favicon are the files the pinned ``fastapi-offline`` package
ships (Swagger UI 5, which renders the OpenAPI 3.1 FastAPI writes), served under
``/docs-assets``; the page's start-up code is a file of ours beside them
(``docs_static/docs.js``), so the page runs under the site's strict
Content-Security-Policy with no inline script.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS: Final = "/docs-assets"
OWN_ASSETS: Final = Path(__file__).resolve().parent / "docs_static"
PACKAGE_ASSETS: Final = ("fastapi_offline", "static")
"""The package (and its folder) whose swagger-ui-bundle.js, swagger-ui.css and
favicon.png are served; pinned in constraints.txt."""

PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/docs.js"></script>
</body>
</html>
"""


def add_docs(app: FastAPI, docs_url: str = "/docs") -> None:
    """Serve Swagger UI at ``docs_url`` (create ``app`` with ``docs_url=None``)."""
    assert app.openapi_url is not None
    openapi_url = app.openapi_url
    title = f"{app.title} - API"
    app.mount(ASSETS, StaticFiles(directory=OWN_ASSETS, packages=[PACKAGE_ASSETS]),
              name="docs-assets")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return HTMLResponse(PAGE.format(title=escape(title), assets=escape(root + ASSETS),
                                        openapi_url=escape(root + openapi_url)))
