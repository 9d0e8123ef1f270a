"""taxii status resources: the per-object outcome of each TAXII POST, kept across restarts

Revision ID: 0007
Revises: 0006

See acuerdo.ledger.tables.taxii_status and acuerdo.api.taxii.status.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taxii_status",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("requester", sa.String(length=80), nullable=False),
        sa.Column("api_root", sa.String(length=64), nullable=False),
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("request_timestamp", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("outcomes", sa.Text(), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("taxii_status")
