"""Movement orders and movements over HTTP: filtered lists, single records, persons named
for callers who may see personal data and pseudonymised for the others, precise refusals."""

from __future__ import annotations

from typing import Any

from personnel_records import AIRPORT, BRIDGE, movement, order, person, personal_data

from conftest import NodeHarness


async def _write(h: NodeHarness, objs: list[dict[str, Any]]) -> None:
    bundle = {"type": "bundle", "id": "bundle--6a7e3c1e-0f4b-4a43-9d39-4c1f6c3c3a12"}
    r = await h.client.post(
        "/api/v1/records", json=bundle | {"objects": objs}, headers=h.auth("registrar")
    )
    assert r.status_code == 201, r.text


async def test_orders_and_movements_filtered_named_and_pseudonymised(harness: NodeHarness) -> None:
    h = harness
    ana_pd, luis_pd = personal_data(), personal_data()
    ana, luis = person(ana_pd), person(luis_pd)
    july = order([ana["id"], luis["id"]], "2026-07-01", "2026-07-10")
    august = order([luis["id"]], "2026-08-01", "2026-08-31")
    arrive = movement(ana["id"], july["id"], "arrival", "2026-07-02T10:00:00Z")
    leave = movement(ana["id"], july["id"], "departure", "2026-07-09T10:00:00Z", BRIDGE)
    other = movement(luis["id"], august["id"], "arrival", "2026-08-02T10:00:00Z", AIRPORT)
    await _write(h, [ana_pd, luis_pd, ana, luis, july, august, arrive, leave, other])

    async def ids(url: str, user: str = "viewer") -> list[str]:
        r = await h.client.get(url, headers=h.auth(user))
        assert r.status_code == 200, r.text
        return sorted(i["id"] for i in r.json()["items"])

    assert await ids("/api/v1/orders") == sorted([july["id"], august["id"]])
    assert await ids(f"/api/v1/orders?person={ana['id']}") == [july["id"]]
    assert await ids("/api/v1/orders?valid_on=2026-08-15") == [august["id"]]
    assert await ids("/api/v1/orders?valid_on=2026-09-01") == []
    assert await ids(f"/api/v1/movements?person={ana['id']}") == sorted([arrive["id"], leave["id"]])
    assert await ids("/api/v1/movements?direction=departure") == [leave["id"]]
    assert await ids(f"/api/v1/movements?port={BRIDGE['name']}") == [leave["id"]]
    window = "since=2026-07-05T00:00:00Z&until=2026-08-05T00:00:00Z"
    assert await ids(f"/api/v1/movements?{window}") == sorted([leave["id"], other["id"]])

    seen = await h.client.get(f"/api/v1/orders/{july['id']}", headers=h.auth("viewer"))
    assert seen.status_code == 200, seen.text
    names = {p["person"]: p["name"] for p in seen.json()["persons"]}
    assert set(names) == {ana["id"], luis["id"]}
    assert all(n.startswith("p-") for n in names.values())  # a viewer: pseudonyms
    named = await h.client.get(f"/api/v1/movements/{arrive['id']}", headers=h.auth("registrar"))
    (who,) = named.json()["persons"]
    assert who == {"person": ana["id"], "name": "Benítez Ortiz, José María Ignacio"}

    # A movement asked for as an order (and the reverse) is not there; bad input is refused.
    wrong = await h.client.get(f"/api/v1/orders/{arrive['id']}", headers=h.auth("viewer"))
    assert wrong.status_code == 404
    for bad, status in (
        ("/api/v1/orders/not-an-id", 422),
        ("/api/v1/movements?direction=sideways", 422),
        ("/api/v1/movements?since=yesterday", 422),
        ("/api/v1/orders?valid_on=soon", 422),
        ("/api/v1/orders?cursor=forged", 400),
    ):
        refused = await h.client.get(bad, headers=h.auth("viewer"))
        assert refused.status_code == status, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await h.client.get("/api/v1/orders")).status_code == 401
