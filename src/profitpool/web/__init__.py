"""The web pages, served by ``profitpool serve`` beside the API (no network at run time)."""

from .pages import HERE, router

STATIC = HERE / "static"

__all__ = ["STATIC", "router"]
