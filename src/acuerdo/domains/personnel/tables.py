"""Personnel projections: covered persons with their coverage decision, orders, movements, stays.

All of it is derived from record versions inside the write transaction and can be rebuilt
from the ledger; nothing here is edited by hand. No personal data is kept here (names and
nationalities stay in the personal-data records, which erasure can reach): only the coverage
decision taken from them, whose reasons cite rules and never repeat personal data.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from acuerdo.ledger.tables import metadata

# One row per covered person: its current version and the agreement's decision on it.
personnel_persons = Table(
    "personnel_persons",
    metadata,
    Column("person_id", String(300), primary_key=True),
    Column("version_key", String(80), nullable=False),
    Column("seq", BigInteger, nullable=False),  # ledger seq of the current version
    Column("party", String(3), nullable=False),
    Column("category", String(64), nullable=False),
    Column("personal_data_ref", String(300), nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("outcome", String(32), nullable=False),  # covered / not-covered / undetermined
    Column("covered", Boolean, nullable=False),
    Column("status", String(64), nullable=True),
    Column("reasons", Text, nullable=False),  # JSON: [{text, article, paragraph}]
    Column("agreement_hash", String(64), nullable=False),
    Column("has_national_id", Boolean, nullable=True),  # None: personal data not here yet
    Column("valid_from", String(10), nullable=True),  # earliest start of current orders
    Column("valid_until", String(10), nullable=True),  # latest end of current orders
    Column("activity", String(300), nullable=True),  # activity_ref or purpose of last order
    # A rowid table on SQLite (migration 0012): rows are wide, keys random.
)
Index("ix_personnel_persons_pd", personnel_persons.c.personal_data_ref)

personnel_orders = Table(
    "personnel_orders",
    metadata,
    Column("order_id", String(300), primary_key=True),
    Column("version_key", String(80), nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("valid_from", String(10), nullable=False),
    Column("valid_until", String(10), nullable=False),
    Column("activity", String(300), nullable=False),
    Column("persons", Text, nullable=False),  # JSON list of person ids
    sqlite_with_rowid=False,
)

personnel_order_persons = Table(
    "personnel_order_persons",
    metadata,
    Column("person_id", String(300), primary_key=True),
    Column("order_id", String(300), primary_key=True),
    sqlite_with_rowid=False,
)
Index("ix_personnel_order_persons_order", personnel_order_persons.c.order_id)

# Movements (sending state) and confirmations (host): the current version of each.
personnel_events = Table(
    "personnel_events",
    metadata,
    Column("event_id", String(300), primary_key=True),
    Column("version_key", String(80), nullable=False),
    Column("person_id", String(300), nullable=False),
    Column("notified", Boolean, nullable=False),  # a movement, or a confirmation naming one
    Column("direction", String(10), nullable=False),
    Column("at", String(32), nullable=False),  # UTC instant, fixed width
    Column("port", String(200), nullable=False),
    Column("order_ref", String(300), nullable=True),
    Column("revoked", Boolean, nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_personnel_events_person", personnel_events.c.person_id)

# Stays: intervals a person was in the country, derived from that person's events.
personnel_stays = Table(
    "personnel_stays",
    metadata,
    Column("person_id", String(300), primary_key=True),
    Column("arrived_at", String(32), primary_key=True),
    Column("departed_at", String(32), nullable=True),  # None: no departure recorded yet
    Column("port", String(200), nullable=False),
    Column("order_ref", String(300), nullable=True),
    Column("host_only", Boolean, nullable=False),  # arrival nobody notified
    Column("departure_unrecorded", Boolean, nullable=False),  # ended by a later arrival
    sqlite_with_rowid=False,
)
Index("ix_personnel_stays_open", personnel_stays.c.departed_at, personnel_stays.c.person_id)

# Presence by day (acuerdo.domains.personnel.presence_days): each person's counted days as
# spans (port "" over all ports, then per port), and per day and class the change in count.
personnel_presence_spans = Table(
    "personnel_presence_spans",
    metadata,
    Column("person_id", String(300), primary_key=True),
    Column("port", String(200), primary_key=True),
    Column("first_day", String(10), primary_key=True),
    Column("last_day", String(10), nullable=True),  # None: still there
    Column("audience", Text, nullable=False),  # JSON list of the gate's API tokens
    Column("party", String(3), nullable=False),
    Column("category", String(64), nullable=False),
    Column("activity", String(300), nullable=False),
    sqlite_with_rowid=False,
)

personnel_presence_days = Table(
    "personnel_presence_days",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("audience", Text, primary_key=True),
    Column("party", String(3), primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("activity", String(300), primary_key=True),
    Column("port", String(200), primary_key=True),
    Column("delta", Integer, nullable=False),
    sqlite_with_rowid=False,
)

personnel_presence_audiences = Table(
    "personnel_presence_audiences",
    metadata,
    Column("audience", Text, primary_key=True),
    sqlite_with_rowid=False,
)
