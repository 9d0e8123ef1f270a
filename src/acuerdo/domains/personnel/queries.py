"""Presence and coverage queries, answered only about persons the caller may see.

A person row is shown only when the release gate granted the caller the person record's
current version on the channel (an indexed EXISTS on `grants`, not a filter in Python), so
a withheld person is absent from lists, counts and timelines alike. Names come from the
personal-data record, read through the gate and audited before the answer; a caller the
gate does not give it to sees a pseudonym: HMAC-SHA256 with the node secret over the
person id, truncated.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select

from acuerdo.domains.personnel import presence_days
from acuerdo.domains.personnel.coverage import entry_decision
from acuerdo.domains.personnel.tables import (
    personnel_persons,
    personnel_presence_audiences,
    personnel_presence_days,
    personnel_stays,
)
from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.stix import format_instant
from acuerdo.ledger.tables import grants
from acuerdo.node import Node
from acuerdo.release import Channel, recipient_tokens
from acuerdo.users import User

VIEWS = ("present", "expected", "overstays", "host-only", "departure-unrecorded")
P = personnel_persons
S = personnel_stays


@dataclass(frozen=True)
class Filters:
    """Narrow a presence list: by category, activity, place (port name), party."""

    category: str | None = None
    activity: str | None = None
    place: str | None = None
    party: str | None = None


@dataclass
class PresencePage:
    rows: list[dict[str, Any]]
    next_after: str | None
    at: str
    view: str
    counts: dict[str, int] = field(default_factory=dict)


def pseudonym(node: Node, person_id: str) -> str:
    """A keyed hash of the person id: stable on this node, unguessable without its secret."""
    digest = hmac.new(node.secret, person_id.encode(), hashlib.sha256).hexdigest()
    return "p-" + digest[:16]


def visible(user: User, channel: Channel = Channel.API) -> ColumnElement[bool]:
    """The gate as SQL: the caller holds a grant for the person's current version."""
    tokens = sorted(recipient_tokens(user.recipient))
    return exists(
        select(grants.c.seq).where(
            grants.c.seq == P.c.seq,
            grants.c.token.in_(tokens),
            grants.c.channels.op("&")(CHANNEL_BITS[channel]) != 0,
        )
    )


def _filtered(q: Select[Any], f: Filters) -> Select[Any]:
    if f.category:
        q = q.where(P.c.category == f.category)
    if f.activity:
        q = q.where(P.c.activity == f.activity)
    if f.party:
        q = q.where(P.c.party == f.party)
    if f.place:
        q = q.where(S.c.port == f.place)
    return q


def holding(at: str) -> ColumnElement[bool]:
    """The stay holds at the instant.

    Written with coalesce so that no index on departed_at tempts the planner: presence pages
    walk the stays' primary key in person order and stop after a page, instead of reading
    every open stay and sorting it (which costs in proportion to who is present).
    """
    return and_(S.c.arrived_at <= at, func.coalesce(S.c.departed_at, "9") > at)


def presence_query(user: User, at: str, view: str, f: Filters) -> Select[Any]:
    """The SQL of one presence view (without its page limit)."""
    cols = (
        P.c.person_id,
        P.c.party,
        P.c.category,
        P.c.outcome,
        P.c.covered,
        P.c.valid_until,
        P.c.activity,
        P.c.personal_data_ref,
        S.c.arrived_at,
        S.c.port,
        S.c.host_only,
        S.c.departure_unrecorded,
    )
    day = at[:10]
    if view == "expected":
        q = select(*cols).select_from(
            P.outerjoin(S, and_(S.c.person_id == P.c.person_id, holding(at)))
        )
        earlier = S.alias("earlier")
        came = exists(
            select(earlier.c.person_id).where(
                earlier.c.person_id == P.c.person_id, earlier.c.arrived_at >= P.c.valid_from
            )
        )
        q = q.where(P.c.valid_until >= day, ~came, S.c.person_id.is_(None))
    else:
        q = select(*cols).select_from(S.join(P, P.c.person_id == S.c.person_id)).where(holding(at))
        if view == "overstays":
            q = q.where(P.c.valid_until < day)
        elif view == "host-only":
            q = q.where(S.c.host_only.is_(True))
        elif view == "departure-unrecorded":
            q = q.where(S.c.departure_unrecorded.is_(True))
    return _filtered(q.where(P.c.revoked.is_(False), visible(user)), f)


