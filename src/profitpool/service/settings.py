"""The service's settings, from one place: flags given, then ``PROFITPOOL_*``, then defaults.

Each field is read from the environment variable ``PROFITPOOL_<FIELD>``
(e.g. ``PROFITPOOL_PORT``, ``PROFITPOOL_WITNESSES='["URL VKEY"]'``), and the
defaults are declared here only: ``profitpool serve`` passes to
:class:`Settings` just the flags the user gave, and its ``--help`` shows
these defaults. Values from the environment meet the same bounds as the
flags'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..log.keys import DEFAULT_KEY_PATH
from ..log.setup import DEFAULT_ORIGIN
from ..store.database import DEFAULT_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROFITPOOL_", extra="ignore")

    db: str = DEFAULT_URL
    """Database URL: sqlite:///FILE (default ./profitpool.db) or postgresql://…"""
    read_db: str | None = Field(None, pattern=r"^postgres(ql)?(\+psycopg)?://")
    """A PostgreSQL streaming replica of ``db`` (postgresql://…): the reads of the stored log
    (histories, blocks, entries, proofs, tiles, the pages) go there, read-only; writes,
    keys, sessions and links stay on ``db`` (service/reads.py: what a lagging replica
    means). Unset: every read goes to ``db``."""
    key: Path = Path(DEFAULT_KEY_PATH)
    """The operator's signing key (created by init, or by serve on first start)."""
    data_key: Path | None = None
    """The data key sealing who each member is (default: beside the operator's key, as
    ``<key>-data.key``; created by init, or by serve on first start)."""
    origin: str = DEFAULT_ORIGIN
    """The log's origin line, used when serve creates a fresh log."""
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    """HTTP processes (1: one process serves HTTP and writes; N ≥ 2: N HTTP processes and
    the writer in a process of its own, service/workers.py)."""
    block_entries: int = Field(1000, ge=1)
    """Group commit: a block is sealed at this many entries ..."""
    block_wait_ms: float = Field(2.0, ge=0)
    """... or this many milliseconds after its first request arrived."""
    rate: float = Field(200.0, ge=0)
    """Requests per second per API key (0: no limit) ..."""
    burst: float = Field(400.0, ge=1)
    """... with bursts of up to this many."""
    snapshot_every: int = Field(250_000, ge=1)
    """Entries between signed snapshots (taken by a forked child, so writes go on)."""
    max_body_bytes: int = Field(1_048_576, ge=1)
    session_idle_minutes: float = Field(30.0, gt=0)
    """A page sign-in (wallet, merchant portal, console) ends after this long unused ..."""
    session_lifetime_hours: float = Field(12.0, gt=0)
    """... and this long after it began, however busy."""
    public_url: str | None = Field(None, pattern=r"^https?://[^/?#]+$")
    """The address people open the pages at (https://pool.example.com, no path): members'
    passkeys are made for its host (the WebAuthn RP id) and accepted from it alone. Unset:
    the host and origin each request came to (fine when the service is reached by one name)."""
    source_url: str | None = Field(None, pattern=r"^(https?|git|ssh)://[^\s'\"<>]+$")
    """Where the program's source is published (a git repository): the /verify page tells
    people to install profitpool from there. Unset: the page says to ask the operator."""
    auto_burn: bool = True
    """Burn at 00:00 Asia/Shanghai on the 1st for the month that ended."""
    anchor_rpc: str | None = None
    """Publish checkpoints on this chain's JSON-RPC endpoint (after `anchor deploy`)."""
    anchor_eth_key: Path | None = None
    """The publisher's key file (default: $PROFITPOOL_ANCHOR_KEY holds the key itself)."""
    anchor_chain_id: int | None = None
    anchor_every_blocks: int = Field(100, ge=1)
    """Anchor after this many blocks ..."""
    anchor_every_minutes: float = Field(60.0, ge=0)
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
    webhook_private_targets: bool = False
    """Let webhooks go to addresses that are not public (loopback, private, link-local, ...):
    only for receivers on the operator's own network. Off, they are refused at
    registration and before every delivery, whatever a name resolves to then."""
    webhook_timeout_seconds: float = Field(10.0, ge=0.1)
    """A receiver that has not answered in this long has failed the attempt."""
    webhook_retry_hours: float = Field(72.0, ge=0)
    """A failing event is retried with backoff this long; then its endpoint is disabled."""

    def data_key_path(self) -> Path:
        """The data key file: ``data_key``, else beside the operator's key."""
        from ..log.datakey import data_key_path

        return self.data_key if self.data_key is not None else data_key_path(self.key)

    def url_policy(self) -> Any:
        """Where webhooks may go: never this service; only public addresses unless
        ``webhook_private_targets``."""
        from ..events.endpoints import UrlPolicy

        return UrlPolicy(private_targets=self.webhook_private_targets,
                         own=frozenset({(self.host, self.port)}))

    def events_options(self) -> Any:
        """The events process's options (events/options.py)."""
        from ..events.options import EventsOptions

        return EventsOptions(policy=self.url_policy(), nats_url=self.events,
                             stream=self.events_stream,
                             subject_prefix=self.events_stream.lower(),
                             timeout_s=self.webhook_timeout_seconds,
                             retry_for_s=self.webhook_retry_hours * 3600,
                             data_key=self.data_key_path())

