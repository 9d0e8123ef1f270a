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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.batch_rows import write_rows
from acuerdo.ledger.checkpoint import WalCheckpointer
from acuerdo.ledger.engine import Engines
from acuerdo.ledger.propagation import propagate
from acuerdo.ledger.rowio import begin_if_unchanged, driver_thread, load_state
from acuerdo.ledger.staging import BatchState, Stage, needs_propagation, stage_job
from acuerdo.ledger.writes import (
    Appended,
    Job,
    PrecedingWriteFailed,
    Signed,
    WriterContext,
    WriteRefused,
)


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


# A large batch's staged rows and versions are hundreds of thousands of objects, whose freeing
# took ~0.1 s of the event loop between two transactions (at 21,000 versions a batch): they
# are kept until the writer next waits for the checkpointer, which has the loop idle for as
# long, or until more than this many are kept (an import waits every other batch).
SPENT_MAX = 2

Outcome = list[Appended] | BaseException
Staged = tuple[BatchState, Stage, list[Outcome]]


@dataclass
class Ahead:
    """Jobs taken from the queue while the previous batch committed, and, once staged, what
    they were staged on (None: stage them afresh)."""

    jobs: list[Job]
    staged: Staged | None = None


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
        self._ahead: Ahead | None = None  # the next batch, taken while one committed
        self._held: Job | None = None  # taken from the queue, waits for the next batch
        self.staged_ahead = 0  # batches written as staged while the one before committed
        # What the last transactions were made of, kept to be freed while the writer waits
        # for the checkpointer (in `_commit`) rather than between two transactions.
        self._spent: list[tuple[object, ...]] = []
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
        self._spent.clear()
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
        return await self.enqueue(
            versions,
            actor=actor,
            conflict_to_quarantine=conflict_to_quarantine,
            in_transaction=in_transaction,
        )

    async def audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append audit entries; return once they are committed (audit before answer)."""
        await self._submit(Job(entries=entries))

    def enqueue(
        self,
        versions: Sequence[Signed],
        *,
        actor: str,
        conflict_to_quarantine: bool = False,
        in_transaction: Sequence[Callable[[AsyncConnection], Awaitable[None]]] = (),
        after: asyncio.Future[list[Appended]] | None = None,
    ) -> asyncio.Future[list[Appended]]:
        """Queue an append and return its future at once, so that the caller may queue the
        next one before this is written. With `after`, the job is written only if the job of
        that future was (else it fails with PrecedingWriteFailed, writing nothing)."""
        if self._task is None:
            raise RuntimeError("the ledger writer is not running")
        job = Job(
            versions=versions,
            actor=actor,
            conflict_to_quarantine=conflict_to_quarantine,
            in_transaction=in_transaction,
            after=after,
        )
        job.future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(job)
        return job.future

    async def _submit(self, job: Job) -> list[Appended]:
        if self._task is None:
            raise RuntimeError("the ledger writer is not running")
        job.future = asyncio.get_running_loop().create_future()
        await self._queue.put(job)
        return await job.future

    def _waiting(self) -> bool:
        return self._held is not None or not self._queue.empty()

    def _next_job(self) -> Job:
        held, self._held = self._held, None
        return held if held is not None else self._queue.get_nowait()

    def _take_waiting(self, jobs: list[Job]) -> list[Job]:
        """Add the jobs waiting in the queue to `jobs`, up to the batch's size; a job that
        must follow one of them waits for the next transaction."""
        size = sum(len(j.versions) + len(j.entries) for j in jobs)
        while size < self._batch_max and self._waiting():
            nxt = self._next_job()
            if nxt.after is not None and any(nxt.after is j.future for j in jobs):
                self._held = nxt
                break
            jobs.append(nxt)
            size += len(nxt.versions) + len(nxt.entries)
        return jobs

    def _drop_orphans(self, jobs: list[Job]) -> list[Job]:
        """The jobs whose predecessor (`Job.after`) was written; the others fail now."""
        kept = []
        for job in jobs:
            before = job.after
            if before is None or (
                before.done() and not before.cancelled() and not before.exception()
            ):
                kept.append(job)
            else:
                if not job.future.done():
                    job.future.set_exception(
                        PrecedingWriteFailed("the write this one was queued to follow failed")
                    )
                self._queue.task_done()
        return kept

    async def _run(self) -> None:
        while True:
            ahead, self._ahead = self._ahead, None
            if ahead is not None:
                jobs = ahead.jobs
            elif self._held is not None:
                jobs = self._take_waiting([self._next_job()])
            else:
                jobs = self._take_waiting([await self._queue.get()])
            kept = self._drop_orphans(jobs)
            if len(kept) != len(jobs):
                jobs, ahead = kept, None  # staged with a job that is not written: again
                if not jobs:
                    continue
            try:
                outcomes = await self._commit(jobs, ahead)
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

    async def _commit(self, jobs: list[Job], ahead: Ahead | None = None) -> list[Outcome]:
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
            self._spent.clear()
            await asyncio.to_thread(ckpt.caught_up, 5.0)
        elif ckpt is None or len(self._spent) > SPENT_MAX:
            self._spent.clear()
        try:
            if ahead is not None and ahead.staged is not None:
                state, stage, outcomes = ahead.staged
                if await begin_if_unchanged(conn, state):
                    self.staged_ahead += 1
                else:
                    state, stage, outcomes = await self._stage(conn, jobs, begin=False)
            else:
                state, stage, outcomes = await self._stage(conn, jobs)
            await flush(conn, stage, state, ctx)
            for job, outcome in zip(jobs, outcomes, strict=True):
                if not isinstance(outcome, BaseException):
                    for step in job.in_transaction:
                        await step(conn)
            nudged = False
            if self._engines.dialect == "sqlite" and not stage.definitions:
                nudged = await self._commit_reading_ahead(conn)
            else:
                await conn.commit()
            if self.checkpointer is not None and not nudged:
                self.checkpointer.nudge()
        except BaseException:
            # Closing the connection rolls the transaction back, and a broken connection
            # (a restarted PostgreSQL) is not reused: the next job opens a fresh one.
            if self._ahead is not None:
                self._ahead.staged = None  # read inside the transaction rolled back
            await self._release()
            raise
        ctx.after_commit(stage.definitions)
        self._spent.append((state, stage, jobs, ahead))
        return outcomes

    async def _stage(self, conn: AsyncConnection, jobs: list[Job], *, begin: bool = True) -> Staged:
        """Read what the jobs need (beginning the transaction unless `begin` is False) and
        stage them; a refused job's outcome is its WriteRefused."""
        state = await load_state(conn, self._engines.dialect, jobs, self._context, begin=begin)
        return self._stage_read(jobs, state)

    async def _commit_reading_ahead(self, conn: AsyncConnection) -> bool:
        """Commit; if jobs are waiting, read what they need first (inside this transaction,
        so the reads see its rows) and stage them while the commit runs in the driver's
        thread. `_commit` writes them next if nothing else wrote in between. True when the
        checkpointer was nudged (from the driver's thread, as soon as the commit is done).

        The commit (~15 % of a batch at 1,000,000 records) is C code that releases the GIL,
        and staging is Python in this thread: the two overlap instead of taking turns. A
        batch that adds marking definitions commits first (the catalog changes on commit).
        The checkpointer's pass begins when the commit ends, not once the staging has (the
        next transaction may have to wait for that pass: see `checkpoint`).
        """
        if not self._waiting():
            await conn.commit()
            return False
        self._ahead = Ahead(self._take_waiting([self._next_job()]))
        state = await load_state(conn, self._engines.dialect, self._ahead.jobs, self._context,
                                 begin=False)  # fmt: skip
        ckpt = self.checkpointer
        run = await driver_thread(conn) if ckpt is not None else None
        committing = asyncio.ensure_future(conn.commit())
        # Let the commit reach the driver's queue before this thread is busy staging, and
        # the nudge after it.
        await asyncio.sleep(0)
        nudging = None
        if run is not None and ckpt is not None:
            nudging = asyncio.ensure_future(run(_nudge, ckpt))
            await asyncio.sleep(0)
        staged = None
        with contextlib.suppress(Exception):  # staged again, and failed properly, next turn
            staged = self._stage_read(self._ahead.jobs, state)
        try:
            await committing
        finally:
            if nudging is not None:
                await nudging
        self._ahead.staged = staged
        return nudging is not None

    def _stage_read(self, jobs: list[Job], state: BatchState) -> Staged:
        """Stage the jobs on what was read for them."""
        ctx = self._context
        stage = Stage()
        outcomes: list[Outcome] = []
        now = utc_now()
        for job in jobs:
            try:
                outcomes.append(stage_job(job, state, stage, ctx, now))
            except WriteRefused as exc:
                outcomes.append(exc)
        return state, stage, outcomes


def _nudge(checkpointer: WalCheckpointer, _db: object) -> None:
    """Run in the driver's thread right after a commit: the checkpointer may copy it now."""
    checkpointer.nudge()


async def flush(conn: AsyncConnection, stage: Stage, state: BatchState, ctx: WriterContext) -> None:
    """Write every staged row, then recompute grants of what refers to changed objects and
    project; the grants go last, in C, beside the projectors' Python (`write_rows`)."""
    grants_pending = await write_rows(conn, stage, state, grants_apart=True)
    try:
        regranted = needs_propagation(stage, state)
        if regranted:
            await propagate(conn, stage.changed, state.catalog, ctx.policy)
        if stage.projected:
            stage.facts.regranted = regranted
            stage.facts.referenced = state.referenced
            for projector in ctx.projectors:
                await projector.project(conn, conn.dialect.name, stage.projected)
    except BaseException:
        if grants_pending is not None:
            await asyncio.gather(grants_pending, return_exceptions=True)
        raise
    if grants_pending is not None:
        await grants_pending