def now_instant() -> str:
    return format_instant(datetime.now(UTC))


def day_instant(day: date, end: bool = False) -> str:
    """The last (or first) instant of a UTC day."""
    t = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return format_instant(t + timedelta(days=1, microseconds=-1) if end else t)


async def names_for(node: Node, user: User, refs: Sequence[str]) -> dict[str, str]:
    """Names the gate gives this caller, each read audited before it is answered."""
    found: dict[str, str] = {}
    entries = []
    for ref in refs:
        v = await node.reader.get(user.recipient, Channel.API, ref)
        if v is None:
            continue
        body = json.loads(v.body)
        if "given_names" not in body:
            continue  # erased
        found[ref] = f"{body['family_names']}, {body['given_names']}"
        entries.append(
            AuditEntry(
                user.principal,
                "personal.read",
                ref,
                {"version": v.version_key, "via": "presence"},
            )
        )
    if entries:
        await node.audit(entries)
    return found


async def presence(
    node: Node,
    user: User,
    *,
    at: str | None = None,
    view: str = "present",
    filters: Filters = Filters(),
    after: str | None = None,
    limit: int = 100,
    with_names: bool = True,
) -> PresencePage:
    """One page (ordered by person id, after `after`) of a presence view at an instant."""
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}")
    when = at or now_instant()
    q = presence_query(user, when, view, filters)
    key = P.c.person_id if view == "expected" else S.c.person_id
    if after:
        q = q.where(key > after)
    q = q.order_by(key).limit(limit)
    async with node.engines.reader.connect() as conn:
        rows = (await conn.execute(q)).all()
    refs = [r.personal_data_ref for r in rows]
    names = await names_for(node, user, refs) if with_names and refs else {}
    day = when[:10]
    out = [
        {
            "person": r.person_id,
            "name": names.get(r.personal_data_ref, pseudonym(node, r.person_id)),
            "party": r.party,
            "category": r.category,
            "coverage": r.outcome,
            "arrived_at": r.arrived_at,
            "port": r.port,
            "activity": r.activity,
            "valid_until": r.valid_until,
            "overstay": r.valid_until is not None
            and r.valid_until < day
            and r.arrived_at is not None,
            "host_only": bool(r.host_only),
            "departure_unrecorded": bool(r.departure_unrecorded),
        }
        for r in rows
    ]
    nxt = out[-1]["person"] if len(out) == limit else None
    return PresencePage(out, nxt, when, view)


async def timeline(
    node: Node, user: User, start: date, end: date, filters: Filters = Filters()
) -> list[tuple[date, int]]:
    """How many visible persons were in the country at any time of each day.

    Read from the day counts the projector keeps (`presence_days`): the changes of every
    day up to `end`, over the classes the filters name whose audience the caller's tokens
    meet, summed by day and run forward. The answer equals `timeline_by_stays` (the
    definition, reading the stays), which a test checks on random data.
    """
    _check_period(start, end)
    tokens = recipient_tokens(user.recipient)
    D = personnel_presence_days
    async with node.engines.reader.connect() as conn:
        audiences = [
            a
            for a in (await conn.execute(select(personnel_presence_audiences.c.audience))).scalars()
            if tokens.intersection(json.loads(a))
        ]
        if not audiences:
            return [(start + timedelta(days=i), 0) for i in range((end - start).days + 1)]
        q = select(D.c.day, func.sum(D.c.delta)).where(
            D.c.day <= end.isoformat(),
            D.c.audience.in_(audiences),
            D.c.port == (filters.place or presence_days.ANY_PORT),
        )
        for column, value in (
            (D.c.category, filters.category),
            (D.c.activity, filters.activity),
            (D.c.party, filters.party),
        ):
            if value:
                q = q.where(column == value)
        changes = (await conn.execute(q.group_by(D.c.day))).all()
    first = start.isoformat()
    running = sum(int(delta) for day, delta in changes if day < first)
    by_day = {day: int(delta) for day, delta in changes if day >= first}
    out: list[tuple[date, int]] = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        running += by_day.get(day.isoformat(), 0)
        out.append((day, running))
    return out


def _check_period(start: date, end: date) -> None:
    if end < start or (end - start).days > 366:
        raise ValueError("a timeline runs forward over at most 367 days")


