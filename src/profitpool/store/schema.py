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
The service keeps ``api_keys`` (hashes only), ``sessions`` (the pages' sign-ins, their
ids stored only as hashes) and ``idempotency`` (the first answer to each idempotent
request, stored with the block that made it). ``program_secrets`` holds the program's
own secrets (never in ``log_meta``, so a public copy of the log's tables holds none).
``passkeys``, ``passkey_links`` and ``passkey_challenges`` are members' passkeys for the
wallet, the links that register them and the challenges given out (secrets hashed).
``payout_destinations`` holds where the program pays members, merchants and lenders
(bank accounts, sealed with the data key like ``member_profiles``).
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

sessions = Table(
    "sessions", metadata,
    Column("id_hash", LargeBinary, primary_key=True),
    Column("key_id", String(32), nullable=True),
    Column("role", String(16), nullable=False),
    Column("party", String(200), nullable=True),
    Column("area", String(40), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("last_seen_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("revoked_us", BigInteger, nullable=True),
    Column("user_agent", String(200), nullable=False),
)
"""Sign-in sessions of the pages: SHA-256 of the session id (the cookie holds the id),
the API key it was opened with (revoking the key ends it), its role and party, the page
area, when it expires and whether it was ended."""

program_secrets = Table(
    "program_secrets", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
)
"""The program's own secrets (hex), each made when first needed."""

member_links = Table(
    "member_links", metadata,
    Column("scope", String(210), primary_key=True),
    Column("id_hash", LargeBinary, primary_key=True),
    Column("pseudonym", String(64), nullable=False),
    Column("sealed_id", LargeBinary, nullable=False),
    Column("created_us", BigInteger, nullable=False),
)
"""Who a pseudonym is (store/members.py): the id a merchant (``scope``
``merchant:<id>``) or the operator (``scope`` "") uses for a member, only as a keyed
hash (``id_hash``, to find it) and sealed with the data key (``sealed_id``, to show it).
Never in the log; erasure deletes a member's rows."""

member_profiles = Table(
    "member_profiles", metadata,
    Column("pseudonym", String(64), primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
)
"""A member's personal data (name, phone, ...), sealed with the data key."""

payout_destinations = Table(
    "payout_destinations", metadata,
    Column("id", String(40), primary_key=True),
    Column("party", String(210), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
)
"""Where a party is paid through the bank (store/destinations.py, cash/destinations.py):
``id`` is opaque (``dst_`` and 128 random bits), ``party`` ``member:<pseudonym>``,
``merchant:<id>`` or ``lender:<id>``; ``sealed`` the account number, holder's name, bank
and bank code, sealed with the data key (id and party bound to it); ``status``
``unverified``, ``verified`` or ``failed`` (``reason`` says why). Never in the log;
erasing a member deletes theirs."""

custody_accounts = Table(
    "custody_accounts", metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", Text, nullable=False),
    Column("account", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("agent_bic", String(11), nullable=False),
    Column("agent_member_id", String(35), nullable=False),
    Column("updated_us", BigInteger, nullable=False),
)
"""The program's own custody account (``name`` "default"): where payouts are paid from
and whose statements are read back (cash/). A company's account, not personal data."""

payout_runs = Table(
    "payout_runs", metadata,
    Column("id", String(40), primary_key=True),
    Column("created_us", BigInteger, nullable=False),
    Column("minimum", BigInteger, nullable=False),
    Column("payouts", Integer, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("summary", Text, nullable=False),
    Column("sealed_file", LargeBinary, nullable=False),
)
"""Each payout run (cash/runs.py): what it sent, and its pain.001 file sealed with the
data key (the file names accounts and holders: personal data)."""

bank_imports = Table(
    "bank_imports", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("message_id", Text, nullable=False),
    Column("imported_us", BigInteger, nullable=False),
    Column("summary", Text, nullable=False),
)
"""Each bank file read back (cash/reconcile.py), by its SHA-256: the same file again
changes nothing."""

bank_exceptions = Table(
    "bank_exceptions", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("import_sha256", String(64), nullable=False),
    Column("line", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("end_to_end_id", Text, nullable=False),
    Column("bank_reference", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("credit", SmallInteger, nullable=False),
    Column("detail", Text, nullable=False),
    Column("resolved_us", BigInteger, nullable=True),
    Column("resolution", Text, nullable=False),
)
"""Statement lines nothing explains, or that do not match what was sent: listed for the
operator until resolved, never applied."""

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

refusals = Table(
    "refusals", metadata,
    Column("day", Integer, primary_key=True, autoincrement=False),
    Column("op", String(16), primary_key=True),
    Column("code", String(40), primary_key=True),
    Column("count", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""Commands the engine refused, counted per Asia/Shanghai day (days since 1970-01-01), op
and error code (store/refusals.py): a refusal changes nothing and is not in the log, yet
the operator's console shows withdrawals refused by reason over time. Counts only: no
party, no amount."""

passkeys = Table(
    "passkeys", metadata,
    Column("credential_id", LargeBinary, primary_key=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("member", String(200), nullable=False),
    Column("public_key", LargeBinary, nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("rp_id", String(253), nullable=False),
    Column("device", String(200), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("last_used_us", BigInteger, nullable=True),
)
"""Members' passkeys (store/passkeys.py): the WebAuthn credential id, its COSE public key,
the authenticator's signature counter, the RP id it was made for, the browser it was made
in, and the member's pseudonym. ``id`` names it in pages and in its sessions' ``key_id``."""

passkey_links = Table(
    "passkey_links", metadata,
    Column("token_hash", LargeBinary, primary_key=True),
    Column("member", String(200), nullable=False),
    Column("issued_by", String(200), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("used_us", BigInteger, nullable=True),
)
"""One-time links to register a passkey: SHA-256 of the link's secret, for which member,
who issued it ("admin" or "merchant:<id>"), when it expires and when it was used."""

passkey_challenges = Table(
    "passkey_challenges", metadata,
    Column("challenge_hash", LargeBinary, primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("link_hash", LargeBinary, nullable=True),
    Column("expires_us", BigInteger, nullable=False),
)
"""WebAuthn challenges given out and not yet answered (SHA-256 of each): "register" (with
its link) or "signin". Each is taken once."""

Index("block_stats_time", block_stats.c.time_us)
Index("sessions_key_id", sessions.c.key_id)
Index("member_links_pseudonym", member_links.c.pseudonym)
Index("payout_destinations_party", payout_destinations.c.party)
Index("anchors_tree_size", anchors.c.tree_size)
Index("cosignatures_tree_size", cosignatures.c.tree_size)
Index("webhook_deliveries_seq", webhook_deliveries.c.endpoint, webhook_deliveries.c.seq)
Index("passkeys_member", passkeys.c.member)
