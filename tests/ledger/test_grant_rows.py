"""The writer's grant rows store the same on SQLite whether bound row by row or grouped.

On SQLite `rowio` writes a batch's grant rows one statement per (token, type, channels,
current), the seqs as a JSON array SQLite expands; here every row it stores, and each value's
SQL type, is compared with the plain row-by-row insert of the same rows.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.dialects import sqlite as sqlite_dialect

from acuerdo.ledger import batch_rows, grant_groups, rowio
from acuerdo.ledger.staging import GRANT_COLUMNS
from acuerdo.ledger.tables import grants

TOKENS = ["node:PRY", "node:USA", "party:USA", "role:USA:registrar", "público:ñ"]
TYPES = ["acuerdo-covered-person", "acuerdo-personal-data", "indicator"]


def _table(rows: list[list[Any]], grouped: bool) -> list[tuple[Any, ...]]:
    engine = create_engine("sqlite://")
    grants.create(engine)
    raw = engine.raw_connection()
    try:
        db: Any = raw.driver_connection
        dialect = sqlite_dialect.dialect(paramstyle="qmark")
        if grouped:
            statements = batch_rows.grant_statements(dialect, [list(r) for r in rows])
            assert all("json_each" in sql for sql, _ in statements)
        else:
            statements = [(rowio.insert_sql(dialect, "grants", GRANT_COLUMNS), rows)]
        for sql, params in statements:
            db.executemany(sql, [tuple(p) for p in params])
        out = db.execute(
            "SELECT token, seq, object_type, channels, current, typeof(seq), typeof(channels),"
            " typeof(current) FROM grants ORDER BY token, seq"
        ).fetchall()
    finally:
        raw.close()
        engine.dispose()
    return [tuple(r) for r in out]


rows_strategy = st.lists(
    st.tuples(
        st.integers(1, 2**40),
        st.lists(
            st.tuples(
                st.sampled_from(TOKENS),
                st.sampled_from(TYPES),
                st.integers(0, 7),
                st.booleans(),
            ),
            min_size=1,
            max_size=4,
            unique_by=lambda g: g[0],
        ),
    ),
    max_size=40,
    unique_by=lambda v: v[0],
)


@settings(deadline=None, max_examples=60)
@given(rows_strategy)
def test_grouped_grant_rows_store_what_row_by_row_stores(
    versions: list[tuple[int, list[tuple[str, str, int, bool]]]],
) -> None:
    rows = [
        [token, seq, otype, channels, current]
        for seq, grants_of in versions
        for token, otype, channels, current in grants_of
    ]
    assert _table(rows, grouped=True) == _table(rows, grouped=False)


def test_more_groups_than_one_statement_holds() -> None:
    rows = [
        [TOKENS[i % 5], 1000 + i, TYPES[i % 3], i, i % 2 == 0]
        for i in range(2 * grant_groups.GROUPS_A_STATEMENT + 7)
    ]
    assert len(batch_rows.grant_statements(sqlite_dialect.dialect(paramstyle="qmark"), rows)) == 3
    assert _table(rows, grouped=True) == _table(rows, grouped=False)


def test_this_sqlite_groups_grant_rows() -> None:
    """The SQLite acuerdo runs on here has JSON built in, so the grouped path is the one the
    property test above checks, and the one a node uses."""
    assert grant_groups.JSON_EACH
    db = sqlite3.connect(":memory:")
    assert db.execute("SELECT count(*) FROM json_each('[1,2,3]')").fetchone() == (3,)
