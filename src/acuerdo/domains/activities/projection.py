"""The activity projector: current versions and derived state, in the write transaction.

Each table keeps the greatest version of its records whatever order they arrive in. An
activity's state is recomputed from its current row, the decisions and reports stored for it
(state.derive) every time one of them changes, never patched, so arrival order cannot leak
into it. `proposed_at` is the earliest time this node recorded a proposed version: on the
host's node, the host's receipt of the proposal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.agreement import Agreement
from acuerdo.domains.activities import rules
from acuerdo.domains.activities.records import (
    ACTIVITY,
    AUTHORISATION,
    DECISION,
    PROPOSED,
    REPORT,
    TYPES,
    VersionRef,
    carries_arms,
    headcount,
    instant,
    personnel_of,
    regions_of,
)
from acuerdo.domains.activities.state import ActivityFacts, DecisionFacts, derive
from acuerdo.domains.activities.tables import (
    activities,
    activity_decisions,
    activity_personnel,
    activity_reports,
    authorisations,
)
from acuerdo.ledger.tables import ledger
from acuerdo.ledger.writes import Projected

A, D, R = activities, activity_decisions, activity_reports
KEYS = {ACTIVITY: "activity_id", DECISION: "decision_id", REPORT: "report_id"}
KEYS[AUTHORISATION] = "authorisation_id"
TABLES: dict[str, Table] = {ACTIVITY: A, DECISION: D, REPORT: R, AUTHORISATION: authorisations}


def _chunks(ids: Sequence[str], size: int = 400) -> list[Sequence[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


class ActivityProjector:
    """Projector for the activity record types (acuerdo.ledger.writes.Projector)."""

    def __init__(self, agreement: Agreement) -> None:
        self.agreement = agreement

    async def project(
        self, conn: AsyncConnection, dialect: str, versions: Sequence[Projected]
    ) -> None:
        del dialect
        mine = [p for p in versions if p.draft.object_type in TYPES]
        if not mine:
            return
        received = await _received(conn, [p.seq for p in mine])
        rederive: set[str] = set()
        for otype in (ACTIVITY, DECISION, REPORT, AUTHORISATION):
            batch = [p for p in mine if p.draft.object_type == otype]
            if batch:
                rederive |= await self._store(conn, otype, batch, received)
        for chunk in _chunks(sorted(rederive)):
            await self._derive(conn, chunk)

    async def _store(
        self,
        conn: AsyncConnection,
        otype: str,
        batch: Sequence[Projected],
        received: dict[int, str],
    ) -> set[str]:
        """Keep the newest version of each object; return the activities to re-derive."""
        table, key = TABLES[otype], KEYS[otype]
        ids = sorted({p.draft.object_id for p in batch})
        stored: dict[str, tuple[str, str | None]] = {}
        for chunk in _chunks(ids):
            parent = table.c.activity_id if otype in (DECISION, REPORT) else table.c[key]
            q = select(table.c[key], table.c.version_key, parent).where(table.c[key].in_(chunk))
            stored.update({r[0]: (r[1], r[2]) for r in await conn.execute(q)})
        newest: dict[str, Projected] = {}
        for p in batch:
            oid = p.draft.object_id
            if oid not in newest or p.draft.version_key > newest[oid].draft.version_key:
                newest[oid] = p
        touched: set[str] = set()
        for oid, p in newest.items():
            old = stored.get(oid)
            if old is not None and old[0] >= p.draft.version_key:
                continue
            values = {key: oid, "version_key": p.draft.version_key, **self._values(otype, p)}
            if otype in (DECISION,):
                values["received_at"] = received[p.seq]
            if old is None:
                await conn.execute(insert(table).values(**values))
            else:
                await conn.execute(update(table).where(table.c[key] == oid).values(**values))
            if otype == ACTIVITY:
                await _assign(conn, oid, p)
                touched.add(oid)
            elif otype in (DECISION, REPORT):
                touched.add(str(values["activity_id"]))
                if old is not None and old[1]:
                    touched.add(old[1])
        if otype == ACTIVITY:
            await _proposed_at(conn, batch, received)
        return touched

    def _values(self, otype: str, p: Projected) -> dict[str, Any]:
        o, d = p.draft.obj, p.draft
        if otype == ACTIVITY:
            return {
                "seq": p.seq,
                "sha256": d.sha256,
                "proposer": d.owner,
                "activity_type": str(o["activity_type"]),
                "title": str(o["title"])[:200],
                "lifecycle": str(o["lifecycle"]),
                "emergency": bool(o.get("emergency", False)),
                "revoked": d.revoked,
                "start_at": instant(o["start"], "start"),
                "end_at": instant(o["end"], "end"),
                "personnel_count": headcount(o),
                "regions": json.dumps(regions_of(o)),
                "arms": carries_arms(o),
                "state": PROPOSED,
                "regularised": False,
            }
        if otype == DECISION:
            ref = VersionRef.of(o["activity"])
            return {
                "owner": d.owner,
                "activity_id": ref.object_id,
                "activity_sha256": ref.sha256,
                "outcome": str(o["outcome"]),
                "path": str(o["path"]),
                "agency": str(o["agency"])[:64],
                "decided_at": instant(o["modified"], "modified"),
                "revoked": d.revoked,
            }
        if otype == REPORT:
            return {
                "owner": d.owner,
                "activity_id": str(o["activity"]["id"]),
                "completed_at": instant(o["completed"], "completed"),
                "revoked": d.revoked,
            }
        regions = o.get("regions")
        types = o.get("activity_types")
        return {
            "seq": p.seq,
            "owner": d.owner,
            "revoked": d.revoked,
            "party": str(o["authorised_party"]),
            "reference": str(o["reference"])[:200],
            "valid_from": str(o["valid_from"]),
            "valid_until": str(o["valid_until"]),
            "ceiling": int(o["personnel_ceiling"]),
            "regions": None if regions is None else json.dumps(sorted(regions)),
            "arms_authorised": bool(o["arms_authorised"]),
            "activity_types": None if types is None else json.dumps(sorted(types)),
        }

    async def _derive(self, conn: AsyncConnection, activity_ids: Sequence[str]) -> None:
        """Recompute the state of these activities from their rows (one batched update)."""
        cols = (A.c.activity_id, A.c.sha256, A.c.lifecycle, A.c.revoked, A.c.activity_type)
        more = (A.c.emergency, A.c.proposer)
        q0 = select(*cols, *more).where(A.c.activity_id.in_(activity_ids))
        rows = (await conn.execute(q0)).all()
        if not rows:
            return
        decided: dict[str, list[Any]] = {}
        q = select(D).where(D.c.activity_id.in_(activity_ids))
        for d in await conn.execute(q):
            decided.setdefault(d.activity_id, []).append(d)
        reports: dict[str, list[Any]] = {}
        q2 = select(R).where(R.c.activity_id.in_(activity_ids), R.c.revoked.is_(False))
        for r in await conn.execute(q2):
            reports.setdefault(r.activity_id, []).append(r)
        updates = [
            self._derived(row, decided.get(row[0], []), reports.get(row[0], [])) for row in rows
        ]
        stmt = (
            update(A)
            .where(A.c.activity_id == bindparam("b_id"))
            .values(
                state=bindparam("b_state"),
                decision_id=bindparam("b_decision"),
                decided_at=bindparam("b_decided"),
                decision_received_at=bindparam("b_received"),
                emergency_decided_at=bindparam("b_emergency"),
                regularised=bindparam("b_regularised"),
                report_id=bindparam("b_report"),
            )
        )
        await conn.execute(stmt, updates)

    def _derived(self, row: Any, decisions: list[Any], reports: list[Any]) -> dict[str, Any]:
        activity_id, sha, lifecycle, revoked, type_id, emergency, proposer = row
        facts = ActivityFacts(
            sha, lifecycle, revoked, rules.needs_approval(self.agreement, type_id)
        )
        received = {d.decision_id: d.received_at for d in decisions}
        considered = [
            DecisionFacts(
                d.decision_id,
                d.activity_sha256,
                d.outcome,
                d.path,
                d.decided_at,
                valid=rules.decision_counts(
                    self.agreement,
                    owner=d.owner,
                    path=d.path,
                    agency=d.agency,
                    type_id=type_id,
                    emergency=emergency,
                ),
                revoked=d.revoked,
            )
            for d in decisions
        ]
        closing = sorted(r.report_id for r in reports if r.owner == proposer)
        out = derive(facts, considered, bool(closing))
        chosen, urgent = out.decision, out.emergency_decision
        return {
            "b_id": activity_id,
            "b_state": out.state,
            "b_decision": None if chosen is None else chosen.decision_id,
            "b_decided": None if chosen is None else chosen.decided_at,
            "b_received": None if chosen is None else received[chosen.decision_id],
            "b_emergency": None if urgent is None else urgent.decided_at,
            "b_regularised": out.regularised,
            "b_report": closing[0] if closing else None,
        }


async def _received(conn: AsyncConnection, seqs: Sequence[int]) -> dict[int, str]:
    """When this node recorded each version (the ledger's receipt time, kept beside it)."""
    out: dict[int, str] = {}
    ordered = sorted(set(seqs))
    for i in range(0, len(ordered), 400):
        q = select(ledger.c.seq, ledger.c.received_at).where(ledger.c.seq.in_(ordered[i : i + 400]))
        out.update({int(r[0]): str(r[1]) for r in await conn.execute(q)})
    return out


async def _proposed_at(
    conn: AsyncConnection, batch: Sequence[Projected], received: dict[int, str]
) -> None:
    """Keep the earliest receipt of a proposed version, whichever version arrives first."""
    earliest: dict[str, str] = {}
    for p in batch:
        if p.draft.obj.get("lifecycle") == PROPOSED:
            at = received[p.seq]
            oid = p.draft.object_id
            earliest[oid] = min(earliest.get(oid, at), at)
    for oid, at in earliest.items():
        await conn.execute(
            update(A)
            .where(A.c.activity_id == oid, (A.c.proposed_at.is_(None)) | (A.c.proposed_at > at))
            .values(proposed_at=at)
        )


async def _assign(conn: AsyncConnection, activity_id: str, p: Projected) -> None:
    """The persons of the activity's current version replace those of the one before."""
    P = activity_personnel
    await conn.execute(delete(P).where(P.c.activity_id == activity_id))
    rows = [
        {"activity_id": activity_id, "person_id": pid, "order_id": order}
        for pid, order in personnel_of(p.draft.obj).items()
    ]
    if rows:
        await conn.execute(insert(P), rows)
