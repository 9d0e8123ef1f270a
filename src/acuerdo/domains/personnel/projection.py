"""The personnel projector: keeps persons, orders, events and stays in the write transaction.

Every table row keeps the current version of its record (greatest version key) whatever
order versions arrive in; what depends on several records (a person's coverage decision on
its personal data, its order window, its stays) is recomputed from those rows each time one
of them changes, never patched incrementally, so arrival order cannot leak into the result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.agreement import Agreement
from acuerdo.domains.personnel.coverage import PERSON, PERSONAL, decide
from acuerdo.domains.personnel.presence import Event, derive_stays
from acuerdo.domains.personnel.tables import (
    personnel_events,
    personnel_order_persons,
    personnel_orders,
    personnel_persons,
    personnel_stays,
)
from acuerdo.ledger import stix
from acuerdo.ledger.tables import ledger
from acuerdo.ledger.writes import Projected

ORDER = "acuerdo-movement-order"
MOVEMENT = "acuerdo-movement"
CONFIRMATION = "acuerdo-movement-confirmation"
TYPES = frozenset({PERSON, PERSONAL, ORDER, MOVEMENT, CONFIRMATION})


def _instant(value: Any) -> str:
    return stix.format_instant(stix.parse_timestamp(value, "time"))


async def _newer(conn: AsyncConnection, table: Table, key: str, p: Projected) -> bool | None:
    """True to update, None to insert, False when the stored version is as new or newer."""
    col = table.c[key]
    row = (await conn.execute(select(table.c.version_key).where(col == p.draft.object_id))).first()
    if row is None:
        return None
    return bool(p.draft.version_key > row[0])


async def _store(
    conn: AsyncConnection, table: Table, key: str, p: Projected, values: Mapping[str, Any]
) -> bool:
    """Keep the version if it is the newest seen; say whether it was kept."""
    newer = await _newer(conn, table, key, p)
    if newer is False:
        return False
    row = {key: p.draft.object_id, "version_key": p.draft.version_key, **values}
    if newer is None:
        await conn.execute(insert(table).values(**row))
    else:
        await conn.execute(update(table).where(table.c[key] == p.draft.object_id).values(**row))
    return True


def _chunks(ids: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


async def _current_bodies(
    conn: AsyncConnection, object_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The newest stored version's body of each object (internal use: never handed out)."""
    if not object_ids:
        return {}
    q = select(ledger.c.object_id, ledger.c.version_key, ledger.c.body).where(
        ledger.c.object_id.in_(object_ids)
    )
    newest: dict[str, tuple[str, bytes]] = {}
    for oid, key, body in await conn.execute(q):
        if oid not in newest or key > newest[oid][0]:
            newest[oid] = (key, body)
    return {oid: json.loads(body) for oid, (_, body) in newest.items()}


