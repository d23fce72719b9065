"""events, webhook_endpoints, webhook_deliveries: the outbox and who hears of it.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", Id, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("time_us", sa.BigInteger, nullable=False),
        sa.Column("log_index", sa.BigInteger, nullable=True),
        sa.Column("position", sa.Integer, nullable=True),
        sa.Column("block", sa.BigInteger, nullable=True),
        sa.Column("tree_size", sa.BigInteger, nullable=True),
        sa.Column("parties", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=True),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner", sa.String(210), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("types", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("enabled", sa.SmallInteger, nullable=False),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.Column("cursor", sa.BigInteger, nullable=False),
        sa.Column("replay_next", sa.BigInteger, nullable=True),
        sa.Column("replay_end", sa.BigInteger, nullable=True),
        sa.Column("failing_since_us", sa.BigInteger, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_us", sa.BigInteger, nullable=True),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("endpoint", sa.String(40), primary_key=True),
        sa.Column("attempt_us", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("http_status", sa.SmallInteger, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("webhook_deliveries_seq", "webhook_deliveries", ["endpoint", "seq"])


def downgrade() -> None:
    op.drop_index("webhook_deliveries_seq", "webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.drop_table("events")
