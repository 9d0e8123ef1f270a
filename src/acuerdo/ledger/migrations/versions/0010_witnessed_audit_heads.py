"""witnessed audit heads: the heads a node gave its partners, and those it was given

Revision ID: 0010
Revises: 0009

See acuerdo.federation.tables and acuerdo.federation.witness.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _s(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "federation_witness_given",
        _s("partner", 3),
        _s("audit_head", 64),
        sa.Column("audit_seq", sa.BigInteger(), nullable=False),
        _s("signed_at", 32),
        sa.PrimaryKeyConstraint("partner", "audit_head"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "federation_witnessed",
        _s("partner", 3),
        _s("audit_head", 64),
        _s("signed_at", 32),
        _s("signature", 100),
        _s("received_at", 32),
        _s("proven_at", 32, True),
        sa.Column("refuted", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("partner", "audit_head"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("federation_witnessed")
    op.drop_table("federation_witness_given")
