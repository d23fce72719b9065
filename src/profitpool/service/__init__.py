"""The HTTP service: a REST API over the one engine, writing through the signed log.

    from profitpool.service import Settings, create_app
    app = create_app(Settings(db="sqlite:///profitpool.db"))

Names are imported lazily, so reading the settings (``profitpool serve
--help`` shows their defaults) does not load FastAPI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .settings import Settings

_EXPORTS = {"Settings": "settings", "create_app": "app"}

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
