"""activity projections: activities and their derived state, decisions, reports, persons
assigned, authorisation instruments; calendar-feed tokens

Revision ID: 0004
Revises: 0003

Derived tables (rebuilt from the ledger) except the feed tokens; see
acuerdo.domains.activities.tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _s(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _b(name: str, nullable: bool = False) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=nullable)


def _t(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _i(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "activities",
        _s("activity_id", 300),
        _s("version_key", 80),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        _s("sha256", 64),
        _s("proposer", 3),
        _s("activity_type", 64),
        _s("title", 200),
        _s("lifecycle", 16),
        _b("emergency"),
        _b("revoked"),
        _s("start_at", 32),
        _s("end_at", 32),
        _i("personnel_count"),
        _t("regions"),
        _b("arms"),
        _s("proposed_at", 32, True),
        _s("state", 32),
        _s("decision_id", 300, True),
        _s("decided_at", 32, True),
        _s("decision_received_at", 32, True),
        _s("emergency_decided_at", 32, True),
        _b("regularised"),
        _s("report_id", 300, True),
        sa.PrimaryKeyConstraint("activity_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_activities_start", "activities", ["start_at"])
    op.create_table(
        "activity_decisions",
        _s("decision_id", 300),
        _s("version_key", 80),
        _s("owner", 3),
        _s("activity_id", 300),
        _s("activity_sha256", 64),
        _s("outcome", 32),
        _s("path", 16),
        _s("agency", 64),
        _s("decided_at", 32),
        _s("received_at", 32),
        _b("revoked"),
        sa.PrimaryKeyConstraint("decision_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_activity_decisions_activity", "activity_decisions", ["activity_id"])
    op.create_table(
        "activity_reports",
        _s("report_id", 300),
        _s("version_key", 80),
        _s("owner", 3),
        _s("activity_id", 300),
        _s("completed_at", 32),
        _b("revoked"),
        sa.PrimaryKeyConstraint("report_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_activity_reports_activity", "activity_reports", ["activity_id"])
    op.create_table(
        "activity_personnel",
        _s("activity_id", 300),
        _s("person_id", 300),
        _s("order_id", 300, True),
        sa.PrimaryKeyConstraint("activity_id", "person_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_activity_personnel_person", "activity_personnel", ["person_id"])
    op.create_table(
        "authorisations",
        _s("authorisation_id", 300),
        _s("version_key", 80),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        _s("owner", 3),
        _b("revoked"),
        _s("party", 3),
        _s("reference", 200),
        _s("valid_from", 10),
        _s("valid_until", 10),
        _i("ceiling"),
        _t("regions", True),
        _b("arms_authorised"),
        _t("activity_types", True),
        sa.PrimaryKeyConstraint("authorisation_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "calendar_feed_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _s("sha256", 64),
        _i("user_id"),
        _s("label", 80),
        _s("created_at", 32),
        _b("revoked"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_calendar_feed_tokens_sha256", "calendar_feed_tokens", ["sha256"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_calendar_feed_tokens_sha256", table_name="calendar_feed_tokens")
    op.drop_index("ix_activity_personnel_person", table_name="activity_personnel")
    op.drop_index("ix_activity_reports_activity", table_name="activity_reports")
    op.drop_index("ix_activity_decisions_activity", table_name="activity_decisions")
    op.drop_index("ix_activities_start", table_name="activities")
    for name in (
        "calendar_feed_tokens",
        "authorisations",
        "activity_personnel",
        "activity_reports",
        "activity_decisions",
        "activities",
    ):
        op.drop_table(name)
