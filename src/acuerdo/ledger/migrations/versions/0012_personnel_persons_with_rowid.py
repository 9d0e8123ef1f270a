"""personnel_persons as a rowid table on SQLite: its rows are too wide to be the key's b-tree

Revision ID: 0012
Revises: 0011

A person's row carries its coverage decision with the reasons' texts (~900 bytes), and its
key is a random STIX id. Kept WITHOUT ROWID, every row lived in the key's b-tree, four to a
page: each new person split and rewrote pages of wide rows in the middle of the table. With
a rowid, rows are appended and only the key goes into the random-order index. (SQLite's own
guidance: WITHOUT ROWID suits rows smaller than about a twentieth of a page.) PostgreSQL
tables are heaps already: nothing changes there.
"""

from __future__ import annotations

import sqlalchemy as sa

from acuerdo.ledger.migrations.rebuild import rebuild_on_sqlite

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column[object]]:
    def s(name: str, length: int, nullable: bool = False) -> sa.Column[object]:
        return sa.Column(name, sa.String(length=length), nullable=nullable)

    def b(name: str, nullable: bool = False) -> sa.Column[object]:
        return sa.Column(name, sa.Boolean(), nullable=nullable)

    return [
        s("person_id", 300),
        s("version_key", 80),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        s("party", 3),
        s("category", 64),
        s("personal_data_ref", 300),
        b("revoked"),
        s("outcome", 32),
        b("covered"),
        s("status", 64, True),
        sa.Column("reasons", sa.Text(), nullable=False),
        s("agreement_hash", 64),
        b("has_national_id", True),
        s("valid_from", 10, True),
        s("valid_until", 10, True),
        s("activity", 300, True),
    ]


def _rebuild(with_rowid: bool) -> None:
    rebuild_on_sqlite(
        "personnel_persons",
        _columns(),
        ["person_id"],
        with_rowid=with_rowid,
        indexes={"ix_personnel_persons_pd": ["personal_data_ref"]},
        order_by="seq",
    )


def upgrade() -> None:
    _rebuild(with_rowid=True)


def downgrade() -> None:
    _rebuild(with_rowid=False)
