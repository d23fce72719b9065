"""The tables of a profitpool database (SQLAlchemy Core).

The log is append-only: ``entries`` and ``blocks`` are only ever inserted,
one transaction per block, so after a crash there is never a partial block.
``tiles`` holds the Merkle tree as C2SP tlog-tiles (a partial tile is
rewritten as it fills); ``snapshots`` holds signed copies of the ledger state
so a restart does not replay the whole log. ``log_meta`` holds the log's
origin and public key.

Beside the log, in the same transaction as each block, come tables that only
serve readers and are not part of what the log proves: ``entry_parties``
(which entries concern a member, merchant, lender or the rules: histories)
and ``block_stats`` (pool, shares and index after each block: time series).
The service keeps ``api_keys`` (hashes only) and ``idempotency`` (the first
answer to each idempotent request, stored with the block that made it).
``anchors`` and ``cosignatures`` record what others attested about the log:
checkpoints published on a chain, and witnesses' cosignatures.
``events`` is the outbox of domain events (built by events/), written in the same
transaction as the block (or the anchor) they tell of; ``webhook_endpoints``
and ``webhook_deliveries`` are who hears of them and every attempt to tell them.

Migrations (alembic, ``store/migrations``) create these tables; a test checks
that the migrated schema matches this module exactly.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

# SQLite makes only "INTEGER PRIMARY KEY" an alias of the rowid (no second index).
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

log_meta = Table(
    "log_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

entries = Table(
    "entries", metadata,
    Column("idx", Id, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)

blocks = Table(
    "blocks", metadata,
    Column("height", Id, primary_key=True, autoincrement=False),
    Column("prev_hash", LargeBinary, nullable=False),
    Column("time_us", BigInteger, nullable=False),
    Column("first_index", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("root", LargeBinary, nullable=False),
    Column("state_digest", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("checkpoint", Text, nullable=False),
)

tiles = Table(
    "tiles", metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hashes", LargeBinary, nullable=False),
)

snapshots = Table(
    "snapshots", metadata,
    Column("height", Id, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

entry_parties = Table(
    "entry_parties", metadata,
    Column("party", String(200), primary_key=True),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,  # the key is the table: one B-tree to insert into, not two
)
"""``party`` is ``member:<id>``, ``merchant:<id>``, ``lender:<id>`` or ``rules``."""

block_stats = Table(
    "block_stats", metadata,
    Column("height", Id, primary_key=True, autoincrement=False),
    Column("time_us", BigInteger, nullable=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("pool", BigInteger, nullable=False),
    Column("total_shares", Text, nullable=False),
    Column("index", Text, nullable=False),
    Column("exits", BigInteger, nullable=True),
)
"""Shares and index are exact integers too wide for BIGINT, so stored as decimal text.
``exits`` (lots forced out so far) is null for blocks written before schema 0003."""

api_keys = Table(
    "api_keys", metadata,
    Column("key_id", String(32), primary_key=True),
    Column("secret_hash", LargeBinary, nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("party", String(200), nullable=True),
    Column("label", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("revoked_us", BigInteger, nullable=True),
)

idempotency = Table(
    "idempotency", metadata,
    Column("scope", String(250), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("request_hash", LargeBinary, nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("response", LargeBinary, nullable=False),
)

anchors = Table(
    "anchors", metadata,
    Column("chain_id", BigInteger, primary_key=True, autoincrement=False),
    Column("contract", String(42), primary_key=True),
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("root", LargeBinary, nullable=False),
    Column("block_height", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("chain_block", BigInteger, nullable=False),
    Column("gas_used", BigInteger, nullable=False),
    Column("time_us", BigInteger, nullable=False),
)
"""Checkpoints this log published to an EVM chain (anchor/), written only once the
chain's receipt says the transaction succeeded. ``number`` is the contract's own count."""

cosignatures = Table(
    "cosignatures", metadata,
    Column("witness", String(200), primary_key=True),
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("line", Text, nullable=False),
    Column("time_us", BigInteger, nullable=False),
)
"""Witnesses' cosignature lines (c2sp.org/tlog-cosignature) on this log's checkpoints."""

disclosures = Table(
    "disclosures", metadata,
    Column("period", String(7), primary_key=True),
    Column("report", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("pol_root", String(64), nullable=False),
    Column("pol_total", BigInteger, nullable=False),
    Column("pol_leaves", BigInteger, nullable=False),
    Column("created_us", BigInteger, nullable=False),
)
"""Each month's report (its JSON twin, whose SHA-256 the log's ``disclosure`` entry holds)."""

pol_tiles = Table(
    "pol_tiles", metadata,
    Column("period", String(7), primary_key=True),
    Column("tile_level", SmallInteger, primary_key=True, autoincrement=False),
    Column("tile_index", BigInteger, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)
"""A month's proof-of-liabilities tree, as tiles of 256 records (disclosure/pol.py lays
them out, store/disclosures.py stores them)."""

pol_members = Table(
    "pol_members", metadata,
    Column("period", String(7), primary_key=True),
    Column("member", String(200), primary_key=True),
    Column("pseudonym", String(64), nullable=False),
    Column("salt", LargeBinary, nullable=False),
    Column("position_a", BigInteger, nullable=False),
    Column("position_b", BigInteger, nullable=False),
    sqlite_with_rowid=False,  # the key is the table: one B-tree to fill, not two
)
"""Where each member's two leaves sit in a month's tree, and their salt (served only to them)."""

events = Table(
    "events", metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("id", String(200), nullable=False),
    Column("type", String(40), nullable=False),
    Column("time_us", BigInteger, nullable=False),
    Column("log_index", BigInteger, nullable=True),
    Column("position", Integer, nullable=True),
    Column("block", BigInteger, nullable=True),
    Column("tree_size", BigInteger, nullable=True),
    Column("parties", Text, nullable=False),
    Column("body", LargeBinary, nullable=True),
)
"""The outbox (store/outbox.py; events/ builds its rows and reads them back as events):
one row per domain event, in commit order (``seq``).
``parties`` is " party party " ("" for a public event); ``body`` is null for an event
told by a log entry's effect (it is rebuilt from the entry, byte for byte)."""

