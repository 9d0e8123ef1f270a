"""Keep grants right when what a record refers to changes.

An object is released only when everything it refers to is. A record's grants are computed
when it is written, from the audiences of the objects it refers to that this node holds; when
one of those objects arrives later or gets a new current version with another audience, the
grants of every object referring to it (and of what refers to those, transitively) are
recomputed in the same transaction. Refs are kept per object (the union over its versions),
which can only make a version more restricted, never less.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.ledger import stix
from acuerdo.ledger.access import (
    audience_from_json,
    audience_to_json,
    audience_with_refs,
    grant_rows,
)
from acuerdo.ledger.tables import grants, ledger, objects, refs
from acuerdo.ledger.types import PERSONAL_TYPES
from acuerdo.markings import MarkingCatalog
from acuerdo.release import Audience, RecordFacts, RecordKind, SharingPolicy

MAX_DEPTH = 16


async def propagate(
    conn: AsyncConnection, changed: set[str], catalog: MarkingCatalog, policy: SharingPolicy
) -> None:
    """Recompute grants of everything that refers, directly or not, to a changed object."""
    frontier, rounds = set(changed), 0
    while frontier and rounds < MAX_DEPTH:
        rounds += 1
        sources: set[str] = set()
        ids = sorted(frontier)
        for i in range(0, len(ids), 500):
            q = select(refs.c.src_id).where(refs.c.dst_id.in_(ids[i : i + 500])).distinct()
            sources.update((await conn.execute(q)).scalars())
        frontier = set()
        for src in sorted(sources):
            if await _recompute(conn, src, catalog, policy):
                frontier.add(src)


async def _recompute(
    conn: AsyncConnection, object_id: str, catalog: MarkingCatalog, policy: SharingPolicy
) -> bool:
    """Recompute one object's grants; True when its current audience changed."""
    obj = (await conn.execute(select(objects).where(objects.c.object_id == object_id))).first()
    if obj is None:
        return False
    dsts = list(
        (await conn.execute(select(refs.c.dst_id).where(refs.c.src_id == object_id))).scalars()
    )
    ref_auds: list[Audience | None] = [
        audience_from_json(r.audience)
        for r in await conn.execute(
            select(objects.c.audience).where(
                objects.c.object_id.in_(dsts), objects.c.object_type.not_in(PERSONAL_TYPES)
            )
        )
    ]
    versions = (await conn.execute(select(ledger).where(ledger.c.object_id == object_id))).all()
    rows: list[dict[str, object]] = []
    current_json: str | None = None
    newest: dict[str, tuple[str, dict[str, object]]] = {}  # token -> (version key, row)
    for v in versions:
        aud = _version_audience(v, ref_auds, catalog, policy)
        for row in grant_rows(aud, seq=v.seq, object_type=v.object_type, current=False):
            rows.append(row)
            token = str(row["token"])
            if token not in newest or newest[token][0] < v.version_key:
                newest[token] = (v.version_key, row)
        if v.seq == obj.current_seq:
            current_json = audience_to_json(aud)
    for _, row in newest.values():
        row["current"] = True  # per token: the newest version that token may see
    await conn.execute(delete(grants).where(grants.c.seq.in_([v.seq for v in versions])))
    if rows:
        await conn.execute(grants.insert(), rows)
    if current_json == obj.audience:
        return False
    await conn.execute(
        update(objects).where(objects.c.object_id == object_id).values(audience=current_json)
    )
    return True


def _version_audience(
    v: Row[Any], ref_auds: list[Audience | None], catalog: MarkingCatalog, policy: SharingPolicy
) -> Audience | None:
    facts = RecordFacts(
        type=v.object_type,
        kind=RecordKind(v.kind),
        holder=v.holder,
        author=v.author,
        marking_ids=stix.marking_refs(json.loads(v.body))
        | frozenset(json.loads(v.applied_markings)),
    )
    return audience_with_refs(facts, ref_auds, catalog, policy)
