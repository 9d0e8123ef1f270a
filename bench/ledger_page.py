"""A page of 100 through the release gate, at a million records, for two users.

The fill is the real write path (`Node.write`, 1,000 records a call). One record in 1,000 is
TLP:AMBER, released to every user of the party; the other 999 are TLP:RED, written by alice,
so the gate names alice and nobody else (TLP:RED goes to named users only, never to a party).
Alice and bob are both analysts of the same party and agency: alice may see every record,
bob 0.1 % of them, and nothing but the gate's grants tells them apart.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import func, select, text

from acuerdo.federation.tables import federation_outbox
from acuerdo.ledger.reader import CursorCodec
from acuerdo.ledger.tables import audit, grants, ledger, objects, refs
from acuerdo.release import Channel
from ledger_setup import ALICE, AMBER, RED, BenchNode, indicator

BATCH = 1000
VISIBLE_EVERY = 1000  # one record in VISIBLE_EVERY is released to the whole party
ROW_TABLES = {
    "ledger": ledger,
    "objects": objects,
    "grants": grants,
    "refs": refs,
    "audit": audit,
    "outbox": federation_outbox,
}


def fill_record(n: int) -> dict[str, object]:
    """Record n of the page fill: party-wide TLP:AMBER once in 1,000, else alice's TLP:RED."""
    return indicator(n, tlp=AMBER if n % VISIBLE_EVERY == VISIBLE_EVERY // 2 else RED)


async def row_counts(bench: BenchNode) -> dict[str, int]:
    """Rows in every table a version writes to."""
    out: dict[str, int] = {}
    async with bench.node.engines.reader.connect() as conn:
        for name, table in ROW_TABLES.items():
            out[name] = int(
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return out


async def indicator_count(bench: BenchNode) -> int:
    async with bench.node.engines.reader.connect() as conn:
        q = select(func.count()).select_from(ledger).where(ledger.c.object_type == "indicator")
        return int((await conn.execute(q)).scalar_one())


@dataclass
class WriteRun:
    """Versions written, wall seconds, and the rows they added per table."""

    versions: int
    wall: float
    rows: dict[str, int]

    @property
    def rate(self) -> float:
        return self.versions / self.wall

    @property
    def row_rate(self) -> float:
        return sum(self.rows.values()) / self.wall


async def write_batches(
    bench: BenchNode,
    make: Callable[[int], dict[str, object]],
    start: int,
    total: int,
    *,
    writers: int,
    label: str,
    pregenerate: bool = False,
) -> WriteRun:
    """Write records start..start+total in calls of BATCH, from `writers` concurrent tasks.

    With `pregenerate`, every record is built before the clock starts (about 1 kB each) and
    frozen out of the garbage collector's walks (100,000 live dicts would otherwise make each
    full collection scan them, a cost of the bench, not of the write path); otherwise each
    call builds its records first (about 14 µs a record, in the timing).
    """
    alice = bench.users[ALICE]
    before = await row_counts(bench)
    batches = [(s, min(BATCH, start + total - s)) for s in range(start, start + total, BATCH)]
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>7.0f} versions/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(label, total=total, rate=0.0)
        queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
        ready: dict[int, list[dict[str, object]]] = {}
        for first, size in batches:
            queue.put_nowait((first, size))
            if pregenerate:
                ready[first] = [make(n) for n in range(first, first + size)]
        if pregenerate:  # bench data, not the write path: keep it out of the collector's walks
            gc.collect()
            gc.freeze()
        t0 = time.perf_counter()
        done = 0

        async def worker() -> None:
            nonlocal done
            while not queue.empty():
                first, size = queue.get_nowait()
                objs = ready.pop(first, None) or [make(n) for n in range(first, first + size)]
                await bench.node.write(objs, user=alice)
                done += size
                rate = done / (time.perf_counter() - t0)
                progress.update(task, advance=size, rate=rate)

        await asyncio.gather(*(worker() for _ in range(writers)))
        wall = time.perf_counter() - t0
        gc.unfreeze()
    after = await row_counts(bench)
    return WriteRun(total, wall, {k: after[k] - before[k] for k in after})


def _cursor(bench: BenchNode, name: str, position: int) -> str:
    scope = f"{bench.node.party}:{name}:{Channel.API.value}"
    return CursorCodec(bench.node.secret).seal(position, scope)


@dataclass
class PageRun:
    """Latencies (s) of first pages and of pages from random positions, and items seen."""

    first: list[float]
    random: list[float]
    items_first: int


async def page_latencies(bench: BenchNode, name: str, rounds: int, seed: int = 7) -> PageRun:
    """Time `rounds` first pages and `rounds` pages starting at random ledger positions."""
    node, user = bench.node, bench.users[name]
    async with node.engines.reader.connect() as conn:
        top = int((await conn.execute(select(func.max(ledger.c.seq)))).scalar_one())
    first: list[float] = []
    items = 0
    for i in range(rounds + 5):
        t0 = time.perf_counter()
        page = await node.reader.page(user.recipient, Channel.API, cursor=None, limit=100)
        if i >= 5:
            first.append(time.perf_counter() - t0)
        items = len(page.items)
    rng = random.Random(seed)
    cursors = [_cursor(bench, name, rng.randrange(1, top)) for _ in range(rounds)]
    randoms: list[float] = []
    for cursor in cursors:
        t0 = time.perf_counter()
        await node.reader.page(user.recipient, Channel.API, cursor=cursor, limit=100)
        randoms.append(time.perf_counter() - t0)
    return PageRun(first, randoms, items)


async def explain(bench: BenchNode, name: str) -> list[str]:
    """Plans for one user: the page query (grants only) and the statement a page runs."""
    node, user = bench.node, bench.users[name]
    reader, engine = node.reader, node.engines.reader
    lines: list[str] = []
    async with engine.connect() as conn:
        page_query = reader.page_query(user.recipient, Channel.API, after=0, limit=100)
        statement = reader.page_statement(user.recipient, Channel.API, limit=100)
        for label, stmt in (("page query", page_query), ("page statement", statement)):
            sql = str(stmt.compile(engine.sync_engine, compile_kwargs={"literal_binds": True}))
            lines.append(f"-- {label}")
            if bench.backend == "sqlite":
                rows = await conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
                lines.extend(f"   {r[0]:>3} {r[1]:>3} {r[-1]}" for r in rows)
            else:
                rows = await conn.execute(text(f"EXPLAIN {sql}"))
                lines.extend(f"   {r[0]}" for r in rows)
    return lines
