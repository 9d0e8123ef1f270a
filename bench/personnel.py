"""bench/personnel.py: the presence query at 100,000 persons and 1,000,000 movements (SQLite).

Every record goes through the production write path (`Node.write`: checks, coverage decision,
signing, ledger, grants, and the personnel projector in the same transaction). Then the
presence query a user runs (`queries.presence`, release gate as SQL, a page of 100) is timed
at now, with a filter, for the overstays view and with names (gate reads and audit); the
per-day timeline over 30 days is timed too.

    .venv/bin/python bench/personnel.py                       # 100,000 / 1,000,000
    .venv/bin/python bench/personnel.py --persons 2000 --per-person 10   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from acuerdo.domains.personnel import queries
from acuerdo.ledger.types import BY_NAME
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from acuerdo.users import User, add_user

CACHE = Path(__file__).parent / ".cache"
STAMP = "2026-01-01T00:00:00.000Z"
PORTS = [
    {"name": "Aeropuerto Internacional Silvio Pettirossi", "kind": "airport"},
    {"name": "Puente de la Amistad", "kind": "land-crossing"},
    {"name": "Aeropuerto Guaraní", "kind": "airport"},
]
CATEGORIES = ["member-of-force", "civilian-employee", "contractor-employee"]


def _rec(otype: str, **props: Any) -> dict[str, Any]:
    ext = {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}}
    return {
        "type": otype,
        "spec_version": "2.1",
        "id": f"{otype}--{uuid.uuid4()}",
        "created": STAMP,
        "modified": STAMP,
        "extensions": ext,
        **props,
    }


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def person_batch(i: int, per_person: int, now: datetime) -> list[dict[str, Any]]:
    """A person, its personal data, one order, and `per_person` movements ending present
    (two in three) or gone; a few in ten overstay (orders already ended)."""
    pd = _rec(
        "acuerdo-personal-data",
        salt=uuid.uuid4().hex,
        given_names="Ana María",
        family_names="Benítez Ortiz",
        date_of_birth="1990-05-17",
        nationalities=["USA"],
        national_id={"kind": "DoD ID", "number": f"{i:010d}"},
    )
    p = _rec(
        "acuerdo-covered-person",
        party="USA",
        category=CATEGORIES[i % 3],
        service_or_employer="U.S. Army South",
        personal_data_ref=pd["id"],
    )
    until = (now - timedelta(days=5)) if i % 10 == 0 else (now + timedelta(days=60))
    o = _rec(
        "acuerdo-movement-order",
        order_number=f"O-{i}",
        issuing_authority="SOUTHCOM",
        kind="individual",
        person_refs=[p["id"]],
        purpose=f"exercise-{i % 7}",
        valid_from="2025-01-01",
        valid_until=until.date().isoformat(),
    )
    out = [pd, p, o]
    start = now - timedelta(days=per_person * 6 + 3)
    present = i % 3 != 2
    for k in range(per_person):
        arrival = k % 2 == 0
        t = start + timedelta(days=6 * k, hours=i % 24)
        if present and k == per_person - 1:
            arrival, t = True, now - timedelta(days=2)
        out.append(
            _rec(
                "acuerdo-movement",
                direction="arrival" if arrival else "departure",
                person_ref=p["id"],
                order_ref=o["id"],
                port=PORTS[i % 3],
                time=_ts(t),
            )
        )
    return out


async def fill(node: Node, user: User, persons: int, per_person: int, now: datetime) -> float:
    t0 = time.perf_counter()
    batch: list[dict[str, Any]] = []
    pending: list[asyncio.Task[Any]] = []
    for i in range(persons):
        batch += person_batch(i, per_person, now)
        if len(batch) >= 2000:
            pending.append(asyncio.create_task(node.write(batch, user=user)))
            batch = []
            if len(pending) >= 4:
                await pending.pop(0)
        if i and i % 10000 == 0:
            print(f"  {i} persons written ({time.perf_counter() - t0:.0f} s)", flush=True)
    if batch:
        pending.append(asyncio.create_task(node.write(batch, user=user)))
    for task in pending:
        await task
    return time.perf_counter() - t0


async def fill_direct(node: Node, persons: int, per_person: int, now: datetime) -> float:
    """Fill the projection as the projector would leave it, in bulk: person rows with grants
    to the sending party, every movement's event row, stays from `derive_stays` (the
    production rule) and the day counts from `presence_days.refresh` (as the projector).
    Signed writes run at the rate `--via-node` measures; at 1,100,000 records that is hours
    on a loaded machine, and the queries read only these tables."""
    from acuerdo.domains.personnel import presence_days
    from acuerdo.domains.personnel.presence import Event, derive_stays
    from acuerdo.domains.personnel.tables import (
        personnel_events,
        personnel_persons,
        personnel_stays,
    )
    from acuerdo.ledger.tables import grants

    t0 = time.perf_counter()
    rows: dict[str, list[dict[str, Any]]] = {"p": [], "g": [], "e": [], "s": []}

    async def flush(force: bool = False) -> None:
        if not force and len(rows["e"]) < 100_000:
            return
        async with node.engines.writer.begin() as conn:
            persons = [r["person_id"] for r in rows["p"]]
            for key, table in (
                ("p", personnel_persons),
                ("g", grants),
                ("e", personnel_events),
                ("s", personnel_stays),
            ):
                if rows[key]:
                    await conn.execute(table.insert(), rows[key])
                rows[key] = []
            await presence_days.refresh(conn, persons)  # as the projector ends

    for i in range(persons):
        recs = person_batch(i, per_person, now)
        pd, p, o = recs[0], recs[1], recs[2]
        seq = 100_000_000 + i
        rows["p"].append(
            {
                "person_id": p["id"],
                "version_key": "t:" + STAMP,
                "seq": seq,
                "party": "USA",
                "category": p["category"],
                "personal_data_ref": pd["id"],
                "revoked": False,
                "outcome": "covered",
                "covered": True,
                "status": None,
                "reasons": "[]",
                "agreement_hash": node.agreement.hash,
                "has_national_id": True,
                "valid_from": o["valid_from"],
                "valid_until": o["valid_until"],
                "activity": o["purpose"],
            }
        )
        rows["g"].append(
            {
                "token": "party:USA",
                "seq": seq,
                "object_type": p["type"],
                "channels": 31,
                "current": True,
            }
        )
        events = [
            Event(
                m["id"],
                True,
                m["direction"],
                m["time"].replace("Z", ".000000Z"),
                m["port"]["name"],
                o["id"],
            )
            for m in recs[3:]
        ]
        rows["e"] += [
            {
                "event_id": e.event_id,
                "version_key": "t:" + STAMP,
                "person_id": p["id"],
                "notified": True,
                "direction": e.direction,
                "at": e.at,
                "port": e.port,
                "order_ref": e.order_ref,
                "revoked": False,
            }
            for e in events
        ]
        rows["s"] += [{"person_id": p["id"], **st.__dict__} for st in derive_stays(events)]
        await flush()
    await flush(force=True)
    return time.perf_counter() - t0


async def timed(runs: int, fn: Any) -> tuple[float, float, int]:
    samples, n = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        n = await fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], n


async def main(args: argparse.Namespace) -> None:
    how = "node" if args.via_node else "direct"
    home = CACHE / f"personnel-{how}-{args.persons}-{args.per_person}"
    if home.exists() and not (home / "filled").exists():
        shutil.rmtree(home)
    settings = Settings(home=home)
    fresh = not home.exists()
    if fresh:
        await init_node(settings, party="USA", agreement="usa-pry-2025")
    node = await Node.open(settings)
    try:
        now = datetime(2026, 11, 1, tzinfo=UTC)
        if fresh:
            reg = await add_user(
                node.engines.writer,
                party="USA",
                name="registrar",
                agency=node.agreement.party("USA").agencies[0].id,
                roles=["registrar"],
                password=None,
            )
            if args.via_node:
                took = await fill(node, reg, args.persons, args.per_person, now)
            else:
                took = await fill_direct(node, args.persons, args.per_person, now)
            total = args.persons * (3 + args.per_person)
            print(f"fill ({how}): {total} records in {took:.0f} s ({total / took:.0f}/s)")
            (home / "filled").write_text(f"{took:.1f}\n")
        from acuerdo.users import get_user

        user = await get_user(node.engines.reader, "registrar")
        assert user is not None
        at = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        cases: dict[str, dict[str, Any]] = {
            "present, page of 100": dict(view="present"),
            "present, category filter": dict(
                view="present", filters=queries.Filters(category="civilian-employee")
            ),
            "present, place filter": dict(
                view="present", filters=queries.Filters(place=PORTS[1]["name"])
            ),
            "overstays": dict(view="overstays"),
        }
        print(
            f"presence at {args.persons} persons, {args.persons * args.per_person} movements "
            f"(SQLite), {args.runs} runs each"
        )
        for name, kw in cases.items():

            async def run(kw: dict[str, Any] = kw) -> int:
                page = await queries.presence(node, user, at=at, with_names=False, **kw)
                return len(page.rows)

            p50, p95, n = await timed(args.runs, run)
            print(f"  {name:<28} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  ({n} rows)")

        end = now.date()
        period = (end - timedelta(days=29), end)
        for name, how, runs in (
            ("timeline, 30 days", queries.timeline, args.runs),
            ("timeline, by stays", queries.timeline_by_stays, 3),
            ("timeline, place, 30 days", queries.timeline, args.runs),
        ):
            place = queries.Filters(place=PORTS[1]["name"]) if "place" in name else None

            async def days(how: Any = how, place: Any = place) -> int:
                got = await how(node, user, *period, place or queries.Filters())
                return int(got[-1][1])

            p50, p95, n = await timed(runs, days)
            print(
                f"  {name:<28} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  ({n} present on the last day)"
            )
        for f in (queries.Filters(), queries.Filters(place=PORTS[1]["name"])):
            fast = await queries.timeline(node, user, *period, f)
            assert fast == await queries.timeline_by_stays(node, user, *period, f), f
        print("  timeline from day counts == timeline by stays (all ports; one port): yes")
        if args.via_node:  # names need the personal-data records

            async def named() -> int:
                return len((await queries.presence(node, user, at=at)).rows)

            p50, p95, n = await timed(max(args.runs // 10, 5), named)
            print(
                f"  {'present, with names+audit':<28} p50 {p50:7.2f} ms  "
                f"p95 {p95:7.2f} ms  ({n} rows)"
            )

    finally:
        await node.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--per-person", type=int, default=10, help="movements per person")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument(
        "--via-node",
        action="store_true",
        help="write every record through Node.write (slow: measures the fill)",
    )
    asyncio.run(main(ap.parse_args()))
    sys.exit(0)
