"""Conflicts between activities and the people in them, each with the records involved.

* **person-overlap**: one person assigned to two activities whose times overlap;
* **person-not-covered**: an assigned person whose coverage decision is not "covered", or
  whose person record this node does not hold;
* **order-not-covering**: the movement order named for a person (or, when none is named,
  the person's current orders) does not cover the activity's dates (host local dates);
  also an order this node does not hold, one revoked, or one that does not name the person.

Overlaps are one SQL self-join of assignments on the person, so finding every overlap among
thousands of activities is one indexed query (bench/activities.py). Only activities that
can take place count: drafts, cancelled and refused activities conflict with nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.domains.activities.tables import activities, activity_personnel
from acuerdo.domains.personnel.tables import (
    personnel_order_persons,
    personnel_orders,
    personnel_persons,
)

LIVE_STATES = (
    "proposed",
    "information-requested",
    "approved",
    "approved-with-conditions",
    "completed",
)
Gate = Callable[[Any], ColumnElement[bool]]  # an activities table or alias -> visible


@dataclass(frozen=True)
class Conflict:
    kind: str
    records: tuple[str, ...]  # activity ids first, then persons and orders
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "records": list(self.records), "detail": self.detail}


async def person_overlaps(
    conn: AsyncConnection, gate: Gate | None = None, activity_ids: Sequence[str] | None = None
) -> list[tuple[str, str, str]]:
    """(person, activity, other activity) for every person in two overlapping activities.

    `gate` narrows both activities to those a caller may see; `activity_ids` to pairs
    involving those activities.
    """
    p1, p2 = activity_personnel.alias("p1"), activity_personnel.alias("p2")
    a1, a2 = activities.alias("a1"), activities.alias("a2")
    q = (
        select(p1.c.person_id, p1.c.activity_id, p2.c.activity_id)
        .select_from(
            p1.join(
                p2,
                and_(p1.c.person_id == p2.c.person_id, p1.c.activity_id < p2.c.activity_id),
            )
            .join(a1, a1.c.activity_id == p1.c.activity_id)
            .join(a2, a2.c.activity_id == p2.c.activity_id)
        )
        .where(
            a1.c.start_at < a2.c.end_at,
            a2.c.start_at < a1.c.end_at,
            a1.c.state.in_(LIVE_STATES),
            a2.c.state.in_(LIVE_STATES),
        )
    )
    if gate is not None:
        q = q.where(gate(a1), gate(a2))
    if activity_ids is not None:
        ids = list(activity_ids)
        q = q.where(p1.c.activity_id.in_(ids) | p2.c.activity_id.in_(ids))
    rows = await conn.execute(q.order_by(p1.c.person_id, p1.c.activity_id, p2.c.activity_id))
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def local_day(instant: str, zone: ZoneInfo) -> str:
    """The host local date of a stored UTC instant."""
    moment = datetime.fromisoformat(instant.rstrip("Z") + "+00:00")
    return moment.astimezone(zone).date().isoformat()


async def coverage_conflicts(
    conn: AsyncConnection, zone: ZoneInfo, gate: Gate | None, activity_ids: Sequence[str] | None
) -> list[Conflict]:
    """Assigned persons not covered, and orders that do not cover the activity's dates."""
    A, AP, P, OR = activities, activity_personnel, personnel_persons, personnel_orders
    OP = personnel_order_persons
    q = (
        select(
            A.c.activity_id,
            A.c.start_at,
            A.c.end_at,
            AP.c.person_id,
            AP.c.order_id,
            P.c.person_id.label("held"),
            P.c.outcome,
            P.c.valid_from,
            P.c.valid_until,
            OR.c.order_id.label("order_held"),
            OR.c.revoked,
            OR.c.valid_from.label("o_from"),
            OR.c.valid_until.label("o_until"),
            OP.c.person_id.label("named"),
        )
        .select_from(
            A.join(AP, AP.c.activity_id == A.c.activity_id)
            .outerjoin(P, P.c.person_id == AP.c.person_id)
            .outerjoin(OR, OR.c.order_id == AP.c.order_id)
            .outerjoin(OP, and_(OP.c.order_id == AP.c.order_id, OP.c.person_id == AP.c.person_id))
        )
        .where(A.c.state.in_(LIVE_STATES))
    )
    if gate is not None:
        q = q.where(gate(A))
    if activity_ids is not None:
        q = q.where(A.c.activity_id.in_(list(activity_ids)))
    out: list[Conflict] = []
    for r in await conn.execute(q.order_by(A.c.activity_id, AP.c.person_id)):
        first, last = local_day(r.start_at, zone), local_day(r.end_at, zone)
        out.extend(_assignment(r, first, last))
    return out


def _assignment(r: Any, first: str, last: str) -> list[Conflict]:
    def g(name: str) -> Any:
        return getattr(r, name)

    activity, person, order = r.activity_id, r.person_id, r.order_id
    found: list[Conflict] = []
    if g("held") is None:
        found.append(Conflict("person-not-covered", (activity, person), "no person record here"))
    elif g("outcome") != "covered":
        detail = f"coverage decision: {g('outcome')}"
        found.append(Conflict("person-not-covered", (activity, person), detail))
    dates = f"{first} to {last}"
    if order is not None:
        recs = (activity, person, order)
        if g("order_held") is None:
            found.append(Conflict("order-not-covering", recs, "the named order is not held here"))
        elif g("revoked"):
            found.append(Conflict("order-not-covering", recs, "the named order is revoked"))
        elif g("named") is None:
            found.append(Conflict("order-not-covering", recs, "the order does not name the person"))
        elif not (g("o_from") <= first and last <= g("o_until")):
            detail = f"order valid {g('o_from')} to {g('o_until')}; activity {dates}"
            found.append(Conflict("order-not-covering", recs, detail))
    elif g("held") is not None:
        start, until = g("valid_from"), g("valid_until")
        if start is None:
            found.append(Conflict("order-not-covering", (activity, person), "no current order"))
        elif not (start <= first and last <= until):
            detail = f"orders valid {start} to {until}; activity {dates}"
            found.append(Conflict("order-not-covering", (activity, person), detail))
    return found
