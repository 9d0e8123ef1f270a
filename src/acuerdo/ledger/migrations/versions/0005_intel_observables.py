"""intel correlation index: normalised observables per record version

Revision ID: 0005
Revises: 0004

Derived table (rebuilt from the ledger); see acuerdo.domains.intel.tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intel_observables",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("object_id", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("key", "seq"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_intel_observables_seq", "intel_observables", ["seq"])
    op.create_index("ix_intel_observables_object", "intel_observables", ["object_id"])


def downgrade() -> None:
    op.drop_index("ix_intel_observables_object", table_name="intel_observables")
    op.drop_index("ix_intel_observables_seq", table_name="intel_observables")
    op.drop_table("intel_observables")
