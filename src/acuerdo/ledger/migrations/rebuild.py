"""Rebuilding a SQLite table with another layout (with or without a rowid), keeping its rows.

SQLite cannot change a table's layout in place: a new table is made, filled, and renamed
over the old one. PostgreSQL tables are heaps whatever the layout, so nothing happens there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from alembic import op


def rebuild_on_sqlite(
    table: str,
    columns: Sequence[sa.Column[object]],
    key: Sequence[str],
    *,
    with_rowid: bool,
    indexes: Mapping[str, Sequence[str]],
    order_by: str,
) -> None:
    """Make `table` again with `with_rowid`, its rows copied in `order_by` order (a rowid
    table appends them in that order) and `indexes` made again."""
    if op.get_bind().dialect.name != "sqlite":
        return
    names = ", ".join(c.name for c in columns)
    op.create_table(
        f"{table}_next", *columns, sa.PrimaryKeyConstraint(*key), sqlite_with_rowid=with_rowid
    )
    op.execute(
        f"INSERT INTO {table}_next ({names}) "  # noqa: S608 (names of acuerdo's own schema)
        f"SELECT {names} FROM {table} ORDER BY {order_by}"
    )
    for name in indexes:
        op.drop_index(name, table_name=table)
    op.drop_table(table)
    op.rename_table(f"{table}_next", table)
    for name, indexed in indexes.items():
        op.create_index(name, table, list(indexed))
