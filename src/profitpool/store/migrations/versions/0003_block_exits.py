"""block_stats.exits: lots forced out so far, after each block (the console's month figures).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("block_stats") as batch:
        batch.add_column(sa.Column("exits", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("block_stats") as batch:
        batch.drop_column("exits")
