"""How many were present each day, kept as counts so a timeline is a range read, not a scan.

The definition (`queries.timeline_by_stays`, one SQL pass over the stays) counts a visible
person on a day when any of their stays overlaps it; a stay beginning the day the previous
one ended counts from the next day, so nobody counts twice a day. That is the union of the
days of a person's stays. Answering it from the stays reads every stay overlapping the
period: at 100,000 persons, seconds.

So the projector keeps, in the same transaction as the stays:

- `personnel_presence_spans`: each person's counted days as disjoint spans, once over all
  their stays (port "") and once per port (the timeline's place filter), with what the
  timeline filters on (party, category, activity) and the person's audience: the release
  gate's tokens that give the person's current version on the API channel.
- `personnel_presence_days`: for each day and class (audience, party, category, activity,
  port) the change in count that day: +1 where a span starts, -1 the day after it ends.

A timeline is then the running sum of the changes up to each day, over the classes whose
audience shares a token with the caller's (the gate's own test, on the same grants). The
counts are recomputed from a person's current rows whenever the projector touches the
person (new version, order window, stays), by taking the person's old spans out and putting
the new ones in, never patched otherwise: the same records give the same counts whatever
order they arrived in. A test compares this with the definition on random data.

One limit: the audience is read when the projector touches the person. The ledger also
recomputes grants when an object a record refers to gets another audience (propagation);
for a covered person that is its identity (`created_by_ref`) or a marking definition, which
do not change audience in practice, but if one did, the counts would follow the person's
next version rather than at once.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.domains.personnel.tables import (
    personnel_persons,
    personnel_presence_audiences,
    personnel_presence_days,
    personnel_presence_spans,
    personnel_stays,
)
from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.tables import grants
from acuerdo.release import Channel

P = personnel_persons
S = personnel_stays
SPANS = personnel_presence_spans
DAYS = personnel_presence_days
AUDIENCES = personnel_presence_audiences
ANY_PORT = ""
CHUNK = 500

Class = tuple[str, str, str, str, str]  # audience, party, category, activity, port


@dataclass(frozen=True)
class Span:
    """Days a person counts, both included; last None while the person is still there."""

    first: str
    last: str | None


def day_spans(stays: Iterable[tuple[str, str | None]]) -> list[Span]:
    """The union of the days of stays (arrival and departure instants), as disjoint spans."""
    out: list[Span] = []
    for arrived, departed in sorted(stays):
        first, last = arrived[:10], None if departed is None else departed[:10]
        if out:
            prev = out[-1]
            if prev.last is None:
                continue  # an open stay holds every later day already
            if first <= prev.last:
                out[-1] = Span(prev.first, None if last is None else max(prev.last, last))
                continue
        out.append(Span(first, last))
    return out


def _day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def person_spans(
    person: Mapping[str, Any], audience: str, stays: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Span rows of one person: over all ports, then per port."""
    by_port: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for s in stays:
        by_port[s["port"]].append((s["arrived_at"], s["departed_at"]))
    every = [i for intervals in by_port.values() for i in intervals]
    rows = []
    for port, intervals in ((ANY_PORT, every), *sorted(by_port.items())):
        for span in day_spans(intervals):
            rows.append(
                {
                    "person_id": person["person_id"],
                    "port": port,
                    "first_day": span.first,
                    "last_day": span.last,
                    "audience": audience,
                    "party": person["party"],
                    "category": person["category"],
                    "activity": person["activity"] or "",
                }
            )
    return rows


def _count(net: Counter[tuple[str, Class]], span: Mapping[str, Any], sign: int) -> None:
    cls = (span["audience"], span["party"], span["category"], span["activity"], span["port"])
    net[(span["first_day"], cls)] += sign
    if span["last_day"] is not None:
        net[(_day_after(span["last_day"]), cls)] -= sign


async def refresh(conn: AsyncConnection, person_ids: Sequence[str]) -> None:
    """Recount these persons' days from their current person row, grants and stays."""
    if not person_ids:
        return
    net: Counter[tuple[str, Class]] = Counter()
    audiences: set[str] = set()
    api = CHANNEL_BITS[Channel.API]
    for start in range(0, len(person_ids), CHUNK):
        ids = list(person_ids[start : start + CHUNK])
        # Stays and old spans first: most persons an import touches have neither.
        stays: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        sq = select(S.c.person_id, S.c.arrived_at, S.c.departed_at, S.c.port)
        for s in (await conn.execute(sq.where(S.c.person_id.in_(ids)))).all():
            stays[s.person_id].append(dict(s._mapping))
        olds = (await conn.execute(select(SPANS).where(SPANS.c.person_id.in_(ids)))).all()
        for old in olds:
            _count(net, dict(old._mapping), -1)
        if olds:
            await conn.execute(delete(SPANS).where(SPANS.c.person_id.in_(ids)))
        if not stays:
            continue
        q = select(P.c.person_id, P.c.seq, P.c.party, P.c.category, P.c.activity)
        here = q.where(P.c.person_id.in_(sorted(stays)), P.c.revoked.is_(False))
        persons_by_id = {r.person_id: dict(r._mapping) for r in (await conn.execute(here)).all()}
        if not persons_by_id:
            continue
        tokens: dict[int, set[str]] = defaultdict(set)
        seqs = [int(p["seq"]) for p in persons_by_id.values()]
        g = select(grants.c.seq, grants.c.token).where(
            grants.c.seq.in_(seqs), grants.c.channels.op("&")(api) != 0
        )
        for seq, token in (await conn.execute(g)).all():
            tokens[seq].add(token)
        rows = []
        for pid, person in persons_by_id.items():
            granted = tokens.get(int(person["seq"]))
            if not granted or not stays.get(pid):
                continue  # withheld from everyone, or never here
            audience = json.dumps(sorted(granted))
            audiences.add(audience)
            rows += person_spans(person, audience, stays[pid])
        if rows:
            await conn.execute(insert(SPANS), rows)
            for row in rows:
                _count(net, row, +1)
    await _apply(conn, net, audiences)


def day_rows(net: Counter[tuple[str, Class]]) -> list[dict[str, Any]]:
    """Rows of `personnel_presence_days` for the non-zero changes."""
    return [
        {
            "day": day,
            "audience": cls[0],
            "party": cls[1],
            "category": cls[2],
            "activity": cls[3],
            "port": cls[4],
            "delta": delta,
        }
        for (day, cls), delta in sorted(net.items())
        if delta
    ]


def counted(spans: Iterable[Mapping[str, Any]]) -> Counter[tuple[str, Class]]:
    """The day changes of spans (for a backfill: `refresh` works on differences)."""
    net: Counter[tuple[str, Class]] = Counter()
    for span in spans:
        _count(net, span, +1)
    return net


async def _apply(
    conn: AsyncConnection, net: Counter[tuple[str, Class]], audiences: set[str]
) -> None:
    """Add the net changes to the day counts (one upsert), note any new audience."""
    changes = day_rows(net)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    if changes:
        stmt = dialect.insert(DAYS)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.name for c in DAYS.primary_key.columns],
            set_={"delta": DAYS.c.delta + stmt.excluded.delta},
        )
        await conn.execute(stmt, changes)
    if audiences:
        new = dialect.insert(AUDIENCES).on_conflict_do_nothing()
        await conn.execute(new, [{"audience": a} for a in sorted(audiences)])
