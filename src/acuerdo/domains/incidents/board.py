"""The Joint Committee's view: open cases, claims, consultations, disputes, and what is late.

Everything here is read through the release gate for one user: a case the user may not see
is absent from every list and count. Decisions are computed at one instant, ``now`` (an
API caller may pass another, to see what will be late). Sections that other domains own
(pending activities, from the activities domain's projection) plug in as ``SectionSource``
functions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import JsonValue

from acuerdo.domains.incidents.claims import OPEN_STATUSES, decide_claim
from acuerdo.domains.incidents.decision import CaseDecision, decide_case
from acuerdo.domains.incidents.loading import GatedSource, current, load_case
from acuerdo.domains.incidents.pending import pending_activities
from acuerdo.domains.incidents.records import (
    CLAIM,
    CONSULTATION,
    DISPUTE,
    INCIDENT,
    RECEIPT_NOTE,
)
from acuerdo.ledger import stix
from acuerdo.node import Node
from acuerdo.users import User

#: A section of the view another domain provides: its items for this user at this instant.
SectionSource = Callable[[Node, User, datetime], Awaitable[list[dict[str, JsonValue]]]]

#: The sections other domains provide by default (each row: id, owner, topic, summary).
DEFAULT_SECTIONS: Mapping[str, SectionSource] = {"pending_activities": pending_activities}


async def cases(node: Node, user: User, now: datetime) -> list[CaseDecision]:
    """Every incident the user may see, decided at ``now``, oldest first."""
    source = GatedSource(node, user)
    found = []
    for incident_id in await source.of_type(INCIDENT):
        loaded = await load_case(source, incident_id)
        if loaded is not None:
            decided = decide_case(
                node.agreement, loaded.incident, loaded.records, loaded.persons, now
            )
            found.append(decided)
    return sorted(found, key=lambda c: (c.incident.received_at, c.incident.id))


async def case(node: Node, user: User, incident_id: str, now: datetime) -> CaseDecision | None:
    """One incident decided at ``now``, or None when the user may not see it (or it is none)."""
    loaded = await load_case(GatedSource(node, user), incident_id)
    if loaded is None:
        return None
    return decide_case(node.agreement, loaded.incident, loaded.records, loaded.persons, now)


async def claim(node: Node, user: User, claim_id: str) -> dict[str, JsonValue] | None:
    rec = await current(GatedSource(node, user), claim_id)
    if rec is None or rec.type != CLAIM:
        return None
    return decide_claim(node.agreement, rec)


def deadline_rows(decided: list[CaseDecision]) -> list[dict[str, JsonValue]]:
    """Open obligations (open or overdue) of every case, earliest due first."""
    rows: list[dict[str, JsonValue]] = []
    for c in decided:
        for o in c.open_obligations():
            row = o.to_json_row(c)
            rows.append(row)
    return sorted(rows, key=lambda r: (str(r["due"]), str(r["incident"]), str(r["timer"])))


def late_rows(decided: list[CaseDecision]) -> list[dict[str, JsonValue]]:
    """Overdue duties, and acts done after their due instant."""
    rows = []
    for c in decided:
        for o in c.obligations:
            if o.status(c.now) == "overdue" or o.late:
                rows.append(o.to_json_row(c))
    return sorted(rows, key=lambda r: (str(r["due"]), str(r["incident"])))


async def _open_records(
    node: Node, user: User, rtype: str, is_open: Callable[[Mapping[str, Any]], bool]
) -> list[dict[str, JsonValue]]:
    source = GatedSource(node, user)
    rows: list[dict[str, JsonValue]] = []
    for object_id in await source.of_type(rtype):
        rec = await current(source, object_id)
        if rec is None or rec.revoked or not is_open(rec.body):
            continue
        rows.append(
            {
                "id": rec.id,
                "owner": rec.owner,
                "topic": str(rec.body.get("topic", "")),
                "summary": str(rec.body.get("summary", "")),
                "subject": rec.body.get("subject_ref"),
                "opened": stix.format_instant(rec.received_at),
            }
        )
    return rows


async def open_claims(node: Node, user: User) -> list[dict[str, JsonValue]]:
    source = GatedSource(node, user)
    rows: list[dict[str, JsonValue]] = []
    for object_id in await source.of_type(CLAIM):
        rec = await current(source, object_id)
        if rec is None or rec.revoked or rec.body.get("status") not in OPEN_STATUSES:
            continue
        decided = decide_claim(node.agreement, rec)
        rows.append({k: decided[k] for k in ("claim", "outcome", "amount", "currency", "status")})
        rows[-1]["parts"] = decided.get("parts")
        rows[-1]["reasons"] = decided["reasons"]
    return rows


async def joint_committee(
    node: Node,
    user: User,
    now: datetime,
    sections: Mapping[str, SectionSource] | None = None,
) -> dict[str, JsonValue]:
    """The whole view for one user at ``now``."""
    decided = await cases(node, user, now)
    view: dict[str, JsonValue] = {
        "at": stix.format_instant(now),
        "party": node.party,
        "agreement": {"id": node.agreement.id, "hash": node.agreement.hash},
        "incidents": [case_row(c) for c in decided if not c.closed],
        "deadlines": _items(deadline_rows(decided)),
        "late": _items(late_rows(decided)),
        "claims": _items(await open_claims(node, user)),
        "consultations": _items(
            await _open_records(node, user, CONSULTATION, lambda b: b.get("status") == "open")
        ),
        "disputes": _items(
            await _open_records(node, user, DISPUTE, lambda b: b.get("status") == "open")
        ),
        "counted_from": RECEIPT_NOTE,
    }
    for name, source in (sections or DEFAULT_SECTIONS).items():
        view[name] = {"available": True, "items": list(await source(node, user, now))}
    return view


def _items(rows: list[dict[str, JsonValue]]) -> list[JsonValue]:
    return list(rows)


def format_at(now: datetime) -> str:
    return stix.format_instant(now)


def case_row(c: CaseDecision) -> dict[str, JsonValue]:
    return {
        "incident": c.incident.id,
        "summary": str(c.incident.body.get("summary", "")),
        "reported_by": c.incident.owner,
        "occurred_at": str(c.incident.body.get("occurred_at", "")),
        "accused": [
            {"person": d.person, "jurisdiction": d.kind, "exercising": d.exercising}
            for d in c.accused
        ],
        "status": "closed" if c.closed else "open",
        "open_obligations": len(c.open_obligations()),
        "overdue": sum(1 for o in c.obligations if o.status(c.now) == "overdue"),
    }
