"""The personnel projector: keeps persons, orders, events and stays in the write transaction.

Every table row keeps the current version of its record (greatest version key) whatever
order versions arrive in; what depends on several records (a person's coverage decision on
its personal data, its order window, its stays) is recomputed from those rows each time one
of them changes, never patched incrementally, so arrival order cannot leak into the result.

The projector works per transaction, not per version: an import of thousands of persons is
one pass per table (acuerdo.domains.personnel.projection_rows), and each person's decision,
window and stays are recomputed once however many of its records the transaction holds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.agreement import Agreement
from acuerdo.domains.personnel import presence_days
from acuerdo.domains.personnel.coverage import PERSON, PERSONAL, CoverageDecision, decide, facts_key
from acuerdo.domains.personnel.presence import Event, derive_stays, match_window
from acuerdo.domains.personnel.projection_rows import (
    chunks,
    current_bodies,
    newest_of_batch,
    plan_newest,
    write_kept,
)
from acuerdo.domains.personnel.tables import (
    personnel_events,
    personnel_order_persons,
    personnel_orders,
    personnel_persons,
    personnel_stays,
)
from acuerdo.ledger import stix
from acuerdo.ledger.rowio import insert_rows
from acuerdo.ledger.writes import Projected

ORDER = "acuerdo-movement-order"
MOVEMENT = "acuerdo-movement"
CONFIRMATION = "acuerdo-movement-confirmation"
TYPES = frozenset({PERSON, PERSONAL, ORDER, MOVEMENT, CONFIRMATION})
P = personnel_persons
DECISION_CACHE = 4096


def _instant(value: Any) -> str:
    return stix.format_instant(stix.parse_timestamp(value, "time"))


def _order_values(p: Projected) -> dict[str, Any]:
    o = p.draft.obj
    return {
        "revoked": p.draft.revoked,
        "valid_from": str(o["valid_from"])[:10],
        "valid_until": str(o["valid_until"])[:10],
        "activity": str(o.get("activity_ref") or o.get("purpose", ""))[:300],
        "persons": json.dumps(sorted(str(x) for x in o.get("person_refs", []))),
    }


def _event_values(p: Projected) -> dict[str, Any]:
    o = p.draft.obj
    return {
        "person_id": str(o["person_ref"]),
        "notified": p.draft.object_type == MOVEMENT or isinstance(o.get("movement"), Mapping),
        "direction": str(o["direction"]),
        "at": _instant(o["time"]),
        "port": str(o["port"]["name"])[:200],
        "order_ref": o.get("order_ref"),
        "revoked": p.draft.revoked,
    }


class PersonnelProjector:
    """Projector for the personnel record types (acuerdo.ledger.writes.Projector)."""

    def __init__(self, agreement: Agreement) -> None:
        self.agreement = agreement
        self.window = match_window(agreement)
        # Decisions by the facts they rest on: thousands of imported persons share a few.
        self._decisions: dict[Hashable, CoverageDecision] = {}

    async def project(
        self, conn: AsyncConnection, dialect: str, versions: Sequence[Projected]
    ) -> None:
        del dialect
        of: dict[str, list[Projected]] = defaultdict(list)
        for p in versions:
            if p.draft.object_type in TYPES:
                of[p.draft.object_type].append(p)
        if not of:
            return
        # Nothing stored before this transaction refers to what it writes (the writer read
        # the references): no stored person names its personal data, no stored movement its
        # persons. An import's new rows are so; their lookups would all find nothing.
        stored_referrers = versions[0].facts.referenced
        plan = await plan_newest(conn, P, "person_id", of[PERSON], self._person_values)
        decide_for = {k.version.draft.object_id for k in plan.kept}
        window_for = set(decide_for)
        if stored_referrers:
            decide_for |= await _persons_with_personal_data(conn, of[PERSONAL])
        known = newest_of_batch(of[PERSON] + of[PERSONAL])
        decided = await self._decide(conn, sorted(decide_for), known)
        # The order links first: a person whose row this transaction makes is inserted with
        # its decision and its window (an import writes an order with its last person).
        window_for |= await _orders(conn, of[ORDER])
        windows = await _windows(conn, sorted(window_for))
        for row in plan.inserts:
            row.update(decided.pop(row["person_id"], {}))
            row.update(windows.pop(row["person_id"], _NO_WINDOW))
        for row in plan.updates:
            row.update({f"b_{k}": v for k, v in decided.pop(row["b_person_id"], {}).items()})
        await write_kept(conn, plan)
        await _update_persons(conn, decided)  # their decisions, then their windows
        await _update_persons(conn, windows)
        stays_for = await _events(conn, of[MOVEMENT] + of[CONFIRMATION])
        await _stays(conn, sorted(stays_for), self.window)
        # A person first stored now, with no stays made now and no movement stored before,
        # has no days to count, before or after.
        dayless: set[str] = set()
        if not stored_referrers:
            dayless = {p.draft.object_id for p in of[PERSON] if p.new_object} - stays_for
        await presence_days.refresh(conn, sorted((decide_for | window_for | stays_for) - dayless))

    def _person_values(self, p: Projected) -> dict[str, Any]:
        o = p.draft.obj
        return {
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
            "has_national_id": None,
        }

    async def _decide(
        self, conn: AsyncConnection, person_ids: Sequence[str], known: Mapping[str, Projected]
    ) -> dict[str, dict[str, Any]]:
        """Decide coverage from each person's current version and its personal data: the
        decision's columns by person (for the caller to store)."""
        decided: dict[str, dict[str, Any]] = {}
        for chunk in chunks(person_ids):
            persons = await current_bodies(conn, chunk, known)
            refs = {str(b["personal_data_ref"]) for b in persons.values()}
            personals = await current_bodies(conn, refs, known)
            for pid, person in persons.items():
                personal = personals.get(str(person["personal_data_ref"]))
                if personal is not None and "salt" not in personal:
                    personal = None  # an erased stub: its facts are gone
                decided[pid] = _decision_columns(self._decision(person, personal), personal)
        return decided

    def _decision(
        self, person: Mapping[str, Any], personal: Mapping[str, Any] | None
    ) -> CoverageDecision:
        """The agreement's decision, evaluated once per distinct set of facts."""
        key = facts_key(person, personal)
        found = self._decisions.get(key)
        if found is None:
            if len(self._decisions) >= DECISION_CACHE:
                self._decisions.clear()
            found = self._decisions[key] = decide(self.agreement, person, personal)
        return found


