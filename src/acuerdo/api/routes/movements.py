"""Movement orders and movements: filtered lists and single records, through the gate.

The same records are readable as raw versions under /api/v1/records; these routes answer in
the field's terms (orders naming a person or in force on a day, arrivals and departures at
a port in an interval) and name each record's persons: names for callers the gate gives
the personal data to (audited before the answer), pseudonyms for everyone else. A withheld
record answers 404 like an id never written and is left out of lists.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.problems import Problem
from acuerdo.domains.personnel import orders_view
from acuerdo.ledger import stix
from acuerdo.ledger.reader import CursorError
from acuerdo.ledger.stix import ID_RE

router = APIRouter(prefix="/api/v1", tags=["personnel"])

Text = Annotated[str | None, Query(max_length=300)]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _id(object_id: str) -> str:
    if not ID_RE.match(object_id):
        raise Problem(422, f"{object_id!r} is not a STIX id '<type>--<uuid>'", code="validation")
    return object_id


def _instant(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return stix.format_instant(stix.parse_timestamp(value, name))
    except stix.StixError as exc:
        raise Problem(422, f"{name}: {exc}", code="validation") from None


async def _page(
    node: NodeDep, user: CurrentUser, otype: str, keep: Any, cursor: str | None, limit: int
) -> dict[str, Any]:
    try:
        items, nxt = await orders_view.listed(node, user, otype, keep, cursor=cursor, limit=limit)
    except CursorError as exc:
        raise Problem(400, str(exc), code="invalid-cursor") from None
    return {"items": items, "next": nxt}


async def _one(node: NodeDep, user: CurrentUser, otype: str, object_id: str) -> dict[str, Any]:
    found = await orders_view.one(node, user, otype, _id(object_id))
    if found is None:
        raise Problem(404, f"no record {object_id} here", code="not-found")
    return found


@router.get("/orders")
async def orders(
    node: NodeDep,
    user: CurrentUser,
    person: Text = None,
    valid_on: date | None = None,
    activity: Text = None,
    cursor: Text = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Movement orders the caller may see, naming a person, in force on a day, for an
    activity (or purpose); a page in ledger order that may hold fewer than `limit`."""
    keep = orders_view.OrderFilters(person, valid_on, activity).keep
    return await _page(node, user, orders_view.ORDER, keep, cursor, limit)


@router.get("/orders/{object_id}")
async def order(object_id: str, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """One movement order, its persons named or pseudonymised."""
    return await _one(node, user, orders_view.ORDER, object_id)


@router.get("/movements")
async def movements(
    node: NodeDep,
    user: CurrentUser,
    person: Text = None,
    direction: Annotated[str | None, Query(pattern="^(arrival|departure)$")] = None,
    port: Text = None,
    since: Text = None,
    until: Text = None,
    cursor: Text = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Arrivals and departures the sending state notified, filtered by person, direction,
    port (name) and time (STIX timestamps); a page in ledger order."""
    filters = orders_view.MovementFilters(
        person, direction, port, _instant("since", since), _instant("until", until)
    )
    return await _page(node, user, orders_view.MOVEMENT, _timed(filters), cursor, limit)


def _timed(filters: orders_view.MovementFilters) -> Any:
    """Compare movement times as fixed-width instants, as the filters hold them."""

    def keep(movement: Any) -> bool:
        moved = dict(
            movement, time=stix.format_instant(stix.parse_timestamp(movement["time"], "time"))
        )
        return filters.keep(moved)

    return keep


@router.get("/movements/{object_id}")
async def movement(object_id: str, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """One movement, its person named or pseudonymised."""
    return await _one(node, user, orders_view.MOVEMENT, object_id)
