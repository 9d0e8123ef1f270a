"""How an import's prepared rows become write jobs: joined into large transactions, each
order with its last person, the first job's signatures begun ahead, one job in flight.

`importing` checks the rows and prepares their versions; this module hands them to the
node's writer once every row is checked.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from acuerdo.domains.personnel.importing_records import order_object, to_write
from acuerdo.ledger.record import Draft
from acuerdo.ledger.sign_ahead import SignedAhead
from acuerdo.node import Node
from acuerdo.users import User

if TYPE_CHECKING:
    from acuerdo.domains.personnel.importing import ImportReport

BATCH_ROWS = 1000
# Rows a write job holds once every row is checked: prepared batches are joined up to this.
WRITE_ROWS = 10_000

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class Prepared:
    """One batch of rows made ready to write: the new versions, checked and keyed."""

    objs: list[dict[str, Any]]
    drafts: list[Draft]
    written_rows: int
    unchanged_rows: int
    orders: list[str] = field(default_factory=list)  # order numbers its rows name


class WriteAhead:
    """Jobs handed to the node's writer, at most one in flight while the next is prepared.

    The writer commits a batch mostly in its database driver's thread and in the signing
    thread; meanwhile this task hands on the next batch (whose ids differ: a sheet names
    each person once). Each job stays all or nothing on its own.
    """

    def __init__(self, node: Node, user: User) -> None:
        self.node, self.user = node, user
        self._pending: asyncio.Task[Any] | None = None

    async def push(
        self,
        objs: list[dict[str, Any]],
        drafts: list[Draft] | None = None,
        ahead: SignedAhead | None = None,
    ) -> None:
        task = None
        if objs:
            write = self.node.write(objs, user=self.user, prepared=drafts, signed_ahead=ahead)
            task = asyncio.create_task(write)
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


def _joined(batches: list[Prepared], rows: int) -> Prepared:
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
    taken = batches_in_job(batches, rows)
    first = batches[0]
    joined = Prepared(
        list(first.objs), list(first.drafts), first.written_rows, first.unchanged_rows,
        list(first.orders),
    )  # fmt: skip
    for more in batches[1:taken]:
        joined.objs += more.objs
        joined.drafts += more.drafts
        joined.written_rows += more.written_rows
        joined.unchanged_rows += more.unchanged_rows
        joined.orders += more.orders
    del batches[:taken]
    return joined


def batches_in_job(batches: Sequence[Prepared], rows: int) -> int:
    """How many batches from the front `_joined` takes: at least one, up to `rows` rows."""
    count, total = 1, rows_of(batches[0])
    while count < len(batches) and total + rows_of(batches[count]) <= rows:
        total += rows_of(batches[count])
        count += 1
    return count


def first_job_signed(node: Node, ready: list[Prepared], rows: int) -> SignedAhead:
    """Begin signing the versions of the first job (`_joined` of `ready`), which the reading
    of the sheet leaves time for; its transaction would otherwise wait ~0.8 s for them."""
    return node.sign_ahead([d for b in ready[: batches_in_job(ready, rows)] for d in b.drafts])


def rows_of(batch: Prepared) -> int:
    return batch.written_rows + batch.unchanged_rows


async def write_prepared(
    node: Node,
    user: User,
    batches: list[Prepared],
    orders: dict[str, tuple[Mapping[str, Any], list[str]]],
    report: ImportReport,
    now: datetime,
    *,
    batch_rows: int = BATCH_ROWS,
    write_rows: int = WRITE_ROWS,
    progress: Progress | None = None,
    signed_ahead: SignedAhead | None = None,
) -> None:
    """Write prepared batches (dropping each once handed on), each order in the job of the
    last row that names it, then any order no batch names; count. `signed_ahead`: the
    signatures `first_job_signed` began for the first job (the caller drops them if they
    are not taken).

    An order goes with its last person because writing it sets the order window of its
    persons: in the transaction that inserts a person's row, the row is inserted with its
    window; later, the row is updated (at 100,000 rows, a phase of its own took ~8 s).
    """
    total = sum(rows_of(b) for b in batches)
    last_naming = {number: i for i, b in enumerate(batches) for number in b.orders}
    taken = 0  # batches handed on so far
    ahead = WriteAhead(node, user)
    try:
        while batches:
            waiting = len(batches)
            batch = _joined(batches, write_rows)
            taken += waiting - len(batches)
            due = [n for n in dict.fromkeys(batch.orders) if last_naming[n] < taken]
            await _add_orders(node, user, batch, {n: orders.pop(n) for n in due}, report, now)
            await ahead.push(batch.objs, batch.drafts, signed_ahead)
            signed_ahead = None
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
        rest = Prepared([], [], 0, 0)
        await _add_orders(node, user, rest, dict(left[start : start + batch_rows]), report, now)
        if rest.objs:
            await node.write(rest.objs, user=user, prepared=rest.drafts)
        report.versions += len(rest.objs)


async def _add_orders(
    node: Node,
    user: User,
    batch: Prepared,
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
