"""Personnel: a person's coverage decision with its citations, presence, presence timeline.

Records themselves are written and read through /api/v1/records; these routes answer the
questions derived from them. Every answer is about persons the caller may see: a withheld
person is a 404 like one that never existed, and is left out of lists and day counts.
Names appear only for callers the gate gives the personal data to (each read audited before
the answer); everyone else sees pseudonyms.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.problems import Problem
from acuerdo.domains.personnel import queries
from acuerdo.ledger import stix
from acuerdo.ledger.stix import ID_RE

router = APIRouter(prefix="/api/v1", tags=["personnel"])

Text = Annotated[str | None, Query(max_length=300)]


def _instant(at: str | None) -> str | None:
    """A STIX timestamp or a date (its end of day) as the fixed-width instant queries use."""
    if at is None:
        return None
    try:
        if len(at) == 10:
            return queries.day_instant(date.fromisoformat(at), end=True)
        return stix.format_instant(stix.parse_timestamp(at, "at"))
    except (ValueError, stix.StixError) as exc:
        raise Problem(422, f"at: {exc}", code="validation") from None


@router.get("/persons/{object_id}")
async def person(
    object_id: str, node: NodeDep, user: CurrentUser, at: Text = None
) -> dict[str, Any]:
    """Coverage decision (outcome, status, reasons with articles, agreement hash), entry
    papers and presence of one covered person."""
    if not ID_RE.match(object_id):
        raise Problem(422, f"{object_id!r} is not a STIX id '<type>--<uuid>'", code="validation")
    found = await queries.person_status(node, user, object_id, _instant(at))
    if found is None:
        raise Problem(404, f"no record {object_id} here", code="not-found")
    return found


@router.get("/presence")
async def presence(
    node: NodeDep,
    user: CurrentUser,
    view: Annotated[str, Query(pattern="^(" + "|".join(queries.VIEWS) + ")$")] = "present",
    at: Text = None,
    category: Text = None,
    activity: Text = None,
    place: Text = None,
    party: Text = None,
    after: Text = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Who is in the country at an instant (default now), or who is expected, overstaying,
    arrived unannounced, or has a departure never recorded; a page ordered by person id."""
    filters = queries.Filters(category, activity, place, party)
    page = await queries.presence(
        node, user, at=_instant(at), view=view, filters=filters, after=after, limit=limit
    )
    return {"at": page.at, "view": page.view, "items": page.rows, "next": page.next_after}


@router.get("/presence/timeline")
async def presence_timeline(
    node: NodeDep,
    user: CurrentUser,
    start: date,
    end: date,
    category: Text = None,
    activity: Text = None,
    place: Text = None,
    party: Text = None,
) -> dict[str, Any]:
    """How many persons (that the caller may see) were in the country on each day."""
    filters = queries.Filters(category, activity, place, party)
    try:
        days = await queries.timeline(node, user, start, end, filters)
    except ValueError as exc:
        raise Problem(422, str(exc), code="validation") from None
    return {"days": [{"day": d.isoformat(), "present": n} for d, n in days]}
