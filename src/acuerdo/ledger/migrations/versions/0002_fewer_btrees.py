"""fewer b-trees per version: one ledger identity index; on SQLite rowid keys and WITHOUT ROWID

Revision ID: 0002
Revises: 0001

Every version writes a ledger row, a projection row, grants, refs, an audit entry and outbox
entries, and each b-tree a row lands in is another page to write at commit. This revision:

- both backends: the ledger's identity constraint becomes (object_id, version_key, owner),
  which also serves lookups by object id, so the separate ix_ledger_object index goes;
- SQLite: ledger.seq and audit.seq become INTEGER PRIMARY KEY (the rowid itself, instead of
  a rowid plus a separate index), and grants, objects, refs and outbox become WITHOUT ROWID
  tables (the primary key is the table; grants' filter columns sit beside the key the page
  query scans).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Cols = Callable[[], list[sa.Column[object] | sa.Constraint]]


def _ledger(seq_type: sa.types.TypeEngine[int], identity: tuple[str, ...]) -> Cols:
    return lambda: [
        sa.Column("seq", seq_type, autoincrement=False, nullable=False),
        sa.Column("owner", sa.String(length=3), nullable=False),
        sa.Column("object_id", sa.String(length=300), nullable=False),
        sa.Column("version_key", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=250), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("origin", sa.String(length=3), nullable=False),
        sa.Column("holder", sa.String(length=3), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=True),
        sa.Column("applied_markings", sa.Text(), nullable=False),
        sa.Column("received_at", sa.String(length=32), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint(*identity, name="uq_ledger_identity"),
    ]


def _audit(seq_type: sa.types.TypeEngine[int]) -> Cols:
    return lambda: [
        sa.Column("seq", seq_type, autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    ]


def _grants() -> list[sa.Column[object] | sa.Constraint]:
    return [
        sa.Column("token", sa.String(length=120), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("object_type", sa.String(length=250), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token", "seq"),
    ]


def _objects() -> list[sa.Column[object] | sa.Constraint]:
    return [
        sa.Column("object_id", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=3), nullable=False),
        sa.Column("object_type", sa.String(length=250), nullable=False),
        sa.Column("current_seq", sa.BigInteger(), nullable=False),
        sa.Column("current_version_key", sa.String(length=80), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("object_id"),
    ]


def _refs() -> list[sa.Column[object] | sa.Constraint]:
    return [
        sa.Column("src_id", sa.String(length=300), nullable=False),
        sa.Column("dst_id", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("src_id", "dst_id"),
    ]


def _outbox() -> list[sa.Column[object] | sa.Constraint]:
    return [
        sa.Column("partner", sa.String(length=3), nullable=False),
        sa.Column("oseq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("partner", "oseq"),
    ]


INDEXES = {
    "grants": [
        ("ix_grants_seq", ["seq"]),
        ("ix_grants_token_type_seq", ["token", "object_type", "seq"]),
    ],
    "refs": [("ix_refs_dst", ["dst_id"])],
}
OLD_IDENTITY = ("owner", "object_id", "version_key")
NEW_IDENTITY = ("object_id", "version_key", "owner")


def _rebuild(name: str, cols: Cols, *, rowid: bool, indexes: list[tuple[str, list[str]]]) -> None:
    """SQLite cannot change a table's key in place: copy into a new table, swap names."""
    tmp = f"_{name}_0002"
    items = cols()
    op.create_table(tmp, *items, sqlite_with_rowid=rowid)
    names = ", ".join(f'"{c.name}"' for c in items if isinstance(c, sa.Column))
    op.execute(f"INSERT INTO {tmp} ({names}) SELECT {names} FROM {name}")  # noqa: S608
    op.drop_table(name)
    op.rename_table(tmp, name)
    for index, columns in indexes:
        op.create_index(index, name, columns)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_index("ix_ledger_object", table_name="ledger")
        op.drop_constraint("uq_ledger_identity", "ledger", type_="unique")
        op.create_unique_constraint("uq_ledger_identity", "ledger", list(NEW_IDENTITY))
        return
    _rebuild("ledger", _ledger(sa.Integer(), NEW_IDENTITY), rowid=True, indexes=[])
    _rebuild("audit", _audit(sa.Integer()), rowid=True, indexes=[])
    _rebuild("grants", _grants, rowid=False, indexes=INDEXES["grants"])
    _rebuild("objects", _objects, rowid=False, indexes=[])
    _rebuild("refs", _refs, rowid=False, indexes=INDEXES["refs"])
    _rebuild("outbox", _outbox, rowid=False, indexes=[])


def downgrade() -> None:
    ix_ledger = [("ix_ledger_object", ["object_id", "version_key"])]
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("uq_ledger_identity", "ledger", type_="unique")
        op.create_unique_constraint("uq_ledger_identity", "ledger", list(OLD_IDENTITY))
        op.create_index("ix_ledger_object", "ledger", ["object_id", "version_key"])
        return
    _rebuild("ledger", _ledger(sa.BigInteger(), OLD_IDENTITY), rowid=True, indexes=ix_ledger)
    _rebuild("audit", _audit(sa.BigInteger()), rowid=True, indexes=[])
    _rebuild("grants", _grants, rowid=True, indexes=INDEXES["grants"])
    _rebuild("objects", _objects, rowid=True, indexes=[])
    _rebuild("refs", _refs, rowid=True, indexes=INDEXES["refs"])
    _rebuild("outbox", _outbox, rowid=True, indexes=[])
