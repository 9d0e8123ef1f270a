"""The node's single writer: every append to the ledger, projections, audit chain and outboxes.

One task owns the write connection. Callers enqueue jobs and await them; the task takes every
job waiting, commits them in one transaction and only then answers (group commit). A job is
all or nothing: a bundle with one refused version writes none of its versions. Inside the
transaction a version's ledger row, its projection, its grants, its audit entry and its
outbox entries are written together, so no reader ever sees one without the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.checkpoint import WalCheckpointer
from acuerdo.ledger.engine import Engines
from acuerdo.ledger.propagation import propagate
from acuerdo.ledger.rowio import driver_thread, load_state, write_rows
from acuerdo.ledger.staging import BatchState, Stage, needs_propagation, stage_job
from acuerdo.ledger.writes import Appended, Job, Signed, WriterContext, WriteRefused


def utc_now() -> str:
    """Now, as stored in ledger and audit rows."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The collector's youngest generation every 50,000 container allocations (not 700).
GC_THRESHOLDS = (50_000, 20, 100)


def collect_less_often() -> None:
    """Raise the collector's first threshold for the process that runs a writer.

    A batch of 1,000 versions makes tens of thousands of containers (drafts, rows, decisions)
    that live until its commit and are then freed by reference counting. With the default
    threshold the collector ran ~45 times a batch, each time walking the batch's live
    objects in vain: 18 µs of ~185 µs CPU a version on the batch bench, 2-3 µs with this
    one (A/B, 40,000 versions). Cyclic garbage waits a little longer, bounded by the threshold.
    """
    if gc.get_threshold()[0] < GC_THRESHOLDS[0]:
        gc.set_threshold(*GC_THRESHOLDS)


def _tune_writer_connection(cache_mib: int, db: Any) -> None:
    """The writer's own commits only append to the log (the checkpointer copies it back),
    and it keeps `cache_mib` of pages (`Settings.sqlite_writer_cache_mib`)."""
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute(f"PRAGMA cache_size=-{int(cache_mib) * 1024}")


class LedgerWriter:
    """The single writer task of a node."""

    def __init__(
        self,
        engines: Engines,
        context: WriterContext,
        *,
        batch_max: int = 2000,
        sqlite_cache_mib: int = 64,
    ) -> None:
        self._engines = engines
        self._cache_mib = sqlite_cache_mib
        self._context = context
        self._batch_max = batch_max
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        # The writer's connection, kept between transactions: a checkout from the pool and
        # its return cost more CPU than a one-record transaction's own statements.
        self._conn: AsyncConnection | None = None
        # On SQLite the log is copied back into the database beside the writer (checkpoint).
        database = engines.writer.url.database
        self.checkpointer: WalCheckpointer | None = None
        if engines.dialect == "sqlite" and database and database != ":memory:":
            self.checkpointer = WalCheckpointer(database)

    async def start(self) -> None:
        if self._task is None:
            collect_less_often()
            if self.checkpointer is not None:
                self.checkpointer.start()
            self._task = asyncio.create_task(self._run(), name="acuerdo-ledger-writer")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._release()
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.stop)

    async def _release(self) -> None:
        """Close the kept connection (rolling back anything open); the next job reopens."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def append(
        self,
        versions: Sequence[Signed],
        *,
        actor: str,
        conflict_to_quarantine: bool = False,
        in_transaction: Sequence[Callable[[AsyncConnection], Awaitable[None]]] = (),
    ) -> list[Appended]:
        """Append versions atomically; return once they are committed."""
        job = Job(
            versions=versions,
            actor=actor,
            conflict_to_quarantine=conflict_to_quarantine,
            in_transaction=in_transaction,
        )
        return await self._submit(job)

    async def audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append audit entries; return once they are committed (audit before answer)."""
        await self._submit(Job(entries=entries))

    async def _submit(self, job: Job) -> list[Appended]:
        if self._task is None:
            raise RuntimeError("the ledger writer is not running")
        job.future = asyncio.get_running_loop().create_future()
        await self._queue.put(job)
        return await job.future

    async def _run(self) -> None:
        while True:
            jobs = [await self._queue.get()]
            size = len(jobs[0].versions) + len(jobs[0].entries)
            while size < self._batch_max and not self._queue.empty():
                nxt = self._queue.get_nowait()
                jobs.append(nxt)
                size += len(nxt.versions) + len(nxt.entries)
            try:
                outcomes = await self._commit(jobs)
            except Exception as exc:  # the transaction failed: every job in it failed
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
            else:
                for job, outcome in zip(jobs, outcomes, strict=True):
                    if job.future.done():
                        continue
                    if isinstance(outcome, BaseException):
                        job.future.set_exception(outcome)
                    else:
                        job.future.set_result(outcome)
            finally:
                for _ in jobs:
                    self._queue.task_done()

    async def _commit(self, jobs: list[Job]) -> list[list[Appended] | BaseException]:
        ctx = self._context
        if self._conn is None:
            self._conn = await self._engines.writer.connect()
            if self.checkpointer is not None:
                run = await driver_thread(self._conn)
                if run is not None:
                    await run(_tune_writer_connection, self._cache_mib)
        conn = self._conn
        ckpt = self.checkpointer
        if ckpt is not None and ckpt.log_is_long:
            # Let the checkpointer finish copying, so this transaction starts the log over.
            await asyncio.to_thread(ckpt.caught_up, 5.0)
        try:
            state: BatchState = await load_state(conn, self._engines.dialect, jobs, ctx)
            stage = Stage()
            outcomes: list[list[Appended] | BaseException] = []
            for job in jobs:
                try:
                    outcomes.append(stage_job(job, state, stage, ctx, utc_now()))
                except WriteRefused as exc:
                    outcomes.append(exc)
            await flush(conn, stage, state, ctx)
            for job, outcome in zip(jobs, outcomes, strict=True):
                if not isinstance(outcome, BaseException):
                    for step in job.in_transaction:
                        await step(conn)
            await conn.commit()
            if self.checkpointer is not None:
                self.checkpointer.nudge()
        except BaseException:
            # Closing the connection rolls the transaction back, and a broken connection
            # (a restarted PostgreSQL) is not reused: the next job opens a fresh one.
            await self._release()
            raise
        ctx.after_commit(stage.definitions)
        return outcomes


async def flush(conn: AsyncConnection, stage: Stage, state: BatchState, ctx: WriterContext) -> None:
    """Write every staged row, then recompute grants of what refers to changed objects."""
    await write_rows(conn, stage, state)
    regranted = needs_propagation(stage, state)
    if regranted:
        await propagate(conn, stage.changed, state.catalog, ctx.policy)
    if stage.projected:
        stage.facts.regranted = regranted
        stage.facts.referenced = state.referenced
        for projector in ctx.projectors:
            await projector.project(conn, conn.dialect.name, stage.projected)
