"""Standard Webhooks signatures (github.com/standard-webhooks/standard-webhooks).

Each delivery carries ``webhook-id`` (the event id), ``webhook-timestamp``
(seconds since the epoch, when this attempt was sent) and
``webhook-signature``: ``v1,`` + base64 of HMAC-SHA256 over
``id.timestamp.body`` keyed with the endpoint's secret. A secret is shown as
``whsec_`` + base64 of 24 random bytes; the key is those bytes. The
``standardwebhooks`` package (any language) verifies it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

PREFIX: Final = "whsec_"


def new_secret() -> str:
    """A fresh endpoint secret, ``whsec_…``."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a ``whsec_…`` secret stands for."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(key: bytes, event_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header for one attempt (``key``: :func:`secret_key`)."""
    signed = b"%s.%d.%s" % (event_id.encode(), timestamp, body)
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(key: bytes, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header a delivery sends."""
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, event_id, timestamp, body),
        "user-agent": "profitpool-webhooks",
    }
