"""Deadlines and the Joint Committee's view, as JSON or as a PDF report (es, en).

Everything is read through the release gate for the caller; ``at`` evaluates what is open
and late at another instant (default now).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.routes.incidents import At, at_instant
from acuerdo.domains.incidents import board
from acuerdo.domains.incidents.report import render

router = APIRouter(prefix="/api/v1", tags=["joint committee"])


@router.get("/deadlines")
async def deadlines(node: NodeDep, user: CurrentUser, at: At = None) -> dict[str, Any]:
    """Every open obligation of every case the caller may see, earliest due first, overdue
    ones flagged."""
    now = at_instant(at)
    rows = board.deadline_rows(await board.cases(node, user, now))
    return {"at": board.format_at(now), "items": rows}


@router.get("/joint-committee")
async def joint_committee(node: NodeDep, user: CurrentUser, at: At = None) -> dict[str, Any]:
    """Open incidents, deadlines, late items, open claims, consultations and disputes."""
    return await board.joint_committee(node, user, at_instant(at))


@router.get(
    "/joint-committee/report",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the report"}},
)
async def joint_committee_report(
    node: NodeDep,
    user: CurrentUser,
    at: At = None,
    lang: Annotated[str, Query(pattern="^(es|en)$")] = "es",
) -> Response:
    """The Joint Committee's view as a PDF report, labelled in Spanish or English."""
    view = await board.joint_committee(node, user, at_instant(at))
    pdf = await asyncio.to_thread(render, view, lang)
    headers = {"Content-Disposition": f'attachment; filename="joint-committee-{lang}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)
