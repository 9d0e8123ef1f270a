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

import gc
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acuerdo.domains.personnel.importing_jobs import (
    BATCH_ROWS,
    WRITE_ROWS,
    Prepared,
    Progress,
    WriteAhead,
    batches_in_job,
    first_job_signed,
    write_prepared,
)
from acuerdo.domains.personnel.importing_records import row_objects, salts, to_write
from acuerdo.domains.personnel.importing_rows import RowPlan
from acuerdo.domains.personnel.sheet_process import Chunk, chunked, planned_chunks
from acuerdo.domains.personnel.spreadsheet import ColumnMapping, Row, SheetFormat
from acuerdo.ledger.sign_ahead import SignedAhead
from acuerdo.node import Node
from acuerdo.users import User


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


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def prepare_plans(
    node: Node,
    user: User,
    plans: Sequence[RowPlan],
    now: datetime,
    orders: dict[str, tuple[Mapping[str, Any], list[str]]],
) -> Prepared:
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
    return Prepared(kept, drafts, written, len(plans) - written, list(named))


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
    ahead = WriteAhead(node, user)
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
    ready: list[Prepared] = []
    orders: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
    signed: SignedAhead | None = None  # the first job's signatures, begun once it is known
    try:
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
                if signed is None and batches_in_job(ready, write_rows) < len(ready):
                    signed = first_job_signed(node, ready, write_rows)
        report.rows = report.valid_rows + len(error_rows)
        if error_rows and not valid_rows_only:
            report.refused = True
            return report
        if waiting:
            ready.append(await prepare_plans(node, user, waiting, now, orders))
        if signed is None and ready:
            signed = first_job_signed(node, ready, write_rows)
        await write_prepared(
            node, user, ready, orders, report, now, batch_rows=batch_rows,
            write_rows=write_rows, progress=progress, signed_ahead=signed,
        )  # fmt: skip
    finally:
        if signed is not None:
            signed.drop()  # refused, or failed: not wanted (a no-op once they were taken)
    return report
    if waiting:
        ready.append(await prepare_plans(node, user, waiting, now, orders))
    await write_prepared(
        node, user, ready, orders, report, now,
        batch_rows=batch_rows, write_rows=write_rows, progress=progress,
    )  # fmt: skip
    return report
