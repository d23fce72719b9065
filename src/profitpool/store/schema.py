"""The tables of a profitpool database (SQLAlchemy Core).

The log is append-only: ``entries`` and ``blocks`` are only ever inserted,
one transaction per block, so after a crash there is never a partial block.
``tiles`` holds the Merkle tree as C2SP tlog-tiles (a partial tile is
rewritten as it fills); ``snapshots`` holds signed copies of the ledger state
so a restart does not replay the whole log. ``log_meta`` holds the log's
origin and public key.

Migrations (alembic, ``store/migrations``) create these tables; a test checks
that the migrated schema matches this module exactly.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
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
