"""Ledger benchmark: signed writes (API and batches), canonical bytes and signatures, gated pages.

    .venv/bin/python bench/ledger.py            # full run (fills 1,000,000 records once)
    .venv/bin/python bench/ledger.py --quick    # a small run, a minute or two

Everything runs through the production code: `Node.write` for batches, a real uvicorn
server on loopback for API writes, `RecordReader.page` for pages. Targets are issue 2's; see
bench/README.md for what each figure means and bench/RESULTS.md for recorded runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from ledger_api import api_pages, served, single_writes
from ledger_costs import measure_costs
from ledger_page import BATCH, explain, fill_record, indicator_count, page_latencies, write_batches
from ledger_setup import (
    ALICE,
    BOB,
    DEFAULT_PG_URL,
    BenchNode,
    create_node,
    fresh_node,
    indicator,
    open_node,
    summary_ms,
)

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
console = Console(width=130)


@dataclass
class Figure:
    """One line of the final table."""

    what: str
    backend: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass
class Plan:
    """Sizes of one run."""

    api_sequential: int
    api_concurrent: int
    api_clients: int
    batch_versions: int
    writers: int
    cost_records: int
    page_records: int
    pg_page_records: int
    page_rounds: int


def plan_for(args: argparse.Namespace) -> Plan:
    quick = args.quick
    records = args.records or (20_000 if quick else 1_000_000)
    return Plan(
        api_sequential=200 if quick else 2_000,
        api_concurrent=400 if quick else 4_000,
        api_clients=16,
        batch_versions=10_000 if quick else 100_000,
        writers=args.writers,
        cost_records=500 if quick else 2_000,
        page_records=records,
        pg_page_records=args.pg_records or min(records, 20_000 if quick else 100_000),
        page_rounds=50 if quick else 200,
    )


def section(title: str) -> None:
    console.rule(f"[bold]{title}")


async def bench_api(plan: Plan, backend: str, work: Path, pg_url: str, out: list[Figure]) -> None:
    """1. Single signed writes through a real server on loopback."""
    async with fresh_node(backend, work, "api", pg_url) as bench:
        await bench.node.close()  # the server process opens the node itself
        async with served(bench.home) as base:
            token = bench.tokens[ALICE]
            await single_writes(base, token, 50, 1, 10_000_000)  # warm-up
            for count, clients in (
                (plan.api_sequential, 1),
                (plan.api_concurrent, plan.api_clients),
            ):
                run = await single_writes(base, token, count, clients, clients * 1_000_000)
                p50, p95, _ = summary_ms(run.latencies)
                console.print(
                    f"{backend:>8}: {count} single writes, {clients:>2} client(s): "
                    f"{run.rate:7.0f} appends/s, p50 {p50:.2f} ms, p95 {p95:.2f} ms"
                )
                what = f"API single writes, {clients} client(s)"
                out.append(Figure(what, backend, f"{run.rate:.0f}/s", "", None))
                target = "p50 ≤ 5 ms" if clients == 1 else ""
                out.append(
                    Figure(f"{what}: p50 / p95", backend, f"{p50:.2f} / {p95:.2f} ms", target,
                           p50 <= 5.0 if clients == 1 else None)
                )  # fmt: skip
        # The context manager closes the node again: closing twice is harmless.


async def bench_batches(
    plan: Plan, backend: str, work: Path, pg_url: str, out: list[Figure]
) -> None:
    """2. Signed versions per second in calls of 1,000 records (Node.write)."""
    async with fresh_node(backend, work, "batch", pg_url) as bench:
        await write_batches(bench, indicator, 0, 2 * BATCH, writers=1, label="warm-up")
        run = await write_batches(
            bench, indicator, 10 * BATCH, plan.batch_versions, writers=plan.writers,
            label=f"{backend} batches", pregenerate=True,
        )  # fmt: skip
    rows = sum(run.rows.values())
    detail = ", ".join(f"{k} {v / run.versions:g}" for k, v in run.rows.items())
    console.print(
        f"{backend:>8}: {run.versions} versions in {run.wall:.1f} s: {run.rate:,.0f} versions/s, "
        f"{run.row_rate:,.0f} rows/s ({rows / run.versions:.1f} rows a version: {detail})"
    )
    target = "≥ 5,000/s" if backend == "sqlite" else ""
    out.append(
        Figure(f"batches of {BATCH}, {plan.writers} writer(s): versions/s", backend,
               f"{run.rate:,.0f}", target, run.rate >= 5000 if backend == "sqlite" else None)
    )  # fmt: skip
    out.append(Figure("  rows/s (every table a version writes)", backend, f"{run.row_rate:,.0f}"))


async def bench_costs(plan: Plan, work: Path, pg_url: str, out: list[Figure]) -> None:
    """3. Canonical bytes and signatures per record, against the peer."""
    async with fresh_node("sqlite", work, "costs", pg_url) as bench:
        costs = measure_costs(bench, plan.cost_records)
    table = Table("step", "acuerdo µs", "peer µs", "peer / acuerdo")
    for c in costs:
        ratio = "" if c.ratio is None else f"{c.ratio:.2f}×"
        peer = "" if c.peer is None else f"{c.peer:.1f}"
        table.add_row(c.step, f"{c.ours:.1f}", peer, ratio)
        value = f"{c.ours:.1f} µs" + ("" if c.peer is None else f" (peer {c.peer:.1f} µs, {ratio})")
        out.append(Figure(f"per record: {c.step.strip()}", "-", value))
    console.print(table)


async def _page_node(backend: str, n: int) -> BenchNode:
    """The SQLite node filled with `n` records, from the cache when an earlier run made it."""
    home = CACHE / f"page-{backend}-{n}"
    if not (home / "node.json").exists():
        shutil.rmtree(home, ignore_errors=True)
        await create_node(home, None)
    return await open_node(home, backend, None)


async def _fill(bench: BenchNode, n: int, plan: Plan, out: list[Figure]) -> None:
    have = await indicator_count(bench)
    if have >= n:
        console.print(
            f"{bench.backend:>8}: {have:,} records already filled (cached in {bench.home})"
        )
        return
    run = await write_batches(
        bench, fill_record, have, n - have, writers=plan.writers, label=f"fill {n:,}"
    )
    console.print(
        f"{bench.backend:>8}: filled {run.versions:,} records in {run.wall:.0f} s: "
        f"{run.rate:,.0f} versions/s, {run.row_rate:,.0f} rows/s"
    )
    out.append(
        Figure(f"fill to {n:,} (99.9 % TLP:RED): versions/s", bench.backend, f"{run.rate:,.0f}")
    )
    if bench.backend == "postgres":
        # What autovacuum does on its own schedule; a fill of minutes can outrun it, and
        # without statistics PostgreSQL reads a token's every grant to sort out 100.
        async with bench.node.engines.writer.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
        console.print(f"{bench.backend:>8}: ANALYZE after the fill")


async def _pages(bench: BenchNode, n: int, plan: Plan, out: list[Figure]) -> None:
    for name, share in ((ALICE, "sees all"), (BOB, "sees 0.1 %")):
        run = await page_latencies(bench, name, plan.page_rounds)
        p50, p95, _ = summary_ms(run.first)
        r50, r95, _ = summary_ms(run.random)
        console.print(
            f"{bench.backend:>8}: {name} ({share}) at {n:,}: first page ({run.items_first} items) "
            f"p50 {p50:.2f} ms p95 {p95:.2f} ms; pages from random positions "
            f"p50 {r50:.2f} ms p95 {r95:.2f} ms"
        )
        what = f"page of 100 at {n:,}, {name} ({share}): p50 / p95"
        out.append(Figure(what, bench.backend, f"{p50:.2f} / {p95:.2f} ms", "p50 ≤ 10 ms",
                          p50 <= 10.0))  # fmt: skip
        out.append(Figure("  same, from random positions", bench.backend,
                          f"{r50:.2f} / {r95:.2f} ms", "p50 ≤ 10 ms", r50 <= 10.0))  # fmt: skip
    for name in (ALICE, BOB):
        console.print(f"[bold]EXPLAIN ({bench.backend}, {name}):")
        for line in await explain(bench, name):
            console.print(line, markup=False, highlight=False)


async def bench_pages(
    plan: Plan, backend: str, work: Path, pg_url: str, api: bool, out: list[Figure]
) -> None:
    """4 and 5. Pages through the gate for a user who sees all and one who sees 0.1 %."""
    if backend == "sqlite":
        n = plan.page_records
        bench = await _page_node(backend, n)
        try:
            await _fill(bench, n, plan, out)
            await _pages(bench, n, plan, out)
        finally:
            await bench.node.close()
        if api:
            await _api_pages(bench, n, plan, out)
        return
    n = plan.pg_page_records
    async with fresh_node(backend, work, "page", pg_url) as bench:
        await _fill(bench, n, plan, out)
        await _pages(bench, n, plan, out)
        if api:
            await bench.node.close()  # the server process opens it
            await _api_pages(bench, n, plan, out)


async def _api_pages(bench: BenchNode, n: int, plan: Plan, out: list[Figure]) -> None:
    async with served(bench.home) as base:
        for name in (ALICE, BOB):
            p50, p95, _ = summary_ms(await api_pages(base, bench.tokens[name], plan.page_rounds))
            console.print(f"{bench.backend:>8}: GET /api/v1/records?limit=100 as {name}: "
                          f"p50 {p50:.2f} ms p95 {p95:.2f} ms")  # fmt: skip
            out.append(Figure(f"  via the API (uvicorn), {name}: p50 / p95", bench.backend,
                              f"{p50:.2f} / {p95:.2f} ms"))  # fmt: skip


def report(out: list[Figure], argv: list[str]) -> None:
    section("Figures")
    table = Table("figure", "backend", "value", "target", "met")
    for f in out:
        met = "" if f.met is None else ("yes" if f.met else "[red]NO")
        table.add_row(f.what, f.backend, f.value, f.target, met)
    console.print(table)
    console.print("\nMarkdown (for bench/RESULTS.md):\n")
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"`{' '.join(['python', 'bench/ledger.py', *argv])}` on "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"load average at the end {load}\n")  # fmt: skip
    print("| figure | backend | value | target | met |")
    print("|---|---|---|---|---|")
    for f in out:
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        print(f"| {f.what} | {f.backend} | {f.value} | {f.target} | {met} |")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes: a run of a minute or two")
    p.add_argument(
        "--records",
        type=int,
        default=None,
        help="records for the SQLite page test (default 1,000,000; quick 20,000)",
    )
    p.add_argument(
        "--pg-records",
        type=int,
        default=None,
        help="records for the PostgreSQL page test (default 100,000; quick 20,000)",
    )
    p.add_argument("--backends", default="sqlite,postgres", help="comma-separated")
    p.add_argument("--only", default="api,batch,costs,page", help="sections to run")
    p.add_argument("--writers", type=int, default=2, help="concurrent Node.write callers")
    p.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help="admin URL; the bench creates its own databases and drops them",
    )
    p.add_argument("--no-api-pages", action="store_true", help="skip pages through uvicorn")
    return p.parse_args(argv)  # fmt: skip


async def run(args: argparse.Namespace, argv: list[str]) -> None:
    plan = plan_for(args)
    backends = [b for b in args.backends.split(",") if b]
    only = set(args.only.split(","))
    work = CACHE / f"run-{datetime.now(UTC):%Y%m%d%H%M%S}"
    work.mkdir(parents=True, exist_ok=True)
    out: list[Figure] = []
    try:
        if "api" in only:
            section("1. single signed writes through the API (uvicorn on 127.0.0.1)")
            for b in backends:
                await bench_api(plan, b, work, args.pg_url, out)
        if "batch" in only:
            section(f"2. signed versions in batches (Node.write, {BATCH} records a call)")
            for b in backends:
                await bench_batches(plan, b, work, args.pg_url, out)
        if "costs" in only:
            section("3. canonical bytes and signatures per record (peer: rfc8785 + cryptography)")
            await bench_costs(plan, work, args.pg_url, out)
        if "page" in only:
            section("4-5. a page of 100 through the gate; EXPLAIN of the page query")
            for b in backends:
                await bench_pages(plan, b, work, args.pg_url, not args.no_api_pages, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(out, argv)


def main() -> None:
    argv = sys.argv[1:]
    asyncio.run(run(parse_args(argv), argv))


if __name__ == "__main__":
    main()