def _decision_columns(d: CoverageDecision, personal: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        "outcome": d.outcome,
        "covered": d.covered,
        "status": d.status,
        "reasons": d.reasons_json(),
        "agreement_hash": d.agreement_hash,
        "has_national_id": None if personal is None else "national_id" in personal,
    }


async def _update_persons(conn: AsyncConnection, values: Mapping[str, Mapping[str, Any]]) -> None:
    """Update columns of persons whose rows exist already (every person the same columns)."""
    if not values:
        return
    columns = next(iter(values.values()))
    stmt = (
        update(P)
        .where(P.c.person_id == bindparam("b_id"))
        .values({c: bindparam(f"b_{c}") for c in columns})
    )
    rows = [
        {"b_id": pid, **{f"b_{c}": v for c, v in person.items()}}
        for pid, person in sorted(values.items())
    ]
    for chunk in chunks(rows):
        await conn.execute(stmt, list(chunk))


async def _persons_with_personal_data(
    conn: AsyncConnection, versions: Sequence[Projected]
) -> set[str]:
    """Persons whose decision a new personal-data version may change."""
    refs = sorted({p.draft.object_id for p in versions})
    found: set[str] = set()
    for chunk in chunks(refs):
        q = select(P.c.person_id).where(P.c.personal_data_ref.in_(chunk))
        found.update((await conn.execute(q)).scalars())
    return found


async def _orders(conn: AsyncConnection, versions: Sequence[Projected]) -> set[str]:
    """Keep the newest version of each order and its person links; who they concern."""
    OP = personnel_order_persons
    kept = await write_kept(
        conn,
        await plan_newest(
            conn, personnel_orders, "order_id", versions, _order_values, remember=("persons",)
        ),
    )
    affected: set[str] = set()
    links: list[tuple[str, str]] = []
    for k in kept:
        d = k.version.draft
        persons = sorted(str(x) for x in d.obj.get("person_refs", []))
        affected.update(persons)
        if k.before is not None:
            affected.update(json.loads(k.before["persons"]))
        if not d.revoked:
            links.extend((x, d.object_id) for x in persons)
    replaced = sorted(k.version.draft.object_id for k in kept if k.before is not None)
    for chunk in chunks(replaced):
        await conn.execute(delete(OP).where(OP.c.order_id.in_(chunk)))
    await insert_rows(conn, OP.name, ("person_id", "order_id"), links)
    return affected


async def _events(conn: AsyncConnection, versions: Sequence[Projected]) -> set[str]:
    """Keep the newest version of each movement or confirmation; whose stays change."""
    kept = await write_kept(
        conn,
        await plan_newest(
            conn, personnel_events, "event_id", versions, _event_values, remember=("person_id",)
        ),
    )
    affected: set[str] = set()
    for k in kept:
        affected.add(str(k.version.draft.obj["person_ref"]))
        if k.before is not None:
            affected.add(str(k.before["person_id"]))
    return affected


_NO_WINDOW: Mapping[str, Any] = {"valid_from": None, "valid_until": None, "activity": None}


async def _windows(conn: AsyncConnection, person_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each person's order window and activity, from every current unrevoked order (the
    columns, by person; no order leaves them empty)."""
    o, op = personnel_orders, personnel_order_persons
    windows: dict[str, dict[str, Any]] = {}
    for chunk in chunks(person_ids):
        q = (
            select(op.c.person_id, o.c.valid_from, o.c.valid_until, o.c.activity)
            .join(op, op.c.order_id == o.c.order_id)
            .where(op.c.person_id.in_(chunk), o.c.revoked.is_(False))
            .order_by(op.c.person_id, o.c.valid_until, o.c.order_id)
        )
        found: dict[str, list[Any]] = {pid: [] for pid in chunk}
        for r in await conn.execute(q):
            found[r[0]].append(r)
        for pid, got in found.items():
            windows[pid] = {
                "valid_from": min((r[1] for r in got), default=None),
                "valid_until": got[-1][2] if got else None,
                "activity": got[-1][3] if got else None,
            }
    return windows


async def _stays(conn: AsyncConnection, person_ids: Sequence[str], window: timedelta) -> None:
    """Each person's stays, derived again from all their current events."""
    e, S = personnel_events, personnel_stays
    cols = (e.c.person_id, e.c.event_id, e.c.notified, e.c.direction, e.c.at, e.c.port)
    for chunk in chunks(person_ids):
        q = select(*cols, e.c.order_ref).where(e.c.person_id.in_(chunk), e.c.revoked.is_(False))
        events: dict[str, list[Event]] = defaultdict(list)
        for r in await conn.execute(q):
            events[r[0]].append(Event(*r[1:]))
        rows = [
            {"person_id": pid, **s.__dict__}
            for pid in chunk
            for s in derive_stays(events.get(pid, ()), window)
        ]
        await conn.execute(delete(S).where(S.c.person_id.in_(chunk)))
        if rows:
            await conn.execute(insert(S), rows)
