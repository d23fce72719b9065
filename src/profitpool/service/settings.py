"""The service's settings: ``PROFITPOOL_*`` environment variables, overridden by flags."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from ..log.keys import default_key_path
from ..store.database import DEFAULT_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROFITPOOL_", extra="ignore")

    db: str = DEFAULT_URL
    """Database URL: sqlite:///FILE (default ./profitpool.db) or postgresql://…"""
    key: Path = default_key_path()
    """The operator's signing key (created by init, or by serve on first start)."""
    origin: str = "profitpool.local/log"
    """The log's origin line, used when serve creates a fresh log."""
    host: str = "127.0.0.1"
    port: int = 8000
    block_entries: int = 1000
    """Group commit: a block is sealed at this many entries ..."""
    block_wait_ms: float = 2.0
    """... or this many milliseconds after its first request arrived."""
    rate: float = 200.0
    """Requests per second per API key (0: no limit) ..."""
    burst: float = 400.0
    """... with bursts of up to this many."""
    snapshot_every: int = 250_000
    """Entries between signed snapshots (taken by a forked child, so writes go on)."""
    max_body_bytes: int = 1_048_576
    auto_burn: bool = True
    """Burn at 00:00 Asia/Shanghai on the 1st for the month that ended."""
    anchor_rpc: str | None = None
    """Publish checkpoints on this chain's JSON-RPC endpoint (after `anchor deploy`)."""
    anchor_eth_key: Path | None = None
    """The publisher's key file (default: $PROFITPOOL_ANCHOR_KEY holds the key itself)."""
    anchor_chain_id: int | None = None
    anchor_every_blocks: int = 100
    """Anchor after this many blocks ..."""
    anchor_every_minutes: float = 60.0
    """... or this many minutes since the last anchor, whichever comes first."""
    anchor_poll_seconds: float = 1.0
    """How often the anchoring thread looks for a new block (and the first retry delay)."""
    anchor_max_backoff_seconds: float = 600.0
    """Retries after failures double their delay up to this."""
    disclose: bool = True
    """Report each month a minute after it is over, and record it in the log."""
    disclose_poll_seconds: float = 60.0
    """How often the disclosure job looks for a month to report."""
    witnesses: list[str] = []
    """Witnesses asked to cosign each new checkpoint, each "URL VKEY" (c2sp.org/tlog-witness)."""
    webhooks: bool = True
    """Run the events process: deliver events to registered webhooks (events/)."""
    events: str | None = None
    """Also publish every event to NATS JetStream at this URL (nats://host:port) ..."""
    events_stream: str = "PROFITPOOL"
    """... to this stream (one per log; subjects ``<name lower-cased>.<event type>``)."""
    events_max_wait_seconds: float = 25.0
    """The longest ``GET /v1/events?wait=`` holds a request (proxies may cut long ones)."""
    production: bool = False
    """Production mode: webhooks may go only to public addresses."""
    webhook_timeout_seconds: float = 10.0
    """A receiver that has not answered in this long has failed the attempt."""
    webhook_retry_hours: float = 72.0
    """A failing event is retried with backoff this long; then its endpoint is disabled."""

    def url_policy(self) -> Any:
        """Where webhooks may go: never this service, only public addresses in production."""
        from ..events.endpoints import UrlPolicy

        return UrlPolicy(production=self.production,
                         own=frozenset({(self.host, self.port)}))

    def events_options(self) -> Any:
        """The events process's options (events/options.py)."""
        from ..events.options import EventsOptions

        return EventsOptions(policy=self.url_policy(), nats_url=self.events,
                             stream=self.events_stream,
                             subject_prefix=self.events_stream.lower(),
                             timeout_s=self.webhook_timeout_seconds,
                             retry_for_s=self.webhook_retry_hours * 3600)


@lru_cache
def get_settings() -> Settings:
    return Settings()
