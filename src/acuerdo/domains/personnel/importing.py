"""Import covered personnel from a spreadsheet: every row checked first, then written in batches.

Each row becomes a personal-data record and a covered-person record; rows that name an order
number also make (or join) a movement order (`importing_records`: ids, versions, re-imports
that change nothing).

A file is read in a second process (`sheet_process`) while this one checks its rows and
prepares the records of the rows checked so far (new versions stamped, checked and keyed by
`Node.prepare`). Nothing is written when any row has an error unless the caller asks for the
valid rows only, so the writes begin once the last row is checked.
Rows are prepared `BATCH_ROWS` at a time and written `WRITE_ROWS` at a time, each one
`Node.write` job holding the rows' personal data, then their covered persons, then the
orders whose last row is among them (signed together, appended in one transaction by the
node's single writer, projected once per job). Each job is all or nothing, a person is
never written without its personal data, and a re-run of an interrupted import finds the
finished jobs unchanged and completes the rest.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acuerdo.domains.personnel.importing_records import (
    order_object,
    row_objects,
    salts,
    to_write,
)
from acuerdo.domains.personnel.importing_rows import RowPlan
from acuerdo.domains.personnel.sheet_process import Chunk, chunked, planned_chunks
from acuerdo.domains.personnel.spreadsheet import ColumnMapping, Row, SheetFormat
from acuerdo.ledger.record import Draft
from acuerdo.node import Node
from acuerdo.users import User

BATCH_ROWS = 1000
# Rows a write job holds once every row is checked: prepared batches are joined up to this.
WRITE_ROWS = 10_000

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class RowError:
    """One problem of one row: its number in the sheet and the column header it is in."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.message}"


@dataclass
class ImportReport:
    """What an import found and did."""

    rows: int = 0
    valid_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    written_rows: int = 0  # rows that made new versions
    unchanged_rows: int = 0
    written_orders: int = 0
    unchanged_orders: int = 0
    versions: int = 0  # record versions appended
    refused: bool = False  # errors and not asked for the valid rows: nothing written

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "errors"}
        out["errors"] = [e.__dict__ for e in self.errors]
        return out


@dataclass
class _Prepared:
    """One batch of rows made ready to write: the new versions, checked and keyed."""

    objs: list[dict[str, Any]]
    drafts: list[Draft]
    written_rows: int
    unchanged_rows: int
    orders: list[str] = field(default_factory=list)  # order numbers its rows name


class _WriteAhead:
    """Jobs handed to the node's writer, at most one in flight while the next is prepared.

    The writer commits a batch mostly in its database driver's thread and in the signing
    thread; meanwhile this task hands on the next batch (whose ids differ: a sheet names
    each person once). Each job stays all or nothing on its own.
    """

    def __init__(self, node: Node, user: User) -> None:
        self.node, self.user = node, user
        self._pending: asyncio.Task[Any] | None = None

    async def push(self, objs: list[dict[str, Any]], drafts: list[Draft] | None = None) -> None:
        task = None
        if objs:
            task = asyncio.create_task(self.node.write(objs, user=self.user, prepared=drafts))
        try:
            await self.drain()
        except BaseException:
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
            raise
        self._pending = task

    async def drain(self) -> None:
        """Wait for the job in flight; its failure is raised here."""
        task, self._pending = self._pending, None
        if task is not None:
            await task


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def prepare_plans(
    node: Node,
    user: User,
    plans: Sequence[RowPlan],
    now: datetime,
    orders: dict[str, tuple[Mapping[str, Any], list[str]]],
) -> _Prepared:
    """A batch of rows as the versions to write (checked by `Node.prepare`), the rows'
    outcomes counted and each order's persons gathered; nothing is written."""
    pairs = [row_objects(node, p, salt) for p, salt in zip(plans, salts(len(plans)), strict=True)]
    kept = await to_write(node, user, [o for pair in pairs for o in pair], now)
    drafts = [node.prepare(o) for o in kept]
    changed = {o["id"] for o in kept}
    written = 0
    named: dict[str, None] = {}
    for plan, (personal, person) in zip(plans, pairs, strict=True):
        written += personal["id"] in changed or person["id"] in changed
        if plan.order_number is not None and plan.order is not None:
            orders.setdefault(plan.order_number, (plan.order, []))[1].append(person["id"])
            named[plan.order_number] = None
    return _Prepared(kept, drafts, written, len(plans) - written, list(named))


