"""anchors and cosignatures: what a chain and witnesses attested about the log.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"



def upgrade() -> None:
    op.create_table(
        "anchors",
        sa.Column("chain_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("contract", sa.String(42), primary_key=True),
        sa.Column("number", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("block_height", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("chain_block", sa.BigInteger, nullable=False),
        sa.Column("gas_used", sa.BigInteger, nullable=False),
        sa.Column("time_us", sa.BigInteger, nullable=False),
    )
    op.create_index("anchors_tree_size", "anchors", ["tree_size"])
    op.create_table(
        "cosignatures",
        sa.Column("witness", sa.String(200), primary_key=True),
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("time_us", sa.BigInteger, nullable=False),
    )
    op.create_index("cosignatures_tree_size", "cosignatures", ["tree_size"])


def downgrade() -> None:
    op.drop_table("cosignatures")
    op.drop_table("anchors")
