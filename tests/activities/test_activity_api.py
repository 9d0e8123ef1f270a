"""Activities over HTTP between two real nodes: propose, decide, amend, report; the list,
one activity, conflicts, the iCalendar feed with its scoped token, and GeoJSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import icalendar
import pytest
import pytest_asyncio
from activity_records import PLACE, Side, deliver, pair_of_nodes

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Side, Side]]:
    async with pair_of_nodes(str(request.param), tmp_path_factory.mktemp("pair")) as both:
        yield both


def fields(**extra: Any) -> dict[str, Any]:
    base = {
        "activity_type": "humanitarian-assistance",
        "title": "Operativo médico en Fuerte Olimpo",
        "purpose": "Medical and dental care with the host's health ministry",
        "start": "2027-03-01T11:00:00Z",
        "end": "2027-03-10T21:00:00Z",
        "places": [PLACE, {**PLACE, "name": "Fuerte Olimpo", "region": "PY-16"}],
        "personnel_count": 25,
    }
    return base | extra


async def test_propose_decide_amend_and_read(pair: tuple[Side, Side]) -> None:
    usa, pry = pair
    r = await usa.client.post("/api/v1/activities", json=fields(), headers=usa.auth("planner"))
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    await deliver(usa.node, pry.node)
    got = await pry.client.get(f"/api/v1/activities/{aid}", headers=pry.auth("viewer"))
    assert got.status_code == 200, got.text
    assert got.json()["state"] == "proposed"
    assert got.json()["notice"]["receipt_basis"] == "host-recorded"
    body = {"outcome": "approved", "reason": "Coordinated with the Ministry of Health"}
    d = await pry.client.post(
        f"/api/v1/activities/{aid}/decisions", json=body, headers=pry.auth("decider")
    )
    assert d.status_code == 201, d.text
    refused = await pry.client.post(
        f"/api/v1/activities/{aid}/decisions", json=body, headers=pry.auth("immigration")
    )
    assert refused.status_code == 403 and "by the agency 'mre'" in refused.json()["detail"]
    await deliver(pry.node, usa.node)
    seen = await usa.client.get(f"/api/v1/activities/{aid}", headers=usa.auth("viewer"))
    assert seen.json()["state"] == "approved"
    assert seen.json()["notice"]["receipt_basis"] == "proposer-recorded"
    amend = await usa.client.post(
        f"/api/v1/activities/{aid}/versions", json={"personnel_count": 30},
        headers=usa.auth("planner"),
    )  # fmt: skip
    assert amend.status_code == 201, amend.text
    again = await usa.client.get(f"/api/v1/activities/{aid}", headers=usa.auth("viewer"))
    assert again.json()["state"] == "proposed"
    assert [x["on_current_version"] for x in again.json()["decisions"]] == [False]
    host_amends = await pry.client.post(
        f"/api/v1/activities/{aid}/versions", json={"personnel_count": 3},
        headers=pry.auth("clerk"),
    )  # fmt: skip
    assert host_amends.status_code == 403 and "only the proposer" in host_amends.json()["detail"]


async def test_calendar_feed_and_places(pair: tuple[Side, Side]) -> None:
    usa, _ = pair
    r = await usa.client.post("/api/v1/activities", json=fields(), headers=usa.auth("planner"))
    aid = r.json()["id"]
    t = await usa.client.post("/api/v1/calendar-tokens", json={}, headers=usa.auth("viewer"))
    assert t.status_code == 201, t.text
    feed = await usa.client.get(t.json()["path"])
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(feed.content)
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    event = events[f"{aid}@acuerdo"]
    assert str(event["summary"]) == "Operativo médico en Fuerte Olimpo"
    assert str(event["status"]) == "TENTATIVE"
    assert "Fuerte Olimpo (PY-16)" in str(event["location"])
    token = t.json()["token"]
    for path in (
        "/api/v1/records",
        f"/api/v1/activities/{aid}",
    ):  # the feed token opens the feed only
        other = await usa.client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert other.status_code == 401
    revoked = await usa.client.delete(
        f"/api/v1/calendar-tokens/{t.json()['id']}", headers=usa.auth("viewer")
    )
    assert revoked.status_code == 204
    after = await usa.client.get(t.json()["path"])
    assert after.status_code == 401 and "revoked feed token" in after.json()["detail"]
    geo = await usa.client.get("/api/v1/activities/places", headers=usa.auth("viewer"))
    assert geo.headers["content-type"] == "application/geo+json"
    mine = [f for f in geo.json()["features"] if f["properties"]["activity"] == aid]
    assert [f["geometry"]["coordinates"] for f in mine] == [[-60.61, -22.03]] * 2