webhook_endpoints = Table(
    "webhook_endpoints", metadata,
    Column("id", String(40), primary_key=True),
    Column("owner", String(210), nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", String(100), nullable=False),
    Column("types", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("enabled", SmallInteger, nullable=False),
    Column("disabled_reason", Text, nullable=True),
    Column("cursor", BigInteger, nullable=False),
    Column("replay_next", BigInteger, nullable=True),
    Column("replay_end", BigInteger, nullable=True),
    Column("failing_since_us", BigInteger, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_us", BigInteger, nullable=True),
    Column("created_us", BigInteger, nullable=False),
)
"""Webhook endpoints (store/webhooks.py; events/endpoints.py checks them). ``owner`` is
"admin" or the party ("merchant:<id>", "lender:<id>"); ``types`` a JSON list of event
types or patterns; ``cursor`` the last event seq delivered (or passed over by the filter)."""

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("endpoint", String(40), primary_key=True),
    Column("attempt_us", BigInteger, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(200), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("http_status", SmallInteger, nullable=True),
    Column("detail", Text, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    sqlite_with_rowid=False,
)
"""The delivery log: every attempt, its outcome ("delivered", "redirect", "rejected",
"failed", "timeout", "unreachable", "forbidden_address", "error"), the receiver's status
and what went wrong."""

Index("block_stats_time", block_stats.c.time_us)
Index("anchors_tree_size", anchors.c.tree_size)
Index("cosignatures_tree_size", cosignatures.c.tree_size)
Index("webhook_deliveries_seq", webhook_deliveries.c.endpoint, webhook_deliveries.c.seq)
