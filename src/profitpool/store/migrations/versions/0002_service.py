"""Reader tables (entry parties, block stats) and the service's keys and idempotency.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "entry_parties",
        sa.Column("party", sa.String(200), primary_key=True),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "block_stats",
        sa.Column("height", _ID, primary_key=True, autoincrement=False),
        sa.Column("time_us", sa.BigInteger, nullable=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("pool", sa.BigInteger, nullable=False),
        sa.Column("total_shares", sa.Text, nullable=False),
        sa.Column("index", sa.Text, nullable=False),
    )
    op.create_index("block_stats_time", "block_stats", ["time_us"])
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("secret_hash", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("party", sa.String(200), nullable=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("revoked_us", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "idempotency",
        sa.Column("scope", sa.String(250), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("request_hash", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_index("block_stats_time", "block_stats")
    for table in ("idempotency", "api_keys", "block_stats", "entry_parties"):
        op.drop_table(table)
