"""Customs: file declarations, read them with their status, print certificates, decide them,
and the report of temporary imports not yet re-exported. All reads go through the release
gate; a declaration the caller may not see answers like one that does not exist."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.routes.equipment_io import (
    answer_fields,
    day,
    json_object,
    refusals,
    written,
)
from acuerdo.domains.equipment import accounting, customs
from acuerdo.domains.equipment.certificate import render_certificate
from acuerdo.domains.equipment.common import DECLARATION, DUTY_FREE, provision, visible_one

router = APIRouter(prefix="/api/v1/customs", tags=["customs"])


@router.post("/declarations", status_code=201)
async def declare(request: Request, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """File a declaration (direction, regime, port, items...); the node assigns its number."""
    content = await json_object(request, node)
    with refusals():
        obj, appended = await customs.declare(node, user, content)
    number = customs.certificate_number(node.party, int(obj["serial"]))
    return {**written(obj, appended.sha256), "serial": obj["serial"], "number": number}


@router.get("/declarations")
async def declarations(node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Every declaration the caller may see, with the customs status of its current version."""
    return {"items": await accounting.declarations(node, user)}


@router.get("/declarations/{declaration_id}")
async def declaration(declaration_id: str, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """One declaration: its summary, items and customs status."""
    with refusals():
        seen = await visible_one(node, user, declaration_id, DECLARATION)
    found, _ = await accounting.declaration(node, user, seen)
    return {**found, "item_lines": seen.body["items"]}


@router.get(
    "/declarations/{declaration_id}/certificate",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def certificate(
    declaration_id: str,
    node: NodeDep,
    user: CurrentUser,
    lang: Annotated[str, Query(pattern="^(es|en)$")] = "es",
) -> Response:
    """The declaration as a certificate (PDF), in Spanish (es) or English (en)."""
    with refusals():
        seen = await visible_one(node, user, declaration_id, DECLARATION)
        found, decision = await accounting.declaration(node, user, seen)
        pdf = render_certificate(
            node, seen, found["number"], provision(node, DUTY_FREE), decision, lang
        )
    name = f"{found['number']}-{lang}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.post("/declarations/{declaration_id}/decision", status_code=201)
async def decide(
    declaration_id: str, request: Request, node: NodeDep, user: CurrentUser
) -> dict[str, Any]:
    """Host customs clears or holds the current version (or the `version` named, which
    must be the current one): {"outcome": "cleared"|"held", "reason": ..., "version": ...}."""
    body = await json_object(request, node)
    version = answer_fields(body, {"outcome", "reason"})
    with refusals():
        obj, appended = await customs.decide(
            node, user, declaration_id, body.get("outcome"), body.get("reason"), version
        )
    return {**written(obj, appended.sha256), "outcome": obj["outcome"]}


@router.get("/temporary-imports")
async def temporary_imports(
    node: NodeDep, user: CurrentUser, today: date | None = None
) -> dict[str, Any]:
    """Items imported temporarily and not yet re-exported (cleared), with their due date."""
    rows = await accounting.outstanding(node, user, day(today))
    return {
        "as_of": day(today).isoformat(),
        "items": [r.to_json() for r in rows],
        "overdue": sum(r.overdue for r in rows),
    }
