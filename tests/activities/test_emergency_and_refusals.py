"""The emergency path end to end, refusals that write nothing, conflicts and instruments;
two real nodes per backend, records delivered between them as federation would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from activity_records import PLACE, Side, deliver, pair_of_nodes, record
from sqlalchemy import func, select

from acuerdo.ledger.tables import metadata
from acuerdo.node import Node

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Side, Side]]:
    async with pair_of_nodes(str(request.param), tmp_path_factory.mktemp("pair")) as both:
        yield both


def z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def flood(start: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "activity_type": "disaster-response",
        "title": "Inundaciones en Pilar: puente aéreo",
        "purpose": "Evacuation and water purification after the Paraguay river flood",
        "emergency": True,
        "emergency_reason": "River at 9.1 m in Pilar; the host's emergency secretariat asked",
        "start": z(start),
        "end": z(start + timedelta(days=10)),
        "places": [{"name": "Pilar", "region": "PY-12", "latitude": -26.86, "longitude": -58.3}],
        "personnel_count": 120,
    } | extra


async def counts(node: Node) -> dict[str, int]:
    async with node.engines.reader.connect() as conn:
        return {
            t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
            for t in metadata.sorted_tables
        }


async def test_flood_deployment_through_the_emergency_path(pair: tuple[Side, Side]) -> None:
    usa, pry = pair
    start = datetime.now(UTC) + timedelta(hours=4)  # far inside the ordinary 7 days' notice
    r = await usa.client.post("/api/v1/activities", json=flood(start), headers=usa.auth("planner"))
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    await deliver(usa.node, pry.node)
    urgent = {
        "outcome": "approved",
        "reason": "Urgent request under the emergency path",
        "emergency": True,
    }
    wrong = await pry.client.post(
        f"/api/v1/activities/{aid}/decisions", json=urgent, headers=pry.auth("decider")
    )
    assert wrong.status_code == 403 and "'mdn'" in wrong.json()["detail"]
    ok = await pry.client.post(
        f"/api/v1/activities/{aid}/decisions", json=urgent, headers=pry.auth("duty-officer")
    )
    assert ok.status_code == 201, ok.text
    seen = (await pry.client.get(f"/api/v1/activities/{aid}", headers=pry.auth("viewer"))).json()
    assert seen["state"] == "approved" and seen["authorised"] is True
    path = seen["emergency_path"]
    assert path["authority"] == "mdn" and path["decided_in_time"] is True
    decided = datetime.fromisoformat(path["decided_at"].replace("Z", "+00:00"))
    due = datetime.fromisoformat(path["decision_due"].replace("Z", "+00:00"))
    assert due - decided < timedelta(hours=6, minutes=1)  # decided within the 6 hours
    assert seen["notice"]["late"] is True and "late-notice" not in seen["flags"]
    assert seen["flags"] == []  # neither late nor unauthorised
    regularise_due = path["regularise_due"]
    after_due = (
        await pry.client.get(
            f"/api/v1/activities/{aid}", params={"at": regularise_due.replace("Z", ".5Z")},
            headers=pry.auth("viewer"),
        )
    ).json()  # fmt: skip
    assert "regularisation-overdue" in after_due["flags"]
    assert after_due["state"] == "under-way"
    regular = {"outcome": "approved", "reason": "Regularised by the Ministry of Foreign Affairs"}
    reg = await pry.client.post(
        f"/api/v1/activities/{aid}/decisions", json=regular, headers=pry.auth("decider")
    )
    assert reg.status_code == 201, reg.text
    done = (
        await pry.client.get(
            f"/api/v1/activities/{aid}", params={"at": regularise_due.replace("Z", ".5Z")},
            headers=pry.auth("viewer"),
        )
    ).json()  # fmt: skip
    assert done["emergency_path"]["regularised"] is True and done["flags"] == []
    assert done["decision"]["path"] == "regular"


async def test_a_late_emergency_decision_is_flagged(pair: tuple[Side, Side]) -> None:
    usa, pry = pair
    start = datetime.now(UTC) + timedelta(hours=2)
    r = await usa.client.post("/api/v1/activities", json=flood(start), headers=usa.auth("planner"))
    aid = r.json()["id"]
    await deliver(usa.node, pry.node)
    current = await pry.client.get(f"/api/v1/records/{aid}", headers=pry.auth("viewer"))
    body = current.json()
    late = datetime.now(UTC) + timedelta(hours=7)
    stamp = late.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    ref = {"id": aid, "modified": body["modified"], "sha256": current.headers["etag"].strip('"')}
    props = {"activity": ref, "outcome": "approved", "reason": "Late", "path": "emergency"}
    decision = record(
        "acuerdo-activity-decision", props | {"agency": "mdn"}, created=stamp, modified=stamp
    )
    await pry.node.write([decision], user=pry.users["duty-officer"])
    seen = (
        await pry.client.get(
            f"/api/v1/activities/{aid}", params={"at": stamp}, headers=pry.auth("viewer")
        )
    ).json()
    assert seen["emergency_path"]["decided_in_time"] is False
    assert "emergency-decision-late" in seen["flags"]


def plain(**extra: Any) -> dict[str, Any]:
    return {
        "activity_type": "bilateral-training",
        "title": "Ejercicio",
        "purpose": "Training",
        "start": "2027-05-01T12:00:00Z",
        "end": "2027-05-10T12:00:00Z",
        "places": [PLACE],
        "personnel_count": 10,
    } | extra


ACT, AUTH = "/api/v1/activities", "/api/v1/authorisations"
DECREE = {
    "instrument": "decree",
    "reference": "Decreto 1",
    "title": "Autoriza el ingreso de tropas",
    "authorised_party": "USA",
    "valid_from": "2027-01-01",
    "valid_until": "2027-12-31",
    "personnel_ceiling": 100,
    "arms_authorised": False,
}
REFUSALS = [
    # (who writes, path, body, status, words in the refusal)
    ("usa", ACT, plain(activity_type="permanent-basing"), 422, "provides for no activity type"),
    ("usa", ACT, plain(places=[PLACE | {"region": "AR-X"}]), 422, "not a region of the host"),
    ("usa", ACT, plain(end="2027-04-01T00:00:00Z"), 422, "end must be after start"),
    ("usa", ACT, plain(emergency=True), 422, "no emergency path"),
    ("usa", ACT, plain(id="acuerdo-activity--x"), 422, "set by the node"),
    ("usa", ACT, plain(personnel_count=-1), 422, "personnel_count"),
    ("pry", ACT, plain(), 403, "the host party decides activities"),
    ("usa", AUTH, DECREE, 403, "only the host party issues"),
    ("pry", AUTH, DECREE | {"regions": ["BR-PR"]}, 422, "are not the host party's"),
]


@pytest.mark.parametrize(("who", "path", "body", "status", "words"), REFUSALS)
async def test_refusals_write_nothing(
    pair: tuple[Side, Side], who: str, path: str, body: dict[str, Any], status: int, words: str
) -> None:
    usa, pry = pair
    side, user = (usa, "planner") if who == "usa" else (pry, "clerk")
    before = await counts(side.node)
    r = await side.client.post(path, json=body, headers=side.auth(user))
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert words in r.json()["detail"]
    assert await counts(side.node) == before


async def test_decisions_refused_on_drafts_unknown_versions_and_by_the_sending_side(
    pair: tuple[Side, Side],
) -> None:
    usa, pry = pair
    draft = await usa.client.post(
        "/api/v1/activities", json=plain(lifecycle="draft"), headers=usa.auth("planner")
    )
    aid = draft.json()["id"]
    await deliver(usa.node, pry.node)
    ok = {"outcome": "approved", "reason": "fine"}
    cases = [
        (pry, "decider", ok, 409, "not proposed"),
        (pry, "decider", ok | {"version": {"modified": "2020-01-01T00:00:00Z", "sha256": "0" * 64}},
         409, "name the exact version"),
        (usa, "planner", ok, 403, "approver"),
        (pry, "decider", {"outcome": "maybe", "reason": "x"}, 422, "outcome must be one of"),
    ]  # fmt: skip
    for side, user, body, status, words in cases:
        before = await counts(side.node)
        r = await side.client.post(
            f"/api/v1/activities/{aid}/decisions", json=body, headers=side.auth(user)
        )
        assert r.status_code == status and words in r.json()["detail"], r.text
        assert await counts(side.node) == before
    report = await pry.client.post(
        f"/api/v1/activities/{aid}/reports",
        json={"summary": "x", "completed": "2027-05-11T00:00:00Z"}, headers=pry.auth("clerk"),
    )  # fmt: skip
    assert report.status_code == 403 and "only the party that proposed" in report.json()["detail"]
