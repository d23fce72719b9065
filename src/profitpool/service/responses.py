"""JSON answers encoded by orjson (FastAPI's own ORJSONResponse is deprecated).

A :class:`~starlette.responses.JSONResponse` subclass, because FastAPI documents
a route's response model only when its response class is one.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
