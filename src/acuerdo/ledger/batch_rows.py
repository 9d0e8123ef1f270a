"""A batch's staged rows as statements, and their writing: one executemany per table.

The rows are already tuples in column order (`staging`); on SQLite they all go to the
driver's thread in one hop (`rowio.driver_thread`), except the grants, which SQLite inserts
in one C call that leaves the GIL (`grant_groups`) and which the writer lets run beside its
projectors. PostgreSQL runs the very same SQL through `exec_driver_sql`.

Statements are built from table and column names of acuerdo's own schema (never from input)
with placeholders for every value; hence the S608 exemptions below.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.ledger import staging
from acuerdo.ledger.audit_staging import AUDIT_COLUMNS
from acuerdo.ledger.grant_groups import JSON_EACH, grouped_grants
from acuerdo.ledger.rowio import Rows, driver_thread, insert_sql, placeholders
from acuerdo.ledger.staging import BatchState, Stage, object_rows


@lru_cache(maxsize=16)
def _update_sql(dialect: Dialect, table: str, columns: tuple[str, ...], key: str) -> str:
    """UPDATE table SET columns... WHERE key = the last parameter."""
    quote = dialect.identifier_preparer.quote
    marks = placeholders(dialect, len(columns) + 1)
    sets = ", ".join(f"{quote(c)} = {m}" for c, m in zip(columns, marks, strict=False))
    return f"UPDATE {quote(table)} SET {sets} WHERE {quote(key)} = {marks[-1]}"  # noqa: S608


@lru_cache(maxsize=4)
def _uncurrent_sql(dialect: Dialect) -> str:
    """Clear one token's `current` flag on an older version."""
    a, b, c = placeholders(dialect, 3)
    return f"UPDATE grants SET current = {a} WHERE token = {b} AND seq = {c}"  # noqa: S608


def grant_statements(d: Dialect, rows: list[list[Any]]) -> list[tuple[str, Rows]]:
    """The batch's grant rows as (statement, parameter tuples) to executemany: grouped into
    one C call on SQLite (`grant_groups`), else one row a tuple."""
    if _grouped(d):
        return list(grouped_grants(rows))
    return [(insert_sql(d, "grants", staging.GRANT_COLUMNS), [tuple(r) for r in rows])]


def _grouped(d: Dialect) -> bool:
    return d.paramstyle == "qmark" and JSON_EACH


def _statements(
    d: Dialect, stage: Stage, state: BatchState, *, grants: bool = True
) -> list[tuple[str, Rows]]:
    """Every (statement, rows) the batch needs, in order, skipping empty ones; the grants
    last, unless `grants` is False."""
    new_rows, upd_rows = object_rows(stage, state)
    refs_sql = insert_sql(d, "refs", staging.REFS_COLUMNS, " ON CONFLICT DO NOTHING")
    plan: list[tuple[str, Rows]] = [
        (insert_sql(d, "ledger", staging.LEDGER_COLUMNS), stage.ledger_rows),
        (insert_sql(d, "objects", staging.OBJECT_COLUMNS), new_rows),
        (_update_sql(d, "objects", staging.OBJECT_COLUMNS[1:], "object_id"), upd_rows),
        (_uncurrent_sql(d), stage.uncurrent),
        (refs_sql, list(stage.refs_rows)),
        (insert_sql(d, "audit", AUDIT_COLUMNS), stage.audit_rows),
        (insert_sql(d, "quarantine", staging.QUARANTINE_COLUMNS), stage.quarantine_rows),
    ]
    if grants and stage.grant_rows:
        plan += grant_statements(d, stage.grant_rows)
    return [(sql, rows) for sql, rows in plan if rows]


def _write_sqlite(statements: list[tuple[str, Rows]], db: Any) -> None:
    for sql, rows in statements:
        db.executemany(sql, rows)


async def write_rows(
    conn: AsyncConnection, stage: Stage, state: BatchState, *, grants_apart: bool = False
) -> asyncio.Future[None] | None:
    """Write every staged row: one executemany per table, in one hop on SQLite.

    With `grants_apart` on SQLite, the grants go in a second hop that is returned, not
    awaited: one C call that releases the GIL (`grant_groups`), run by the driver's thread
    while the caller's Python goes on (the projectors' planning). Whatever the caller sends
    the connection next runs after it (the driver's queue is first in, first out); the
    caller awaits it before committing. Rows bound one by one (executemany) are never left
    running so: the GIL would pass back and forth at every row.
    """
    run = await driver_thread(conn)
    if run is None:
        for sql, rows in _statements(conn.dialect, stage, state):
            await conn.exec_driver_sql(sql, rows)
        return None
    apart = grants_apart and bool(stage.grant_rows) and _grouped(conn.dialect)
    await run(_write_sqlite, _statements(conn.dialect, stage, state, grants=not apart))
    if not apart:
        return None
    pending = asyncio.ensure_future(
        run(_write_sqlite, grant_statements(conn.dialect, stage.grant_rows))
    )
    await asyncio.sleep(0)  # in the driver's queue before the caller's next statement
    return pending