async def timeline_by_stays(
    node: Node, user: User, start: date, end: date, filters: Filters = Filters()
) -> list[tuple[date, int]]:
    """The timeline's definition, read from the stays (slow: every stay in the period).

    One grouped query: the stays overlapping the period (the gate and filters applied in
    SQL) counted by (day they start counting, day they stop), so the answer is a few hundred
    rows however many persons; a running sum turns them into daily counts. A stay counts
    from its arrival day to its departure day, both included, clipped to the period; a
    stay that begins on the day the person's previous shown stay ended (departure and
    re-entry the same day) starts counting the next day, so nobody counts twice a day.
    """
    _check_period(start, end)
    days = (end - start).days + 1
    delta = [0] * (days + 1)
    async with node.engines.reader.connect() as conn:
        for first, last, same_day, count in await conn.execute(
            timeline_query(user, start, end, filters)
        ):
            begin = (date.fromisoformat(first) - start).days + (1 if same_day else 0)
            stop = days if last is None else (date.fromisoformat(last) - start).days + 1
            if begin < stop:
                delta[begin] += count
                delta[stop] -= count
    out: list[tuple[date, int]] = []
    running = 0
    for i in range(days):
        running += delta[i]
        out.append((start + timedelta(days=i), running))
    return out


def timeline_query(user: User, start: date, end: date, f: Filters) -> Select[Any]:
    """Visible stays overlapping the period, grouped by their first and last counted day."""
    lo, hi = day_instant(start), day_instant(end, end=True)
    previous = func.lag(S.c.departed_at).over(partition_by=S.c.person_id, order_by=S.c.arrived_at)
    shown = (
        select(S.c.arrived_at, S.c.departed_at, previous.label("previous"))
        .select_from(S.join(P, P.c.person_id == S.c.person_id))
        .where(
            S.c.arrived_at <= hi,
            or_(S.c.departed_at.is_(None), S.c.departed_at >= lo),
            P.c.revoked.is_(False),
            visible(user),
        )
    )
    stays = _filtered(shown, f).subquery()
    arrival_day = func.substr(stays.c.arrived_at, 1, 10)
    first = case((stays.c.arrived_at < lo, start.isoformat()), else_=arrival_day)
    last = case(
        (or_(stays.c.departed_at.is_(None), stays.c.departed_at > hi), None),
        else_=func.substr(stays.c.departed_at, 1, 10),
    )
    same_day = and_(stays.c.arrived_at >= lo, func.substr(stays.c.previous, 1, 10) == arrival_day)
    marked = select(
        first.label("first"), last.label("last"), case((same_day, 1), else_=0).label("same")
    ).subquery()
    keys = (marked.c.first, marked.c.last, marked.c.same)
    return select(*keys, func.count()).group_by(*keys)


async def person_status(
    node: Node, user: User, person_id: str, at: str | None = None
) -> dict[str, Any] | None:
    """Coverage decision, entry papers and presence of one person; None when not visible."""
    v = await node.reader.get(user.recipient, Channel.API, person_id)
    if v is None:
        return None
    when = at or now_instant()
    async with node.engines.reader.connect() as conn:
        row = (await conn.execute(select(P).where(P.c.person_id == person_id))).first()
        stay = (
            await conn.execute(select(S).where(S.c.person_id == person_id, holding(when)).limit(1))
        ).first()
    if row is None:
        return None
    day = when[:10]
    valid_order = bool(row.valid_from and row.valid_from <= day <= (row.valid_until or ""))
    entry = entry_decision(
        node.agreement,
        row.category,
        has_national_id=bool(row.has_national_id),
        has_valid_order=valid_order,
    )
    return {
        "person": person_id,
        "party": row.party,
        "category": row.category,
        "coverage": {
            "outcome": row.outcome,
            "covered": row.covered,
            "status": row.status,
            "reasons": json.loads(row.reasons),
            "agreement_hash": row.agreement_hash,
        },
        "orders": {
            "valid_from": row.valid_from,
            "valid_until": row.valid_until,
            "valid": valid_order,
        },
        "entry": {
            "outcome": entry.outcome,
            "missing": entry.details.get("missing", []),
            "reasons": [
                {"text": r.text, "article": r.citation.article, "paragraph": r.citation.paragraph}
                for r in entry.reasons
            ],
        },
        "present": stay is not None,
        "overstay": stay is not None and row.valid_until is not None and row.valid_until < day,
    }