def _joined(batches: list[_Prepared], rows: int) -> _Prepared:
    """Take batches from the front of `batches` and join them, up to `rows` rows (at least one
    batch).

    Once every row is checked, fewer and larger transactions write less: record ids are
    random, so each version dirties a page in each of several indexes, and a page dirtied
    by many versions of one transaction is logged and copied back once, not once a batch
    (100,000 rows: writer's thread 21.4 s of CPU and checkpointer's 6.3 s at 1,000 rows a
    transaction, 18.2 s and 4.3 s at 5,000). At 10,000 the whole import took ~1 s less
    again (28.8 and 29.6 s against 30.4 and 30.4 s at 5,000, alternating runs), and 20,000
    gained nothing more. Another write waits for at most one such transaction (~1.7 s).
    """
    first = batches.pop(0)
    joined = _Prepared(
        list(first.objs), list(first.drafts), first.written_rows, first.unchanged_rows,
        list(first.orders),
    )  # fmt: skip
    while batches and _rows(joined) + _rows(batches[0]) <= rows:
        more = batches.pop(0)
        joined.objs += more.objs
        joined.drafts += more.drafts
        joined.written_rows += more.written_rows
        joined.unchanged_rows += more.unchanged_rows
        joined.orders += more.orders
    return joined


def _rows(batch: _Prepared) -> int:
    return batch.written_rows + batch.unchanged_rows


async def write_prepared(
    node: Node,
    user: User,
    batches: list[_Prepared],
    orders: dict[str, tuple[Mapping[str, Any], list[str]]],
    report: ImportReport,
    now: datetime,
    *,
    batch_rows: int = BATCH_ROWS,
    write_rows: int = WRITE_ROWS,
    progress: Progress | None = None,
) -> None:
    """Write prepared batches (dropping each once handed on), each order in the job of the
    last row that names it, then any order no batch names; count.

    An order goes with its last person because writing it sets the order window of its
    persons: in the transaction that inserts a person's row, the row is inserted with its
    window; later, the row is updated (at 100,000 rows, a phase of its own took ~8 s).
    """
    total = sum(_rows(b) for b in batches)
    last_naming = {number: i for i, b in enumerate(batches) for number in b.orders}
    taken = 0  # batches handed on so far
    ahead = _WriteAhead(node, user)
    try:
        while batches:
            waiting = len(batches)
            batch = _joined(batches, write_rows)
            taken += waiting - len(batches)
            due = [n for n in dict.fromkeys(batch.orders) if last_naming[n] < taken]
            await _add_orders(node, user, batch, {n: orders.pop(n) for n in due}, report, now)
            await ahead.push(batch.objs, batch.drafts)
            report.written_rows += batch.written_rows
            report.unchanged_rows += batch.unchanged_rows
            report.versions += len(batch.objs)
            gc.freeze()  # what the writer holds now joins the still part of the heap
            if progress:
                progress("write", report.written_rows + report.unchanged_rows, total)
    finally:
        await ahead.drain()
    left = list(orders.items())
    orders.clear()
    for start in range(0, len(left), batch_rows):
        rest = _Prepared([], [], 0, 0)
        await _add_orders(node, user, rest, dict(left[start : start + batch_rows]), report, now)
        if rest.objs:
            await node.write(rest.objs, user=user, prepared=rest.drafts)
        report.versions += len(rest.objs)


async def _add_orders(
    node: Node,
    user: User,
    batch: _Prepared,
    orders: Mapping[str, tuple[Mapping[str, Any], list[str]]],
    report: ImportReport,
    now: datetime,
) -> None:
    """Add to `batch` the orders that differ from their current versions; count them (in
    `report.versions` once the batch is handed on)."""
    if not orders:
        return
    objs = [order_object(node, n, o, ids) for n, (o, ids) in orders.items()]
    kept = await to_write(node, user, objs, now)
    batch.objs += kept
    batch.drafts += [node.prepare(o) for o in kept]
    report.written_orders += len(kept)
    report.unchanged_orders += len(objs) - len(kept)


