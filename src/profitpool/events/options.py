"""How events go out: the settings the webhook dispatcher and the stream share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .endpoints import UrlPolicy


@dataclass(frozen=True)
class EventsOptions:
    policy: UrlPolicy = field(default_factory=UrlPolicy)
    """Where webhooks may go (checked again before every attempt)."""
    poll_s: float = 0.05
    """How often the outbox is read for new events when there is nothing to do."""
    batch: int = 1000
    """Events read from the outbox at a time."""
    timeout_s: float = 10.0
    """A receiver that has not answered in this long has failed this attempt."""
    max_response_bytes: int = 65_536
    """What is read of a receiver's answer at most (the rest is dropped, unread)."""
    first_retry_s: float = 5.0
    """The first retry of a failed event comes this long after the failure, ..."""
    max_retry_interval_s: float = 3600.0
    """... every later one twice as long after the one before, up to this, ..."""
    retry_for_s: float = 3 * 86400.0
    """... until the event has failed for this long: then the endpoint is disabled."""
    keep_deliveries_s: float = 30 * 86400.0
    """Successful attempts are kept in the delivery log this long (failures: always)."""
    nats_url: str | None = None
    """Publish every event to JetStream here (``nats://host:port``), or not at all."""
    stream: str = "PROFITPOOL"
    """The JetStream stream's name ..."""
    subject_prefix: str = "profitpool"
    """... and its subjects: ``<prefix>.<event type>``, e.g. ``profitpool.order.settled``."""
    duplicate_window_s: float = 3600.0
    """JetStream drops a second message with the same event id within this window."""
    data_key: Path | None = None
    """The data key file (log/datakey.py): with it, a merchant's webhooks carry its own ids
    for the members beside their pseudonyms (events/localise.py); without it, pseudonyms only."""
