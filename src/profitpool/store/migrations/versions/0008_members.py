"""member_links, member_profiles: who a pseudonym is, kept outside the log.

The log names members by a random pseudonym (docs/privacy.md). ``member_links``
maps the ids merchants and the operator use to it: the id only as a keyed hash
(to find it) and sealed (to show it to those allowed); ``member_profiles`` holds
a member's personal data, sealed. Erasure deletes both; the log stays whole.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "member_links",
        sa.Column("scope", sa.String(210), primary_key=True),
        sa.Column("id_hash", sa.LargeBinary, primary_key=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("sealed_id", sa.LargeBinary, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_index("member_links_pseudonym", "member_links", ["pseudonym"])
    op.create_table(
        "member_profiles",
        sa.Column("pseudonym", sa.String(64), primary_key=True),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("member_profiles")
    op.drop_index("member_links_pseudonym", table_name="member_links")
    op.drop_table("member_links")