class PersonnelProjector:
    """Projector for the personnel record types (acuerdo.ledger.writes.Projector)."""

    def __init__(self, agreement: Agreement) -> None:
        self.agreement = agreement

    async def project(
        self, conn: AsyncConnection, dialect: str, versions: Sequence[Projected]
    ) -> None:
        del dialect
        decide_for: set[str] = set()
        window_for: set[str] = set()
        stays_for: set[str] = set()
        for p in versions:
            t = p.draft.object_type
            if t not in TYPES:
                continue
            if t == PERSON:
                if await self._person(conn, p):
                    decide_for.add(p.draft.object_id)
                    window_for.add(p.draft.object_id)
            elif t == PERSONAL:
                q = select(personnel_persons.c.person_id).where(
                    personnel_persons.c.personal_data_ref == p.draft.object_id
                )
                decide_for.update((await conn.execute(q)).scalars())
            elif t == ORDER:
                window_for.update(await self._order(conn, p))
            else:
                stays_for.update(await self._event(conn, p))
        for chunk in _chunks(sorted(decide_for)):
            await self._decide_many(conn, chunk)
        for chunk in _chunks(sorted(window_for)):
            await self._window_many(conn, chunk)
        for person_id in sorted(stays_for):
            await self._stays(conn, person_id)

    async def _person(self, conn: AsyncConnection, p: Projected) -> bool:
        o = p.draft.obj
        values = {
            "seq": p.seq,
            "party": str(o["party"]),
            "category": str(o["category"])[:64],
            "personal_data_ref": str(o["personal_data_ref"]),
            "revoked": p.draft.revoked,
            "outcome": "undetermined",
            "covered": False,
            "status": None,
            "reasons": "[]",
            "agreement_hash": self.agreement.hash,
        }
        return await _store(conn, personnel_persons, "person_id", p, values)

    async def _decide_many(self, conn: AsyncConnection, person_ids: Sequence[str]) -> None:
        """Decide coverage from each person's current version and its personal data (one
        read of the bodies and one batched update, however many persons)."""
        persons = await _current_bodies(conn, person_ids)
        refs = sorted({str(b["personal_data_ref"]) for b in persons.values()})
        personals = await _current_bodies(conn, refs)
        rows = []
        for pid, person in persons.items():
            personal = personals.get(str(person["personal_data_ref"]))
            if personal is not None and "salt" not in personal:
                personal = None  # an erased stub: its facts are gone
            d = decide(self.agreement, person, personal)
            rows.append(
                {
                    "b_id": pid,
                    "b_outcome": d.outcome,
                    "b_covered": d.covered,
                    "b_status": d.status,
                    "b_reasons": d.reasons_json(),
                    "b_hash": d.agreement_hash,
                    "b_nid": None if personal is None else "national_id" in personal,
                }
            )
        if rows:
            P = personnel_persons
            stmt = (
                update(P)
                .where(P.c.person_id == bindparam("b_id"))
                .values(
                    outcome=bindparam("b_outcome"),
                    covered=bindparam("b_covered"),
                    status=bindparam("b_status"),
                    reasons=bindparam("b_reasons"),
                    agreement_hash=bindparam("b_hash"),
                    has_national_id=bindparam("b_nid"),
                )
            )
            await conn.execute(stmt, rows)

    async def _order(self, conn: AsyncConnection, p: Projected) -> set[str]:
        o = p.draft.obj
        persons = sorted(str(x) for x in o.get("person_refs", []))
        old = set(
            (
                await conn.execute(
                    select(personnel_order_persons.c.person_id).where(
                        personnel_order_persons.c.order_id == p.draft.object_id
                    )
                )
            ).scalars()
        )
        values = {
            "revoked": p.draft.revoked,
            "valid_from": str(o["valid_from"])[:10],
            "valid_until": str(o["valid_until"])[:10],
            "activity": str(o.get("activity_ref") or o.get("purpose", ""))[:300],
            "persons": json.dumps(persons),
        }
        if not await _store(conn, personnel_orders, "order_id", p, values):
            return set()
        await conn.execute(
            delete(personnel_order_persons).where(
                personnel_order_persons.c.order_id == p.draft.object_id
            )
        )
        if not p.draft.revoked and persons:
            await conn.execute(
                insert(personnel_order_persons),
                [{"person_id": x, "order_id": p.draft.object_id} for x in persons],
            )
        return old | set(persons)

    async def _window_many(self, conn: AsyncConnection, person_ids: Sequence[str]) -> None:
        """Each person's order window and activity, from every current unrevoked order."""
        o, op = personnel_orders, personnel_order_persons
        q = (
            select(op.c.person_id, o.c.valid_from, o.c.valid_until, o.c.activity)
            .join(op, op.c.order_id == o.c.order_id)
            .where(op.c.person_id.in_(person_ids), o.c.revoked.is_(False))
            .order_by(op.c.person_id, o.c.valid_until, o.c.order_id)
        )
        found: dict[str, list[Any]] = {pid: [] for pid in person_ids}
        for r in await conn.execute(q):
            found[r[0]].append(r)
        P = personnel_persons
        stmt = (
            update(P)
            .where(P.c.person_id == bindparam("b_id"))
            .values(
                valid_from=bindparam("b_from"),
                valid_until=bindparam("b_until"),
                activity=bindparam("b_activity"),
            )
        )
        rows = [
            {
                "b_id": pid,
                "b_from": min((r[1] for r in got), default=None),
                "b_until": got[-1][2] if got else None,
                "b_activity": got[-1][3] if got else None,
            }
            for pid, got in found.items()
        ]
        await conn.execute(stmt, rows)

    async def _event(self, conn: AsyncConnection, p: Projected) -> set[str]:
        o = p.draft.obj
        person_id = str(o["person_ref"])
        old = (
            await conn.execute(
                select(personnel_events.c.person_id).where(
                    personnel_events.c.event_id == p.draft.object_id
                )
            )
        ).scalar()
        notified = p.draft.object_type == MOVEMENT or isinstance(o.get("movement"), Mapping)
        values = {
            "person_id": person_id,
            "notified": notified,
            "direction": str(o["direction"]),
            "at": _instant(o["time"]),
            "port": str(o["port"]["name"])[:200],
            "order_ref": o.get("order_ref"),
            "revoked": p.draft.revoked,
        }
        if not await _store(conn, personnel_events, "event_id", p, values):
            return set()
        return {person_id} | ({old} if old else set())

    async def _stays(self, conn: AsyncConnection, person_id: str) -> None:
        e = personnel_events
        q = select(e.c.event_id, e.c.notified, e.c.direction, e.c.at, e.c.port, e.c.order_ref)
        rows = (
            await conn.execute(q.where(e.c.person_id == person_id, e.c.revoked.is_(False)))
        ).all()
        stays = derive_stays(Event(*r) for r in rows)
        await conn.execute(delete(personnel_stays).where(personnel_stays.c.person_id == person_id))
        if stays:
            await conn.execute(
                insert(personnel_stays),
                [{"person_id": person_id, **s.__dict__} for s in stays],
            )
