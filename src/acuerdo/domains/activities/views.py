"""Activities as a user may see them: summaries with state, notice, flags and conflicts.

Every answer goes through the release gate as SQL: an activity is listed only when the
caller holds a grant for its current version (an indexed EXISTS on `grants`), and its state
is derived again from the decisions and reports the caller may see, so a decision withheld
from them changes nothing they are shown: withheld looks like absent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.domains.activities import rules
from acuerdo.domains.activities.conflict_report import all_conflicts
from acuerdo.domains.activities.conflicts import local_day
from acuerdo.domains.activities.emergency import emergency_status
from acuerdo.domains.activities.gating import gate, object_visible, parse_instant, zone_of
from acuerdo.domains.activities.notice import assess_notice
from acuerdo.domains.activities.state import (
    ActivityFacts,
    DecisionFacts,
    authorised,
    derive,
    state_at,
)
from acuerdo.domains.activities.tables import activities, activity_decisions, activity_reports
from acuerdo.ledger.tables import ledger
from acuerdo.node import Node
from acuerdo.users import User

A, D, R = activities, activity_decisions, activity_reports


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    activity_type: str | None = None
    start: str | None = None  # instants: activities ending after start...
    end: str | None = None  # ...and starting before end


def activity_query(user: User, f: Filters) -> Select[Any]:
    q = select(A).where(gate(user)(A))
    if f.activity_type:
        q = q.where(A.c.activity_type == f.activity_type)
    if f.start:
        q = q.where(A.c.end_at > f.start)
    if f.end:
        q = q.where(A.c.start_at < f.end)
    return q


async def _visible_decisions(
    conn: AsyncConnection, user: User, ids: Sequence[str]
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    if not ids:
        return out
    q = select(D).where(D.c.activity_id.in_(list(ids)), object_visible(user, D.c.decision_id))
    for d in await conn.execute(q):
        out.setdefault(d.activity_id, []).append(d)
    return out


async def _visible_reports(
    conn: AsyncConnection, user: User, ids: Sequence[str]
) -> dict[str, list[tuple[str, str, bool]]]:
    out: dict[str, list[tuple[str, str, bool]]] = {}
    if not ids:
        return out
    q = select(R.c.activity_id, R.c.report_id, R.c.owner, R.c.revoked).where(
        R.c.activity_id.in_(list(ids)), object_visible(user, R.c.report_id)
    )
    for r in await conn.execute(q):
        out.setdefault(r.activity_id, []).append((r.report_id, r.owner, r.revoked))
    return out


class Summariser:
    """Turns activity rows into what a user is shown, at one instant."""

    def __init__(self, node: Node, user: User, now: datetime) -> None:
        self.node, self.user, self.now = node, user, now
        self.agreement = node.agreement
        self.zone = zone_of(node)
        self.now_text = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _derived(self, row: Any, decisions: list[Any], reports: list[Any]) -> Any:
        needs = rules.needs_approval(self.agreement, row.activity_type)
        facts = ActivityFacts(row.sha256, row.lifecycle, row.revoked, needs)
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
                    type_id=row.activity_type,
                    emergency=row.emergency,
                ),
                revoked=d.revoked,
            )
            for d in decisions
        ]
        reported = any(owner == row.proposer and not revoked for _, owner, revoked in reports)
        return derive(facts, considered, reported), needs

    def summary(self, row: Any, decisions: list[Any], reports: list[Any]) -> dict[str, Any]:
        out, needs = self._derived(row, decisions, reports)
        start = parse_instant(row.start_at)
        receipt = parse_instant(row.proposed_at) if row.proposed_at else None
        host = self.agreement.host_party.code
        notice = assess_notice(
            self.agreement,
            type_id=row.activity_type,
            emergency=row.emergency,
            receipt=receipt,
            start=start,
            host_recorded=self.node.party == host,
        )
        flags: list[str] = []
        emergency = None
        if row.emergency and rules.emergency_allowed(self.agreement, row.activity_type):
            urgent = out.emergency_decision
            emergency = emergency_status(
                self.agreement,
                receipt=receipt,
                decided_at=None if urgent is None else parse_instant(urgent.decided_at),
                regularised=out.regularised,
            )
            if emergency is not None:
                flags += emergency.flags(self.now)
        if notice is not None and notice.late and not (emergency and out.emergency_decision):
            flags.append("late-notice")
        now_state = state_at(out.state, needs, row.start_at, self.now_text)
        if out.state in ("proposed", "information-requested") and needs and start <= self.now:
            flags.append("started-without-approval")
        chosen = out.decision
        return {
            "id": row.activity_id,
            "title": row.title,
            "activity_type": row.activity_type,
            "proposer": row.proposer,
            "version": row.version_key[2:],
            "sha256": row.sha256,
            "state": now_state,
            "recorded_state": out.state,
            "needs_approval": needs,
            "authorised": authorised(out.state, needs) or out.state == "completed",
            "emergency": row.emergency,
            "start": row.start_at,
            "end": row.end_at,
            "first_day": local_day(row.start_at, self.zone),
            "last_day": local_day(row.end_at, self.zone),
            "personnel_count": row.personnel_count,
            "regions": json.loads(row.regions),
            "arms": row.arms,
            "decision": None
            if chosen is None
            else {
                "id": chosen.decision_id,
                "outcome": chosen.outcome,
                "path": chosen.path,
                "decided_at": chosen.decided_at,
            },
            "notice": None if notice is None else notice.to_json(),
            "emergency_path": None if emergency is None else emergency.to_json(),
            "flags": flags,
        }

    async def summaries(self, conn: AsyncConnection, rows: Sequence[Any]) -> list[dict[str, Any]]:
        ids = [r.activity_id for r in rows]
        decisions = await _visible_decisions(conn, self.user, ids)
        reports = await _visible_reports(conn, self.user, ids)
        return [
            self.summary(r, decisions.get(r.activity_id, []), reports.get(r.activity_id, []))
            for r in rows
        ]


async def list_activities(
    node: Node,
    user: User,
    *,
    now: datetime,
    filters: Filters = Filters(),
    after: str | None = None,
    limit: int = 100,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of activities (ordered by start, then id) with state at `now` and flags."""
    q = activity_query(user, filters).order_by(A.c.start_at, A.c.activity_id)
    if after:
        q = _after(q, *after.partition("|")[::2])
    wanted = filters.state
    out: list[dict[str, Any]] = []
    # The state shown depends on the clock and the caller, so a state filter applies here,
    # reading rows in batches until the page is full; `next` is the last row shown.
    batch = limit if wanted is None else max(limit, 500)
    async with node.engines.reader.connect() as conn:
        summariser = Summariser(node, user, now)
        while True:
            rows = (await conn.execute(q.limit(batch))).all()
            for row, s in zip(rows, await summariser.summaries(conn, rows), strict=True):
                if wanted is None or s["state"] == wanted:
                    out.append(s)
                    if len(out) == limit:
                        return out, f"{row.start_at}|{row.activity_id}"
            if len(rows) < batch:
                return out, None
            q = _after(q, rows[-1].start_at, rows[-1].activity_id)


