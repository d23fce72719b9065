"""The JSON Schema of every event, published in the service's OpenAPI document.

OpenAPI 3.1 has a ``webhooks`` section for exactly this: one operation per
event type, whose request body is what that event's deliveries carry. The
``data`` of an effect's event is the effect as its log entry holds it, so its
schema comes from the canonical encoding's own field table
(chain/canonical.py), not from a second description that could drift.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI

from ..chain.canonical import effect_kinds, effect_schema
from .domain import BLOCK_COMMITTED, CHECKPOINT_ANCHORED, EFFECT_TYPES, ENDPOINT_DISABLED

_HEX64: Final = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_INT: Final = {"type": "integer"}
_NULLABLE_INT: Final = {"type": ["integer", "null"]}

_OWN_DATA: Final[dict[str, dict[str, Any]]] = {
    BLOCK_COMMITTED: {
        "height": _INT, "first_index": _INT, "count": _INT, "tree_size": _INT,
        "root": _HEX64, "state_digest": _HEX64, "time": {"type": "string",
                                                         "format": "date-time"}},
    CHECKPOINT_ANCHORED: {
        "chain_id": _INT, "contract": {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"},
        "number": _INT, "tree_size": _INT, "root": _HEX64, "block_height": _INT,
        "tx_hash": {"type": "string"}, "chain_block": _INT},
    ENDPOINT_DISABLED: {
        "endpoint": {"type": "string"}, "owner": {"type": "string"},
        "url": {"type": "string"}, "reason": {"type": "string"},
        "failing_since": {"type": "string", "format": "date-time"},
        "event_id": {"type": "string"}},
}

_DESCRIPTIONS: Final[dict[str, str]] = {
    "order.placed": "An order was accepted; its points are pending until it settles.",
    "order.settled": "An order's refund window closed: its profit share went into the pool.",
    "points.minted": "A settled order minted a lot of points for its member.",
    "order.refunded": "A pending order was refunded; it will never settle.",
    "withdrawal.paid": "A member sold points back: `paid` to them, the rest stays in the pool.",
    "payment.made": "A member paid a merchant with points; the pool paid the merchant.",
    "lot.exited": "A lot reached its exit value and was redeemed automatically.",
    "burn.applied": "The monthly burn: every holding shrank by the burn rate; no value changed.",
    "transfer.made": "A member gave points to another.",
    "pledge.created": "A member pledged points to a lender against a loan.",
    "pledge.released": "A pledge was released; its lots are the member's again.",
    "pledge.seized": "A pledge was redeemed: the lender was paid first.",
    "rules.changed": "The rules changed from the next command on.",
    "report.published": "A month's disclosure was recorded in the log.",
    "custody.recorded": "The operator reported what the custody account holds.",
    BLOCK_COMMITTED: "A block of the log was signed and stored.",
    CHECKPOINT_ANCHORED: "A checkpoint of the log was published on a blockchain.",
    ENDPOINT_DISABLED: "A webhook endpoint failed for too long and was disabled "
                       "(to the admin only).",
}


def _log_schema(with_effect: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"index": _NULLABLE_INT, "block": _NULLABLE_INT,
                                  "tree_size": _NULLABLE_INT}
    if with_effect:
        properties["effect"] = _INT
    return {"type": "object", "properties": properties,
            "description": "Where the event is in the log: check it with the inclusion "
                           "proof of `index` at `tree_size` (`/v1/proofs/inclusion`)."}


def event_schemas() -> dict[str, dict[str, Any]]:
    """{event type: the JSON Schema of its body}."""
    data: dict[str, tuple[dict[str, Any], bool]] = {
        EFFECT_TYPES[kind]: (effect_schema(kind), True) for kind in effect_kinds()}
    for name, properties in _OWN_DATA.items():
        data[name] = ({"type": "object", "additionalProperties": False,
                       "required": sorted(properties), "properties": properties}, False)
    schemas = {}
    for name, (schema, with_effect) in data.items():
        schemas[name] = {
            "title": name, "description": _DESCRIPTIONS.get(name, ""), "type": "object",
            "additionalProperties": False, "required": ["data", "id", "log", "timestamp",
                                                        "type"],
            "properties": {
                "id": {"type": "string", "description": (
                    "Stable: the same event always has this id (ev_<index>_<effect>)."
                )},
                "type": {"const": name},
                "timestamp": {"type": "string", "format": "date-time"},
                "log": _log_schema(with_effect),
                "data": schema,
            },
        }
    return schemas


_HEADERS: Final = [
    {"name": "webhook-id", "in": "header", "required": True, "schema": {"type": "string"},
     "description": "The event id; de-duplicate on it."},
    {"name": "webhook-timestamp", "in": "header", "required": True,
     "schema": {"type": "string"}, "description": "Seconds since the epoch of this attempt."},
    {"name": "webhook-signature", "in": "header", "required": True,
     "schema": {"type": "string"},
     "description": "v1,<base64 HMAC-SHA256 of id.timestamp.body> (Standard Webhooks)."},
]


def add_event_docs(app: FastAPI) -> None:
    """Publish every event type's body under the OpenAPI document's ``webhooks``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        components = document.setdefault("components", {}).setdefault("schemas", {})
        hooks = document.setdefault("webhooks", {})
        for name, schema in event_schemas().items():
            key = "Event_" + name.replace(".", "_")
            components[key] = schema
            hooks[name] = {"post": {
                "summary": name, "description": schema["description"],
                "operationId": f"event_{name.replace('.', '_')}", "tags": ["events"],
                "parameters": _HEADERS,
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{key}"}}}},
                "responses": {"2XX": {"description": "Received; any other answer, a "
                                      "timeout or no connection is retried with backoff."}},
            }}
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
