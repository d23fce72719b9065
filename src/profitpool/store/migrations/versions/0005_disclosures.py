"""disclosures, pol_tiles, pol_members: monthly reports and their proofs of liabilities.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("report", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("pol_root", sa.String(64), nullable=False),
        sa.Column("pol_total", sa.BigInteger, nullable=False),
        sa.Column("pol_leaves", sa.BigInteger, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "pol_tiles",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("tile_level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("tile_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "pol_members",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("member", sa.String(200), primary_key=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("salt", sa.LargeBinary, nullable=False),
        sa.Column("position_a", sa.BigInteger, nullable=False),
        sa.Column("position_b", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("pol_members")
    op.drop_table("pol_tiles")
    op.drop_table("disclosures")
