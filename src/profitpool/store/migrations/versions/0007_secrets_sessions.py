"""program_secrets, sessions: secrets out of log_meta, and server-side sign-in sessions.

The program's own secrets (the explorer's pseudonym key, the proof of
liabilities' salt secret) move from ``log_meta`` to a table of their own, so a
public copy of the log (the log's tables, ``log_meta`` included) holds none.
``sessions`` are the pages' sign-ins: a random id, stored only as its hash.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

_MOVED = ("pseudonym_key", "pol_secret")


def upgrade() -> None:
    secrets = op.create_table(
        "program_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.LargeBinary, primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("party", sa.String(200), nullable=True),
        sa.Column("area", sa.String(40), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("last_seen_us", sa.BigInteger, nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=False),
        sa.Column("revoked_us", sa.BigInteger, nullable=True),
        sa.Column("user_agent", sa.String(200), nullable=False),
    )
    op.create_index("sessions_key_id", "sessions", ["key_id"])
    meta = sa.table("log_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(meta.c.key, meta.c.value).where(meta.c.key.in_(_MOVED))).all()
    if rows:
        op.bulk_insert(secrets, [{"name": key, "value": value, "created_us": 0}
                                 for key, value in rows])
        connection.execute(sa.delete(meta).where(meta.c.key.in_(_MOVED)))


def downgrade() -> None:
    op.drop_index("sessions_key_id", table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("program_secrets")