def _after(q: Select[Any], start: str, activity_id: str) -> Select[Any]:
    """Rows after (start, id) in the list's order."""
    later = (A.c.start_at == start) & (A.c.activity_id > activity_id)
    return q.where((A.c.start_at > start) | later)


async def one_activity(node: Node, user: User, activity_id: str, now: datetime) -> Any:
    """The summary of one activity with its decisions and conflicts, or None when the caller
    may not see it (exactly as when it does not exist)."""
    async with node.engines.reader.connect() as conn:
        row = (
            await conn.execute(
                activity_query(user, Filters()).where(A.c.activity_id == activity_id)
            )
        ).first()
        if row is None:
            return None
        summariser = Summariser(node, user, now)
        (summary,) = await summariser.summaries(conn, [row])
        decided = (await _visible_decisions(conn, user, [activity_id])).get(activity_id, [])
        summary["decisions"] = [
            {
                "id": d.decision_id,
                "outcome": d.outcome,
                "path": d.path,
                "agency": d.agency,
                "decided_at": d.decided_at,
                "on_current_version": d.activity_sha256 == row.sha256,
            }
            for d in sorted(decided, key=lambda d: (d.decided_at, d.decision_id))
        ]
        found = await all_conflicts(node, user, conn=conn, activity_ids=[activity_id])
        summary["conflicts"] = [c.to_json() for c in found]
    return summary


async def visible_bodies(node: Node, user: User, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Current bodies of activities the caller may see (the gated row names the version)."""
    out: dict[str, dict[str, Any]] = {}
    async with node.engines.reader.connect() as conn:
        for i in range(0, len(ids), 400):
            q = (
                select(A.c.activity_id, ledger.c.body)
                .join(ledger, ledger.c.seq == A.c.seq)
                .where(A.c.activity_id.in_(list(ids[i : i + 400])), gate(user)(A))
            )
            out.update({r[0]: json.loads(r[1]) for r in await conn.execute(q)})
    return out
