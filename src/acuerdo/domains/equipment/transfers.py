"""Equipment transfer programmes: planned milestones, who owns each step, what happened when.

A programme (written by either party) plans its steps from request to end-use check, each
with the party and agency that owns it. The owner of a step reports the date it was reached
(a milestone record; a revoked version withdraws the report). Status is derived: the delay
of each step against plan, the days each stage took, what is late now. "Expedite" becomes a
number: the days the programme is behind, stage by stage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from acuerdo.domains.equipment.common import (
    MILESTONE,
    PROGRAMME,
    EquipmentRefused,
    Seen,
    current_body,
    file_new,
    new_record,
    visible,
    visible_one,
)
from acuerdo.ledger.record import Draft, RecordError
from acuerdo.ledger.writes import Appended
from acuerdo.node import Node
from acuerdo.users import User

STAGES = (
    "request",
    "agreement",
    "export-authorisation",
    "shipment",
    "arrival",
    "customs-clearance",
    "installation",
    "acceptance",
    "end-use-check",
)
WRITERS = ("registrar", "approver", "admin")


async def check_programme(node: Node, draft: Draft, drafts: Sequence[Draft]) -> None:
    """Steps in pipeline order, each once, planned dates not going back, owners real."""
    del drafts
    oid, steps = draft.object_id, draft.obj["milestones"]
    order = [STAGES.index(str(m["stage"])) for m in steps]
    if order != sorted(set(order)):
        raise RecordError(f"{oid}: milestones must name each stage once, in the order {STAGES}")
    for n, m in enumerate(steps):
        party, agency = str(m["owner"]["party"]), str(m["owner"]["agency"])
        try:
            agencies = {a.id for a in node.agreement.party(party).agencies}
        except KeyError:
            raise RecordError(f"{oid}: $.milestones[{n}].owner: {party} is no party") from None
        if agency not in agencies:
            raise RecordError(f"{oid}: $.milestones[{n}].owner: {party} has no agency {agency!r}")
        if n and str(m["planned"]) < str(steps[n - 1]["planned"]):
            raise RecordError(f"{oid}: $.milestones[{n}].planned is before the previous step")


async def check_milestone(node: Node, draft: Draft, drafts: Sequence[Draft]) -> None:
    """Only the party owning a step reports it, on a programme this node holds."""
    o, oid = draft.obj, draft.object_id
    ref = str(o["programme_ref"])
    programme = next((d.obj for d in drafts if d.object_id == ref), None)
    if programme is None:
        async with node.engines.reader.connect() as conn:
            programme = await current_body(conn, ref)
    if programme is None or programme.get("revoked"):
        raise RecordError(f"{oid}: programme_ref names no programme held here: {ref}")
    step = next((m for m in programme["milestones"] if m["stage"] == o["stage"]), None)
    if step is None:
        raise RecordError(f"{oid}: programme {ref} plans no stage {o['stage']!r}")
    if step["owner"]["party"] != draft.owner:
        raise RecordError(
            f"{oid}: stage {o['stage']} is owned by {step['owner']['party']} "
            f"({step['owner']['agency']}); only its owner reports it"
        )


CHECKS = ((PROGRAMME, check_programme), (MILESTONE, check_milestone))


def _writer(user: User) -> None:
    if not user.has_any(WRITERS):
        raise EquipmentRefused(
            f"writing transfer records needs one of the roles {', '.join(WRITERS)}",
            403,
            "forbidden",
        )


async def create(
    node: Node, user: User, content: Mapping[str, Any]
) -> tuple[dict[str, Any], Appended]:
    """Write a new transfer programme."""
    _writer(user)
    return await file_new(node, user, PROGRAMME, content)


async def report(
    node: Node, user: User, programme_id: str, stage: Any, reached: Any, remarks: Any
) -> tuple[dict[str, Any], Appended]:
    """The owner of a step reports the date it was reached."""
    await visible_one(node, user, programme_id, PROGRAMME)  # absent or withheld: 404 first
    _writer(user)
    props: dict[str, Any] = {"programme_ref": programme_id, "stage": stage, "reached": reached}
    if remarks:
        props["remarks"] = remarks
    obj = new_record(MILESTONE, props)
    (appended,) = await node.write([obj], user=user)
    return obj, appended


@dataclass(frozen=True)
class StageStatus:
    """One step of a programme as the Joint Committee reads it."""

    stage: str
    owner_party: str
    owner_agency: str
    planned: date
    actual: date | None
    delay_days: int | None  # actual (or today, when overdue) minus planned
    days_in_stage: int | None  # since the previous step was reached (running if open)
    state: str  # done, done-late, late, open, planned

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["planned"] = self.planned.isoformat()
        d["actual"] = None if self.actual is None else self.actual.isoformat()
        return d


def _state(planned: date, actual: date | None, today: date, open_now: bool) -> str:
    if actual is not None:
        return "done" if actual <= planned else "done-late"
    if today > planned:
        return "late"
    return "open" if open_now else "planned"


def stage_statuses(
    programme: Mapping[str, Any], reached: Mapping[str, date], today: date
) -> list[StageStatus]:
    """Each planned step with its actual date, delay, days taken and state on `today`."""
    out: list[StageStatus] = []
    previous: date | None = None
    previous_done = True
    for m in programme["milestones"]:
        planned = date.fromisoformat(str(m["planned"]))
        actual = reached.get(str(m["stage"]))
        open_now = actual is None and previous_done
        if actual is not None:
            delay: int | None = (actual - planned).days
        else:
            delay = (today - planned).days if today > planned else None
        end = actual or (today if open_now else None)
        days = (end - previous).days if end is not None and previous is not None else None
        out.append(
            StageStatus(
                stage=str(m["stage"]),
                owner_party=str(m["owner"]["party"]),
                owner_agency=str(m["owner"]["agency"]),
                planned=planned,
                actual=actual,
                delay_days=delay,
                days_in_stage=days,
                state=_state(planned, actual, today, open_now),
            )
        )
        previous, previous_done = actual, actual is not None
    return out


def summary(steps: Sequence[StageStatus]) -> dict[str, Any]:
    """The numbers "expedite" is measured by: how many days behind plan the programme is
    where it stands now (negative: ahead), which steps are late, what has taken how long."""
    current = next((s for s in steps if s.actual is None), None)
    done = [s for s in steps if s.actual is not None]
    if current is not None and current.state == "late":
        behind = current.delay_days or 0
    else:
        behind = done[-1].delay_days or 0 if done else 0
    reached = [s.actual for s in done if s.actual is not None]
    return {
        "current_stage": None if current is None else current.stage,
        "days_behind": behind,
        "late": [s.stage for s in steps if s.state == "late"],
        "planned_days": (steps[-1].planned - steps[0].planned).days,
        "elapsed_days": (max(reached) - min(reached)).days if reached else None,
        "completed": current is None,
    }


def reached_dates(programme: Seen, reports: Sequence[Seen]) -> dict[str, date]:
    """The date each step was reached: the owner's newest unrevoked report of it."""
    owners = {str(m["stage"]): str(m["owner"]["party"]) for m in programme.body["milestones"]}
    newest: dict[str, tuple[str, date]] = {}
    for r in reports:
        b = r.body
        stage = str(b["stage"])
        if r.version.revoked or b["programme_ref"] != programme.id:
            continue
        if owners.get(stage) != r.version.owner:
            continue
        key = str(b["modified"]) + r.id
        if stage not in newest or key > newest[stage][0]:
            newest[stage] = (key, date.fromisoformat(str(b["reached"])))
    return {stage: reached for stage, (_, reached) in newest.items()}


