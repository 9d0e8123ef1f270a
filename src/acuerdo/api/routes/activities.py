"""Activities: propose, amend, decide, report; lists, one activity, conflicts, the calendar
feed and the map of places; the host's authorisation instruments; feed tokens.

Writes build the record from the fields sent and go through the node's one write path
(schema, agreement checks, competent agency, signature). Reads are answered about
activities the caller may see: a withheld activity is a 404 like one never written, and
is left out of lists, conflicts, the feed and the map.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from acuerdo.api.auth import CHALLENGE, CurrentUser, NodeDep, current_user, require
from acuerdo.api.body import read_json
from acuerdo.api.problems import Problem
from acuerdo.domains.activities import service, views
from acuerdo.domains.activities.conflict_report import all_conflicts
from acuerdo.domains.activities.feed_tokens import (
    create_feed_token,
    feed_user,
    revoke_feed_token,
)
from acuerdo.ledger import stix
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.stix import ID_RE
from acuerdo.ledger.writes import WriteRefused
from acuerdo.node import Node
from acuerdo.users import User

router = APIRouter(prefix="/api/v1", tags=["activities"])
Writer = Annotated[User, Depends(require("registrar", "approver", "admin"))]
Decider = Annotated[User, Depends(require("approver", "admin"))]
Text = Annotated[str | None, Query(max_length=300)]
FEED_LIMIT = 5000


async def _fields(request: Request, node: Node) -> dict[str, Any]:
    data = await read_json(request, node.settings.max_body_bytes)
    if not isinstance(data, dict):
        raise Problem(422, "send a JSON object of fields", code="validation")
    return data


async def _written(call: Any) -> dict[str, Any]:
    """Run a service call, turning its refusals into problems (nothing is written then)."""
    try:
        written: service.Written = await call
    except service.NotFound as exc:
        raise Problem(404, str(exc), code="not-found") from None
    except RecordError as exc:
        raise Problem(422, str(exc), code="invalid-record") from None
    except WriteRefused as exc:
        raise Problem(exc.status, exc.message, code=exc.rule) from None
    return written.to_json()


def _check_id(object_id: str) -> None:
    if not ID_RE.match(object_id):
        raise Problem(422, f"{object_id!r} is not a STIX id '<type>--<uuid>'", code="validation")


def _now(at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    try:
        return stix.parse_timestamp(at, "at")
    except stix.StixError as exc:
        raise Problem(422, f"at: {exc}", code="validation") from None


@router.post("/activities", status_code=201)
async def propose(request: Request, node: NodeDep, user: Writer) -> dict[str, Any]:
    """Propose an activity (the fields of an acuerdo-activity; lifecycle 'draft' to hold it)."""
    fields = await _fields(request, node)
    return await _written(service.propose(node, user, fields))


@router.post("/activities/{object_id}/versions", status_code=201)
async def amend(object_id: str, request: Request, node: NodeDep, user: Writer) -> dict[str, Any]:
    """Amend (or cancel, with lifecycle 'cancelled') the proposer's own activity."""
    _check_id(object_id)
    changes = await _fields(request, node)
    return await _written(service.amend(node, user, object_id, changes))


