"""passkeys, passkey_links, passkey_challenges: members sign in to the wallet with a passkey.

``passkeys`` holds each member's WebAuthn credentials (id, public key, signature
counter), ``passkey_links`` the one-time links an operator or a merchant hands a
member to register one (only a hash of the link's secret), ``passkey_challenges``
the challenges the server gave out and has not yet seen answered (hashed too;
each is taken once). None of them is in the log or in a public copy.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.create_table(
        "passkeys",
        sa.Column("credential_id", sa.LargeBinary, primary_key=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("member", sa.String(200), nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("sign_count", sa.BigInteger, nullable=False),
        sa.Column("rp_id", sa.String(253), nullable=False),
        sa.Column("device", sa.String(200), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("last_used_us", sa.BigInteger, nullable=True),
    )
    op.create_index("passkeys_member", "passkeys", ["member"])
    op.create_table(
        "passkey_links",
        sa.Column("token_hash", sa.LargeBinary, primary_key=True),
        sa.Column("member", sa.String(200), nullable=False),
        sa.Column("issued_by", sa.String(200), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=False),
        sa.Column("used_us", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "passkey_challenges",
        sa.Column("challenge_hash", sa.LargeBinary, primary_key=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("link_hash", sa.LargeBinary, nullable=True),
        sa.Column("expires_us", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("passkey_challenges")
    op.drop_table("passkey_links")
    op.drop_index("passkeys_member", table_name="passkeys")
    op.drop_table("passkeys")
