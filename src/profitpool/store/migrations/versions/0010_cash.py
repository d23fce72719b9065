"""custody_accounts, payout_runs, bank_imports, bank_exceptions: paying out and reading back.

The program's custody account (where payouts are paid from), each payout run with
its sealed pain.001 file, each bank file read back (by SHA-256, so the same file
twice changes nothing) and the statement lines nothing explains, kept for the
operator until resolved (docs/cash.md).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "custody_accounts",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("agent_bic", sa.String(11), nullable=False),
        sa.Column("agent_member_id", sa.String(35), nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "payout_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("minimum", sa.BigInteger, nullable=False),
        sa.Column("payouts", sa.Integer, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("sealed_file", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "bank_imports",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("imported_us", sa.BigInteger, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
    )
    op.create_table(
        "bank_exceptions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("import_sha256", sa.String(64), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("end_to_end_id", sa.Text, nullable=False),
        sa.Column("bank_reference", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("credit", sa.SmallInteger, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("resolved_us", sa.BigInteger, nullable=True),
        sa.Column("resolution", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("bank_exceptions", "bank_imports", "payout_runs", "custody_accounts"):
        op.drop_table(table)
