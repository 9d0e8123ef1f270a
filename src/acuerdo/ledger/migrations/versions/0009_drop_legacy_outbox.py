"""drop the ledger's first outbox table: federation's outbox (0006) replaced it

Revision ID: 0009
Revises: 0008

The `outbox` table of 0001 chained (partner, oseq, ledger seq) and was written beside every
version released to a partner, but nothing read it: partners pull `federation_outbox`, whose
entries carry their own hash chain. A row a version writes must have a reader; this had none.
Downgrade brings the table back empty (it only ever held what federation_outbox holds).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("outbox")


def downgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("partner", sa.String(length=3), nullable=False),
        sa.Column("oseq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("partner", "oseq"),
        sqlite_with_rowid=False,
    )
