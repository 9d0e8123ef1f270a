"""bench/activities.py: every person-overlap among 5,000 activities and 50,000 assignments.

Activities are written through the production path (`Node.write`: schema, agreement checks,
signing, ledger, grants and the activity projector in the same transaction), then the
overlap query (`conflicts.person_overlaps`, one SQL self-join) is timed at node level and as
a user sees it (release gate as SQL on both activities), and its answer checked against a
brute-force reference computed in Python from the generated data.

    .venv/bin/python bench/activities.py                               # 5,000 / 50,000, SQLite
    .venv/bin/python bench/activities.py --activities 500 --persons 2000   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from acuerdo.domains.activities.conflicts import person_overlaps
from acuerdo.domains.activities.gating import gate
from acuerdo.ledger.types import BY_NAME
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from acuerdo.users import User, add_user

CACHE = Path(__file__).parent / ".cache"
STAMP = "2026-01-01T00:00:00.000Z"
BASE = datetime(2026, 2, 1, tzinfo=UTC)
PLACE = {
    "name": "Mariscal Estigarribia",
    "region": "PY-19",
    "latitude": -22.03,
    "longitude": -60.61,
}
Plan = tuple[str, datetime, datetime, list[str]]


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def plans(n: int, persons: int, per_activity: int, seed: int) -> list[Plan]:
    """`n` activities over two years, 1-21 days long, each with `per_activity` persons."""
    rng = random.Random(seed)
    pool = [
        f"acuerdo-covered-person--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        for _ in range(persons)
    ]
    out = []
    for _ in range(n):
        start = BASE + timedelta(hours=rng.randrange(0, 2 * 365 * 24))
        end = start + timedelta(days=rng.randint(1, 21))
        out.append(
            (f"acuerdo-activity--{uuid.uuid4()}", start, end, rng.sample(pool, per_activity))
        )
    return out


def record(plan: Plan) -> dict[str, Any]:
    activity_id, start, end, staff = plan
    otype = "acuerdo-activity"
    return {
        "type": otype,
        "spec_version": "2.1",
        "id": activity_id,
        "created": STAMP,
        "modified": STAMP,
        "extensions": {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}},
        "activity_type": "bilateral-training",
        "title": "Ejercicio",
        "purpose": "Training",
        "lifecycle": "proposed",
        "start": _ts(start),
        "end": _ts(end),
        "places": [PLACE],
        "personnel_count": len(staff),
        "personnel": [{"person_ref": p} for p in staff],
    }


def brute_force(all_plans: list[Plan]) -> set[tuple[str, str, str]]:
    """Every (person, a, b) with a < b whose activities overlap: pairwise, per person."""
    by_person: dict[str, list[Plan]] = defaultdict(list)
    for plan in all_plans:
        for person in plan[3]:
            by_person[person].append(plan)
    found = set()
    for person, mine in by_person.items():
        for i, a in enumerate(mine):
            for b in mine[i + 1 :]:
                if a[1] < b[2] and b[1] < a[2]:
                    first, second = sorted((a[0], b[0]))
                    found.add((person, first, second))
    return found


async def timed(run: Callable[[], Awaitable[Any]], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = await run()
        times.append(time.perf_counter() - t0)
    return times, result


async def main(args: argparse.Namespace) -> int:
    home = CACHE / f"activities-{uuid.uuid4().hex[:8]}"
    settings = Settings(home=home)
    await init_node(settings, party="USA", agreement="usa-pry-2025")
    node = await Node.open(settings)
    try:
        party = node.agreement.party(node.party)
        user: User = await add_user(
            node.engines.writer,
            party="USA",
            name="planner",
            agency=party.agencies[0].id,
            roles=["registrar"],
            password=None,
        )
        all_plans = plans(args.activities, args.persons, args.per_activity, args.seed)
        t0 = time.perf_counter()
        for i in range(0, len(all_plans), args.batch):
            await node.write([record(p) for p in all_plans[i : i + args.batch]], user=user)
        fill = time.perf_counter() - t0
        assignments = sum(len(p[3]) for p in all_plans)
        print(
            f"activities {len(all_plans):,}, assignments {assignments:,}, persons {args.persons:,}"
        )
        print(
            f"written through Node.write in {fill:.1f} s "
            f"({len(all_plans) / fill:,.0f} activities/s)"
        )
        t0 = time.perf_counter()
        expected = brute_force(all_plans)
        print(
            f"brute-force reference: {len(expected):,} overlaps in {time.perf_counter() - t0:.2f} s"
        )
        ok = True
        for label, g in (("node", None), ("user (gated)", gate(user))):

            async def run(g: Any = g) -> Any:
                async with node.engines.reader.connect() as conn:
                    return await person_overlaps(conn, g)

            times, found = await timed(run, args.repeat)
            same = set(found) == expected and len(found) == len(expected)
            ok = ok and same
            print(
                f"overlaps as {label}: {len(found):,} found, "
                f"median {statistics.median(times):.3f} s, min {min(times):.3f} s "
                f"over {args.repeat} runs; matches reference: {same}"
            )
        return 0 if ok else 1
    finally:
        await node.close()
        shutil.rmtree(home, ignore_errors=True)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--activities", type=int, default=5000)
    p.add_argument("--persons", type=int, default=10000, help="pool the assignments draw from")
    p.add_argument("--per-activity", type=int, default=10)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