@router.post("/activities/{object_id}/decisions", status_code=201)
async def decide(object_id: str, request: Request, node: NodeDep, user: Decider) -> dict[str, Any]:
    """The host's decision on the current version (or `version`: {modified, sha256})."""
    _check_id(object_id)
    body = await _fields(request, node)
    unknown = sorted(set(body) - {"outcome", "reason", "conditions", "emergency", "version"})
    if unknown:
        raise Problem(422, f"unknown fields: {', '.join(unknown)}", code="validation")
    for name in ("outcome", "reason"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise Problem(422, f"{name}: required text", code="validation")
    version = body.get("version")
    if version is not None and not isinstance(version, dict):
        raise Problem(422, "version: an object {modified, sha256}", code="validation")
    call = service.decide(
        node,
        user,
        object_id,
        outcome=body["outcome"],
        reason=body["reason"],
        conditions=body.get("conditions"),
        emergency=body.get("emergency") is True,
        version=version,
    )
    return await _written(call)


@router.post("/activities/{object_id}/reports", status_code=201)
async def report(object_id: str, request: Request, node: NodeDep, user: Writer) -> dict[str, Any]:
    """The proposer's after-action report, closing the activity."""
    _check_id(object_id)
    fields = await _fields(request, node)
    return await _written(service.report(node, user, object_id, fields))


@router.post("/authorisations", status_code=201)
async def authorise(request: Request, node: NodeDep, user: Writer) -> dict[str, Any]:
    """A host authorisation instrument (resolution, decree) for a party's forces."""
    fields = await _fields(request, node)
    return await _written(service.authorise(node, user, fields))


@router.get("/activities")
async def list_activities(
    node: NodeDep,
    user: CurrentUser,
    state: Text = None,
    type: Text = None,
    start: Text = None,
    end: Text = None,
    at: Text = None,
    after: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Activities the caller may see, by start: state at `at` (default now), notice, flags."""
    bounds = [None if t is None else stix.format_instant(_now(t)) for t in (start, end)]
    filters = views.Filters(state, type, bounds[0], bounds[1])
    items, nxt = await views.list_activities(
        node, user, now=_now(at), filters=filters, after=after, limit=limit
    )
    return {"items": items, "next": nxt}


@router.get("/activities/conflicts")
async def conflicts(node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Every conflict among activities the caller may see, with the records involved."""
    async with node.engines.reader.connect() as conn:
        found = await all_conflicts(node, user, conn=conn)
    return {"conflicts": [c.to_json() for c in found]}


async def _everything(node: Node, user: User) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    items, _ = await views.list_activities(node, user, now=datetime.now(UTC), limit=FEED_LIMIT)
    bodies = await views.visible_bodies(node, user, [str(i["id"]) for i in items])
    return items, bodies


@router.get("/activities/places", response_class=Response)
async def places(node: NodeDep, user: CurrentUser) -> Response:
    """GeoJSON of the places of every activity the caller may see."""
    from acuerdo.domains.activities.calendar_feed import geojson

    items, bodies = await _everything(node, user)
    return Response(json.dumps(geojson(items, bodies)), media_type="application/geo+json")


async def _feed_reader(request: Request, node: NodeDep) -> User:
    """The feed's user: from a feed token in the query, else the usual credentials."""
    token = request.query_params.get("token")
    if token is None:
        return await current_user(request, node)
    user = await feed_user(node.engines.reader, token)
    if user is None:
        raise Problem(
            401, "unknown or revoked feed token", code="unauthenticated", headers=CHALLENGE
        )
    return user


@router.get("/activities/calendar.ics", response_class=Response)
async def calendar(node: NodeDep, user: Annotated[User, Depends(_feed_reader)]) -> Response:
    """The caller's activity calendar (iCalendar); calendar programs pass ?token=<feed token>."""
    from acuerdo.domains.activities.calendar_feed import ics

    items, bodies = await _everything(node, user)
    name = f"acuerdo activities ({node.party}, {user.name})"
    body = ics(items, bodies, name=name, stamp=datetime.now(UTC))
    return Response(body, media_type="text/calendar; charset=utf-8")


@router.get("/activities/{object_id}")
async def one(object_id: str, node: NodeDep, user: CurrentUser, at: Text = None) -> dict[str, Any]:
    """One activity: state, notice, emergency deadlines, decisions, conflicts, flags."""
    _check_id(object_id)
    found = await views.one_activity(node, user, object_id, _now(at))
    if found is None:
        raise Problem(404, f"no activity {object_id} here", code="not-found")
    result: dict[str, Any] = found
    return result


@router.post("/calendar-tokens", status_code=201)
async def new_feed_token(request: Request, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """A feed token for the caller's calendar: read-only, that feed alone, shown once."""
    body = await _fields(request, node)
    label = body.get("label", "calendar")
    if not isinstance(label, str) or not label.strip():
        raise Problem(422, "label: a non-empty text", code="validation")
    token_id, token = await create_feed_token(node.engines.writer, user, label)
    path = f"/api/v1/activities/calendar.ics?token={token}"
    return {"id": token_id, "token": token, "path": path}


@router.delete("/calendar-tokens/{token_id}", status_code=204, response_class=Response)
async def revoke_token(token_id: int, node: NodeDep, user: CurrentUser) -> Response:
    """Revoke a feed token: its calendar stops answering at once."""
    if not await revoke_feed_token(node.engines.writer, user, token_id):
        raise Problem(404, f"no live feed token {token_id} of yours", code="not-found")
    return Response(status_code=204)
