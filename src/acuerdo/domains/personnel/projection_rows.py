"""Batched row keeping for the personnel projector: one read and one write per table a batch.

The projector sees a whole write transaction at once (thousands of versions during an
import). Each helper here takes every version of one table in that transaction and costs a
fixed number of statements per 500 objects, never one round trip per version: the newest
version of each object is chosen in memory, the stored version keys are read in one query,
and the rows to insert and to update go out as two executemany statements.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.ledger.rowio import insert_rows
from acuerdo.ledger.tables import ledger
from acuerdo.ledger.writes import Projected

CHUNK = 500
T = TypeVar("T")


def chunks(ids: Sequence[T], size: int = CHUNK) -> list[Sequence[T]]:
    """Ids in slices small enough for one IN (...) list on every backend."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def newest_of_batch(versions: Iterable[Projected]) -> dict[str, Projected]:
    """Each object's greatest version key among `versions` (arrival order does not matter)."""
    newest: dict[str, Projected] = {}
    for p in versions:
        cur = newest.get(p.draft.object_id)
        if cur is None or p.draft.version_key > cur.draft.version_key:
            newest[p.draft.object_id] = p
    return newest


@dataclass
class Kept:
    """A version that became its object's current row, with what the row held before."""

    version: Projected
    before: Mapping[str, Any] | None  # the replaced row's extra columns; None when new


@dataclass
class KeepPlan:
    """The rows that keep each object's newest version, before they are written (a caller
    may add columns to them, the same to every row)."""

    table: Table
    key: str
    inserts: list[dict[str, Any]]
    updates: list[dict[str, Any]]  # columns as `b_<name>` bind parameters
    kept: list[Kept]


async def plan_newest(
    conn: AsyncConnection,
    table: Table,
    key: str,
    versions: Iterable[Projected],
    values: Callable[[Projected], dict[str, Any]],
    *,
    remember: Sequence[str] = (),
) -> KeepPlan:
    """Plan to store each object's newest version where it is newer than the stored row
    (`write_kept` writes the plan).

    `remember` names columns whose stored values the caller needs (a movement's old person,
    say); they are read in the same query as the version keys.
    """
    newest = newest_of_batch(versions)
    ids = sorted(newest)
    cols = [table.c[key], table.c.version_key, *(table.c[c] for c in remember)]
    stored: dict[str, tuple[Any, ...]] = {}
    # An object first stored by this transaction has no row from an earlier one.
    for chunk in chunks([oid for oid in ids if not newest[oid].new_object]):
        for found in await conn.execute(select(*cols).where(table.c[key].in_(chunk))):
            stored[found[0]] = tuple(found[1:])
    plan = KeepPlan(table, key, [], [], [])
    for oid in ids:
        p = newest[oid]
        old = stored.get(oid)
        if old is not None and p.draft.version_key <= old[0]:
            continue
        new = {key: oid, "version_key": p.draft.version_key, **values(p)}
        if old is None:
            plan.inserts.append(new)
            plan.kept.append(Kept(p, None))
        else:
            plan.updates.append({f"b_{k}": v for k, v in new.items()})
            plan.kept.append(Kept(p, dict(zip(remember, old[1:], strict=True))))
    return plan


async def write_kept(conn: AsyncConnection, plan: KeepPlan) -> list[Kept]:
    """Write a plan's rows: one insert and one update statement at most (the inserts as
    tuples at the driver: Core's per-row parameter dicts cost ~25 us a row, more than the
    insert itself, on an import's tens of thousands of rows)."""
    table, key, inserts, updates = plan.table, plan.key, plan.inserts, plan.updates
    if inserts:
        columns = tuple(inserts[0])
        rows = [tuple(row[c] for c in columns) for row in inserts]
        await insert_rows(conn, table.name, columns, rows)
    if updates:
        names = [k for k in inserts[0]] if inserts else [k[2:] for k in updates[0]]
        stmt = (
            update(table)
            .where(table.c[key] == bindparam(f"b_{key}"))
            .values({n: bindparam(f"b_{n}") for n in names if n != key})
        )
        await conn.execute(stmt, updates)
    return plan.kept


async def current_bodies(
    conn: AsyncConnection, object_ids: Iterable[str], known: Mapping[str, Projected]
) -> dict[str, Mapping[str, Any]]:
    """The newest stored version's body of each object (internal use: never handed out).

    `known` are versions of this transaction; when one of them is its object's newest, its
    parsed body is used as it is instead of reading and parsing the stored bytes again.
    """
    ids = sorted(set(object_ids))
    out: dict[str, Mapping[str, Any]] = {}
    # An object first stored by this transaction: its newest version is among `known`.
    for oid in ids:
        p = known.get(oid)
        if p is not None and p.new_object:
            out[oid] = p.draft.obj
    newest: dict[str, tuple[str, int]] = {}
    for chunk in chunks([oid for oid in ids if oid not in out]):
        q = select(ledger.c.object_id, ledger.c.version_key, ledger.c.seq)
        for oid, vkey, seq in await conn.execute(q.where(ledger.c.object_id.in_(chunk))):
            if oid not in newest or vkey > newest[oid][0]:
                newest[oid] = (vkey, seq)
    to_read: list[int] = []
    for oid, (vkey, seq) in newest.items():
        p = known.get(oid)
        if p is not None and p.draft.version_key == vkey and p.seq == seq:
            out[oid] = p.draft.obj
        else:
            to_read.append(seq)
    for seqs in chunks(sorted(to_read)):
        q = select(ledger.c.object_id, ledger.c.body).where(ledger.c.seq.in_(seqs))
        for read in await conn.execute(q):
            out[read[0]] = json.loads(read[1])
    return out
