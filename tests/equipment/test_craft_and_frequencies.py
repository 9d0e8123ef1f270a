"""Craft movements with due notification and their acknowledgement; frequency requests and
their assignment. Who may write what is a table; a late notification is flagged against the
agreement's parameter, counted from the host's receipt; answers name exact versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from equipment_support import Host, deliver, host, ledger_size, post, problem

from conftest import NodeHarness

__all__ = ["host"]

MOVES = "/api/v1/craft-movements"
FREQS = "/api/v1/frequency-requests"


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def flight(hours_ahead: float, **extra: Any) -> dict[str, Any]:
    """A C-130 entering with equipment, departing `hours_ahead` hours from now."""
    departs = datetime.now(UTC) + timedelta(hours=hours_ahead)
    return {
        "craft": {"kind": "aircraft", "registration": "64-0555", "craft_type": "C-130H"},
        "direction": "entry",
        "route": [
            {"name": "Soto Cano Air Base"},
            {"name": "Aeropuerto Internacional Silvio Pettirossi", "code": "ASU"},
        ],
        "departs": stamp(departs),
        "arrives": stamp(departs + timedelta(hours=6)),
        "cargo_category": "equipment",
        "arms_aboard": False,
    } | extra


async def test_late_and_timely_notifications(harness: NodeHarness, host: Host) -> None:
    h = harness
    timely = await post(h, MOVES, "registrar", flight(100))
    late = await post(h, MOVES, "registrar", flight(5))
    assert timely.status_code == late.status_code == 201, (timely.text, late.text)
    await deliver(h.node, host.node, [timely.json()["id"], late.json()["id"]])
    listed = await host.client.get(MOVES, headers=host.auth("defence"))
    body = listed.json()
    assert body["notice"]["parameter"] == "movement-notification"
    assert body["notice"]["hours"] == 48 and body["notice"]["public"] is False
    rows = {r["id"]: r for r in body["items"]}
    assert rows[timely.json()["id"]]["late"] is False
    assert rows[late.json()["id"]]["late"] is True
    assert rows[late.json()["id"]]["receipt"] == "received here"
    # The host acknowledges; back home the sender sees the host's receipt time.
    url = f"{MOVES}/{late.json()['id']}/acknowledgement"
    ack = await post(host, url, "defence", {"remarks": "noted; late"})
    assert ack.status_code == 201, ack.text
    await deliver(host.node, h.node, [ack.json()["id"]])
    home = {
        r["id"]: r for r in (await h.client.get(MOVES, headers=h.auth("viewer"))).json()["items"]
    }
    row = home[late.json()["id"]]
    assert (row["acknowledged"], row["receipt"], row["late"]) == (True, "acknowledged", True)
    assert row["notified"] == ack.json()["received"]
    assert home[timely.json()["id"]]["receipt"] == "unconfirmed: sender's clock"


BAD_MOVES = [
    (flight(50, arms_aboard=True), "'arms_description' is a required property"),
    (
        flight(50, craft={"kind": "submarine", "registration": "X", "craft_type": "Y"}),
        "'submarine' is not one of",
    ),
    (
        flight(50, route=[{"name": "Only one place"}]),
        "$.route: [{'name': 'Only one place'}] is too short",
    ),
    (
        flight(50, arrives="2020-01-01T00:00:00Z"),
        "arrives (2020-01-01T00:00:00Z) is before departs",
    ),
    (flight(50, tail="x"), "'tail' was unexpected"),
]


@pytest.mark.parametrize(("body", "message"), BAD_MOVES)
async def test_bad_notifications_are_refused(
    harness: NodeHarness, body: dict[str, Any], message: str
) -> None:
    before = await ledger_size(harness.node)
    problem(await post(harness, MOVES, "registrar", body), 422, message)
    assert await ledger_size(harness.node) == before


# Who may acknowledge: only the agency the agreement file names for the movement provision.
ACKNOWLEDGERS = [("defence", 201), ("customs", 403), ("foreign", 403), ("spectrum", 403)]


@pytest.mark.parametrize(("user", "status"), ACKNOWLEDGERS)
async def test_who_may_acknowledge(
    harness: NodeHarness, host: Host, user: str, status: int
) -> None:
    h = harness
    r = await post(h, MOVES, "registrar", flight(72, arms_aboard=True, arms_description="M9 x 4"))
    await deliver(h.node, host.node, [r.json()["id"]])
    before = await ledger_size(host.node)
    got = await post(host, f"{MOVES}/{r.json()['id']}/acknowledgement", user, {})
    assert got.status_code == status, got.text
    assert await ledger_size(host.node) == before + (status == 201)
    problem(await post(host, MOVES, "admin", flight(72)), 422, "written by a sending state")
    problem(await post(h, MOVES, "viewer", flight(72)), 403)


def frequency_request(**extra: Any) -> dict[str, Any]:
    return {
        "purpose": "Tactical radio network for the bilateral exercise",
        "bands": [{"low_mhz": 225.0, "high_mhz": 400.0}],
        "max_power_w": 50,
        "places": [{"name": "Mariscal Estigarribia", "latitude": -22.03, "longitude": -60.62}],
        "valid_from": "2026-08-01",
        "valid_until": "2026-08-31",
    } | extra


# (user, body, status, fragment)
ASSIGNMENTS = [
    ("spectrum", {"outcome": "assigned"}, 201, ""),
    (
        "spectrum",
        {"outcome": "assigned-with-conditions", "conditions": ["max 20 W near ASU"]},
        201,
        "",
    ),
    ("spectrum", {"outcome": "refused", "reason": "band in civil use"}, 201, ""),
    ("spectrum", {"outcome": "assigned-with-conditions"}, 422, "'conditions' is a required"),
    ("spectrum", {"outcome": "refused"}, 422, "'reason' is a required property"),
    ("spectrum", {"outcome": "maybe"}, 422, "'maybe' is not one of"),
    ("spectrum", {"outcome": "assigned", "power": 3}, 422, "unknown field(s): power"),
    ("customs", {"outcome": "assigned"}, 403, "host agency 'conatel'"),
    ("defence", {"outcome": "assigned"}, 403, "host agency 'conatel'"),
]


@pytest.mark.parametrize(("user", "body", "status", "fragment"), ASSIGNMENTS)
async def test_frequency_assignment_table(
    harness: NodeHarness, host: Host, user: str, body: dict[str, Any], status: int, fragment: str
) -> None:
    h = harness
    req = await post(h, FREQS, "registrar", frequency_request())
    assert req.status_code == 201, req.text
    await deliver(h.node, host.node, [req.json()["id"]])
    before = await ledger_size(host.node)
    got = await post(host, f"{FREQS}/{req.json()['id']}/assignment", user, body)
    if status != 201:
        problem(got, status, fragment)
        assert await ledger_size(host.node) == before
        return
    assert got.status_code == 201, got.text
    await deliver(host.node, h.node, [got.json()["id"]])
    rows = (await h.client.get(FREQS, headers=h.auth("viewer"))).json()["items"]
    assert [(r["status"], r["conditions"]) for r in rows] == [
        (body["outcome"], body.get("conditions", []))
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bands": [{"low_mhz": 400, "high_mhz": 225}]}, "low_mhz must be below high_mhz"),
        ({"valid_until": "2026-07-01"}, "valid_until is before valid_from"),
        ({"max_power_w": -1}, "-1 is less than or equal to the minimum of 0"),
        ({"places": []}, "$.places: [] should be non-empty"),
    ],
)
async def test_bad_frequency_requests(
    harness: NodeHarness, change: dict[str, Any], message: str
) -> None:
    before = await ledger_size(harness.node)
    problem(await post(harness, FREQS, "registrar", frequency_request(**change)), 422, message)
    assert await ledger_size(harness.node) == before
