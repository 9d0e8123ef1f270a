"""Craft movements, frequency requests and equipment transfer programmes.

The sending state notifies movements and requests frequencies; the host's competent agency
acknowledges and assigns, naming the exact version it answers. Transfer programmes report
each step's plan and actuals and draw the pipeline for the Joint Committee. All reads go
through the release gate: what the caller may not see answers like what does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.problems import Problem
from acuerdo.api.routes.equipment_io import answer_fields, day, json_object, refusals, written
from acuerdo.domains.equipment import craft, frequencies, gantt, transfers

router = APIRouter(prefix="/api/v1", tags=["equipment"])


@router.post("/craft-movements", status_code=201)
async def notify(request: Request, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Notify an aircraft, vessel or vehicle movement (craft, route, times, cargo, arms)."""
    content = await json_object(request, node)
    with refusals():
        obj, appended = await craft.notify(node, user, content)
    return written(obj, appended.sha256)


@router.get("/craft-movements")
async def craft_movements(node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Movements the caller may see: notice given against the agreement's, late flags,
    acknowledgement of the current version."""
    with refusals():
        return await craft.movements(node, user)


@router.post("/craft-movements/{movement_id}/acknowledgement", status_code=201)
async def acknowledge(
    movement_id: str, request: Request, node: NodeDep, user: CurrentUser
) -> dict[str, Any]:
    """The host acknowledges the current version of a notification: {"remarks": ...}."""
    body = await json_object(request, node)
    version = answer_fields(body, {"remarks"})
    with refusals():
        obj, appended = await craft.acknowledge(
            node, user, movement_id, body.get("remarks"), version
        )
    return {**written(obj, appended.sha256), "received": obj["received"]}


@router.post("/frequency-requests", status_code=201)
async def request_frequencies(request: Request, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Request frequencies (purpose, bands, power, places, dates)."""
    content = await json_object(request, node)
    with refusals():
        obj, appended = await frequencies.request(node, user, content)
    return written(obj, appended.sha256)


@router.get("/frequency-requests")
async def frequency_requests(node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Requests the caller may see, with the host's decision on each current version."""
    with refusals():
        return await frequencies.requests(node, user)


@router.post("/frequency-requests/{request_id}/assignment", status_code=201)
async def assign(
    request_id: str, request: Request, node: NodeDep, user: CurrentUser
) -> dict[str, Any]:
    """The host's decision: {"outcome": "assigned"|"assigned-with-conditions"|"refused",
    "conditions": [...], "reason": ...}."""
    body = await json_object(request, node)
    version = answer_fields(body, {"outcome", "conditions", "reason"})
    with refusals():
        obj, appended = await frequencies.assign(node, user, request_id, body, version)
    return {**written(obj, appended.sha256), "outcome": obj["outcome"]}


@router.post("/transfers", status_code=201)
async def create_programme(request: Request, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Start a transfer programme: title, equipment, planned milestones and their owners."""
    content = await json_object(request, node)
    with refusals():
        obj, appended = await transfers.create(node, user, content)
    return written(obj, appended.sha256)


@router.get("/transfers")
async def programmes(node: NodeDep, user: CurrentUser, today: date | None = None) -> dict[str, Any]:
    """Every programme the caller may see: each step's plan, actual, delay and days taken."""
    found = await transfers.programmes(node, user, day(today))
    return {"as_of": day(today).isoformat(), "items": [p.to_json() for p in found]}


@router.get("/transfers/{programme_id}")
async def programme(
    programme_id: str, node: NodeDep, user: CurrentUser, today: date | None = None
) -> dict[str, Any]:
    """One programme's status on `today` (default: today)."""
    with refusals():
        found = await transfers.programme(node, user, programme_id, day(today))
    return {"as_of": day(today).isoformat(), **found.to_json()}


@router.post("/transfers/{programme_id}/milestones", status_code=201)
async def report_milestone(
    programme_id: str, request: Request, node: NodeDep, user: CurrentUser
) -> dict[str, Any]:
    """The owner of a step reports the date it was reached: {"stage", "reached", "remarks"}."""
    body = await json_object(request, node)
    unknown = set(body) - {"stage", "reached", "remarks"}
    if unknown:
        raise Problem(422, f"unknown field(s): {', '.join(sorted(unknown))}", code="validation")
    with refusals():
        obj, appended = await transfers.report(
            node, user, programme_id, body.get("stage"), body.get("reached"), body.get("remarks")
        )
    return written(obj, appended.sha256)


@router.get(
    "/transfers/{programme_id}/gantt.{fmt}",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}},
)
async def gantt_picture(
    programme_id: str, fmt: str, node: NodeDep, user: CurrentUser, today: date | None = None
) -> Response:
    """The programme's pipeline as a Gantt-style picture (svg or png), drawn from its data."""
    if fmt not in ("svg", "png"):
        raise Problem(404, f"no picture format {fmt!r}: use svg or png", code="not-found")
    with refusals():
        found = await transfers.programme(node, user, programme_id, day(today))
    chart = gantt.layout(found, day(today))
    if fmt == "svg":
        return Response(gantt.to_svg(chart), media_type="image/svg+xml")
    return Response(gantt.to_png(chart), media_type="image/png")
