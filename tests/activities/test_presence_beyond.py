"""Presence beyond the host's instruments: covered persons in the country now beyond the
ceiling of the instruments in force, counted over persons the caller may see."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from activity_records import Side, deliver, pair_of_nodes, record

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Side, Side]]:
    async with pair_of_nodes(str(request.param), tmp_path_factory.mktemp("pair")) as both:
        yield both


def arrived(today: datetime) -> list[dict[str, Any]]:
    """A covered person with orders in force who arrived yesterday."""
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
    props = {"party": "USA", "category": "member-of-force", "service_or_employer": "USARSO"}
    person = record("acuerdo-covered-person", props | {"personal_data_ref": pdata["id"]})
    day = lambda d: (today + timedelta(days=d)).date().isoformat()  # noqa: E731
    order = record(
        "acuerdo-movement-order",
        {
            "order_number": "ORD-2",
            "issuing_authority": "SOUTHCOM",
            "kind": "individual",
            "person_refs": [person["id"]],
            "purpose": "Training",
            "valid_from": day(-10),
            "valid_until": day(30),
        },
    )
    port = {"name": "Aeropuerto Internacional Silvio Pettirossi", "kind": "airport"}
    move = record(
        "acuerdo-movement",
        {
            "direction": "arrival",
            "person_ref": person["id"],
            "order_ref": order["id"],
            "port": port,
            "time": (today - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    return [pdata, person, order, move]


async def test_presence_beyond_the_ceiling_is_flagged(pair: tuple[Side, Side]) -> None:
    usa, pry = pair
    today = datetime.now(UTC)
    for _ in range(3):
        await usa.node.write(arrived(today), user=usa.users["planner"])
    decree = {
        "instrument": "decree",
        "reference": "Decreto 77/2026",
        "title": "Autoriza la presencia de efectivos",
        "authorised_party": "USA",
        "valid_from": (today - timedelta(days=30)).date().isoformat(),
        "valid_until": (today + timedelta(days=30)).date().isoformat(),
        "personnel_ceiling": 2,
        "arms_authorised": True,
    }
    w = await pry.client.post("/api/v1/authorisations", json=decree, headers=pry.auth("clerk"))
    assert w.status_code == 201, w.text
    await deliver(pry.node, usa.node)
    r = await usa.client.get("/api/v1/activities/conflicts", headers=usa.auth("planner"))
    found = [c for c in r.json()["conflicts"] if c["kind"] == "beyond-authorisation:presence"]
    assert len(found) == 1 and found[0]["records"] == [w.json()["id"]]
    assert found[0]["detail"].startswith("3 USA personnel present")
    raised = decree | {"personnel_ceiling": 5, "reference": "Decreto 78/2026"}
    w2 = await pry.client.post("/api/v1/authorisations", json=raised, headers=pry.auth("clerk"))
    assert w2.status_code == 201
    await deliver(pry.node, usa.node)
    r = await usa.client.get("/api/v1/activities/conflicts", headers=usa.auth("planner"))
    assert not [c for c in r.json()["conflicts"] if c["kind"] == "beyond-authorisation:presence"]
