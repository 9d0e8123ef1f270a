"""The personnel routes over HTTP: a person's decision with its citations, presence views,
the timeline, and precise refusals of bad parameters."""

from __future__ import annotations

from personnel_records import movement, order, person, personal_data

from conftest import NodeHarness


async def test_person_presence_and_timeline_over_http(harness: NodeHarness) -> None:
    h = harness
    pdata = personal_data(("USA", "PRY"))
    contractor = person(pdata, "contractor-employee")
    member_pd = personal_data()
    member = person(member_pd)
    o = order([contractor["id"], member["id"]], "2026-07-01", "2026-07-10")
    arrive = movement(member["id"], o["id"], "arrival", "2026-07-02T10:00:00Z")
    bundle = {
        "type": "bundle",
        "id": "bundle--6a7e3c1e-0f4b-4a43-9d39-4c1f6c3c3a11",
        "objects": [pdata, contractor, member_pd, member, o, arrive],
    }
    r = await h.client.post("/api/v1/records", json=bundle, headers=h.auth("registrar"))
    assert r.status_code == 201, r.text

    got = await h.client.get(f"/api/v1/persons/{contractor['id']}", headers=h.auth("viewer"))
    assert got.status_code == 200, got.text
    cov = got.json()["coverage"]
    assert cov["outcome"] == "not-covered" and cov["covered"] is False
    assert {x["article"] for x in cov["reasons"]} == {"1"}
    assert any("Paraguayan nationals" in x["text"] for x in cov["reasons"])

    at = "2026-07-20"
    listed = await h.client.get(
        f"/api/v1/presence?view=overstays&at={at}", headers=h.auth("viewer")
    )
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()["items"]
    assert row["person"] == member["id"] and row["overstay"] is True
    assert row["name"].startswith("p-")  # a viewer may not see personal data
    named = await h.client.get(f"/api/v1/presence?at={at}", headers=h.auth("registrar"))
    assert named.json()["items"][0]["name"] == "Benítez Ortiz, José María Ignacio"
    expected = await h.client.get(
        "/api/v1/presence?view=expected&at=2026-07-05", headers=h.auth("viewer")
    )
    assert [i["person"] for i in expected.json()["items"]] == [contractor["id"]]

    days = await h.client.get(
        "/api/v1/presence/timeline?start=2026-07-01&end=2026-07-03", headers=h.auth("viewer")
    )
    assert [d["present"] for d in days.json()["days"]] == [0, 1, 1]

    for bad in (
        "/api/v1/presence?view=everyone",
        "/api/v1/presence?at=yesterday",
        "/api/v1/presence/timeline?start=2026-07-03&end=2026-07-01",
        "/api/v1/persons/not-an-id",
    ):
        refused = await h.client.get(bad, headers=h.auth("viewer"))
        assert refused.status_code == 422, (bad, refused.text)
