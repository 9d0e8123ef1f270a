"""Transfer programmes: each step's owner reports it, on its own node; delays, days per stage
and what is late come from the data; the Gantt picture (SVG and PNG) is drawn from it."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

from equipment_support import Host, deliver, host, ledger_size, post, problem
from PIL import Image

from acuerdo.domains.equipment import gantt
from acuerdo.domains.equipment.transfers import STAGES, programme
from conftest import NodeHarness

__all__ = ["host"]

TRANSFERS = "/api/v1/transfers"
SVG = "{http://www.w3.org/2000/svg}"

OWNERS = {
    "request": ("PRY", "mdn"),
    "agreement": ("USA", "state"),
    "export-authorisation": ("USA", "state"),
    "shipment": ("USA", "odc"),
    "arrival": ("PRY", "mdn"),
    "customs-clearance": ("PRY", "aduanas"),
    "installation": ("USA", "odc"),
    "acceptance": ("PRY", "mdn"),
    "end-use-check": ("USA", "odc"),
}
PLANNED = [
    "2026-01-10",
    "2026-02-01",
    "2026-03-01",
    "2026-04-01",
    "2026-04-20",
    "2026-04-30",
    "2026-06-01",
    "2026-07-01",
    "2026-12-01",
]


def radars(**extra: Any) -> dict[str, Any]:
    milestones = [
        {"stage": s, "owner": {"party": OWNERS[s][0], "agency": OWNERS[s][1]}, "planned": p}
        for s, p in zip(STAGES, PLANNED, strict=True)
    ]
    return {
        "title": "Three air-surveillance radars",
        "equipment": [{"description": "Air-surveillance radar", "quantity": 3}],
        "milestones": milestones,
    } | extra


async def report(node: NodeHarness | Host, pid: str, stage: str, reached: str, user: str) -> Any:
    return await post(
        node, f"{TRANSFERS}/{pid}/milestones", user, {"stage": stage, "reached": reached}
    )


async def test_programme_status_and_gantt_follow_the_data(harness: NodeHarness, host: Host) -> None:
    h = harness
    created = await post(h, TRANSFERS, "registrar", radars())
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    await deliver(h.node, host.node, [pid])
    # The host owns the request: it reports it on its node; the sending state cannot.
    before = await ledger_size(h.node)
    problem(
        await report(h, pid, "request", "2026-01-10", "registrar"),
        422,
        "stage request is owned by PRY (mdn); only its owner reports it",
    )
    assert await ledger_size(h.node) == before
    got = await report(host, pid, "request", "2026-01-10", "admin")
    assert got.status_code == 201, got.text
    await deliver(host.node, h.node, [got.json()["id"]])
    for stage, day in (("agreement", "2026-02-10"), ("export-authorisation", "2026-03-25")):
        assert (await report(h, pid, stage, day, "registrar")).status_code == 201
    status = await h.client.get(
        f"{TRANSFERS}/{pid}", params={"today": "2026-04-15"}, headers=h.auth("viewer")
    )
    body = status.json()
    stages = {s["stage"]: s for s in body["stages"]}
    assert [stages[s]["state"] for s in STAGES[:5]] == [
        "done",
        "done-late",
        "done-late",
        "late",
        "planned",
    ]
    assert [stages[s]["delay_days"] for s in STAGES[:4]] == [0, 9, 24, 14]
    assert [stages[s]["days_in_stage"] for s in STAGES[:4]] == [None, 31, 43, 21]
    assert (body["current_stage"], body["days_behind"], body["late"]) == (
        "shipment",
        14,
        ["shipment"],
    )
    assert stages["customs-clearance"]["owner_agency"] == "aduanas"

    svg = await h.client.get(
        f"{TRANSFERS}/{pid}/gantt.svg", params={"today": "2026-04-15"}, headers=h.auth("viewer")
    )
    assert svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.text)
    bars = [r.attrib for r in root.iter(f"{SVG}rect") if "data-stage" in r.attrib]
    planned = [b for b in bars if b["data-kind"] == "planned"]
    assert [b["data-stage"] for b in planned] == list(STAGES)
    assert [b["data-end"] for b in planned] == PLANNED
    actual = [
        (b["data-stage"], b["data-kind"], b["data-end"])
        for b in bars
        if b["data-kind"] != "planned"
    ]
    assert actual == [
        ("request", "done", "2026-01-10"),
        ("agreement", "done-late", "2026-02-10"),
        ("export-authorisation", "done-late", "2026-03-25"),
        ("shipment", "late", "2026-04-15"),
    ]
    labels = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "label"]
    assert [label.split(" ")[0] for label in labels] == list(STAGES)
    assert "14 days behind plan; late: shipment" in svg.text

    # New data, new picture: the shipment is reported and the bar changes with it.
    assert (await report(h, pid, "shipment", "2026-04-20", "registrar")).status_code == 201
    svg2 = await h.client.get(
        f"{TRANSFERS}/{pid}/gantt.svg", params={"today": "2026-04-21"}, headers=h.auth("viewer")
    )
    root2 = ET.fromstring(svg2.text)
    shipment = [
        r.attrib
        for r in root2.iter(f"{SVG}rect")
        if r.get("data-stage") == "shipment" and r.get("data-kind") != "planned"
    ]
    assert [(b["data-kind"], b["data-start"], b["data-end"]) for b in shipment] == [
        ("done-late", "2026-03-25", "2026-04-20")
    ]

    png = await h.client.get(
        f"{TRANSFERS}/{pid}/gantt.png", params={"today": "2026-04-21"}, headers=h.auth("viewer")
    )
    image = Image.open(io.BytesIO(png.content)).convert("RGB")
    found = await programme(h.node, h.users["viewer"], pid, date(2026, 4, 21))
    chart = gantt.layout(found, date(2026, 4, 21))
    assert image.size == (gantt.WIDTH, chart.height)
    for bar in chart.bars:
        middle = (int(bar.x + bar.w / 2), int(bar.y + bar.h / 2))
        colour = gantt.COLOURS[bar.kind].lstrip("#")
        assert image.getpixel(middle) == tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4)), bar


BAD_PROGRAMMES = [
    (radars(milestones=radars()["milestones"][::-1]), "must name each stage once, in the order"),
    (
        radars(
            milestones=[
                {
                    "stage": "request",
                    "owner": {"party": "PRY", "agency": "cia"},
                    "planned": "2026-01-01",
                }
            ]
        ),
        "PRY has no agency 'cia'",
    ),
    (
        radars(
            milestones=[
                {
                    "stage": "launch",
                    "owner": {"party": "PRY", "agency": "mdn"},
                    "planned": "2026-01-01",
                }
            ]
        ),
        "'launch' is not one of",
    ),
    (
        radars(equipment=[{"description": "Radar", "quantity": -3}]),
        "-3 is less than the minimum of 1",
    ),
    (radars(colour="green"), "'colour' was unexpected"),
]


async def test_bad_programmes_and_reports_are_refused(harness: NodeHarness) -> None:
    h = harness
    before = await ledger_size(h.node)
    for body, message in BAD_PROGRAMMES:
        problem(await post(h, TRANSFERS, "registrar", body), 422, message)
    assert await ledger_size(h.node) == before
    pid = (await post(h, TRANSFERS, "registrar", radars())).json()["id"]
    before = await ledger_size(h.node)
    problem(
        await report(h, pid, "launch", "2026-01-01", "registrar"), 422, "'launch' is not one of"
    )
    problem(await report(h, pid, "shipment", "soon", "registrar"), 422, "'soon' does not match")
    problem(await report(h, pid, "shipment", "2026-04-01", "viewer"), 403)
    absent = "acuerdo-transfer-programme--6a4f1b8e-2d3c-4e5f-8a9b-0c1d2e3f4a5b"
    problem(await report(h, absent, "shipment", "2026-04-01", "registrar"), 404)
    assert await ledger_size(h.node) == before
