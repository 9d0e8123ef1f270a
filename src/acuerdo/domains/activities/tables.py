"""Activity projections: the current version of each activity with its derived state,
decisions, after-action reports, assignments of persons, authorisation instruments.

All of it is derived from record versions inside the write transaction (see projection.py)
and can be rebuilt from the ledger. Calendar-feed tokens are the one table here that is not
a projection: like API tokens, they are the node's own credentials.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from acuerdo.ledger.tables import metadata

activities = Table(
    "activities",
    metadata,
    Column("activity_id", String(300), primary_key=True),
    Column("version_key", String(80), nullable=False),
    Column("seq", BigInteger, nullable=False),  # ledger seq of the current version
    Column("sha256", String(64), nullable=False),  # of the current version
    Column("proposer", String(3), nullable=False),
    Column("activity_type", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("lifecycle", String(16), nullable=False),  # draft / proposed / cancelled
    Column("emergency", Boolean, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("start_at", String(32), nullable=False),  # UTC instants, fixed width
    Column("end_at", String(32), nullable=False),
    Column("personnel_count", Integer, nullable=False),
    Column("regions", Text, nullable=False),  # JSON list of region codes
    Column("arms", Boolean, nullable=False),
    # When this node first recorded a proposed version (the host's receipt on the host node).
    Column("proposed_at", String(32), nullable=True),
    # Derived from the activity, its decisions and reports (state.py).
    Column("state", String(32), nullable=False),
    Column("decision_id", String(300), nullable=True),
    Column("decided_at", String(32), nullable=True),
    Column("decision_received_at", String(32), nullable=True),
    Column("emergency_decided_at", String(32), nullable=True),
    Column("regularised", Boolean, nullable=False),
    Column("report_id", String(300), nullable=True),
    sqlite_with_rowid=False,
)
Index("ix_activities_start", activities.c.start_at)

activity_decisions = Table(
    "activity_decisions",
    metadata,
    Column("decision_id", String(300), primary_key=True),
    Column("version_key", String(80), nullable=False),
    Column("owner", String(3), nullable=False),
    Column("activity_id", String(300), nullable=False),
    Column("activity_sha256", String(64), nullable=False),  # the exact version decided
    Column("outcome", String(32), nullable=False),
    Column("path", String(16), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("decided_at", String(32), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("revoked", Boolean, nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_activity_decisions_activity", activity_decisions.c.activity_id)

activity_reports = Table(
    "activity_reports",
    metadata,
    Column("report_id", String(300), primary_key=True),
    Column("version_key", String(80), nullable=False),
    Column("owner", String(3), nullable=False),
    Column("activity_id", String(300), nullable=False),
    Column("completed_at", String(32), nullable=False),
    Column("revoked", Boolean, nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_activity_reports_activity", activity_reports.c.activity_id)

# Persons assigned to the current version of each activity (for overlaps and coverage).
activity_personnel = Table(
    "activity_personnel",
    metadata,
    Column("activity_id", String(300), primary_key=True),
    Column("person_id", String(300), primary_key=True),
    Column("order_id", String(300), nullable=True),
    sqlite_with_rowid=False,
)
Index("ix_activity_personnel_person", activity_personnel.c.person_id)

authorisations = Table(
    "authorisations",
    metadata,
    Column("authorisation_id", String(300), primary_key=True),
    Column("version_key", String(80), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("owner", String(3), nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("party", String(3), nullable=False),  # the party whose forces it authorises
    Column("reference", String(200), nullable=False),
    Column("valid_from", String(10), nullable=False),
    Column("valid_until", String(10), nullable=False),
    Column("ceiling", Integer, nullable=False),
    Column("regions", Text, nullable=True),  # JSON list; None: the whole territory
    Column("arms_authorised", Boolean, nullable=False),
    Column("activity_types", Text, nullable=True),  # JSON list; None: every type
    sqlite_with_rowid=False,
)

calendar_feed_tokens = Table(
    "calendar_feed_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("label", String(80), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("revoked", Boolean, nullable=False),
)
Index("ix_calendar_feed_tokens_sha256", calendar_feed_tokens.c.sha256, unique=True)