@dataclass(frozen=True)
class ProgrammeStatus:
    programme: Seen
    steps: list[StageStatus]

    def to_json(self) -> dict[str, Any]:
        b = self.programme.body
        return {
            "id": self.programme.id,
            "party": self.programme.version.owner,
            "title": b["title"],
            "equipment": b["equipment"],
            "revoked": self.programme.version.revoked,
            "stages": [s.to_json() for s in self.steps],
            **summary(self.steps),
        }


async def programmes(node: Node, user: User, today: date) -> list[ProgrammeStatus]:
    """Every programme the user may see, with the status of each step on `today`."""
    seen = await visible(node, user, [PROGRAMME, MILESTONE])
    reports = [s for s in seen if s.version.object_type == MILESTONE]
    out = [
        ProgrammeStatus(p, stage_statuses(p.body, reached_dates(p, reports), today))
        for p in seen
        if p.version.object_type == PROGRAMME
    ]
    return sorted(out, key=lambda p: (str(p.programme.body["title"]), p.programme.id))


async def programme(node: Node, user: User, programme_id: str, today: date) -> ProgrammeStatus:
    seen = await visible_one(node, user, programme_id, PROGRAMME)
    reports = await visible(node, user, [MILESTONE])
    return ProgrammeStatus(seen, stage_statuses(seen.body, reached_dates(seen, reports), today))
