"""Where a TAXII-ingested indicator's time goes: the in-process split of the 250 µs budget.

    .venv/bin/python bench/taxii_costs.py                 # 5 envelopes of 1,000 indicators
    .venv/bin/python bench/taxii_costs.py --envelopes 20 --profile

Drives `TaxiiService.submit` in this process (no HTTP) on a fresh SQLite node, with the
objects of bench/taxii.py, and times each step by CPU time (`time.process_time`, so the
load of other processes on the machine does not count): envelope parse, the ledger's
checks (`Node.prepare`), the intel checks (STIX validation and pattern parsing), the gate,
signing (in its worker thread: thread CPU time), the writer's staging, its row writes, the
correlation projector and the commit. `--profile` prints a pyinstrument profile instead.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import shutil
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from acuerdo.api.taxii import service as taxii_service
from acuerdo.ledger.canonical import parse_json
from acuerdo.markings import recipients_marking_definition
from acuerdo.node import Node
from acuerdo.settings import Settings
from acuerdo.users import get_user
from taxii import RED, indicator
from taxii_peers import CACHE, make_acuerdo_home

SPENT: dict[str, float] = defaultdict(float)
WALL: dict[str, float] = defaultdict(float)
COUNT: dict[str, int] = defaultdict(int)


def _timed(name: str, fn: Callable[..., Any], clock: Callable[[], float]) -> Callable[..., Any]:
    if asyncio.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            t, w = clock(), time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                SPENT[name] += clock() - t
                WALL[name] += time.perf_counter() - w

        return run_async

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        t, w = clock(), time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[name] += clock() - t
            WALL[name] += time.perf_counter() - w

    return run


def instrument(node: Node) -> None:
    """Wrap the steps of one write so their CPU time is summed (awaits are not counted
    as the step's own: the async steps await nothing but the database thread)."""
    from acuerdo.ledger import batch_rows, rowio, signing, writer
    from acuerdo.ledger import staging as staging_mod

    clock = time.process_time
    thread_clock = time.thread_time
    node.prepare = _timed("prepare (ledger checks)", node.prepare, clock)  # type: ignore[method-assign]
    for checks in node.checks.values():
        for i, check in enumerate(checks):
            checks[i] = _timed("intel checks (validate+pattern)", check, clock)
    node._gate_before_signing = _timed("gate", node._gate_before_signing, clock)  # type: ignore[method-assign]
    signing.sign_many = _timed("sign (worker thread)", signing.sign_many, thread_clock)
    import acuerdo.node as node_mod

    node_mod.sign_many = signing.sign_many
    writer.stage_job = _timed("staging", staging_mod.stage_job, clock)
    writer.load_state = _timed("load_state", rowio.load_state, clock)
    writer.write_rows = _timed("write_rows", batch_rows.write_rows, clock)
    node.writer._commit = _timed("writer transaction", node.writer._commit, clock)  # type: ignore[method-assign]
    from acuerdo.api.taxii.status import StatusStore

    # (`create` in versions before the status was written once: A/B runs against them)
    for method in ("_insert" if hasattr(StatusStore, "_insert") else "create", "add"):
        setattr(StatusStore, method, _timed("status write", getattr(StatusStore, method), clock))
    for p in node.context.projectors:
        p.project = _timed(f"projector {type(p).__name__}", p.project, clock)  # type: ignore[method-assign]


TOP = (
    "envelope parse", "prepare (ledger checks)", "gate", "intel checks (validate+pattern)",
    "sign (worker thread)", "writer transaction", "status write",
)  # fmt: skip
INSIDE = ("load_state", "staging", "write_rows", "projector")


def report(cpu: float, n: int) -> None:
    """Each step's CPU (and wall) time per object; the writer's steps indented under it."""

    def line(name: str, spent: float, indent: int = 2) -> None:
        wall = WALL.get(name, spent)
        label = f"{' ' * indent}{name:{44 - indent}}"
        print(f"{label} {spent / n * 1e6:7.1f} µs  {wall / n * 1e6:7.1f} µs")

    print(f"  {'step':42} {'CPU/object':>10} {'wall/object':>11}")
    named = 0.0
    if COUNT:
        print(f"  collections: {dict(COUNT)}")
    gcs = {k: v for k, v in SPENT.items() if k.startswith("garbage")}
    for name, spent in gcs.items():
        line(f"(of which {name})", spent)
    for name in TOP:
        line(name, SPENT.get(name, 0.0))
        named += SPENT.get(name, 0.0)
        if name == "writer transaction":
            inner = 0.0
            for sub, spent in sorted(SPENT.items(), key=lambda kv: -kv[1]):
                if sub.startswith(INSIDE) and spent / n > 0.5e-6:
                    line(sub, spent, 6)
                    inner += spent
            line("commit and the rest of the transaction", SPENT[name] - inner, 6)
    line("rest (service, driver hops, event loop)", cpu - named)


async def run(envelopes: int, per: int, profile: bool, freeze: bool) -> None:
    home = CACHE / f"costs-{uuid.uuid4().hex[:8]}"
    await make_acuerdo_home(home, {"alice": ["analyst"]})
    node = await Node.open(Settings(home=home, taxii_sync_objects=100_000))
    try:
        alice = await get_user(node.engines.reader, "alice")
        assert alice is not None
        service = taxii_service.TaxiiService(node)
        view = next(v for v in service.views if v.alias == "intelligence")
        red = [RED, str(recipients_marking_definition(["USA:alice"])["id"])]
        bodies = [
            json.dumps({"objects": [indicator(e * per + i, red) for i in range(per)]}).encode()
            for e in range(envelopes + 1)
        ]
        # a warm-up envelope, not counted
        await service.submit(alice, view, parse_json(bodies[0])["objects"])  # type: ignore[index]
        if freeze:
            import gc

            gc.freeze()  # as `acuerdo serve` does once started
        if not profile:
            instrument(node)
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="enabled", interval=0.0005)
            profiler.start()
        for key in [k for k in SPENT if k.startswith("garbage")]:
            del SPENT[key]
        COUNT.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        for body in bodies[1:]:
            t = time.process_time()
            objs = parse_json(body)["objects"]  # type: ignore[index]
            SPENT["envelope parse"] += time.process_time() - t
            status = await service.submit(alice, view, objs)
            assert not status.failures, status.failures[:2]
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        n = envelopes * per
        print(f"{n} indicators in {envelopes} envelopes of {per}, in-process, SQLite")
        print(f"wall {wall:.2f} s ({n / wall:,.0f} objects/s); process CPU {cpu:.2f} s")
        print(f"CPU per object: {cpu / n * 1e6:.0f} µs (budget 250 µs)")
        if SPENT:
            report(cpu, n)
    finally:
        await node.close()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envelopes", type=int, default=5)
    parser.add_argument("--per", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="a pyinstrument profile")
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() after start-up")
    parser.add_argument("--gc-stats", action="store_true", help="time the garbage collector")
    args = parser.parse_args()
    if args.gc_stats:
        import gc

        def gc_timer(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                SPENT["_gc_start"] = time.process_time()
            else:
                SPENT[f"garbage collection (gen {info['generation']})"] += (
                    time.process_time() - SPENT["_gc_start"]
                )
                COUNT[f"gen {info['generation']}"] += 1
                COUNT[f"gen {info['generation']} collected"] += info["collected"]

        gc.callbacks.append(gc_timer)
    asyncio.run(run(args.envelopes, args.per, args.profile, args.freeze))


if __name__ == "__main__":
    main()
