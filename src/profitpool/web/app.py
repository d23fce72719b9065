"""The whole HTTP app: the service's API with the pages beside it.

The pages are a layer above the service: they read its context, read model
and sequencer (service/deps.py, readmodel.py), and the service knows nothing
of them. So the app that has both is put together here, above both: it is
the one ``profitpool serve`` runs and the tests serve.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError

from ..log.writer import LogWriter
from ..service.app import WorkerSpec
from ..service.app import create_app as create_api
from ..service.errors import database_error
from ..service.security import NoStore
from ..service.sequencer import system_clock
from ..service.settings import Settings
from ..store.database import StoreError
from . import auditor, console, lender, merchant, pages, passkeys, wallet
from .pages import HERE, render
from .signin import CrossSiteRequest

STATIC = HERE / "static"

router = APIRouter()
router.include_router(pages.router)
router.include_router(wallet.router)
router.include_router(merchant.router)
router.include_router(lender.router)
router.include_router(console.router)
router.include_router(auditor.router)
router.include_router(passkeys.router)  # members' passkeys: wallet, console, portal, API
AREAS = (wallet.AREA, merchant.AREA, lender.AREA, console.AREA, auditor.AREA)
"""The signed-in areas: every answer under them is private (no cache keeps it)."""


async def _database_error(request: Request, error: Exception) -> Response:
    """A page that met a database error: the page saying so (503 when the database is
    down); the API's answer for the API (service/errors.py)."""
    answer = database_error(request, error)
    if request.url.path.startswith(API_PATHS) or answer.status_code != 503:
        return answer
    return render(request, "unavailable.html", request.query_params.get("lang"),
                  request.cookies.get("lang"), status=503,
                  headers={"Retry-After": answer.headers["Retry-After"]})


API_PATHS = ("/v1/", "/checkpoint", "/tile/", "/openapi.json", "/docs")
"""Paths answered as the API (JSON errors), not as pages."""


def create_app(settings: Settings, *, clock: Callable[[], int] = system_clock,
               writer: LogWriter | None = None, worker: WorkerSpec | None = None) -> FastAPI:
    """The API for the log at ``settings.db`` (:func:`profitpool.service.create_app`, which
    says what ``writer`` is), with the explorer, wallet, merchant and lender portals and
    console, and their static files."""
    app = create_api(settings, clock=clock, writer=writer, worker=worker)
    app.include_router(router)
    for kind in (SQLAlchemyError, StoreError):
        app.add_exception_handler(kind, _database_error)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(NoStore, prefixes=tuple(area.path for area in AREAS))

    @app.exception_handler(CrossSiteRequest)
    async def cross_site(request: Request, error: CrossSiteRequest) -> Response:
        return render(request, "cross_site.html", request.query_params.get("lang"),
                      request.cookies.get("lang"), status=403, back=error.area)

    return app
