"""refusals: commands the engine refused, counted per day, op and code.

A refusal changes nothing and is not written to the log; the console shows
withdrawals refused by reason over time from these counts (docs/web.md).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "refusals",
        sa.Column("day", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("op", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("refusals")
