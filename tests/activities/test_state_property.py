"""Property: random sequences of proposals, amendments, decisions (by competent agencies and
others, on current and superseded versions) and reports give the state, and the refusals,
that the reference model (activity_model.py, which does not import acuerdo) predicts: on the
host's node, on the proposer's, and on a third node that takes in every version in a random
order. A refused write writes nothing."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from activity_model import ActivityModel
from activity_records import activity, decision, deliver, record, sha_of
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from acuerdo.domains.activities.tables import activities
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.tables import ledger
from acuerdo.ledger.writes import WriteRefused
from acuerdo.node import Node
from acuerdo.users import User, add_user
from conftest import make_node

BASE = datetime(2026, 7, 2, tzinfo=UTC)  # after the builders' `created`
OUTCOMES = ["approved", "approved-with-conditions", "information-requested", "refused"]

amend = st.tuples(st.just("amend"), st.sampled_from(["proposed", "proposed", "draft", "cancelled"]))
decide = st.tuples(
    st.just("decide"),
    st.sampled_from(OUTCOMES),
    st.sampled_from(["regular", "regular", "emergency"]),
    st.sampled_from(
        ["competent", "competent", "competent", "mre", "mdn", "migraciones", "sending"]
    ),
)
# Amendments and decisions weigh most: what matters is how they interleave.
ops = st.one_of(
    amend,
    decide,
    amend,
    decide,
    decide,
    st.tuples(st.just("decide-stale"), st.sampled_from(OUTCOMES)),
    st.tuples(st.just("host-amend")),
    st.tuples(st.just("report")),
)
APPROVE_THEN_AMEND = [("decide", "approved", "regular", "competent"), ("amend", "proposed")]


def stamp(i: int) -> str:
    return (BASE + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    usa: Node
    pry: Node
    observer: Node
    users: dict[str, User]


async def count(node: Node) -> int:
    async with node.engines.reader.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(ledger))).scalar_one())


async def state(node: Node, activity_id: str) -> str | None:
    async with node.engines.reader.connect() as conn:
        q = select(activities.c.state).where(activities.c.activity_id == activity_id)
        return (await conn.execute(q)).scalar()


async def attempt(node: Node, obj: dict[str, Any], user: User) -> bool:
    """Write; True when written, False when refused (and then nothing was written)."""
    before = await count(node)
    try:
        await node.write([obj], user=user)
    except (WriteRefused, RecordError):
        assert await count(node) == before
        return False
    return True


async def run_example(w: World, emergency: bool, first: str, steps: list[tuple[Any, ...]]) -> None:
    kind = "disaster-response" if emergency else "bilateral-training"
    v = activity(activity_type=kind, emergency=emergency, lifecycle=first, modified=stamp(0))
    versions = [v]
    model = ActivityModel(emergency)
    model.amend(first)
    assert await attempt(w.usa, v, w.users["planner"])
    await deliver(w.usa, w.pry, object_ids={v["id"]})
    written: set[str] = {v["id"]}
    for i, step in enumerate(steps, start=1):
        if step[0] == "amend":
            nxt = dict(versions[-1], modified=stamp(i), lifecycle=step[1], title=f"Version {i}")
            assert await attempt(w.usa, nxt, w.users["planner"]) is model.amend(step[1])
            versions.append(nxt)
            await deliver(w.usa, w.pry, object_ids={v["id"]})
        elif step[0] in ("decide", "decide-stale"):
            stale = step[0] == "decide-stale"
            if stale and len(versions) < 2:
                continue
            target = versions[-2] if stale else versions[-1]
            outcome, path, agency = (step[1], "regular", "mre") if stale else step[1:]
            if agency == "competent":
                agency = "mre" if path == "regular" else "mdn"
            ref = {"id": v["id"], "modified": target["modified"]}
            ref["sha256"] = await sha_of(w.pry, v["id"], target["modified"])
            d = decision(
                ref, outcome, path=path, agency=agency, modified=stamp(i), created=stamp(i)
            )
            node = w.usa if agency == "sending" else w.pry
            who = w.users["planner" if agency == "sending" else agency]
            expected = model.decide(len(versions) - (2 if stale else 1), outcome, path, agency, i)
            assert await attempt(node, d, who) is expected, (step, model)
            if expected:
                written.add(d["id"])
        elif step[0] == "host-amend":
            nxt = dict(versions[-1], modified=stamp(i), title="The host's own version")
            assert await attempt(w.pry, nxt, w.users["mre"]) is False
        else:
            ref = {"id": v["id"], "modified": versions[-1]["modified"]}
            ref["sha256"] = await sha_of(w.usa, v["id"], versions[-1]["modified"])
            props = {"activity": ref, "summary": "Done as planned", "completed": stamp(i)}
            r = record("acuerdo-after-action-report", props, modified=stamp(i), created=stamp(i))
            assert await attempt(w.usa, r, w.users["planner"]) is model.report()
            written.add(r["id"])
            await deliver(w.usa, w.pry, object_ids={r["id"]})
    await deliver(w.pry, w.usa, object_ids=written)
    expected_state = model.state()
    assert await state(w.pry, v["id"]) == expected_state, (steps, model)
    assert await state(w.usa, v["id"]) == expected_state
    await _shuffled_delivery(w, written, random.Random(len(steps) * 7919 + len(written)))
    assert await state(w.observer, v["id"]) == expected_state


async def _shuffled_delivery(w: World, ids: set[str], rng: random.Random) -> None:
    """Every version of the example, both parties', appended to the observer in any order."""
    from activity_records import append_foreign

    rows: list[Any] = []
    for node in (w.usa, w.pry):
        q = select(ledger.c.body, ledger.c.envelope, ledger.c.signature, ledger.c.origin).where(
            ledger.c.object_id.in_(sorted(ids)), ledger.c.owner == node.party
        )
        async with node.engines.reader.connect() as conn:
            rows += (await conn.execute(q)).all()
    rng.shuffle(rows)
    import json

    for body, envelope, signature, origin in rows:
        await append_foreign(
            w.observer, json.loads(body), bytes(envelope), bytes(signature), origin
        )


def test_state_follows_the_model_whatever_the_order(
    tmp_path: Path, database_url: str | None
) -> None:
    loop = asyncio.new_event_loop()
    usa = loop.run_until_complete(make_node(tmp_path / "usa", database_url))
    pry = loop.run_until_complete(make_node(tmp_path / "pry", None, party="PRY"))
    observer = loop.run_until_complete(make_node(tmp_path / "observer", None, party="PRY"))
    try:
        users = {}
        for node, name, role, agency in (
            (usa, "planner", "registrar", "odc"),
            (pry, "mre", "approver", "mre"),
            (pry, "mdn", "approver", "mdn"),
            (pry, "migraciones", "approver", "migraciones"),
        ):
            users[name] = loop.run_until_complete(
                add_user(node.engines.writer, party=node.party, name=name, agency=agency,
                         roles=[role], password=None)
            )  # fmt: skip
        w = World(loop, usa, pry, observer, users)

        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(
            emergency=st.booleans(),
            first=st.sampled_from(["proposed", "proposed", "draft"]),
            steps=st.lists(ops, min_size=1, max_size=10),
        )
        @example(emergency=False, first="proposed", steps=APPROVE_THEN_AMEND)
        def check(emergency: bool, first: str, steps: list[tuple[Any, ...]]) -> None:
            loop.run_until_complete(run_example(w, emergency, first, steps))

        check()
    finally:
        for node in (usa, pry, observer):
            loop.run_until_complete(node.close())
        loop.close()
