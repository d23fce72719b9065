"""payout_destinations: where members, merchants and lenders are paid, sealed.

A destination is an opaque id a payout names; what it stands for (account
number, holder's name, bank, bank code) is personal data, sealed with the data
key like a member's profile and kept outside the log (docs/privacy.md,
"Payout destinations"). Erasing a member deletes theirs.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "payout_destinations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("party", sa.String(210), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_index("payout_destinations_party", "payout_destinations", ["party"])


def downgrade() -> None:
    op.drop_index("payout_destinations_party", table_name="payout_destinations")
    op.drop_table("payout_destinations")
