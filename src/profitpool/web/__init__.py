"""The web pages, served by ``profitpool serve`` beside the API (no network at run time).

    from profitpool.service import Settings
    from profitpool.web import create_app
    app = create_app(Settings(db="sqlite:///profitpool.db"))  # the API and the pages
"""

from .app import STATIC, create_app, router

__all__ = ["STATIC", "create_app", "router"]
