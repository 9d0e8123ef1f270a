"""intel correlation index without its object id: the ledger's, joined by seq

Revision ID: 0011
Revises: 0010

`intel_observables.object_id` repeated the ledger's object id, and its index was a b-tree
keyed by random STIX ids, written on every ingested object and read only to find the keys
of a few referred observables, which the ledger's identity index finds as well. Downgrade
fills the column back from the ledger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_intel_observables_object", table_name="intel_observables")
    op.drop_column("intel_observables", "object_id")


def downgrade() -> None:
    # Rebuilt rather than altered: SQLite cannot add a NOT NULL column without a default.
    op.create_table(
        "intel_observables_prev",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("object_id", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("key", "seq"),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO intel_observables_prev (key, seq, object_id) "
        "SELECT o.key, o.seq, l.object_id FROM intel_observables o JOIN ledger l ON l.seq = o.seq"
    )
    op.drop_index("ix_intel_observables_seq", table_name="intel_observables")
    op.drop_table("intel_observables")
    op.rename_table("intel_observables_prev", "intel_observables")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE intel_observables "
            "RENAME CONSTRAINT intel_observables_prev_pkey TO intel_observables_pkey"
        )
    op.create_index("ix_intel_observables_seq", "intel_observables", ["seq"])
    op.create_index("ix_intel_observables_object", "intel_observables", ["object_id"])
