"""The whole HTTP app: the service's API with the pages beside it.

The pages are a layer above the service: they read its context, read model
and sequencer (service/deps.py, readmodel.py), and the service knows nothing
of them. So the app that has both is put together here, above both: it is
the one ``profitpool serve`` runs and the tests serve.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from ..service.app import create_app as create_api
from ..service.sequencer import system_clock
from ..service.settings import Settings
from . import console, merchant, pages, wallet
from .pages import HERE

STATIC = HERE / "static"

router = APIRouter()
router.include_router(pages.router)
router.include_router(wallet.router)
router.include_router(merchant.router)
router.include_router(console.router)


def create_app(settings: Settings, *, clock: Callable[[], int] = system_clock) -> FastAPI:
    """The API for the log at ``settings.db`` (:func:`profitpool.service.create_app`), with
    the explorer, wallet, merchant portal and console, and their static files."""
    app = create_api(settings, clock=clock)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
