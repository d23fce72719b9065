"""JSON answers encoded by orjson (FastAPI's own ORJSONResponse is deprecated).

A :class:`~starlette.responses.JSONResponse` subclass, because FastAPI documents
a route's response model only when its response class is one.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from fastapi.responses import JSONResponse

IMMUTABLE: Final = {"Cache-Control": "public, max-age=31536000, immutable"}
"""What never changes once it exists (a full tile, a block, an entry, a proof between two
given tree sizes): any HTTP cache may keep it for good."""


class Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
