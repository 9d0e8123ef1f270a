"""Property: random movements and confirmations, delivered in random orders, give the stays
the reference model (tests/presence_model.py, which does not import acuerdo) computes.

Each example writes the sending state's versions through its node and takes in the host's,
one delivery at a time in a shuffled order (corrections and revocations may arrive before
the versions they replace), then compares every person's stays, who is present at a few
instants through the presence query, and the per-day timeline of everyone written so far
(same-day departures and re-entries included), with the model. The timeline read from the
projector's day counts is compared with its definition read from the stays
(`timeline_by_stays`), unfiltered and filtered by port, category and party.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from personnel_records import (
    AIRPORT,
    BRIDGE,
    confirmation,
    movement,
    order,
    person,
    personal_data,
    take_in,
)
from sqlalchemy import select

from acuerdo.domains.personnel.queries import Filters, presence, timeline, timeline_by_stays
from acuerdo.domains.personnel.tables import personnel_stays
from acuerdo.node import Node
from acuerdo.users import User, add_user
from conftest import make_node
from presence_model import present_at, stays_of

BASE = datetime(2026, 7, 1, tzinfo=UTC)
PORTS = (AIRPORT, BRIDGE)


def stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class Spec:
    person: int
    source: str  # "movement", "confirmed" (host confirms a movement), "host-only"
    direction: str
    hours: int
    correction: int | None  # hours of a corrected second version, if any
    revoked: bool
    port: int = 0  # index in PORTS


specs = st.builds(
    Spec,
    person=st.integers(0, 1),
    source=st.sampled_from(["movement", "confirmed", "host-only"]),
    direction=st.sampled_from(["arrival", "departure"]),
    hours=st.integers(0, 96),
    correction=st.none() | st.integers(0, 96),
    revoked=st.booleans(),
    port=st.integers(0, 1),
)


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    usa: Node
    pry: Node
    registrar: User
    pids: list[str] = field(default_factory=list)  # every person of every example so far
    delivered: list[dict[str, Any]] = field(default_factory=list)


def model_timeline(w: World, first: date, days: int) -> list[tuple[date, int]]:
    """Per day, how many persons the model has in the country at any time of that day."""
    stays = [stays_of(pid, w.delivered) for pid in w.pids]
    out = []
    for i in range(days):
        lo = datetime(first.year, first.month, first.day, tzinfo=UTC) + timedelta(days=i)
        hi = lo + timedelta(days=1)
        count = sum(
            any(s.arrived_at < hi and (s.departed_at is None or s.departed_at >= lo) for s in mine)
            for mine in stays
        )
        out.append((lo.date(), count))
    return out


def versions_of(
    spec: Spec, pid: str, oid: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(sending state's versions, host's versions) a spec makes."""
    t = stamp(BASE + timedelta(hours=spec.hours))
    port = PORTS[spec.port]
    mine: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    if spec.source == "host-only":
        first = confirmation(pid, spec.direction, t, port=port)
        theirs.append(first)
    else:
        first = movement(pid, oid, spec.direction, t, port)
        mine.append(first)
        if spec.source == "confirmed":
            ref = {
                "id": first["id"],
                "modified": first["modified"],
                "sha256": hashlib.sha256(first["id"].encode()).hexdigest(),
            }
            theirs.append(confirmation(pid, spec.direction, t, ref, port))
    target = theirs if spec.source == "host-only" else mine
    if spec.correction is not None or spec.revoked:
        later = dict(first, modified="2026-07-02T00:00:00.000Z")
        if spec.correction is not None:
            later["time"] = stamp(BASE + timedelta(hours=spec.correction))
        if spec.revoked:
            later["revoked"] = True
        target.append(later)
    return mine, theirs


async def deliver(w: World, deliveries: list[tuple[str, dict[str, Any]]]) -> None:
    for side, obj in deliveries:
        if side == "usa":
            await w.usa.write([obj], user=w.registrar)
        else:
            await take_in(w.usa, w.pry, [obj])


async def stored_stays(w: World, pid: str) -> list[tuple[Any, ...]]:
    s = personnel_stays
    q = select(s.c.arrived_at, s.c.departed_at, s.c.host_only, s.c.departure_unrecorded)
    async with w.usa.engines.reader.connect() as conn:
        rows = (await conn.execute(q.where(s.c.person_id == pid).order_by(s.c.arrived_at))).all()
    return [tuple(r) for r in rows]


def fmt(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def run_example(w: World, items: list[Spec], order_seed: int) -> None:
    pids: list[str] = []
    setup: list[dict[str, Any]] = []
    for _ in range(3):
        pdata = personal_data()
        p = person(pdata)
        pids.append(p["id"])
        setup += [pdata, p]
    o = order(pids, "2026-07-01", "2026-07-20")
    await w.usa.write([*setup, o], user=w.registrar)
    deliveries: list[tuple[str, dict[str, Any]]] = []
    for spec in items:
        mine, theirs = versions_of(spec, pids[spec.person], o["id"])
        deliveries += [("usa", v) for v in mine] + [("pry", v) for v in theirs]
    random.Random(order_seed).shuffle(deliveries)
    await deliver(w, deliveries)
    everything = [v for _, v in deliveries]
    for pid in pids:
        model = stays_of(pid, everything)
        expected = [
            (fmt(s.arrived_at), fmt(s.departed_at), s.host_only, s.departure_unrecorded)
            for s in model
        ]
        assert await stored_stays(w, pid) == expected, (pid, deliveries)
    for hours in (0, 30, 120, 250):
        t = BASE + timedelta(hours=hours)
        page = await presence(w.usa, w.registrar, at=fmt(t), limit=1000, with_names=False)
        shown = {r["person"] for r in page.rows} & set(pids)
        assert shown == {pid for pid in pids if present_at(stays_of(pid, everything), t)}
    w.pids += pids
    w.delivered += everything
    first = BASE.date() - timedelta(days=1)
    answer = await timeline(w.usa, w.registrar, first, first + timedelta(days=6))
    assert answer == model_timeline(w, first, 7), deliveries
    wide = (first + timedelta(days=2), first + timedelta(days=12))
    for f in (
        Filters(),
        Filters(place=AIRPORT["name"]),
        Filters(place=BRIDGE["name"]),
        Filters(category="member-of-force"),
        Filters(party="USA", place=BRIDGE["name"]),
        Filters(party="PRY"),
    ):
        counted = await timeline(w.usa, w.registrar, *wide, f)
        assert counted == await timeline_by_stays(w.usa, w.registrar, *wide, f), (f, deliveries)


def test_same_records_same_presence_whatever_the_order(
    tmp_path: Path, database_url: str | None
) -> None:
    loop = asyncio.new_event_loop()
    try:
        usa = loop.run_until_complete(make_node(tmp_path / "usa", database_url))
        pry = loop.run_until_complete(make_node(tmp_path / "pry", None, party="PRY"))
        party = usa.agreement.party(usa.party)
        registrar = loop.run_until_complete(
            add_user(
                usa.engines.writer,
                party="USA",
                name="registrar",
                agency=party.agencies[0].id,
                roles=["registrar"],
                password=None,
            )
        )
        w = World(loop, usa, pry, registrar)

        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(items=st.lists(specs, min_size=1, max_size=10), order_seed=st.integers(0, 2**32))
        def check(items: list[Spec], order_seed: int) -> None:
            loop.run_until_complete(run_example(w, items, order_seed))

        check()
    finally:
        loop.run_until_complete(usa.close())
        loop.run_until_complete(pry.close())
        loop.close()
