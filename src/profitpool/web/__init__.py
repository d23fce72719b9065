"""The web pages, served by ``profitpool serve`` beside the API (no network at run time)."""

from fastapi import APIRouter

from . import console, merchant, pages, wallet
from .pages import HERE

STATIC = HERE / "static"

router = APIRouter()
router.include_router(pages.router)
router.include_router(wallet.router)
router.include_router(merchant.router)
router.include_router(console.router)

__all__ = ["STATIC", "router"]
