"""presence by day: each person's counted days as spans, and per day the change in count

Revision ID: 0008
Revises: 0007

Derived tables (see acuerdo.domains.personnel.presence_days), filled here from the stays,
persons and grants a node already holds, so a timeline is right from the first read.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

API_BIT = 1  # acuerdo.ledger.access.CHANNEL_BITS[Channel.API], as of this revision


def _s(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "personnel_presence_spans",
        _s("person_id", 300),
        _s("port", 200),
        _s("first_day", 10),
        _s("last_day", 10, True),
        sa.Column("audience", sa.Text(), nullable=False),
        _s("party", 3),
        _s("category", 64),
        _s("activity", 300),
        sa.PrimaryKeyConstraint("person_id", "port", "first_day"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "personnel_presence_days",
        _s("day", 10),
        sa.Column("audience", sa.Text(), nullable=False),
        _s("party", 3),
        _s("category", 64),
        _s("activity", 300),
        _s("port", 200),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "audience", "party", "category", "activity", "port"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "personnel_presence_audiences",
        sa.Column("audience", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("audience"),
        sqlite_with_rowid=False,
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    from acuerdo.domains.personnel.presence_days import counted, day_rows, person_spans

    persons = {
        r.person_id: dict(r._mapping)
        for r in conn.execute(
            sa.text(
                "SELECT person_id, seq, party, category, activity FROM personnel_persons"
                " WHERE revoked = :no"
            ),
            {"no": False},
        )
    }
    if not persons:
        return
    tokens: dict[int, set[str]] = defaultdict(set)
    for seq, token in conn.execute(
        sa.text(
            "SELECT g.seq, g.token FROM grants g JOIN personnel_persons p ON p.seq = g.seq"
            " WHERE (g.channels & :api) != 0"
        ),
        {"api": API_BIT},
    ):
        tokens[int(seq)].add(token)
    stays: dict[str, list[Any]] = defaultdict(list)
    for s in conn.execute(
        sa.text("SELECT person_id, arrived_at, departed_at, port FROM personnel_stays")
    ):
        stays[s.person_id].append(dict(s._mapping))
    spans: list[dict[str, Any]] = []
    audiences: set[str] = set()
    for pid, person in persons.items():
        granted = tokens.get(int(person["seq"]))
        if granted and stays.get(pid):
            audience = json.dumps(sorted(granted))
            audiences.add(audience)
            spans += person_spans(person, audience, stays[pid])
    meta = sa.MetaData()
    for name, rows in (
        ("personnel_presence_spans", spans),
        ("personnel_presence_days", day_rows(counted(spans))),
        ("personnel_presence_audiences", [{"audience": a} for a in sorted(audiences)]),
    ):
        if rows:
            conn.execute(sa.Table(name, meta, autoload_with=conn).insert(), rows)


def downgrade() -> None:
    for name in (
        "personnel_presence_audiences",
        "personnel_presence_days",
        "personnel_presence_spans",
    ):
        op.drop_table(name)
