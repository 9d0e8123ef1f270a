"""personnel projections: covered persons and coverage decisions, orders, movements, stays

Revision ID: 0003
Revises: 0002

Derived tables only (rebuilt from the ledger); see acuerdo.domains.personnel.tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _s(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _b(name: str, nullable: bool = False) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "personnel_persons",
        _s("person_id", 300),
        _s("version_key", 80),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        _s("party", 3),
        _s("category", 64),
        _s("personal_data_ref", 300),
        _b("revoked"),
        _s("outcome", 32),
        _b("covered"),
        _s("status", 64, True),
        sa.Column("reasons", sa.Text(), nullable=False),
        _s("agreement_hash", 64),
        _b("has_national_id", True),
        _s("valid_from", 10, True),
        _s("valid_until", 10, True),
        _s("activity", 300, True),
        sa.PrimaryKeyConstraint("person_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_personnel_persons_pd", "personnel_persons", ["personal_data_ref"])
    op.create_table(
        "personnel_orders",
        _s("order_id", 300),
        _s("version_key", 80),
        _b("revoked"),
        _s("valid_from", 10),
        _s("valid_until", 10),
        _s("activity", 300),
        sa.Column("persons", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "personnel_order_persons",
        _s("person_id", 300),
        _s("order_id", 300),
        sa.PrimaryKeyConstraint("person_id", "order_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_personnel_order_persons_order", "personnel_order_persons", ["order_id"])
    op.create_table(
        "personnel_events",
        _s("event_id", 300),
        _s("version_key", 80),
        _s("person_id", 300),
        _b("notified"),
        _s("direction", 10),
        _s("at", 32),
        _s("port", 200),
        _s("order_ref", 300, True),
        _b("revoked"),
        sa.PrimaryKeyConstraint("event_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_personnel_events_person", "personnel_events", ["person_id"])
    op.create_table(
        "personnel_stays",
        _s("person_id", 300),
        _s("arrived_at", 32),
        _s("departed_at", 32, True),
        _s("port", 200),
        _s("order_ref", 300, True),
        _b("host_only"),
        _b("departure_unrecorded"),
        sa.PrimaryKeyConstraint("person_id", "arrived_at"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_personnel_stays_open", "personnel_stays", ["departed_at", "person_id"])


def downgrade() -> None:
    op.drop_index("ix_personnel_stays_open", table_name="personnel_stays")
    op.drop_index("ix_personnel_events_person", table_name="personnel_events")
    op.drop_index("ix_personnel_order_persons_order", table_name="personnel_order_persons")
    op.drop_index("ix_personnel_persons_pd", table_name="personnel_persons")
    for name in (
        "personnel_stays",
        "personnel_events",
        "personnel_order_persons",
        "personnel_orders",
        "personnel_persons",
    ):
        op.drop_table(name)
