"""Conflicts, each with the records involved: a person in two overlapping activities, a
person not covered, an order that does not cover the dates, activities beyond the host's
authorisation instrument (dates, region, arms, ceiling)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from activity_records import PLACE, Side, deliver, pair_of_nodes, record

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Side, Side]]:
    async with pair_of_nodes(str(request.param), tmp_path_factory.mktemp("pair")) as both:
        yield both


def person(category: str) -> tuple[dict[str, Any], dict[str, Any]]:
    pdata = record(
        "acuerdo-personal-data",
        {
            "salt": uuid.uuid4().hex,
            "given_names": "Ana",
            "family_names": "Benítez",
            "date_of_birth": "1990-05-17",
            "nationalities": ["USA"],
        },
    )
    props = {"party": "USA", "category": category, "service_or_employer": "U.S. Army South"}
    return pdata, record("acuerdo-covered-person", props | {"personal_data_ref": pdata["id"]})


def order(persons: list[str], valid_from: str, valid_until: str) -> dict[str, Any]:
    props = {
        "order_number": "ORD-1",
        "issuing_authority": "U.S. Southern Command",
        "kind": "collective",
        "person_refs": persons,
        "purpose": "Training",
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    return record("acuerdo-movement-order", props)


def plan(
    title: str, start: str, end: str, staff: list[dict[str, str]], **extra: Any
) -> dict[str, Any]:
    return {
        "activity_type": "bilateral-training",
        "title": title,
        "purpose": "Training",
        "start": start,
        "end": end,
        "places": [PLACE],
        "personnel_count": 30,
        "personnel": staff,
    } | extra


async def propose(side: Side, body: dict[str, Any]) -> str:
    r = await side.client.post("/api/v1/activities", json=body, headers=side.auth("planner"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def kinds(conflicts: list[dict[str, Any]], activity_id: str) -> set[tuple[str, tuple[str, ...]]]:
    return {(c["kind"], tuple(c["records"])) for c in conflicts if activity_id in c["records"]}


async def test_conflicts_name_the_records_involved(pair: tuple[Side, Side]) -> None:
    usa, pry = pair
    pd_a, a = person("member-of-force")
    pd_b, b = person("dependent")  # the agreement does not cover dependents
    o = order([a["id"]], "2026-08-25", "2026-09-30")
    await usa.node.write([pd_a, a, pd_b, b, o], user=usa.users["planner"])
    x = await propose(
        usa,
        plan(
            "X",
            "2026-09-01T12:00:00Z",
            "2026-09-20T12:00:00Z",
            [{"person_ref": a["id"], "order_ref": o["id"]}, {"person_ref": b["id"]}],
            arms=[{"description": "M4 carbine", "quantity": 2}],
        ),
    )
    y = await propose(
        usa, plan("Y", "2026-09-15T12:00:00Z", "2026-09-25T12:00:00Z", [{"person_ref": a["id"]}])
    )
    z = await propose(
        usa,
        plan(
            "Z",
            "2026-10-01T12:00:00Z",
            "2026-10-05T12:00:00Z",
            [{"person_ref": a["id"], "order_ref": o["id"]}],
            places=[PLACE | {"region": "PY-16"}],
        ),
    )
    later = await propose(usa, plan("W", "2027-03-01T12:00:00Z", "2027-03-05T12:00:00Z", []))
    r = await usa.client.get("/api/v1/activities/conflicts", headers=usa.auth("viewer"))
    found = r.json()["conflicts"]
    assert ("person-overlap", (x, y, a["id"])) in kinds(found, x) or (
        "person-overlap",
        (y, x, a["id"]),
    ) in kinds(found, x)
    assert ("person-not-covered", (x, b["id"])) in kinds(found, x)
    assert ("order-not-covering", (z, a["id"], o["id"])) in kinds(found, z)
    assert not {k for k, _ in kinds(found, y)} - {"person-overlap"}  # a's orders cover Y
    one = await usa.client.get(f"/api/v1/activities/{z}", headers=usa.auth("viewer"))
    assert [c["kind"] for c in one.json()["conflicts"]] == ["order-not-covering"]

    # The host's instrument: Sep-Dec 2026, Boquerón only, no arms, 50 at once.
    await deliver(usa.node, pry.node)
    decree = {
        "instrument": "congressional-resolution",
        "reference": "Resolución 1234/2026",
        "title": "Autoriza el ingreso de efectivos",
        "authorised_party": "USA",
        "valid_from": "2026-09-01",
        "valid_until": "2026-12-31",
        "personnel_ceiling": 50,
        "regions": ["PY-19"],
        "arms_authorised": False,
    }
    w = await pry.client.post("/api/v1/authorisations", json=decree, headers=pry.auth("clerk"))
    assert w.status_code == 201, w.text
    inst = w.json()["id"]
    r = await pry.client.get("/api/v1/activities/conflicts", headers=pry.auth("viewer"))
    found = r.json()["conflicts"]
    beyond = {(c["kind"], tuple(c["records"])) for c in found if c["kind"].startswith("beyond")}
    assert ("beyond-authorisation:arms", (x, inst)) in beyond
    assert ("beyond-authorisation:ceiling", (x, y, inst)) in beyond  # 30 + 30 at once > 50
    assert ("beyond-authorisation:ceiling", (y, x, inst)) in beyond
    assert ("beyond-authorisation:region", (z, inst)) in beyond
    assert ("beyond-authorisation:no-instrument", (later,)) in beyond
