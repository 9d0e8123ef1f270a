"""Incidents and claims: the agreement's decision on each, with its reasons and citations.

Records are written through /api/v1/records (the case checks run there); these routes
answer what follows from them, computed from what the caller may see at an instant (``at``,
default now). A withheld incident or claim is a 404 like one that never existed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.problems import Problem
from acuerdo.domains.incidents import board
from acuerdo.domains.incidents.instants import instant
from acuerdo.ledger.stix import ID_RE

router = APIRouter(prefix="/api/v1", tags=["incidents"])

At = Annotated[str | None, Query(max_length=40, description="date or timestamp; default now")]


def at_instant(at: str | None) -> datetime:
    try:
        return instant(at)
    except ValueError as exc:
        raise Problem(422, str(exc), code="validation") from None


def _check_id(object_id: str) -> None:
    if not ID_RE.match(object_id):
        raise Problem(422, f"{object_id!r} is not a STIX id '<type>--<uuid>'", code="validation")


@router.get("/incidents")
async def incidents(
    node: NodeDep, user: CurrentUser, at: At = None, include_closed: bool = False
) -> dict[str, Any]:
    """Incidents the caller may see: jurisdiction per accused and open obligations."""
    now = at_instant(at)
    decided = await board.cases(node, user, now)
    rows = [board.case_row(c) for c in decided if include_closed or not c.closed]
    return {"at": board.format_at(now), "items": rows}


@router.get("/incidents/{object_id}")
async def incident_decision(
    object_id: str, node: NodeDep, user: CurrentUser, at: At = None
) -> dict[str, Any]:
    """The decision on one incident: who has jurisdiction and on what basis, who exercises it,
    custody, every obligation with its due date, the reasons with their articles, the
    agreement hash and the versions of the facts it rests on."""
    _check_id(object_id)
    decided = await board.case(node, user, object_id, at_instant(at))
    if decided is None:
        raise Problem(404, f"no incident {object_id} here", code="not-found")
    return decided.to_json(node.agreement)


@router.get("/claims/{object_id}")
async def claim_decision(object_id: str, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """The decision on one claim: waived, shared (with each State's part) or the process that
    applies, with the reasons and articles."""
    _check_id(object_id)
    decided = await board.claim(node, user, object_id)
    if decided is None:
        raise Problem(404, f"no claim {object_id} here", code="not-found")
    return decided
