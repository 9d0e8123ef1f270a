"""Every conflict a caller may see: overlaps, coverage and orders, instruments, presence.

Built from conflicts.py (the SQL primitives) and authorisations.py (instrument terms and
ceilings) over the activities and instruments the release gate gives the caller.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.domains.activities.authorisations import Breach, Instrument, Planned, breaches
from acuerdo.domains.activities.conflicts import (
    LIVE_STATES,
    Conflict,
    coverage_conflicts,
    local_day,
    person_overlaps,
)
from acuerdo.domains.activities.gating import gate, zone_of
from acuerdo.domains.activities.tables import activities as A
from acuerdo.domains.activities.tables import authorisations
from acuerdo.domains.personnel.queries import holding, now_instant
from acuerdo.domains.personnel.queries import visible as person_visible
from acuerdo.domains.personnel.tables import personnel_persons as P
from acuerdo.domains.personnel.tables import personnel_stays as S
from acuerdo.node import Node
from acuerdo.users import User


async def _planned(conn: AsyncConnection, user: User, zone: ZoneInfo) -> list[Planned]:
    q = select(A).where(gate(user)(A), A.c.state.in_(LIVE_STATES))
    out = []
    for r in await conn.execute(q):
        if r.emergency and r.emergency_decided_at is not None:
            continue  # authorised by its emergency decision until regularised
        out.append(
            Planned(
                r.activity_id,
                r.proposer,
                r.activity_type,
                local_day(r.start_at, zone),
                local_day(r.end_at, zone),
                r.start_at,
                r.end_at,
                r.personnel_count,
                frozenset(json.loads(r.regions)),
                r.arms,
            )
        )
    return out


async def instruments(conn: AsyncConnection, user: User, host: str) -> list[Instrument]:
    """The host's instruments in force on paper (not revoked) that the caller may see."""
    T = authorisations
    q = select(T).where(gate(user)(T), T.c.revoked.is_(False), T.c.owner == host)
    return [Instrument.of_row(r) for r in await conn.execute(q)]


def _breach_conflict(b: Breach) -> Conflict:
    records = (b.activity_id, *b.others, *b.instruments)
    return Conflict(f"beyond-authorisation:{b.kind}", records, b.detail)


async def all_conflicts(
    node: Node,
    user: User,
    *,
    conn: AsyncConnection,
    activity_ids: Sequence[str] | None = None,
) -> list[Conflict]:
    """Every conflict among the activities the caller may see (or those involving some)."""
    g = gate(user)
    zone = zone_of(node)
    found = [
        Conflict("person-overlap", (a, b, person), f"{person} is in both activities")
        for person, a, b in await person_overlaps(conn, g, activity_ids)
    ]
    found += await coverage_conflicts(conn, zone, g, activity_ids)
    held = await instruments(conn, user, node.agreement.host_party.code)
    if held:
        planned = await _planned(conn, user, zone)
        wanted = None if activity_ids is None else set(activity_ids)
        for b in breaches(planned, held):
            if wanted is None or b.activity_id in wanted:
                found.append(_breach_conflict(b))
        if activity_ids is None:
            found += await presence_beyond(conn, user, held, zone)
    return found


async def presence_beyond(
    conn: AsyncConnection, user: User, held: Sequence[Instrument], zone: ZoneInfo
) -> list[Conflict]:
    """Covered persons in the country now beyond what the instruments in force allow.

    Counted over persons the caller may see, per party, against the largest ceiling of the
    instruments in force today (host date); a party with instruments but none in force
    today has a ceiling of zero.
    """
    now = now_instant()
    today = local_day(now, zone)
    q = (
        select(P.c.party, func.count())
        .select_from(S.join(P, P.c.person_id == S.c.person_id))
        .where(holding(now), P.c.revoked.is_(False), person_visible(user))
        .group_by(P.c.party)
    )
    out: list[Conflict] = []
    for party, present in await conn.execute(q):
        mine = [i for i in held if i.party == party]
        if not mine:
            continue
        in_force = [i for i in mine if i.valid_from <= today <= i.valid_until]
        ceiling = max((i.ceiling for i in in_force), default=0)
        if present > ceiling:
            refs = tuple(sorted(i.instrument_id for i in in_force))
            detail = (
                f"{present} {party} personnel present on {today}; "
                f"instruments in force allow {ceiling}"
            )
            out.append(Conflict("beyond-authorisation:presence", refs, detail))
    return out
