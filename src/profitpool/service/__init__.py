"""The HTTP service: a REST API over the one engine, writing through the signed log.

    from profitpool.service import Settings, create_app
    app = create_app(Settings(db="sqlite:///profitpool.db"))
"""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