async def write_plans(
    node: Node,
    user: User,
    plans: Sequence[RowPlan],
    report: ImportReport,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> None:
    """Write the valid rows in batches, then their orders; count what changed."""
    now = datetime.now(UTC)
    orders: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
    ahead = _WriteAhead(node, user)
    written = 0
    try:
        for batch in _batches(plans, batch_rows):
            prepared = await prepare_plans(node, user, batch, now, orders)
            await ahead.push(prepared.objs, prepared.drafts)
            report.written_rows += prepared.written_rows
            report.unchanged_rows += prepared.unchanged_rows
            report.versions += len(prepared.objs)
            written += len(batch)
            gc.freeze()  # this batch's survivors join the still part of the heap
            if progress:
                progress("write", written, len(plans))
    finally:
        await ahead.drain()
    await write_prepared(node, user, [], orders, report, now, batch_rows=batch_rows)


@contextmanager
def still_heap() -> Iterator[None]:
    """Keep the collector from walking, again and again, what an import holds for its length.

    An import keeps every row's plan (~20 objects a row) until it ends; each full collection
    walks all of them, which at 100,000 rows cost more than the writes. Objects that exist
    when a batch starts are frozen (left out of collections) and released when the import
    ends, so garbage they hold is collected then, never lost. (The node's writer has raised
    the collector's first threshold already, `ledger.writer.collect_less_often`: a written
    batch makes tens of thousands of short-lived containers, which the default of 700 walked
    ~150 times a batch.)
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def import_rows(
    node: Node,
    user: User,
    header: Sequence[str],
    rows: Iterable[Row],
    mapping: ColumnMapping,
    *,
    valid_rows_only: bool = False,
    batch_rows: int = BATCH_ROWS,
    write_rows: int = WRITE_ROWS,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then write (all valid rows, or nothing when any row is bad unless
    `valid_rows_only`). Rows already read, checked in this process: for small files and
    tests (`import_sheet` reads a file in a second process). SheetError when the header
    lacks a required column."""

    async def chunks() -> AsyncIterator[Chunk]:
        for chunk in chunked(node.agreement, list(header), rows, mapping):
            yield chunk

    with still_heap():
        return await _import_chunks(
            node, user, chunks(), valid_rows_only, (batch_rows, write_rows), progress
        )


async def import_sheet(
    node: Node,
    user: User,
    source: bytes | Path,
    fmt: SheetFormat,
    mapping: ColumnMapping,
    *,
    valid_rows_only: bool = False,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV or XLSX file: a second process reads its rows (see `sheet_process`)
    while this one checks them and prepares the records of the rows checked so far; the
    writes begin once every row is checked. SheetError as for `import_rows`."""
    with still_heap():
        return await _import_chunks(
            node,
            user,
            planned_chunks(node.agreement, source, fmt, mapping),
            valid_rows_only,
            (batch_rows, WRITE_ROWS),
            progress,
        )


async def _import_chunks(
    node: Node,
    user: User,
    chunks: AsyncIterator[Chunk],
    valid_rows_only: bool,
    sizes: tuple[int, int],
    progress: Progress | None,
) -> ImportReport:
    """Prepare valid rows as their chunks arrive (until an error makes the import refused
    unless `valid_rows_only`), then write them all or, with errors, nothing."""
    batch_rows, write_rows = sizes  # rows prepared at a time, rows written at a time
    report = ImportReport()
    now = datetime.now(UTC)
    error_rows: set[int] = set()
    waiting: list[RowPlan] = []
    ready: list[_Prepared] = []
    orders: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
    async for chunk in chunks:
        report.valid_rows += len(chunk.plans)
        report.errors += [RowError(r, c, m) for r, c, m in chunk.errors]
        error_rows.update(e[0] for e in chunk.errors)
        if progress:
            progress("check", chunk.rows_read, 0)
        if error_rows and not valid_rows_only:
            waiting.clear()  # refused: nothing more to prepare
            continue
        waiting += chunk.plans
        while len(waiting) >= batch_rows:
            ready.append(await prepare_plans(node, user, waiting[:batch_rows], now, orders))
            del waiting[:batch_rows]
            gc.freeze()  # this batch's survivors join the still part of the heap
    report.rows = report.valid_rows + len(error_rows)
    if error_rows and not valid_rows_only:
        report.refused = True
        return report
    if waiting:
        ready.append(await prepare_plans(node, user, waiting, now, orders))
    await write_prepared(
        node, user, ready, orders, report, now,
        batch_rows=batch_rows, write_rows=write_rows, progress=progress,
    )  # fmt: skip
    return report
