"""federation: partners, per-partner outboxes, pull cursors, assessments

Revision ID: 0006
Revises: 0005

See acuerdo.federation.tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _s(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "federation_partners",
        _s("party", 3),
        _s("url", 500),
        _s("public_key", 64),
        _s("key_id", 32),
        _s("added_at", 32),
        sa.Column("keys_bundle", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("party"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "federation_outbox",
        _s("partner", 3),
        sa.Column("oseq", sa.BigInteger(), autoincrement=False, nullable=False),
        _s("kind", 10),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        _s("object_id", 300),
        _s("version_key", 80),
        _s("entry_hash", 64),
        sa.PrimaryKeyConstraint("partner", "oseq"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_federation_outbox_object", "federation_outbox", ["partner", "object_id"])
    op.create_table(
        "federation_cursors",
        _s("partner", 3),
        sa.Column("oseq", sa.BigInteger(), nullable=False),
        _s("entry_hash", 64),
        _s("updated_at", 32),
        sa.Column("diverged", sa.Text(), nullable=True),
        _s("last_contact", 32, True),
        sa.Column("partner_head", sa.BigInteger(), nullable=False),
        _s("caught_up_at", 32, True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("partner"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "federation_assessments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _s("partner", 3),
        _s("object_id", 300),
        _s("version_key", 80),
        sa.Column("reason", sa.Text(), nullable=False),
        _s("at", 32),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in (
        "federation_assessments",
        "federation_cursors",
        "federation_outbox",
        "federation_partners",
    ):
        op.drop_table(table)
